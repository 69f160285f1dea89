"""Cross-Augmented (paper Algorithm 1, eq. 7; METHOD.md section 3).

Starting point theta_s: the best checkpoint of a base variant (Cross-Word no char, Cross-Word or
Cross-Shared; by default the best of the three *by the active selection mode's own metric*, per
seed). Then, per outer iteration:

1. sample a length threshold l ~ U(min, max) of target sentence lengths;
2. pseudo-label the unlabelled target sentences with <= l tokens with the current theta_s;
3. one pass over them: each source batch updates theta_s with its CRF loss (`source_per_target`
   source batches per target batch), each pseudo-labelled target batch updates theta_s with its CRF
   loss AND theta_t, whose tag scorer reads [theta_t features ; theta_s features] (eq. 7);
4. evaluate; stop when the selection metric has not improved for `patience` iterations or the
   iteration budget is spent.

Before any update the model is evaluated once (iteration 0, `eval_initial`): theta_s's scores there
(`source_scores`, logged at iteration 0 and each iteration end, diagnostics only) must equal the base
run's at the chosen step. theta_t's new wide scorer and CRF start random by default
(`target_scorer_init="fresh"`), so theta_t starts near 0 F1 and needs many updates; "copy" builds them
from theta_s's so that theta_t starts as the base tagger.

Beyond the paper (issue 18; each an `AugmentConfig` option whose default is the paper's Algorithm 1):
`target_loss` "soft" / "hard+soft" (theta_t learns theta_s's CRF tag marginals, teacher-student as in Wu et al.
2020; `xner.transfer.soft_labels`), `pseudo_select` "confidence" / "length+confidence" (keep sentences by
theta_s's marginal confidence; `xner.transfer.pseudo_labels`), and the label-free selection mode `tgt-unlab`
(held-out unlabelled target sentences; `xner.transfer.selection`).

The final target tagger is theta_t with theta_s features (`AugmentedTagger`). Target text comes
only from `load_unlabeled` (no labels); target labels are read by evaluation and tgt-dev selection
only, as for the other variants.

Selection modes whose base checkpoints coincide share one run; each mode's early stopping is
replayed exactly from the log (the training trajectory does not depend on the mode), so a shared
run reports what separate runs would have; a mode's best weights stop changing once its patience ran
out. Training is a procedure on `xner.training.loop` (the base tagger's loop): checkpoint after every
evaluation, exact resume also mid-iteration. theta_s is read from the base cell's saved model
(`xner.transfer.artefacts`); each mode's selected model is saved as a loadable `AugmentedTagger` folder,
`<run_dir>/model-<mode>/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import torch

from xner.errors import XnerError
from xner.io import write_json_atomic
from xner.model.augmented import AugmentedTagger, save_augmented
from xner.training.early_stopping import replay
from xner.transfer.cell import TEST_SET, CellData, eval_sets, notes, read_jsonl, select, tagger_config, train_config
from xner.transfer.config import BASE_MODE, BASE_VARIANTS, MODE_EVAL_SET, SOURCE_LANG, AugmentConfig, TransferConfig
from xner.transfer.pseudo_labels import keep_confident, keep_up_to, length_bounds, sample_threshold, with_tags
from xner.transfer.selection import UNLAB_SET, entity_token_share, holdout_split, unlabelled_scorer
from xner.transfer.soft_labels import gather_batch, slice_sentences, teacher_view

# AugmentConfig / TrainConfig fields that may change between an interrupted run and its resumption
FREE_AUGMENT = ("log_source_scores",)
# Fields added after runs were made (issue 18): in a run's fingerprint only when they differ from the default,
# so a run from before them resumes; the tgt-unlab ones only when the mode is run (they change nothing else).
LATER_AUGMENT = ("target_loss", "soft_loss", "soft_temperature", "soft_weight", "pseudo_select", "confidence_rule",
                 "confidence_threshold", "confidence_per_type")
UNLAB_AUGMENT = ("unlab_holdout", "unlab_criterion")


def augment_fingerprint(aug: AugmentConfig, modes) -> dict:
    """The AugmentConfig fields that a resumed run must share with the run it continues."""
    default = AugmentConfig().to_dict()
    return {k: v for k, v in aug.to_dict().items() if k not in FREE_AUGMENT
            and not (k in LATER_AUGMENT + UNLAB_AUGMENT and v == default[k])
            and not (k in UNLAB_AUGMENT and "tgt-unlab" not in modes)}


# ----------------------------------------------------------------------------------------------- planning


def _load_result(cell) -> dict:
    path = Path(cell.result_path)
    if not path.is_file():
        raise XnerError(f"Cross-Augmented needs the base cell {cell.name} first (no result yet)", path)
    data = json.loads(path.read_text(encoding="utf-8"))
    if not data.get("complete"):
        raise XnerError(f"base cell {cell.name} is only partial; finish it first", path)
    return data


def plan_runs(config: TransferConfig, base_cells: Mapping) -> dict[tuple[str, int], dict]:
    """(base variant, base step) -> {"modes": [...], "choice": {mode: why}}: one augmented run per distinct base
    checkpoint. With `augment.base == "best"` each mode picks the base variant with the best value of that
    mode's own selection metric (never target test F1 unless the mode is tgt-test)."""
    candidates = BASE_VARIANTS if config.augment.base == "best" else (config.augment.base,)
    missing = [v for v in candidates if v not in base_cells]
    if missing:
        raise XnerError(f"Cross-Augmented needs base cells {', '.join(missing)} for {config.lang} seed {config.seed}")
    results = {v: _load_result(base_cells[v]) for v in candidates}
    return plan_from_results(config, {v: r["modes"] for v, r in results.items()},
                             {v: str(base_cells[v].run_dir) for v in candidates})


