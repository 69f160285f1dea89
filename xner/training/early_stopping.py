"""Patience counted at round ends (Cross-Augmented: outer iterations), live in the loop and replayed from a log.

A round "improves" a selection set when the set's best F1 after the round is above its best F1 at the
round's start; the evaluation before any update (`initial`) is the baseline of the first round. A set is
exhausted after `patience` rounds in a row without improvement. The loop stops when every selection set
is exhausted; `replay` gives, for one set, the records a run selecting on it alone would have seen.
"""

from __future__ import annotations

from typing import Sequence


class EarlyStopping:
    def __init__(self, names: Sequence[str], patience: int | None):
        self.patience = patience
        self.best = {n: -1.0 for n in names}
        self.at_start = {n: -1.0 for n in names}
        self.stalls = {n: 0 for n in names}

    def observe(self, scores: dict) -> None:
        """An evaluation: {set name: F1} (sets not scored are ignored)."""
        for name in self.best:
            if name in scores:
                self.best[name] = max(self.best[name], scores[name])

    def initial_done(self) -> None:
        self.at_start = dict(self.best)

    def round_end(self) -> None:
        for name in self.best:
            self.stalls[name] = 0 if self.best[name] > self.at_start[name] else self.stalls[name] + 1
        self.at_start = dict(self.best)

    def exhausted(self, name: str) -> bool:
        return self.patience is not None and self.stalls[name] >= self.patience

    def should_stop(self) -> bool:
        return self.patience is not None and bool(self.best) and all(self.exhausted(n) for n in self.best)

    def state(self) -> dict:
        return {"best": self.best, "at_start": self.at_start, "stalls": self.stalls}

    def load_state(self, state: dict) -> None:
        self.best, self.at_start, self.stalls = dict(state["best"]), dict(state["at_start"]), dict(state["stalls"])


def replay(records: list[dict], select_on: str, patience: int | None) -> tuple[list[dict], bool]:
    """(records seen, whether patience ran out) for a run selecting on `select_on` alone (exact replay)."""
    stopping = EarlyStopping([select_on], patience)
    out: list[dict] = []
    for record in records:
        out.append(record)
        stopping.observe({name: s["f1"] for name, s in record["scores"].items()})
        if record.get("initial"):
            stopping.initial_done()
        elif record.get("round_end", record.get("iteration_end")):
            stopping.round_end()
            if stopping.exhausted(select_on):
                return out, True
    return out, False
