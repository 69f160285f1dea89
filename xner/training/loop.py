"""The one SGD loop every xner model is trained with (base tagger and Cross-Augmented alike).

A *procedure* supplies the batches and the losses of a round (an epoch of English batches, or one
Cross-Augmented outer iteration over pseudo-labelled target text); the loop owns everything else:

- the learning rate of each round (`spec.learning_rate(round)`), one update rule (`update(loss)`: zero
  grad, backward, global-norm clipping with `clip_gradients`, SGD step);
- the evaluation schedule: every `spec.eval_every` steps and at each round end (and once before any
  update with `spec.eval_initial`). Only the selection sets (`spec.select_on`) are scored at every
  evaluation; the report sets (`spec.report`, e.g. the target test split) are scored only at evaluations
  where a selection set reached a new best, which is exactly where a selected checkpoint can be, so every
  selection mode still reports its test F1 (also for a run stopped half-way). `spec.eval_all` scores every
  set every time (the old, slower path; same trajectory, same selection);
- the best weights per selection set (`out_dir/best-<set>.safetensors`), one `metrics.jsonl` line per
  evaluation, and `out_dir/checkpoint.pt` after each evaluation (weights, optimiser, RNG states, loop and
  procedure state, position inside the round), so `resume=True` continues to bit-identical weights and a
  crash loses at most the steps since the last evaluation;
- early stopping (`spec.patience`, counted at round ends, see `early_stopping`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np
import torch

from xner.errors import XnerError
from xner.training.checkpoint import (
    append_metrics,
    load_checkpoint,
    read_metrics,
    restore_rng_state,
    rng_state,
    save_checkpoint,
    save_weights,
    truncate_metrics,
)
from xner.training.early_stopping import EarlyStopping
from xner.training.progress import Reporter

CHECKPOINT_FORMAT = 2  # loop checkpoints; format-1 files (before the shared loop) are refused with a message
Update = Callable[[torch.Tensor], float]
Evaluate = Callable[[Sequence[str]], dict]  # set names -> {name: span scores}


class Procedure(Protocol):
    """What a training procedure supplies to `run_loop`."""

    def start_round(self, round_index: int, rng: np.random.Generator) -> int:
        """Prepare round `round_index` (draw its order from `rng`); returns its number of steps."""

    def step(self, index: int, update: Update) -> int:
        """Step `index` of the current round: compute losses, call `update(loss)` for each; returns sentences used."""

    def record_fields(self, kind: str, round_index: int, position: int) -> dict:
        """Fields for the metrics record of an evaluation (`kind`: initial, eval or round_end)."""

    def state(self) -> dict:
        """Everything needed to resume mid-round (tensors, numbers, strings, lists, dicts only)."""

    def load_state(self, state: dict) -> None: ...

    def trainable_state(self) -> dict[str, torch.Tensor]: ...

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None: ...


@dataclass
class LoopSpec:
    rounds: int  # epochs (base tagger) or outer iterations (Cross-Augmented)
    eval_every: int  # steps between evaluations; 0 = round ends only
    learning_rate: Callable[[int], float]  # lr of a round
    clip: float  # global gradient-norm bound; 0 = none
    sets: Sequence[str]  # every eval set, in log order
    select_on: Sequence[str]  # sets whose best checkpoint is kept (scored at every evaluation)
    report: Sequence[str] = ()  # sets scored only where a selection set improved
    eval_all: bool = False  # score every set at every evaluation (old path; changes only time)
    patience: int | None = None  # stop when no selection set improved for this many rounds
    eval_initial: bool = False  # evaluate once before any update
    stop_after_batches: int = 0  # stop as if interrupted after this many steps in this call (tests)
    save_best: bool = True
    label: str = "train"  # progress bar label
    log_every_round: Callable[[dict, "LoopState"], str] | None = None  # extra log line at round ends

    def __post_init__(self) -> None:
        unknown = [n for n in list(self.select_on) + list(self.report) if n not in self.sets]
        if unknown:
            raise XnerError(f"selection/report set(s) {', '.join(unknown)} are not eval sets "
                            f"({', '.join(self.sets) or 'none'})")


@dataclass
class LoopState:
    round: int = 0
    position: int = 0  # steps done in the current round
    steps_in_round: int | None = None  # None = the round has not been prepared yet
    step: int = 0
    seconds: float = 0.0
    sentences: int = 0
    initial_done: bool = False
    best: dict = field(default_factory=dict)  # set -> {"f1", "step", "epoch", "scores"}
    stopping: dict = field(default_factory=dict)

    def round_float(self) -> float:
        return self.round + (self.position / self.steps_in_round if self.steps_in_round else 0.0)


@dataclass
class LoopResult:
    best: dict
    steps: int
    rounds_done: float
    seconds: float
    sentences_per_second: float
    interrupted: bool
    history: list


def clip_gradients(params, max_norm: float) -> torch.Tensor:
    """Global-norm clipping like `clip_grad_norm_`, also for sparse gradients (fine-tuned word vectors)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    dense = [g for g in grads if not g.is_sparse]
    sparse = [g.coalesce() for g in grads if g.is_sparse]
    squares = [torch.linalg.vector_norm(g) ** 2 for g in dense] + [g.values().pow(2).sum() for g in sparse]
    total = torch.sqrt(torch.stack(squares).sum())
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in params:
        if p.grad is not None:
            if p.grad.is_sparse:
                p.grad = p.grad.coalesce() * coef
            else:
                p.grad.mul_(coef)
    return total