def plan_from_results(config: TransferConfig, base_modes: Mapping[str, dict], run_dirs: Mapping[str, str]) -> dict:
    """`plan_runs` from each candidate base variant's per-mode selections (result "modes"). A mode that base
    cells do not log (`tgt-unlab`) starts from the base its `BASE_MODE` (the label-free src-dev) picks."""
    candidates = list(base_modes)
    runs: dict[tuple[str, int], dict] = {}
    for mode in config.modes:
        base_mode = BASE_MODE.get(mode, mode)
        scored = []
        for v in candidates:
            entry = base_modes[v].get(base_mode)
            if entry is None:
                raise XnerError(f"base cell {v} has no {base_mode} selection; rerun it with that mode")
            scored.append((entry["selection_f1"], -candidates.index(v), v, entry))
        f1, _, variant, entry = max(scored)
        key = (variant, int(entry["step"]))
        run = runs.setdefault(key, {"modes": [], "choice": {}})
        run["modes"].append(mode)
        run["choice"][mode] = {
            "variant": variant, "step": entry["step"], "selection_set": entry["selection_set"],
            "selection_f1": f1, "base_test_f1": entry["test_f1"],
            "candidates": {v: base_modes[v][base_mode]["selection_f1"] for v in candidates},
            "base_run_dir": run_dirs[variant],
        }
    return runs


def run_name(variant: str, step: int) -> str:
    return f"{variant}-step{step}"


def model_dir(run_dir: str | Path, mode: str) -> Path:
    """Where a Cross-Augmented cell keeps the selected model of `mode` (a loadable AugmentedTagger folder)."""
    return Path(run_dir) / f"model-{mode}"


# ----------------------------------------------------------------------------------------------- training


def run_augmented_cell(
    config: TransferConfig, run_dir: str | Path, base_cells: Mapping, on_progress: Callable[[dict], None] | None,
    load_model: Callable,
) -> dict:
    """A grid cell: plan from the base cells' results, theta_s = `load_model(base cell, mode)` (their saved model)."""
    from xner.transfer.cell import load_cell_data

    run_dir = Path(run_dir)
    plan = plan_runs(config, base_cells)
    data = load_cell_data(config)

    def progress(_record: dict) -> None:
        if on_progress is not None:
            body = summarise_augmented_cell(config, run_dir, base_cells, complete=False)
            if body is not None:
                on_progress(body)

    def base_model(variant: str, mode: str):
        return load_model(base_cells[variant], mode)

    return train_augmented_cell(config, data, plan, base_model, run_dir, progress, base_cells)


