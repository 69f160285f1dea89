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

The final target tagger is theta_t with theta_s features (`AugmentedTagger`). Target text comes
only from `load_unlabeled` (no labels); target labels are read by evaluation and tgt-dev selection
only, as for the other variants.

Selection modes whose base checkpoints coincide share one run; each mode's early stopping is
replayed exactly from the log (the training trajectory does not depend on the mode), so a shared
run reports what separate runs would have.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import torch
from torch import nn

from xner.errors import XnerError
from xner.io import atomic_path, write_json_atomic
from xner.transfer.config import BASE_VARIANTS, MODE_EVAL_SET, SOURCE_LANG, TransferConfig
from xner.transfer.pseudo_labels import keep_up_to, length_bounds, sample_threshold, with_tags
from xner.transfer.variants import (
    TEST_SET,
    TRAIN_SUBDIR,
    _notes,
    build_model,
    build_space,
    eval_sets,
    load_cell_data,
    read_jsonl,
    select,
    train_config,
)


class AugmentedTagger(nn.Module):
    """theta_s (a full Tagger) + theta_t (a Tagger whose scorer reads [own features ; theta_s features]).

    Duck-types `Tagger` for `xner.model.predictor.predict/evaluate` (vocab, device, default_lang, decode):
    decoding uses theta_t's scorer and CRF, i.e. the final target tagger.
    """

    def __init__(self, source, target, detach_source_features: bool = False):
        super().__init__()
        self.source = source  # theta_s
        self.target = target  # theta_t
        self.detach_source_features = detach_source_features

    @classmethod
    def from_source(cls, source, init: str = "copy", detach_source_features: bool = False,
                    target_config=None, scorer_init: str = "fresh") -> "AugmentedTagger":
        """theta_t = a copy of theta_s's encoder ("copy") or a fresh one ("random", of `target_config`'s
        architecture, default theta_s's), with a wide scorer and CRF that are new ("fresh") or built from
        theta_s's ("copy": theta_t then decodes exactly like theta_s). The frozen word matrix is shared."""
        from xner.model.crf import CRF
        from xner.model.scorer import TagScorer
        from xner.model.tagger import Tagger

        if init == "copy":
            if target_config is not None and target_config != source.config:
                raise XnerError("target_init=copy needs theta_t to have theta_s's architecture; use target_init=random")
            target = copy.deepcopy(source)
        else:
            words = source.word_embedding.weight.detach().cpu().numpy()
            target = Tagger(target_config or source.config, source.vocab, words)
        target.word_embedding = source.word_embedding  # one frozen matrix
        n_tags = len(source.vocab.tags)
        target.scorer = TagScorer(target.feature_dim + source.feature_dim, n_tags, source.config.dense_dim,
                                  source.config.dropout)
        target.crf = CRF(n_tags, boundary=source.config.crf_boundary)
        if scorer_init == "copy":
            _copy_scorer(target, source, split=init == "copy")
        elif scorer_init != "fresh":
            raise XnerError(f"scorer_init must be fresh or copy, not {scorer_init!r}")
        return cls(source, target, detach_source_features).to(source.device)

    @property
    def vocab(self):
        return self.source.vocab

    @property
    def config(self):
        return self.source.config

    @property
    def device(self) -> torch.device:
        return self.source.device

    @property
    def default_lang(self) -> str:
        return self.source.default_lang

    def target_emissions(self, batch, source_features: torch.Tensor | None = None) -> torch.Tensor:
        f_s = self.source.features(batch) if source_features is None else source_features  # (B, T, 2Hs)
        if self.detach_source_features:
            f_s = f_s.detach()
        f_t = self.target.features(batch)  # (B, T, 2Ht)
        return self.target.emissions(torch.cat([f_t, f_s], dim=-1))  # (B, T, n_tags)

    def source_loss(self, batch, reduction: str = "mean") -> torch.Tensor:
        """L_s(theta_s) on a labelled source batch (eq. 6)."""
        return self.source.loss(batch, reduction)

    def target_loss(self, batch, reduction: str = "mean") -> torch.Tensor:
        """L_t(theta_s) + L_t(theta_t) on a pseudo-labelled target batch (eq. 7's target terms)."""
        f_s = self.source.features(batch)  # (B, T, 2Hs), one forward pass serves both terms
        loss_s = self.source.crf.nll(self.source.emissions(f_s), batch.tags, batch.mask, reduction)
        loss_t = self.target.crf.nll(self.target_emissions(batch, f_s), batch.tags, batch.mask, reduction)
        return loss_s + loss_t

    @torch.no_grad()
    def decode(self, batch) -> list[list[int]]:
        return self.target.crf.decode(self.target_emissions(batch), batch.mask)

    def trainable_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.state_dict().items() if "word_embedding" not in k}

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        missing, unexpected = self.load_state_dict(state, strict=False)
        missing = [m for m in missing if "word_embedding" not in m]
        if missing or unexpected:
            raise XnerError(f"augmented checkpoint does not fit (missing {missing}, unexpected {unexpected})")


