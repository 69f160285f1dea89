"""Supervised training of the base tagger (METHOD.md section 2), a procedure on `xner.training.loop`.

`train(model, train_sentences, config, out_dir, eval_sets={"dev": (sentences, "en")}, select_on=None,
lang=None, resume=False)`:
- SGD, lr = max(lr / (1 + lr_decay * epoch), min_lr) per epoch, global-norm clipping, batches of 16,
  sentences longer than `max_train_len` dropped;
- every `eval_every` batches and at each epoch end the sets in `select_on` (default: the first) are scored
  and their best weights kept in `out_dir/best-<set>.safetensors`; the other eval sets are scored where a
  selection set improved (`config.eval_all_sets`: every set every time); one line per evaluation goes to
  `out_dir/metrics.jsonl`;
- `out_dir/checkpoint.pt` after each evaluation, so `resume=True` continues exactly (same final weights as
  an uninterrupted run);
- at the end `out_dir/best-<set>/` holds a loadable tagger (`xner.load`), and `TrainResult` says which step
  won and the scores at that step.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from xner.data.conll import Sentence
from xner.errors import XnerError
from xner.io import write_json_atomic
from xner.model.batching import EncodedCorpus
from xner.model.config import TrainConfig
from xner.model.persistence import load_trainable_state, save_tagger, trainable_state
from xner.model.predictor import evaluate
from xner.model.tagger import Tagger, count_parameters
from xner.training.checkpoint import load_weights
from xner.threads import configure_threads
from xner.training.loop import LoopSpec, make_update, run_loop

EvalSets = Mapping[str, tuple[Sequence[Sentence], str]]
# TrainConfig fields that may change between an interrupted run and its resumption (never change the weights)
FREE_FIELDS = ("stop_after_batches", "device", "num_threads", "epochs", "eval_batch_size", "eval_all_sets")


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
            "out_dir": str(self.out_dir), "best": self.best, "steps": self.steps, "epochs_done": self.epochs_done,
            "train_seconds": self.train_seconds, "sentences_per_second": self.sentences_per_second,
            "interrupted": self.interrupted,
        }


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA) and numpy's legacy global RNG; call before building a model."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)


def configure_torch(config: TrainConfig) -> torch.device:
    if config.num_threads > 0:
        configure_threads(config.num_threads)
    if config.device.startswith("cuda") and not torch.cuda.is_available():
        raise XnerError(f"device {config.device!r} requested but CUDA is not available here")
    return torch.device(config.device)


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    return torch.optim.SGD([p for p in params if p.requires_grad], lr=config.lr, momentum=config.momentum)


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


def train_step(model: Tagger, batch, optimizer: torch.optim.Optimizer, config: TrainConfig) -> float:
    """One SGD step on one batch with the loop's update rule; returns the loss value (benchmarks)."""
    return make_update(model.parameters(), optimizer, config.clip)(model.loss(batch, config.loss_reduction))


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def set_evaluator(model, eval_sets: EvalSets, batch_size: int) -> Callable[[Sequence[str]], dict]:
    """`evaluate(names)` for the loop: each set looked up once (`EncodedCorpus`), scored on demand."""
    encoded = {name: EncodedCorpus([s for s in sents if len(s)], set_lang, model.vocab, with_tags=False)
               for name, (sents, set_lang) in eval_sets.items()}

    def run(names: Sequence[str]) -> dict:
        return {name: evaluate(model, eval_sets[name][0], eval_sets[name][1], batch_size, corpus=encoded[name])
                for name in names}

    return run