def train_augmented_cell(config: TransferConfig, data: CellData, plan: dict, base_model: Callable, run_dir: Path,
                         on_eval: Callable[[dict], None] | None = None, base_cells: Mapping | None = None,
                         show_progress: bool | None = None) -> dict:
    """Every run of `plan` from `base_model(variant, mode)` (theta_s), each mode's selected model saved under
    `model_dir(run_dir, mode)`; returns the result body."""
    write_json_atomic(run_dir / "cell_info.json", {
        "config": config.to_dict(), "data": data.info, "plan": {run_name(*k): v for k, v in plan.items()},
    })
    seconds, interrupted = 0.0, False
    for (variant, step), run in plan.items():
        source = base_model(variant, BASE_MODE.get(run["modes"][0], run["modes"][0]))
        sub = run_dir / run_name(variant, step)
        write_json_atomic(sub / "run_info.json", {"modes": run["modes"], "choice": run["choice"]})
        result = train_augmented(source, data, config, sub, run["modes"], on_eval=on_eval, show_progress=show_progress)
        seconds += result.seconds
        interrupted = interrupted or result.interrupted
        if not result.interrupted:
            for mode in run["modes"]:
                result.save_selected(MODE_EVAL_SET[mode], model_dir(run_dir, mode),
                                     {"selected_on": mode, "choice": run["choice"][mode], "run": sub.name})
    body = summarise_augmented_cell(config, run_dir, base_cells or {}, complete=not interrupted)
    if body is None:
        raise XnerError("Cross-Augmented logged no evaluation", run_dir)
    body["train_seconds"] = round(seconds, 1)
    return body


@dataclass
class AugmentedRun:
    model: AugmentedTagger
    out_dir: Path
    seconds: float
    interrupted: bool
    best: dict

    def save_selected(self, set_name: str, directory: Path, extra: dict | None = None) -> Path:
        """The best weights for `set_name` as a loadable Cross-Augmented folder (the model keeps them)."""
        from xner.training.checkpoint import load_weights

        self.model.load_trainable_state(load_weights(self.out_dir / f"best-{set_name}.safetensors"))
        self.model.eval()
        return save_augmented(self.model, directory, {"best": self.best.get(set_name), **(extra or {})})