@torch.no_grad()
def _copy_scorer(target, source, split: bool) -> None:
    """theta_t's wide scorer and CRF from theta_s's, so that [f_t ; f_s] scores exactly like theta_s on f_s.

    The first linear layer reads [f_t ; f_s]: with `split` (theta_t's encoder is a copy, so f_t == f_s at the
    start) each half gets W_s / 2, which also gives theta_t's encoder a gradient from the first step;
    otherwise the f_t half starts at zero. Later layers and the CRF are plain copies.
    """
    first_t = target.scorer.dense if target.scorer.dense is not None else target.scorer.output
    first_s = source.scorer.dense if source.scorer.dense is not None else source.scorer.output
    h_t = target.feature_dim
    if split:
        first_t.weight[:, :h_t] = first_s.weight / 2
        first_t.weight[:, h_t:] = first_s.weight / 2
    else:
        first_t.weight[:, :h_t] = 0.0
        first_t.weight[:, h_t:] = first_s.weight
    first_t.bias.copy_(first_s.bias)
    if target.scorer.dense is not None:
        target.scorer.output.load_state_dict(source.scorer.output.state_dict())
    target.crf.load_state_dict(source.crf.state_dict())


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
    runs: dict[tuple[str, int], dict] = {}
    for mode in config.modes:
        scored = []
        for v in candidates:
            entry = results[v]["modes"].get(mode)
            if entry is None:
                raise XnerError(f"base cell {base_cells[v].name} has no {mode} selection; rerun it with that mode")
            scored.append((entry["selection_f1"], -candidates.index(v), v, entry))
        f1, _, variant, entry = max(scored)
        key = (variant, int(entry["step"]))
        run = runs.setdefault(key, {"modes": [], "choice": {}})
        run["modes"].append(mode)
        run["choice"][mode] = {
            "variant": variant, "step": entry["step"], "selection_set": entry["selection_set"],
            "selection_f1": f1, "base_test_f1": entry["test_f1"],
            "candidates": {v: results[v]["modes"][mode]["selection_f1"] for v in candidates},
            "base_run_dir": str(base_cells[variant].run_dir),
        }
    return runs


def run_name(variant: str, step: int) -> str:
    return f"{variant}-step{step}"


# ----------------------------------------------------------------------------------------------- training