def mixed_epoch_order(lengths: Sequence[np.ndarray], config: TrainConfig,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One epoch over several corpora (one language each): (order, batch starts). Order holds global ids
    (corpus c's sentence j is offset_c + j); batch i is order[starts[i]:starts[i+1]] and comes from ONE
    corpus (a batch has one language). Each corpus is cut by `epoch_order`, then all its full batches are
    shuffled together (the short ones stay last)."""
    offsets = np.cumsum([0] + [len(x) for x in lengths[:-1]])
    size = config.batch_size
    batches = []
    for offset, lens in zip(offsets, lengths):
        order = epoch_order(lens, config, rng) + offset
        batches.extend(order[i : i + size] for i in range(0, len(order), size))
    full = [b for b in batches if len(b) == size]
    short = [b for b in batches if len(b) < size]
    ordered = [full[i] for i in rng.permutation(len(full))] + short
    starts = np.cumsum([0] + [len(b) for b in ordered])
    return np.concatenate(ordered), starts


class SupervisedProcedure:
    """Epochs of shuffled (optionally length-bucketed) labelled batches; one CRF loss and update per batch.

    Several corpora (e.g. English train and its word-by-word translation, each in its own language's word
    rows) are mixed by `mixed_epoch_order`; one corpus keeps `epoch_order` exactly."""

    def __init__(self, model: Tagger, corpora: Sequence[EncodedCorpus], config: TrainConfig, device: torch.device):
        self.model, self.corpora, self.config, self.device = model, list(corpora), config, device
        self.offsets = np.cumsum([0] + [len(c) for c in self.corpora])
        self.perm: np.ndarray | None = None
        self.starts: np.ndarray | None = None  # batch boundaries in `perm` (mixed corpora only)

    def start_round(self, round_index: int, rng: np.random.Generator) -> int:
        if len(self.corpora) == 1:
            self.perm = epoch_order(self.corpora[0].lengths, self.config, rng)
            return math.ceil(len(self.corpora[0]) / self.config.batch_size)
        self.perm, self.starts = mixed_epoch_order([c.lengths for c in self.corpora], self.config, rng)
        return len(self.starts) - 1

    def step(self, index: int, update) -> int:
        if self.starts is None:
            size = self.config.batch_size
            batch = self.corpora[0].batch(self.perm[index * size : (index + 1) * size], self.device)
        else:
            ids = self.perm[self.starts[index] : self.starts[index + 1]]
            c = int(np.searchsorted(self.offsets, ids[0], side="right")) - 1
            batch = self.corpora[c].batch(ids - self.offsets[c], self.device)
        update(self.model.loss(batch, self.config.loss_reduction))
        return batch.size

    def record_fields(self, kind: str, round_index: int, position: int) -> dict:
        return {"epoch": round_index, "batch": position}

    def state(self) -> dict:
        out = {"perm": torch.from_numpy(self.perm) if self.perm is not None else None}
        if self.starts is not None:
            out["starts"] = torch.from_numpy(self.starts)
        return out

    def load_state(self, state: dict) -> None:
        self.perm = state["perm"].numpy() if state["perm"] is not None else None
        self.starts = state["starts"].numpy() if state.get("starts") is not None else None

    def trainable_state(self) -> dict[str, torch.Tensor]:
        return trainable_state(self.model)

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        load_trainable_state(self.model, state)
        self.model.to(self.device)


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
    more_train: Sequence[tuple[Sequence[Sentence], str]] = (),
) -> TrainResult:
    """Train `model` in place on labelled `train_sentences` of language `lang` (default: the model's).

    `more_train`: further labelled (sentences, language) sets trained on in the same epochs, each batch
    from one set (`mixed_epoch_order`). `on_eval(record)` is called after each evaluation with the
    metrics.jsonl record (e.g. to write partial results). Returns when the epoch budget is spent or
    `config.stop_after_batches` is hit.
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
    train_sets = [(train_sentences, lang), *more_train]
    kept = [[s for s in sents if 0 < len(s) <= config.max_train_len] for sents, _ in train_sets]
    if not all(kept):
        raise XnerError("no training sentences left after dropping those longer than max_train_len")
    corpora = [EncodedCorpus(k, set_lang, model.vocab) for k, (_, set_lang) in zip(kept, train_sets)]
    n_sentences = sum(len(c) for c in corpora)
    n_batches = sum(math.ceil(len(c) / config.batch_size) for c in corpora)
    model.to(device)
    optimizer = make_optimizer(model.parameters(), config)
    shuffle_rng = np.random.default_rng(config.seed)
    fingerprint = {"vocab_hash": hash_text(json.dumps(model.vocab.to_dict(), sort_keys=True)),
                   "train_sentences": n_sentences,
                   **({"train_sets": [[c.lang, len(c)] for c in corpora]} if more_train else {}),
                   "train": {k: v for k, v in config.to_dict().items() if k not in FREE_FIELDS}}
    resuming = resume and (out_dir / "checkpoint.pt").is_file()
    if not resuming:
        torch.manual_seed(config.seed)  # dropout stream starts from the seed, whatever came before
        write_json_atomic(out_dir / "run_config.json", {
            "tagger": model.config.to_dict(), "train": config.to_dict(), "lang": lang,
            "eval_sets": {k: {"lang": v[1], "sentences": len(v[0])} for k, v in eval_sets.items()},
            "select_on": select_on, "train_sentences": n_sentences, "batches_per_epoch": n_batches,
            "dropped_long": sum(len(sents) for sents, _ in train_sets) - n_sentences,
            **({"train_sets": [{"lang": c.lang, "sentences": len(c)} for c in corpora]} if more_train else {}),
        })
    spec = LoopSpec(
        rounds=config.epochs, eval_every=config.eval_every, learning_rate=config.learning_rate, clip=config.clip,
        sets=list(eval_sets), select_on=select_on, report=[n for n in eval_sets if n not in select_on],
        eval_all=config.eval_all_sets, stop_after_batches=config.stop_after_batches, save_best=save_best,
        label="epoch",
    )
    header = (
        f"train {n_sentences} sentences ({'+'.join(c.lang for c in corpora)}), {n_batches} batches/epoch, "
        f"{config.epochs} epochs, "
        f"device {device}; parameters without word embeddings: {count_parameters(model)} "
        f"({count_parameters(model, merge_lstm_biases=True)} counting each LSTM's two biases once; "
        f"paper Table 4: 395,581 Cross-Word / 342,906 no char / 210,081 Cross-Shared)"
    )
    result = run_loop(
        SupervisedProcedure(model, corpora, config, device), model.parameters(), optimizer, spec,
        set_evaluator(model, eval_sets, config.eval_batch_size), out_dir, shuffle_rng, fingerprint, resume=resume,
        show_progress=show_progress, on_eval=on_eval, model=model, header=header,
    )
    if not result.interrupted and save_best:
        finalize(model, out_dir, result.best, config)
    return TrainResult(
        out_dir=out_dir, best=result.best, steps=result.steps, epochs_done=result.rounds_done,
        train_seconds=result.seconds, sentences_per_second=result.sentences_per_second,
        interrupted=result.interrupted, history=result.history,
    )


def finalize(model: Tagger, out_dir: Path, best: dict, config: TrainConfig) -> None:
    """Write `best-<set>/` loadable tagger folders from the kept best weights (model is left at its last weights
    on return)."""
    last = trainable_state(model)
    for name, info in best.items():
        weights = out_dir / f"best-{name}.safetensors"
        if not weights.is_file():
            continue
        load_trainable_state(model, load_weights(weights))
        save_tagger(model, out_dir / f"best-{name}", extra={"train": config.to_dict(), "selected_on": name, "best": info})
    load_trainable_state(model, last)


def load_best(model: Tagger, out_dir: str | Path, name: str) -> Tagger:
    """Put the best weights for eval set `name` into `model`."""
    load_trainable_state(model, load_weights(Path(out_dir) / f"best-{name}.safetensors"))
    return model