class AugmentedProcedure:
    """One round = one outer iteration of Algorithm 1: l ~ U(lo, hi), pseudo-label the target sentences of at
    most l tokens with theta_s, then one pass over them, each target step after `source_per_target` source
    steps. Its state (source order, this round's pseudo-labelled set and order) resumes mid-iteration.

    Beyond the paper (`augment.pseudo_select`, `augment.target_loss`): the kept set may be chosen by theta_s's
    marginal confidence instead of (or besides) the length threshold, and theta_t may learn theta_s's tag
    marginals (soft labels, computed once per round like the hard ones) instead of (or besides) the Viterbi
    tags; the marginals are part of the round's state."""

    def __init__(self, model: AugmentedTagger, src_corpus, target: list, config: TransferConfig, bounds: tuple,
                 device, rng: np.random.Generator, source_eval: Callable | None):
        self.model, self.src_corpus, self.target, self.rng = model, src_corpus, target, rng
        self.lengths = np.fromiter((len(s) for s in target), dtype=np.int64, count=len(target))  # (Q,)
        self.aug, self.tcfg, self.lang, self.device = config.augment, train_config(config), config.lang, device
        self.lo, self.hi = bounds
        self.source_eval = source_eval
        self.src_perm: np.ndarray | None = None
        self.src_pos = 0
        self.round: dict | None = None  # threshold, keep, tags, t_perm, losses of the current round
        self.t_corpus = None

    # ---- rounds
    def start_round(self, round_index: int, rng: np.random.Generator) -> int:
        """Draws, in this order: the source order (first round only), l, the order of the kept sentences."""
        from xner.model.predictor import predict

        if self.src_perm is None:
            self.src_perm = rng.permutation(len(self.src_corpus))
        aug = self.aug
        threshold = sample_threshold(rng, self.lo, self.hi) if "length" in aug.pseudo_select else None
        keep = keep_up_to(self.lengths, threshold) if threshold is not None else np.arange(len(self.target))
        kept = [self.target[i] for i in keep]
        with torch.inference_mode():
            tags = predict(self.model.source, [s.tokens for s in kept], self.lang, self.tcfg.eval_batch_size)  # IOB2
        tags = [tuple(t) for t in tags]
        candidates, soft = len(keep), None
        if "confidence" in aug.pseudo_select or aug.target_loss != "hard":
            from xner.model.batching import EncodedCorpus

            corpus = EncodedCorpus(kept, self.lang, self.model.vocab, with_tags=False)
            view = teacher_view(self.model.source, corpus, self.tcfg.eval_batch_size)
            chosen = np.arange(len(kept))
            if "confidence" in aug.pseudo_select:
                conf = view.confidence()
                per_sentence = [conf[a : a + n] for a, n in zip(corpus.starts, corpus.lengths)]
                chosen = keep_confident(per_sentence, tags, aug.confidence_rule, aug.confidence_threshold,
                                        aug.confidence_per_type)
                keep, tags = keep[chosen], [tags[i] for i in chosen]
            if aug.target_loss != "hard":
                if aug.soft_temperature != 1.0:
                    view = teacher_view(self.model.source, corpus, self.tcfg.eval_batch_size, aug.soft_temperature)
                # float16 (also in the checkpoint): half the size, and a resumed round reads what it would have
                soft = torch.from_numpy(slice_sentences(view.probs, corpus.starts, corpus.lengths, chosen)).half()
        self.round = {"threshold": threshold, "keep": keep, "tags": tags, "t_perm": None,
                      "loss_source": 0.0, "loss_target": 0.0, "candidates": candidates, "soft": soft}
        self._encode()
        self.round["t_perm"] = rng.permutation(len(self.t_corpus))
        return self.steps()

    def _encode(self) -> None:
        from xner.model.batching import EncodedCorpus

        kept = [self.target[i] for i in self.round["keep"]]
        self.t_corpus = EncodedCorpus(with_tags(kept, self.round["tags"]), self.lang, self.model.vocab)

    def steps(self) -> int:
        return (len(self.t_corpus) + self.tcfg.batch_size - 1) // self.tcfg.batch_size

    def _next_source_batch(self):
        bs = self.tcfg.batch_size
        if self.src_pos >= len(self.src_perm):
            self.src_perm, self.src_pos = self.rng.permutation(len(self.src_corpus)), 0
        idx = self.src_perm[self.src_pos : self.src_pos + bs]
        self.src_pos += bs
        return self.src_corpus.batch(idx, self.device)

    def step(self, index: int, update) -> int:
        bs, reduction = self.tcfg.batch_size, self.tcfg.loss_reduction
        used = 0
        for _ in range(self.aug.source_per_target):
            batch = self._next_source_batch()
            self.round["loss_source"] += update(self.model.source_loss(batch, reduction))
            used += batch.size
        batch = self.t_corpus.batch(self.round["t_perm"][index * bs : (index + 1) * bs], self.device)
        if self.aug.target_loss == "hard":  # the paper's Algorithm 1
            loss = self.model.target_loss(batch, reduction)
        else:
            teacher = gather_batch(self.round["soft"], self.t_corpus, batch)  # (B, T, n)
            loss = self.model.target_loss(batch, reduction, teacher, hard=self.aug.target_loss == "hard+soft",
                                          soft_loss=self.aug.soft_loss, soft_weight=self.aug.soft_weight)
        self.round["loss_target"] += update(loss)
        return used + batch.size

    # ---- log and state
    def record_fields(self, kind: str, round_index: int, position: int) -> dict:
        fields: dict = {"iteration": round_index, "iteration_end": kind == "round_end"}
        if kind == "initial":
            fields["initial"] = True
        if kind == "round_end":
            r, n = self.round, max(1, self.steps())
            kept_tokens = int(self.lengths[r["keep"]].sum())
            entity_tokens = sum(t != "O" for seq in r["tags"] for t in seq)
            fields["pseudo"] = {"threshold": r["threshold"], "kept": int(len(r["keep"])), "kept_tokens": kept_tokens,
                                "entity_token_share": round(entity_tokens / max(1, kept_tokens), 4)}
            if "confidence" in self.aug.pseudo_select:
                fields["pseudo"]["before_confidence"] = int(r["candidates"])
            fields["loss_source"] = r["loss_source"] / max(1, n * self.aug.source_per_target)
            fields["loss_target"] = r["loss_target"] / n
        if self.source_eval is not None and kind in ("initial", "round_end"):
            # Diagnostics only (never selected on): is theta_s, the pseudo-labeller, drifting?
            with torch.inference_mode():
                fields["source_scores"] = {name: round(s["f1"], 4) for name, s in self.source_eval().items()}
        return fields

    def state(self) -> dict:
        r = self.round
        return {
            "src_perm": torch.from_numpy(self.src_perm) if self.src_perm is not None else None,
            "src_pos": self.src_pos,
            "round": None if r is None else {
                "threshold": r["threshold"], "keep": torch.from_numpy(r["keep"]), "tags": r["tags"],
                "t_perm": torch.from_numpy(r["t_perm"]), "loss_source": r["loss_source"],
                "loss_target": r["loss_target"], "candidates": r["candidates"], "soft": r["soft"]},
        }

    def load_state(self, state: dict) -> None:
        self.src_perm = state["src_perm"].numpy() if state["src_perm"] is not None else None
        self.src_pos = state["src_pos"]
        r = state["round"]
        if r is not None:
            self.round = {"candidates": len(r["keep"]), "soft": None, **r, "keep": r["keep"].numpy(),
                          "t_perm": r["t_perm"].numpy(), "tags": [tuple(t) for t in r["tags"]]}
            self._encode()

    def trainable_state(self) -> dict[str, torch.Tensor]:
        return self.model.trainable_state()

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        self.model.load_trainable_state(state)
        self.model.to(self.device)


