"""Progress of a training run: a rich bar on a terminal; plain log lines (also to `train.log`) always."""

from __future__ import annotations

import sys
from pathlib import Path


class Reporter:
    """One bar per round (an epoch, a Cross-Augmented iteration), steps done of the round's steps."""

    def __init__(self, log_path: Path, show: bool):
        self.log_path = log_path
        self.progress = None
        self.task = None
        self.show = show
        if show and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                TextColumn("{task.fields[info]}"), transient=True,
            )
            self.progress.start()

    def new_round(self, label: str, total: int, done: int) -> None:
        if self.progress is not None:
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.task = self.progress.add_task(label, total=total, completed=done, info="")

    def advance(self, info: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, info=info)

    def line(self, text: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(text + "\n")
        if self.show:
            if self.progress is not None:
                self.progress.console.print(text)
            else:
                print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
