"""The `xner` command line. Each stage registers its commands from `xner/cli/<stage>.py`.

CLI modules only parse arguments and call library functions. Any `XnerError`
becomes one line on stderr and exit code 2; no traceback reaches the user.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import typer

from xner.errors import XnerError, XnerWarning

app = typer.Typer(
    name="xner",
    help="Zero-resource cross-lingual NER: align embeddings, train, transfer, evaluate, tag.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module exposes `register(app)`; the order is the order of `xner --help`.
COMMAND_MODULES = ("demo", "data", "embed", "align", "model", "transfer", "experiment", "plot", "download", "serve",
                   "analyse",  # xner analyse ...
                   "results")  # xner experiment grid|table2|merge-modes, xner data pack (after experiment, data)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"xner.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"xner.cli.{name}":
                continue
            raise
        module.register(app)


def _show_version(value: bool) -> None:
    if value:
        from xner import __version__

        print(f"xner {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                 help="Print the version and exit."),
) -> None:
    """Zero-resource cross-lingual NER: align embeddings, train, transfer, evaluate, tag."""


_register_all()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """`XnerWarning`s print as one line `xner: warning: ...`; other warnings keep Python's format."""
    if issubclass(category, XnerWarning):
        print(f"xner: warning: {message}", file=sys.stderr)
    else:
        _default_show_warning(message, category, filename, lineno, file, line)


_default_show_warning = warnings.showwarning


def main() -> None:
    warnings.showwarning = _show_warning
    try:
        # Without standalone mode typer returns the code of a `typer.Exit` (and 130 for Ctrl-C) instead of exiting.
        code = app(standalone_mode=False)
        if code == 130:
            print("xner: interrupted", file=sys.stderr)
        if isinstance(code, int) and code:
            sys.exit(code)
    except XnerError as err:
        print(f"xner: error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("xner: interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as err:
        # Usage errors come from click (vendored as `typer._click` in recent typer): show them like click does.
        if hasattr(err, "show") and hasattr(err, "exit_code"):
            err.show()
            sys.exit(err.exit_code)
        if type(err).__name__ == "Abort":
            print("xner: aborted", file=sys.stderr)
            sys.exit(1)
        raise