def build_augmented(source, config: TransferConfig) -> AugmentedTagger:
    """theta_s + theta_t as `config.augment` says (architecture, initialisation of encoder and scorer)."""
    aug = config.augment
    target_config = tagger_config(config, aug.target_variant) if aug.target_variant is not None else None
    return AugmentedTagger.from_source(source, aug.target_init, aug.detach_source_features, target_config,
                                       aug.target_scorer_init)


def train_augmented(source, data: CellData, config: TransferConfig, out_dir: Path, modes: list[str],
                    on_eval: Callable[[dict], None] | None = None, show_progress: bool | None = None) -> AugmentedRun:
    """Algorithm 1 steps 3-5 from a trained theta_s on the shared training loop; resumes from `out_dir`."""
    import sys

    from xner.model.batching import EncodedCorpus
    from xner.model.tagger import count_parameters
    from xner.training.loop import LoopSpec, run_loop
    from xner.training.trainer import FREE_FIELDS, configure_torch, hash_text, make_optimizer, set_evaluator

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    aug_cfg, budget = config.augment, config.budget
    tcfg = train_config(config)
    device = configure_torch(tcfg)
    torch.manual_seed(config.seed)
    model = build_augmented(source.to(device), config)
    model.to(device)
    optimizer = make_optimizer(model.parameters(), tcfg)
    rng = np.random.default_rng(config.seed)

    src_sents = [s for s in data.src_train if 0 < len(s) <= tcfg.max_train_len]
    src_corpus = EncodedCorpus(src_sents, SOURCE_LANG, model.vocab)
    target = [s for s in data.unlabeled if 0 < len(s) <= tcfg.max_train_len]
    if not target:
        raise XnerError(f"no unlabelled {config.lang} sentences to pseudo-label")
    held_out: list = []
    if "tgt-unlab" in modes:  # label-free selection on target text that is never pseudo-labelled
        target, held_out = holdout_split(target, aug_cfg.unlab_holdout)
    lo, hi = length_bounds(target)
    lo = aug_cfg.length_min if aug_cfg.length_min is not None else lo
    hi = aug_cfg.length_max if aug_cfg.length_max is not None else hi
    sets = eval_sets(config, data)
    select_on = [MODE_EVAL_SET[m] for m in modes]
    evaluate = set_evaluator(model, sets, tcfg.eval_batch_size)
    if held_out:
        evaluate = _with_unlabelled(evaluate, unlabelled_scorer(
            model, held_out, config.lang, aug_cfg.unlab_criterion,
            entity_token_share([s.tags for s in src_sents]), tcfg.eval_batch_size))
    source_eval = None
    if aug_cfg.log_source_scores:
        evaluate_source = set_evaluator(model.source, sets, tcfg.eval_batch_size)
        labelled = [n for n in select_on if n in sets]
        source_eval = lambda: evaluate_source(labelled)  # noqa: E731
    procedure = AugmentedProcedure(model, src_corpus, target, config, (lo, hi), device, rng, source_eval)
    fingerprint = {
        "vocab_hash": hash_text(json.dumps(model.vocab.to_dict(), sort_keys=True)), "modes": list(modes),
        "source_sentences": len(src_corpus), "unlabeled_sentences": len(target), "length_bounds": [lo, hi],
        "augment": augment_fingerprint(aug_cfg, modes),
        "train": {k: v for k, v in tcfg.to_dict().items() if k not in FREE_FIELDS},
    }
    if not (out_dir / "checkpoint.pt").is_file():
        write_json_atomic(out_dir / "run_config.json", {
            "modes": modes, "augment": aug_cfg.to_dict(), "train": tcfg.to_dict(), "length_bounds": [lo, hi],
            "unlabeled_sentences": len(target), "source_sentences": len(src_corpus), "held_out_unlabeled": len(held_out),
            "params": count_parameters(model), "params_merged_biases": count_parameters(model, merge_lstm_biases=True),
            "params_source": count_parameters(model.source), "params_target": count_parameters(model.target),
        })
    eval_every = aug_cfg.eval_every if aug_cfg.eval_every is not None else budget.eval_every

    def round_line(record: dict, state) -> str:
        pseudo = record["pseudo"]
        shown = " ".join(f"{m} best {state.best[MODE_EVAL_SET[m]]['f1']:.2f}" for m in modes
                         if MODE_EVAL_SET[m] in state.best)
        return f"iteration {record['iteration']}: l={pseudo['threshold']} kept {pseudo['kept']} sentences; {shown}"

    all_sets = list(sets) + ([UNLAB_SET] if held_out else [])

    spec = LoopSpec(
        rounds=budget.augment_iterations, eval_every=eval_every,
        learning_rate=tcfg.learning_rate,  # (ours) the paper's per-epoch schedule, restarted for this stage
        clip=tcfg.clip, sets=all_sets, select_on=select_on,
        report=[n for n in all_sets if n not in select_on], eval_all=tcfg.eval_all_sets, patience=aug_cfg.patience,
        eval_initial=aug_cfg.eval_initial, stop_after_batches=tcfg.stop_after_batches, label="Cross-Augmented iteration",
        log_every_round=round_line,
    )
    header = (f"Cross-Augmented {config.lang} seed {config.seed} modes {','.join(modes)}: parameters without word "
              f"embeddings {count_parameters(model)} (theta_s {count_parameters(model.source)} + theta_t "
              f"{count_parameters(model.target)}; paper Table 4 en-es: 661,281); U({lo}, {hi}) over {len(target)} "
              f"target sentences")
    result = run_loop(procedure, model.parameters(), optimizer, spec, evaluate, out_dir, rng, fingerprint,
                      resume=True, show_progress=sys.stderr.isatty() if show_progress is None else show_progress,
                      on_eval=on_eval, model=model, header=header)
    return AugmentedRun(model, out_dir, result.seconds, result.interrupted, result.best)


