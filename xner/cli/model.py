"""`xner train`, `xner evaluate MODEL DATA`, `xner tag MODEL [FILE]`: the base tagger from the command line.

DATA is a registry name (`en` = English train for `--train`, dev for `--dev`; `en:test` = a named split)
or a path to a CoNLL file. MODEL is a saved tagger folder or a training run folder (its `best-*`
model is used).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Optional

import typer

from xner.model.config import TrainConfig

CHECKPOINT_KEYS = ("model", "optimizer", "rng", "epoch", "batch_in_epoch", "step", "fingerprint")


def _read_data(spec: str, default_split: str, encoding: str = "utf-8") -> tuple[list, str | None, str]:
    """(sentences, language or None, description) for a registry name, `LANG:SPLIT`, or a file path."""
    from xner.data.conll import read_conll
    from xner.data.registry import LANGUAGES, load_split

    path = Path(spec)
    if path.exists():
        return read_conll(path, encoding=encoding), None, str(path)
    lang, _, split = spec.partition(":")
    if lang in LANGUAGES:
        split = split or default_split
        return load_split(lang, split), lang, f"{lang}:{split}"
    from xner.errors import XnerError

    raise XnerError(f"no such file, and not a dataset name like 'en' or 'en:dev' ({', '.join(LANGUAGES)})", spec)


def _read_text(file: Optional[Path], encoding: str) -> str:
    """Raw text of FILE or stdin; bytes that are not `encoding` give an XnerError naming file and line."""
    from xner.data.conll import check_input_file
    from xner.errors import XnerError

    name = str(file) if file is not None else "<stdin>"
    if file is not None:
        check_input_file(file)
    raw = file.read_bytes() if file is not None else sys.stdin.buffer.read()
    try:
        return raw.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise XnerError(f"cannot decode byte 0x{raw[err.start]:02x} as {encoding}; pass --encoding (e.g. latin-1)",
                        name, line) from None
    except LookupError:
        raise XnerError(f"unknown encoding {encoding!r}") from None


def train_command(
    train: str = typer.Option("en", "--train", help="Training data: dataset name (en) or CoNLL file."),
    dev: Optional[str] = typer.Option(None, "--dev", help="Selection data (default: the dataset's dev split)."),
    test: Optional[str] = typer.Option(None, "--test", help="Extra data scored at every evaluation (not for selection)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of the data (default: the dataset name)."),
    embeddings: Optional[str] = typer.Option(None, "--embeddings", help="Embedding table: language code or path (default: --lang)."),
    max_vocab: Optional[int] = typer.Option(None, "--max-vocab", help="Keep only the N most frequent embedding rows."),
    out: Optional[Path] = typer.Option(None, "--out", help="Run folder (default runs/<lang>)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the run folder's last checkpoint."),
    epochs: int = typer.Option(TrainConfig.epochs, help="Epochs (paper: 30)."),
    batch_size: int = typer.Option(TrainConfig.batch_size, help="Batch size (paper: 16)."),
    lr: float = typer.Option(TrainConfig.lr, help="Initial SGD learning rate (paper: 0.1)."),
    eval_every: int = typer.Option(TrainConfig.eval_every, help="Evaluate every N batches (paper: 150)."),
    max_train_len: int = typer.Option(TrainConfig.max_train_len, help="Longer training sentences are dropped (paper: 250)."),
    tag_scheme: Optional[str] = typer.Option(None, help="IOBES or IOB2 (default: IOBES, IOB2 for ar)."),
    no_char: bool = typer.Option(False, "--no-char", help="No character BiLSTM."),
    shared_weights: bool = typer.Option(False, "--shared-weights", help="Share forward/backward LSTM weights."),
    finetune_embeddings: bool = typer.Option(False, "--finetune-embeddings", help="Train the word vectors too."),
    length_buckets: int = typer.Option(TrainConfig.length_buckets,
                                       help="Sort by length within chunks of N batches (0: random batches)."),
    seed: int = typer.Option(TrainConfig.seed, help="Random seed."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    threads: int = typer.Option(0, help="Torch CPU threads (0: default)."),
    encoding: str = typer.Option("utf-8", help="Encoding of CoNLL files given as paths."),
) -> None:
    """Train the char+word BiLSTM-CRF; the best model (on --dev) is saved to OUT/best-dev."""
    from xner.embeddings import load_embeddings
    from xner.errors import XnerError
    from xner.model.config import TaggerConfig, TrainConfig, default_tag_scheme
    from xner.model.tagger import build_tagger
    from xner.training.trainer import seed_everything
    from xner.training.trainer import train as run_training

    _check_numbers(lr, epochs, max_train_len)
    train_sents, train_lang, train_desc = _read_data(train, "train", encoding)
    lang = lang or train_lang
    if lang is None:
        raise XnerError("--lang is needed when the training data is a file path")
    if dev is None and train_lang is None:
        raise XnerError("--dev is needed when the training data is a file path")
    dev_sents, _, dev_desc = _read_data(dev or f"{train_lang}:dev", "dev", encoding)
    eval_sets = {"dev": (dev_sents, lang)}
    if test:
        eval_sets["test"] = (_read_data(test, "test", encoding)[0], lang)
    out = out or Path("runs") / lang
    _check_out(out, resume)
    long = sum(len(s) > max_train_len for s in train_sents)
    if long:
        from xner.errors import warn

        warn(f"{long} training sentence(s) longer than {max_train_len} tokens are dropped "
             "(the paper's limit; --max-train-len changes it)", train_desc)
    table = load_embeddings(embeddings or lang, max_vocab=max_vocab)
    tagger_cfg = TaggerConfig(use_char=not no_char, shared_weights=shared_weights, finetune_embeddings=finetune_embeddings)
    train_cfg = TrainConfig(
        epochs=epochs, batch_size=batch_size, lr=lr, eval_every=eval_every,
        tag_scheme=tag_scheme or default_tag_scheme(lang), seed=seed, device=device, num_threads=threads,
        length_buckets=length_buckets, max_train_len=max_train_len,
    )
    seed_everything(seed)
    model = build_tagger(tagger_cfg, {lang: table}, train_sents, train_cfg.tag_scheme)
    print(f"training on {train_desc} ({len(train_sents)} sentences), selecting on {dev_desc}; run folder {out}", file=sys.stderr)
    result = run_training(model, train_sents, train_cfg, out, eval_sets, select_on=["dev"], lang=lang, resume=resume)
    best = result.best.get("dev")
    if best:
        print(f"best dev F1 {best['f1']:.2f} at step {best['step']}; model saved to {out / 'best-dev'}")


def _check_numbers(lr: float, epochs: int, max_train_len: int) -> None:
    """Refuse settings that would train nothing or train to NaN, before any data is read."""
    from xner.errors import XnerError

    if not (math.isfinite(lr) and lr > 0):
        raise XnerError(f"--lr must be a positive finite number, not {lr}")
    if epochs < 1:
        raise XnerError(f"--epochs must be at least 1, not {epochs} (nothing would be trained or saved)")
    if max_train_len < 1:
        raise XnerError(f"--max-train-len must be at least 1, not {max_train_len}")


def _check_out(out: Path, resume: bool) -> None:
    """OUT must be (or become) a folder; with --resume it must hold a readable checkpoint."""
    from xner.errors import XnerError

    for folder in (out, *out.parents):
        if folder.exists() and not folder.is_dir():
            raise XnerError("exists and is not a folder; give --out a folder (new or a previous run)", folder)
    if not resume:
        return
    ckpt = out / "checkpoint.pt"
    if not ckpt.is_file():
        raise XnerError("nothing to resume: no checkpoint.pt here (drop --resume to start a new run)", out)
    import torch

    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises RuntimeError, UnpicklingError, EOFError, ... for a damaged file
        raise XnerError(f"damaged checkpoint ({type(err).__name__}); delete it and drop --resume to start over",
                        ckpt) from None
    if not isinstance(state, dict) or any(key not in state for key in CHECKPOINT_KEYS):
        raise XnerError("not an xner training checkpoint; delete it and drop --resume to start over", ckpt)


def evaluate_command(
    model: Path = typer.Argument(..., help="Saved tagger folder (or a run folder)."),
    data: str = typer.Argument(..., help="Dataset name (en = en:test) or CoNLL file."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of DATA (default: dataset name or the model's)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    oov: bool = typer.Option(False, "--oov", help="Also score sentences/entities with and without embedding-OOV words."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    encoding: str = typer.Option("utf-8", help="Encoding of DATA when it is a file."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Score only these entity types, e.g. PER,LOC,ORG "
                                         "(others become O in gold and predictions; default: every type)."),
) -> None:
    """CoNLL span precision / recall / F1 (micro and per type) of MODEL on DATA."""
    from xner.model.persistence import load_tagger, resolve_model_dir

    tagger = load_tagger(resolve_model_dir(model), device)
    sentences, data_lang, desc = _read_data(data, "test", encoding)
    if labels is None:
        scores = tagger.evaluate(sentences, lang or data_lang, oov_breakdown=oov)
        label_set = sorted(scores["per_type"])
    else:
        label_set = list(_check_labels(labels, tagger, sentences, oov))
        scores = _scores_on_labels(tagger, sentences, lang or data_lang, label_set)
    if as_json:
        print(json.dumps({"model": str(model), "data": desc, "labels": label_set, **scores}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{model} on {desc} ({len(sentences)} sentences)")
    for col in ("type", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for typ, s in scores["per_type"].items():
        table.add_row(typ, f"{s['precision']:.2f}", f"{s['recall']:.2f}", f"{s['f1']:.2f}", str(s["support"]))
    support = sum(s["support"] for s in scores["per_type"].values())
    table.add_row("micro", f"{scores['precision']:.2f}", f"{scores['recall']:.2f}", f"{scores['f1']:.2f}", str(support))
    Console().print(table)
    print(f"label set: {', '.join(label_set) or 'none'}" + (" (--labels; other types scored as O)" if labels else
                                                              " (every type in the data or the predictions)"))
    if oov:
        print(json.dumps(scores["oov"], indent=2))


def _check_labels(spec: str, tagger, sentences: list, oov: bool) -> tuple[str, ...]:
    """The `--labels` set; each must be a type of the model or of the data (a typo scores nothing)."""
    from xner.errors import XnerError
    from xner.metrics import parse_labels

    if oov:
        raise XnerError("--labels and --oov cannot be combined (the OOV breakdown scores every type)")
    chosen = parse_labels(spec)
    known = set(tagger.model.vocab.tags.entity_types) | {t[2:] for s in sentences for t in s.tags if t != "O"}
    unknown = [label for label in chosen if label not in known]
    if unknown:
        raise XnerError(f"--labels names {', '.join(unknown)}, a type of neither the model nor the data "
                        f"(known: {', '.join(sorted(known))})")
    return chosen


def _scores_on_labels(tagger, sentences: list, lang: str | None, label_set: list[str]) -> dict:
    from xner.metrics import keep_labels
    from xner.model.predictor import fast_span_scores

    pred = tagger.predict([s.tokens for s in sentences], lang)
    return fast_span_scores(keep_labels([s.tags for s in sentences], label_set), keep_labels(pred, label_set))


def tag_command(
    model: Path = typer.Argument(..., help="Saved tagger folder (or a run folder)."),
    file: Optional[Path] = typer.Argument(None, help="Raw text, one sentence per line (default: stdin)."),
    as_json: bool = typer.Option(False, "--json", help="Print entity spans as JSON instead of CoNLL columns."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of the text (default: the model's)."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    encoding: str = typer.Option("utf-8", help="Encoding of the input."),
) -> None:
    """Tag raw text: each line is tokenised and tagged; prints `TOKEN TAG` lines or JSON spans."""
    from xner.model.persistence import load_tagger, resolve_model_dir

    tagger = load_tagger(resolve_model_dir(model), device)  # before reading stdin: a bad model path fails at once
    text = _read_text(file, encoding)
    if as_json:
        print(json.dumps(tagger.tag(text, lang), ensure_ascii=False))
        return
    out = []
    for sentence in tagger.tag_tokens(text, lang):
        out.extend(f"{tok.text} {tag}" for tok, tag in sentence)
        out.append("")
    sys.stdout.write("".join(line + "\n" for line in out))


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.command("evaluate")(evaluate_command)
    app.command("tag")(tag_command)