def run_augmented_cell(
    config: TransferConfig, run_dir: str | Path, base_cells: Mapping, on_progress: Callable[[dict], None] | None = None
) -> dict:
    from xner.model.trainer import hash_text, load_best

    run_dir = Path(run_dir)
    plan = plan_runs(config, base_cells)
    data = load_cell_data(config)
    write_json_atomic(run_dir / "cell_info.json", {
        "config": config.to_dict(), "data": data.info,
        "plan": {run_name(*k): v for k, v in plan.items()},
    })
    spaces: dict = {}
    seconds = 0.0
    for (variant, step), run in plan.items():
        base_cfg = base_cells[variant].config
        if base_cfg.lang not in spaces:
            spaces[base_cfg.lang] = build_space(base_cfg)
        source = build_model(base_cfg, spaces[base_cfg.lang], data, variant)
        base_train = Path(base_cells[variant].run_dir) / TRAIN_SUBDIR
        ckpt = torch.load(base_train / "checkpoint.pt", map_location="cpu", weights_only=True)
        if ckpt["fingerprint"]["vocab_hash"] != hash_text(json.dumps(source.vocab.to_dict(), sort_keys=True)):
            raise XnerError("rebuilt base model's vocabulary differs from the trained one (data or tables changed)",
                            base_train)
        eval_set = MODE_EVAL_SET[run["modes"][0]]
        load_best(source, base_train, eval_set)
        sub = run_dir / run_name(variant, step)
        write_json_atomic(sub / "run_info.json", {"modes": run["modes"], "choice": run["choice"],
                                                  "base_checkpoint": str(base_train / f"best-{eval_set}.safetensors")})

        def progress(_record: dict) -> None:
            if on_progress is not None:
                body = summarise_augmented_cell(config, run_dir, base_cells, complete=False)
                if body is not None:
                    on_progress(body)

        seconds += train_augmented(source, data, config, sub, run["modes"], on_eval=progress)
    body = summarise_augmented_cell(config, run_dir, base_cells, complete=True)
    if body is None:
        raise XnerError("Cross-Augmented logged no evaluation", run_dir)
    body["train_seconds"] = round(seconds, 1)
    return body


def _lr(tcfg, iteration: int) -> float:
    return tcfg.learning_rate(iteration)  # (ours) the paper's per-epoch schedule, restarted for this stage