def make_update(params, optimizer: torch.optim.Optimizer, clip: float) -> Update:
    """The one update rule: zero grad, backward, global-norm clipping, optimiser step; returns the loss value."""
    params = [p for p in params if p.requires_grad]

    def update(loss: torch.Tensor) -> float:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip > 0:
            clip_gradients(params, clip)
        optimizer.step()
        return float(loss.detach())

    return update


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def summary(scores: dict) -> dict:
    """What a metrics record keeps of `span_scores`: P/R/F1 and per-type F1 (2 decimals)."""
    return {k: scores[k] for k in ("precision", "recall", "f1")} | {
        "per_type": {t: round(v["f1"], 2) for t, v in scores["per_type"].items()}
    }


def run_loop(
    procedure: Procedure,
    parameters,
    optimizer: torch.optim.Optimizer,
    spec: LoopSpec,
    evaluate: Evaluate,
    out_dir: Path,
    rng: np.random.Generator,
    fingerprint: dict,
    resume: bool = True,
    show_progress: bool = True,
    on_eval: Callable[[dict], None] | None = None,
    model=None,
    header: str = "",
) -> LoopResult:
    """Train with `procedure` until `spec.rounds` are done, early stopping, or `spec.stop_after_batches`.

    `model`: the module put back in training mode after each evaluation. With `resume` and a checkpoint in
    `out_dir` made with the same `fingerprint`, the run continues where the checkpoint left it.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path, metrics_path = out_dir / "checkpoint.pt", out_dir / "metrics.jsonl"
    state = LoopState()
    stopping = EarlyStopping(spec.select_on, spec.patience)
    if resume and ckpt_path.is_file():
        ckpt = load_checkpoint(ckpt_path)
        if ckpt.get("format") != CHECKPOINT_FORMAT:
            raise XnerError("checkpoint from an older xner (before the shared training loop); start this run anew "
                            "in a new folder", ckpt_path)
        if ckpt["fingerprint"] != fingerprint:
            raise XnerError("checkpoint was made with other data, vocabulary or training settings; "
                            "start a new run (no --resume) or use another output folder", ckpt_path)
        procedure.load_trainable_state(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        restore_rng_state(ckpt["rng"], rng)
        state = LoopState(**json.loads(ckpt["loop"]))
        stopping.load_state(state.stopping)
        procedure.load_state(ckpt["procedure"])
        truncate_metrics(metrics_path, state.step)
    else:
        for stale in (metrics_path, out_dir / "train.log", ckpt_path):
            stale.unlink(missing_ok=True)

    reporter = Reporter(out_dir / "train.log", show_progress)
    if state.steps_in_round is not None:
        reporter.new_round(f"{spec.label} {state.round + 1}/{spec.rounds}", state.steps_in_round, state.position)
    if header:
        reporter.line(header + (f"; resumed at round {state.round} step {state.position} of it" if state.step else ""))
    sgd = make_update(parameters, optimizer, spec.clip)
    loss_sum, loss_count = 0.0, 0

    def update(loss: torch.Tensor) -> float:
        nonlocal loss_sum, loss_count
        value = sgd(loss)
        loss_sum, loss_count = loss_sum + value, loss_count + 1
        return value

    def checkpoint() -> None:
        state.stopping = stopping.state()
        save_checkpoint(ckpt_path, {
            "format": CHECKPOINT_FORMAT, "fingerprint": fingerprint, "model": procedure.trainable_state(),
            "optimizer": optimizer.state_dict(), "rng": rng_state(rng), "loop": json.dumps(state.__dict__),
            "procedure": procedure.state(),
        })

    def evaluation(kind: str) -> dict:
        nonlocal loss_sum, loss_count
        with torch.inference_mode():
            wanted = list(spec.sets) if spec.eval_all else [n for n in spec.sets if n in spec.select_on]
            scores = evaluate(wanted)
            # A set whose patience ran out keeps its best: a run selecting on it alone would have stopped.
            improved = [n for n in spec.select_on if not stopping.exhausted(n)
                        and (n not in state.best or scores[n]["f1"] > state.best[n]["f1"])]
            extra = [n for n in spec.sets if n in spec.report and n not in scores]
            if improved and extra:
                scores.update(evaluate(extra))
        ordered = {n: summary(scores[n]) for n in spec.sets if n in scores}
        record = {
            "step": state.step, **procedure.record_fields(kind, state.round, state.position),
            "lr": optimizer.param_groups[0]["lr"], "train_loss": loss_sum / max(loss_count, 1),
            "train_seconds": round(state.seconds, 2),
            "sentences_per_second": round(state.sentences / state.seconds, 1) if state.seconds else None,
            "scores": ordered,
        }
        for name in improved:
            state.best[name] = {"f1": scores[name]["f1"], "step": state.step, "epoch": state.round_float(),
                                "scores": ordered}
            if spec.save_best:
                save_weights(procedure.trainable_state(), out_dir / f"best-{name}.safetensors")
        stopping.observe({n: s["f1"] for n, s in scores.items()})
        if kind == "initial":
            state.initial_done = True
            stopping.initial_done()
        elif kind == "round_end":
            stopping.round_end()
        # Log line first, then the checkpoint: a crash in between leaves a line that resuming drops and redoes.
        append_metrics(metrics_path, record)
        checkpoint()
        shown = " ".join(f"{n} F1 {s['f1']:.2f}" for n, s in ordered.items())
        reporter.line(f"round {state.round} step {state.step} lr {record['lr']:.4g} loss {record['train_loss']:.3f} "
                      f"{record['sentences_per_second']} sent/s {shown}")
        if kind == "round_end" and spec.log_every_round is not None:
            reporter.line(spec.log_every_round(record, state))
        loss_sum, loss_count = 0.0, 0
        if model is not None:
            model.train()
        if on_eval is not None:
            on_eval(record)
        return record

    interrupted = False
    batches_this_run = 0
    try:
        if spec.eval_initial and not state.initial_done and state.step == 0:
            set_learning_rate(optimizer, spec.learning_rate(0))
            evaluation("initial")
        if model is not None:
            model.train()
        while state.round < spec.rounds and not stopping.should_stop():
            set_learning_rate(optimizer, spec.learning_rate(state.round))
            if state.steps_in_round is None:
                state.steps_in_round, state.position = procedure.start_round(state.round, rng), 0
                reporter.new_round(f"{spec.label} {state.round + 1}/{spec.rounds}", state.steps_in_round, 0)
                if model is not None:
                    model.train()
            while True:
                at_end = state.position >= state.steps_in_round
                if at_end:  # a round without steps still ends with an evaluation
                    state.round, state.position, state.steps_in_round = state.round + 1, 0, None
                    evaluation("round_end")
                    break
                if spec.stop_after_batches and batches_this_run >= spec.stop_after_batches:
                    interrupted = True
                    break
                start = time.perf_counter()
                used = procedure.step(state.position, update)
                state.seconds += time.perf_counter() - start
                state.sentences += used
                state.position += 1
                state.step += 1
                batches_this_run += 1
                reporter.advance(f"round {state.round} step {state.step}")
                if state.position < state.steps_in_round and spec.eval_every and state.step % spec.eval_every == 0:
                    evaluation("eval")
            if interrupted:
                break
    except KeyboardInterrupt:
        reporter.line(f"interrupted at step {state.step}; resuming continues from the last checkpoint")
        raise
    finally:
        reporter.close()
    return LoopResult(best=state.best, steps=state.step, rounds_done=state.round_float(), seconds=state.seconds,
                      sentences_per_second=state.sentences / state.seconds if state.seconds else 0.0,
                      interrupted=interrupted, history=read_metrics(metrics_path))
