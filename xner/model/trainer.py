"""Training loop of the paper (METHOD.md section 2) with evaluation, best checkpoints and exact resume.

`train(model, train_sentences, config, out_dir, eval_sets={"dev": (sentences, "en")}, select_on=None,
lang=None, resume=False)`:
- SGD, lr = max(lr / (1 + lr_decay * epoch), min_lr) per epoch, global-norm clipping, batches of 16,
  sentences longer than `max_train_len` dropped;
- every `eval_every` batches (and at each epoch end) every named eval set is scored; one line per
  eval step goes to `out_dir/metrics.jsonl`; for each set in `select_on` (default: the first) the best
  weights are kept in `out_dir/best-<set>.safetensors`;
- after each evaluation `out_dir/checkpoint.pt` is written atomically with the weights, optimiser,
  RNG states and position in the epoch, so `resume=True` continues exactly (same final weights as an
  uninterrupted run) and a crash loses at most the batches since the last evaluation;
- at the end `out_dir/best-<set>/` holds a loadable tagger (`xner.load`), and `TrainResult` says
  which step won and every set's scores at that step.

Helpers for other training loops (transfer stage): `seed_everything`, `make_optimizer`,
`set_learning_rate`, `rng_state` / `restore_rng_state`, `train_step`.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from xner.data.conll import Sentence
from xner.errors import XnerError
from xner.io import atomic_path, write_json_atomic
from xner.model.batching import EncodedCorpus
from xner.model.config import TrainConfig
from xner.model.persistence import load_trainable_state, save_tagger, trainable_state
from xner.model.predictor import evaluate
from xner.model.tagger import Tagger, count_parameters

EvalSets = Mapping[str, tuple[Sequence[Sentence], str]]


@dataclass
class TrainResult:
    out_dir: Path
    best: dict  # set name -> {"f1", "step", "epoch", "scores": {eval set: scores at that step}}
    steps: int
    epochs_done: float
    train_seconds: float
    sentences_per_second: float
    interrupted: bool = False
    history: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "out_dir": str(self.out_dir),
            "best": self.best,
            "steps": self.steps,
            "epochs_done": self.epochs_done,
            "train_seconds": self.train_seconds,
            "sentences_per_second": self.sentences_per_second,
            "interrupted": self.interrupted,
        }


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA) and numpy's legacy global RNG; call before building a model."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)


def configure_torch(config: TrainConfig) -> torch.device:
    if config.num_threads > 0:
        torch.set_num_threads(config.num_threads)
    if config.device.startswith("cuda") and not torch.cuda.is_available():
        raise XnerError(f"device {config.device!r} requested but CUDA is not available here")
    return torch.device(config.device)


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    return torch.optim.SGD([p for p in params if p.requires_grad], lr=config.lr, momentum=config.momentum)


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def rng_state(shuffle_rng: np.random.Generator) -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": json.dumps(shuffle_rng.bit_generator.state)}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict, shuffle_rng: np.random.Generator) -> None:
    torch.set_rng_state(state["torch"])
    shuffle_rng.bit_generator.state = json.loads(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def epoch_order(lengths: np.ndarray, config: TrainConfig, rng: np.random.Generator) -> np.ndarray:
    """Sentence order of one epoch; batch i is order[i*batch_size:(i+1)*batch_size].

    With `length_buckets=N`, a random permutation is cut into chunks of N batches, each chunk is sorted
    by length and cut into batches, and the full batches are shuffled (the one short batch stays last).
    """
    perm = rng.permutation(len(lengths))
    if not config.length_buckets:
        return perm
    size = config.batch_size
    chunk = size * config.length_buckets
    batches = []
    for start in range(0, len(perm), chunk):
        part = perm[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + size] for i in range(0, len(part), size))
    short = [b for b in batches if len(b) < size]
    full = [b for b in batches if len(b) == size]
    order = rng.permutation(len(full))
    return np.concatenate([full[i] for i in order] + short) if batches else perm


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


def train_step(model: Tagger, batch, optimizer: torch.optim.Optimizer, config: TrainConfig) -> float:
    """One SGD step on one batch; returns the loss value."""
    loss = model.loss(batch, config.loss_reduction)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if config.clip > 0:
        clip_gradients([p for p in model.parameters() if p.requires_grad], config.clip)
    optimizer.step()
    return float(loss.detach())


class _Reporter:
    """A rich progress bar on a terminal; plain log lines (also to train.log) always."""

    def __init__(self, out_dir: Path, total: int, done: int, show: bool):
        self.log_path = out_dir / "train.log"
        self.progress = None
        if show and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                TextColumn("{task.fields[info]}"), transient=True,
            )
            self.task = self.progress.add_task("train", total=total, completed=done, info="")
            self.progress.start()
        self.show = show

    def advance(self, info: str) -> None:
        if self.progress is not None:
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


def _summary(scores: dict) -> dict:
    return {k: scores[k] for k in ("precision", "recall", "f1")} | {
        "per_type": {t: round(v["f1"], 2) for t, v in scores["per_type"].items()}
    }


def train(
    model: Tagger,
    train_sentences: Sequence[Sentence],
    config: TrainConfig,
    out_dir: str | Path,
    eval_sets: EvalSets | None = None,
    select_on: Sequence[str] | None = None,
    lang: str | None = None,
    resume: bool = False,
    show_progress: bool = True,
    save_best: bool = True,
    on_eval: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Train `model` in place on labelled `train_sentences` of language `lang` (default: the model's).

    `on_eval(record)` is called after each evaluation with the metrics.jsonl record (e.g. to write
    partial results). Returns when the epoch budget is spent or `config.stop_after_batches` is hit.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = configure_torch(config)
    lang = lang or model.default_lang
    eval_sets = dict(eval_sets or {})
    select_on = list(select_on) if select_on is not None else list(eval_sets)[:1]
    for name in select_on:
        if name not in eval_sets:
            raise XnerError(f"select_on names {name!r}, which is not an eval set ({', '.join(eval_sets) or 'none'})")
    ckpt_path = out_dir / "checkpoint.pt"
    metrics_path = out_dir / "metrics.jsonl"

    kept = [s for s in train_sentences if 0 < len(s) <= config.max_train_len]
    if not kept:
        raise XnerError("no training sentences left after dropping those longer than max_train_len")
    corpus = EncodedCorpus(kept, lang, model.vocab)
    n_batches = math.ceil(len(corpus) / config.batch_size)
    model.to(device)
    optimizer = make_optimizer(model.parameters(), config)
    shuffle_rng = np.random.default_rng(config.seed)
    vocab_key = json.dumps(model.vocab.to_dict(), sort_keys=True)
    fingerprint = {"vocab_hash": hash_text(vocab_key), "train_sentences": len(corpus), "train": config.to_dict()}
    for free in ("stop_after_batches", "device", "num_threads", "epochs", "eval_batch_size"):
        fingerprint["train"].pop(free)  # may change between an interrupted run and its resumption

    epoch, batch_in_epoch, step = 0, 0, 0
    perm: np.ndarray | None = None
    best: dict = {}
    train_seconds, sentences_seen = 0.0, 0
    if resume and ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        if ckpt["fingerprint"] != fingerprint:
            raise XnerError(
                "checkpoint was made with other data, vocabulary or training settings; "
                "start a new run (no --resume) or use another output folder",
                ckpt_path,
            )
        load_trainable_state(model, ckpt["model"])
        model.to(device)
        optimizer.load_state_dict(ckpt["optimizer"])
        restore_rng_state(ckpt["rng"], shuffle_rng)
        epoch, batch_in_epoch, step = ckpt["epoch"], ckpt["batch_in_epoch"], ckpt["step"]
        perm = ckpt["perm"].numpy() if ckpt["perm"] is not None else None
        best = json.loads(ckpt["best"])
        train_seconds, sentences_seen = ckpt["train_seconds"], ckpt["sentences_seen"]
        _truncate_metrics(metrics_path, step)
    else:
        for stale in (metrics_path, out_dir / "train.log"):
            if stale.exists():
                stale.unlink()
        torch.manual_seed(config.seed)  # dropout stream starts from the seed, whatever came before
        write_json_atomic(out_dir / "run_config.json", {
            "tagger": model.config.to_dict(), "train": config.to_dict(), "lang": lang,
            "eval_sets": {k: {"lang": v[1], "sentences": len(v[0])} for k, v in eval_sets.items()},
            "select_on": select_on, "train_sentences": len(corpus),
            "dropped_long": len(train_sentences) - len(kept),
        })

    reporter = _Reporter(out_dir, config.epochs * n_batches, epoch * n_batches + batch_in_epoch, show_progress)
    reporter.line(
        f"train {len(corpus)} sentences ({lang}), {n_batches} batches/epoch, {config.epochs} epochs, "
        f"device {device}; parameters without word embeddings: {count_parameters(model)} "
        f"({count_parameters(model, merge_lstm_biases=True)} counting each LSTM's two biases once; "
        f"paper Table 4: 395,581 Cross-Word / 342,906 no char / 210,081 Cross-Shared)"
        + (f"; resumed at epoch {epoch} batch {batch_in_epoch}" if step else "")
    )

    encoded = {name: EncodedCorpus([s for s in sents if len(s)], set_lang, model.vocab, with_tags=False)
               for name, (sents, set_lang) in eval_sets.items()}  # looked up once, scored at every evaluation

    def evaluate_all() -> dict:
        return {name: evaluate(model, sents, set_lang, config.eval_batch_size, corpus=encoded[name])
                for name, (sents, set_lang) in eval_sets.items()}

    def checkpoint() -> None:
        state = {
            "model": trainable_state(model),
            "optimizer": optimizer.state_dict(),
            "rng": rng_state(shuffle_rng),
            "epoch": epoch, "batch_in_epoch": batch_in_epoch, "step": step,
            "perm": torch.from_numpy(perm) if perm is not None else None,
            "best": json.dumps(best), "fingerprint": fingerprint,
            "train_seconds": train_seconds, "sentences_seen": sentences_seen,
        }
        with atomic_path(ckpt_path) as tmp:
            torch.save(state, tmp)

    def eval_and_checkpoint(running_loss: float) -> None:
        scores = evaluate_all()
        record = {
            "step": step, "epoch": epoch, "batch": batch_in_epoch, "lr": optimizer.param_groups[0]["lr"],
            "train_loss": running_loss, "train_seconds": round(train_seconds, 2),
            "sentences_per_second": round(sentences_seen / train_seconds, 1) if train_seconds else None,
            "scores": {name: _summary(s) for name, s in scores.items()},
        }
        for name in select_on:
            if name not in best or scores[name]["f1"] > best[name]["f1"]:
                best[name] = {"f1": scores[name]["f1"], "step": step, "epoch": epoch + batch_in_epoch / n_batches,
                              "scores": record["scores"]}
                if save_best:
                    _save_weights(trainable_state(model), out_dir / f"best-{name}.safetensors")
        # Log line first, then the checkpoint: a crash in between leaves a line that resuming drops and redoes.
        with open(metrics_path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        checkpoint()
        shown = " ".join(f"{n} F1 {s['f1']:.2f}" for n, s in scores.items())
        reporter.line(f"epoch {epoch} batch {batch_in_epoch}/{n_batches} step {step} lr {record['lr']:.4g} "
                      f"loss {running_loss:.3f} {record['sentences_per_second']} sent/s {shown}")
        if on_eval is not None:
            on_eval(record)

    interrupted = False
    batches_this_run = 0
    loss_sum, loss_count = 0.0, 0
    last_f1 = ""
    model.train()
    try:
        while epoch < config.epochs:
            if perm is None:
                perm = epoch_order(corpus.lengths, config, shuffle_rng)
            set_learning_rate(optimizer, config.learning_rate(epoch))
            while batch_in_epoch < n_batches:
                if config.stop_after_batches and batches_this_run >= config.stop_after_batches:
                    interrupted = True
                    break
                start = time.perf_counter()
                batch = corpus.batch(perm[batch_in_epoch * config.batch_size : (batch_in_epoch + 1) * config.batch_size], device)
                loss_sum += train_step(model, batch, optimizer, config)
                loss_count += 1
                train_seconds += time.perf_counter() - start
                sentences_seen += batch.size
                batch_in_epoch += 1
                step += 1
                batches_this_run += 1
                reporter.advance(f"ep {epoch} loss {loss_sum / loss_count:.3f} {sentences_seen / train_seconds:.0f} sent/s {last_f1}")
                at_end = batch_in_epoch == n_batches
                if (config.eval_every and step % config.eval_every == 0) or at_end:
                    if at_end:
                        epoch, batch_in_epoch, perm = epoch + 1, 0, None
                    eval_and_checkpoint(loss_sum / max(loss_count, 1))
                    model.train()
                    loss_sum, loss_count = 0.0, 0
                    if select_on and select_on[0] in best:
                        last_f1 = f"{select_on[0]} best F1 {best[select_on[0]]['f1']:.2f}"
                    if at_end:
                        break
            if interrupted:
                break
    except KeyboardInterrupt:
        reporter.line(f"interrupted at step {step}; `--resume` continues from the last checkpoint")
        raise
    finally:
        reporter.close()

    if not interrupted and save_best:
        finalize(model, out_dir, best, config)
    elapsed_epochs = epoch + batch_in_epoch / n_batches
    return TrainResult(
        out_dir=out_dir, best=best, steps=step, epochs_done=elapsed_epochs, train_seconds=train_seconds,
        sentences_per_second=sentences_seen / train_seconds if train_seconds else 0.0, interrupted=interrupted,
        history=_read_metrics(metrics_path),
    )


def finalize(model: Tagger, out_dir: Path, best: dict, config: TrainConfig) -> None:
    """Write `best-<set>/` loadable tagger folders from the kept best weights (model is left at its last weights
    on return)."""
    last = trainable_state(model)
    for name, info in best.items():
        weights = out_dir / f"best-{name}.safetensors"
        if not weights.is_file():
            continue
        load_trainable_state(model, _load_weights(weights))
        save_tagger(model, out_dir / f"best-{name}", extra={"train": config.to_dict(), "selected_on": name, "best": info})
    load_trainable_state(model, last)


def load_best(model: Tagger, out_dir: str | Path, name: str) -> Tagger:
    """Put the best weights for eval set `name` into `model`."""
    load_trainable_state(model, _load_weights(Path(out_dir) / f"best-{name}.safetensors"))
    return model


def _save_weights(state: dict, path: Path) -> None:
    from safetensors.torch import save_file

    with atomic_path(path) as tmp:
        save_file({k: v.cpu().contiguous() for k, v in state.items()}, str(tmp))


def _load_weights(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path))


def _read_metrics(path: Path) -> list:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop log lines written after the checkpoint we resume from."""
    records = [r for r in _read_metrics(path) if r["step"] <= step]
    with atomic_path(path) as tmp:
        tmp.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def hash_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