def train_augmented(source, data, config: TransferConfig, out_dir: Path, modes: list[str],
                    on_eval: Callable[[dict], None] | None = None) -> float:
    """Algorithm 1 steps 3-5 from a trained theta_s; resumable per outer iteration. Returns training seconds."""
    from xner.model.batching import EncodedCorpus
    from xner.model.predictor import evaluate, predict
    from xner.model.tagger import count_parameters
    from xner.model.trainer import (
        configure_torch, make_optimizer, restore_rng_state, rng_state, set_learning_rate,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    aug_cfg, budget = config.augment, config.budget
    tcfg = train_config(config)
    device = configure_torch(tcfg)
    torch.manual_seed(config.seed)
    target_config = None
    if aug_cfg.target_variant is not None:
        from xner.transfer.variants import tagger_config

        target_config = tagger_config(config, aug_cfg.target_variant)
    model = AugmentedTagger.from_source(source.to(device), aug_cfg.target_init, aug_cfg.detach_source_features,
                                        target_config, aug_cfg.target_scorer_init)
    model.to(device)
    optimizer = make_optimizer(model.parameters(), tcfg)
    rng = np.random.default_rng(config.seed)
    lang = config.lang

    src_sents = [s for s in data.src_train if 0 < len(s) <= tcfg.max_train_len]
    src_corpus = EncodedCorpus(src_sents, SOURCE_LANG, model.vocab)
    target = [s for s in data.unlabeled if 0 < len(s) <= tcfg.max_train_len]
    if not target:
        raise XnerError(f"no unlabelled {lang} sentences to pseudo-label")
    lengths = np.fromiter((len(s) for s in target), dtype=np.int64, count=len(target))  # (Q,)
    lo, hi = length_bounds(target)
    lo = aug_cfg.length_min if aug_cfg.length_min is not None else lo
    hi = aug_cfg.length_max if aug_cfg.length_max is not None else hi
    sets = eval_sets(config, data)
    select_sets = {m: MODE_EVAL_SET[m] for m in modes}
    eval_every = aug_cfg.eval_every if aug_cfg.eval_every is not None else budget.eval_every
    bs = tcfg.batch_size

    metrics_path, ckpt_path = out_dir / "metrics.jsonl", out_dir / "checkpoint.pt"
    state = {"iteration": 0, "step": 0, "src_perm": None, "src_pos": 0, "best": {}, "stalls": {m: 0 for m in modes},
             "seconds": 0.0}
    if ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        model.load_trainable_state(ckpt["model"])
        model.to(device)
        optimizer.load_state_dict(ckpt["optimizer"])
        restore_rng_state(ckpt["rng"], rng)
        state = json.loads(ckpt["state"])
        records = [r for r in read_jsonl(metrics_path) if r["step"] <= state["step"]]
        with atomic_path(metrics_path) as tmp:
            tmp.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    else:
        metrics_path.unlink(missing_ok=True)
        write_json_atomic(out_dir / "run_config.json", {
            "modes": modes, "augment": aug_cfg.to_dict(), "train": tcfg.to_dict(), "length_bounds": [lo, hi],
            "unlabeled_sentences": len(target), "source_sentences": len(src_corpus),
            "params": count_parameters(model), "params_merged_biases": count_parameters(model, merge_lstm_biases=True),
            "params_source": count_parameters(model.source), "params_target": count_parameters(model.target),
        })
    src_perm = np.asarray(state["src_perm"], dtype=np.int64) if state["src_perm"] is not None else rng.permutation(len(src_corpus))

    def log(text: str) -> None:
        with open(out_dir / "train.log", "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
        print(text, file=sys.stderr, flush=True)

    log(f"Cross-Augmented {lang} seed {config.seed} modes {','.join(modes)}: parameters without word embeddings "
        f"{count_parameters(model)} (theta_s {count_parameters(model.source)} + theta_t {count_parameters(model.target)}; "
        f"paper Table 4 en-es: 661,281); U({lo}, {hi}) over {len(target)} target sentences")

    def next_source_batch():
        nonlocal src_perm
        if state["src_pos"] >= len(src_perm):
            src_perm, state["src_pos"] = rng.permutation(len(src_corpus)), 0
        idx = src_perm[state["src_pos"] : state["src_pos"] + bs]
        state["src_pos"] += bs
        return src_corpus.batch(idx, device)

    def sgd(loss: torch.Tensor) -> float:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if tcfg.clip > 0:
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], tcfg.clip)
        optimizer.step()
        return float(loss.detach())

    def evaluate_and_log(extra: dict) -> dict:
        scores = {name: evaluate(model, sents, set_lang, tcfg.eval_batch_size) for name, (sents, set_lang) in sets.items()}
        record = {"step": state["step"], "iteration": state["iteration"], **extra,
                  "train_seconds": round(state["seconds"], 2),
                  "scores": {n: {k: s[k] for k in ("precision", "recall", "f1")}
                             | {"per_type": {t: round(v["f1"], 2) for t, v in s["per_type"].items()}}
                             for n, s in scores.items()}}
        if aug_cfg.log_source_scores and (extra.get("iteration_end") or extra.get("initial")):
            # Diagnostics only (never selected on): is theta_s, the pseudo-labeller, drifting?
            record["source_scores"] = {name: round(evaluate(model.source, sents, set_lang, tcfg.eval_batch_size)["f1"], 4)
                                       for name, (sents, set_lang) in sets.items()}
        for mode, name in select_sets.items():
            if mode not in state["best"] or scores[name]["f1"] > state["best"][mode]["f1"]:
                state["best"][mode] = {"f1": scores[name]["f1"], "step": state["step"], "iteration": state["iteration"]}
                _save_weights(model.trainable_state(), out_dir / f"best-{mode}.safetensors")
        with open(metrics_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
        model.train()
        if on_eval is not None:
            on_eval(record)
        return record

    if aug_cfg.eval_initial and state["step"] == 0 and state["iteration"] == 0 and not state.get("initial_done"):
        # Before any update: theta_s must score what the base scored; with target_scorer_init="copy" so must theta_t.
        evaluate_and_log({"initial": True, "iteration_end": False, "lr": _lr(tcfg, 0)})
        state["initial_done"] = True
    while state["iteration"] < budget.augment_iterations and not all(
        state["stalls"][m] >= aug_cfg.patience for m in modes
    ):
        it = state["iteration"]
        best_before = {m: state["best"].get(m, {}).get("f1", -1.0) for m in modes}
        set_learning_rate(optimizer, _lr(tcfg, it))
        threshold = sample_threshold(rng, lo, hi)
        keep = keep_up_to(lengths, threshold)
        kept = [target[i] for i in keep]
        model.eval()
        tags = predict(model.source, [s.tokens for s in kept], lang, tcfg.eval_batch_size)  # IOB2 pseudo-labels
        pseudo = with_tags(kept, tags)
        entity_tokens = sum(t != "O" for tag_seq in tags for t in tag_seq)
        t_corpus = EncodedCorpus(pseudo, lang, model.vocab)
        t_perm = rng.permutation(len(t_corpus))
        model.train()
        loss_s = loss_t = 0.0
        n_target = (len(t_corpus) + bs - 1) // bs
        for b in range(n_target):
            start = time.perf_counter()
            for _ in range(aug_cfg.source_per_target):
                loss_s += sgd(model.source_loss(next_source_batch(), tcfg.loss_reduction))
            loss_t += sgd(model.target_loss(t_corpus.batch(t_perm[b * bs : (b + 1) * bs], device), tcfg.loss_reduction))
            state["seconds"] += time.perf_counter() - start
            state["step"] += 1
            if eval_every and state["step"] % eval_every == 0 and b < n_target - 1:
                evaluate_and_log({"iteration_end": False, "lr": optimizer.param_groups[0]["lr"]})
        pseudo_info = {"threshold": threshold, "kept": int(len(kept)), "kept_tokens": int(lengths[keep].sum()),
                       "entity_token_share": round(entity_tokens / max(1, int(lengths[keep].sum())), 4)}
        state["iteration"] = it + 1
        evaluate_and_log({"iteration_end": True, "lr": optimizer.param_groups[0]["lr"], "pseudo": pseudo_info,
                          "loss_source": loss_s / max(1, n_target * aug_cfg.source_per_target),
                          "loss_target": loss_t / max(1, n_target)})
        for m in modes:
            improved = state["best"][m]["f1"] > best_before[m]
            state["stalls"][m] = 0 if improved else state["stalls"][m] + 1
        shown = " ".join(f"{m} best {state['best'][m]['f1']:.2f}" for m in modes)
        log(f"iteration {it + 1}: l={threshold} kept {len(kept)} sentences, {n_target} target batches; {shown}")
        state["src_perm"] = src_perm.tolist()
        with atomic_path(ckpt_path) as tmp:
            torch.save({"model": model.trainable_state(), "optimizer": optimizer.state_dict(),
                        "rng": rng_state(rng), "state": json.dumps(state)}, tmp)
    return float(state["seconds"])


def _save_weights(state: dict, path: Path) -> None:
    from safetensors.torch import save_file

    with atomic_path(path) as tmp:
        save_file({k: v.cpu().contiguous() for k, v in state.items()}, str(tmp))


# ----------------------------------------------------------------------------------------------- summary


def replay_early_stopping(records: list[dict], select_on: str, patience: int) -> list[dict]:
    """The eval records a run selecting on `select_on` alone would have seen before stopping (exact replay)."""
    return _replay(records, select_on, patience)[0]


def _replay(records: list[dict], select_on: str, patience: int) -> tuple[list[dict], bool]:
    """(records seen, whether patience ran out) for one selection metric, as `train_augmented` counts stalls."""
    out: list[dict] = []
    best, best_at_start, stalls = -1.0, -1.0, 0
    for r in records:
        out.append(r)
        best = max(best, r["scores"][select_on]["f1"]) if select_on in r["scores"] else best
        if r.get("initial"):  # the evaluation before any update is the baseline of the first iteration
            best_at_start = best
        elif r.get("iteration_end"):
            stalls = 0 if best > best_at_start else stalls + 1
            best_at_start = best
            if stalls >= patience:
                return out, True
    return out, False


def run_finished(records: list[dict], modes: list[str], patience: int, max_iterations: int) -> bool:
    """Whether `train_augmented` would stop at the end of this log: the iteration budget is spent, or every
    mode of the run ran out of patience. Lets a run folder copied from another machine count as complete."""
    if max((r["iteration"] for r in records if r.get("iteration_end")), default=0) >= max_iterations:
        return True
    return all(_replay(records, MODE_EVAL_SET[m], patience)[1] for m in modes)


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
    notes = _notes(config) + [
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
        "notes": notes,
    }


def _direction(base_cells: Mapping, variant: str) -> str | None:
    cell = base_cells.get(variant)
    if cell is None or not Path(cell.result_path).is_file():
        return None
    return json.loads(Path(cell.result_path).read_text(encoding="utf-8")).get("direction")