def _with_unlabelled(evaluate: Callable, score: Callable[[], dict]) -> Callable:
    """`evaluate(names)` that also scores the label-free `tgt-unlab` set when it is asked for."""

    def run(names) -> dict:
        out = evaluate([n for n in names if n != UNLAB_SET])
        if UNLAB_SET in names:
            out[UNLAB_SET] = score()
        return out

    return run


# ----------------------------------------------------------------------------------------------- summary


def replay_early_stopping(records: list[dict], select_on: str, patience: int) -> list[dict]:
    """The eval records a run selecting on `select_on` alone would have seen before stopping (exact replay)."""
    return replay(records, select_on, patience)[0]


def run_finished(records: list[dict], modes: list[str], patience: int, max_iterations: int) -> bool:
    """Whether `train_augmented` would stop at the end of this log: the iteration budget is spent, or every
    mode of the run ran out of patience. Lets a run folder copied from another machine count as complete."""
    if max((r["iteration"] for r in records if r.get("iteration_end")), default=0) >= max_iterations:
        return True
    return all(replay(records, MODE_EVAL_SET[m], patience)[1] for m in modes)


def summarise_augmented_cell(config: TransferConfig, run_dir: str | Path, base_cells: Mapping,
                             complete: bool | None = True) -> dict | None:
    """`complete=None`: complete when every run's log shows it stopped (see `run_finished`)."""
    run_dir = Path(run_dir)
    info_path = run_dir / "cell_info.json"
    if not info_path.is_file():
        return None
    info = json.loads(info_path.read_text(encoding="utf-8"))
    modes: dict = {}
    base: dict = {}
    params = None
    progress = []
    finished = []
    for name, run in info["plan"].items():
        sub = run_dir / name
        records = read_jsonl(sub / "metrics.jsonl")
        run_cfg_path = sub / "run_config.json"
        if run_cfg_path.is_file():
            run_cfg = json.loads(run_cfg_path.read_text(encoding="utf-8"))
            params = params or {k: run_cfg[k] for k in ("params", "params_merged_biases", "params_source", "params_target")}
        iterations = max((r["iteration"] for r in records if r.get("iteration_end")), default=0)
        progress.append(f"{name}: {iterations}/{config.budget.augment_iterations} iterations")
        finished.append(run_finished(records, run["modes"], config.augment.patience, config.budget.augment_iterations))
        for mode in run["modes"]:
            base[mode] = run["choice"][mode]
            seen = replay_early_stopping(records, MODE_EVAL_SET[mode], config.augment.patience)
            entry = select(seen, MODE_EVAL_SET[mode], TEST_SET)
            if entry is not None:
                entry["iteration"] = next(r["iteration"] for r in seen if r["step"] == entry["step"])
                entry["run"] = name
                entry["stopped_after_iteration"] = max((r["iteration"] for r in seen if r.get("iteration_end")), default=0)
            modes[mode] = entry
    if not any(modes.values()):
        return None
    pseudo = {name: [r.get("pseudo") for r in read_jsonl(run_dir / name / "metrics.jsonl") if r.get("iteration_end")]
              for name in info["plan"]}
    cell_notes = notes(config) + [
        f"{mode}: selected the evaluation before any update (iteration 0), i.e. the starting model"
        for mode, entry in modes.items() if entry is not None and entry["step"] == 0]
    return {
        "modes": {m: modes.get(m) for m in config.modes},
        "complete": all(finished) if complete is None else complete,
        "params": (params or {}).get("params"),
        "params_detail": params,
        "direction": None if not base else _direction(base_cells, next(iter(base.values()))["variant"]),
        "base": base,
        "pseudo_labels": pseudo,
        "data": info["data"],
        "augment_config": config.augment.to_dict(),
        "progress": {"summary": "; ".join(progress), "runs": len(info["plan"])},
        "notes": cell_notes,
    }


def _direction(base_cells: Mapping, variant: str) -> str | None:
    cell = base_cells.get(variant)
    if cell is None or not Path(cell.result_path).is_file():
        return None
    return json.loads(Path(cell.result_path).read_text(encoding="utf-8")).get("direction")
