"""The pipeline without a dictionary: initialise W (dictionary-free seeds from spelling screened by the criterion;
or the fully unsupervised starts), improve it (MUSE: Procrustes-CSLS refinement after adversarial training; or
Artetxe et al.'s stochastic self-learning), keep the best W by the unsupervised criterion, detect collapse from
that criterion alone, and restart when needed.

Also the reference modes (`supervised_alignment`): Procrustes on a dictionary
file or on identical strings. They use bilingual signal and are reported only
as an upper bound / a baseline.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from xner.align.adversarial import AdversarialTrainer
from xner.align.config import AlignConfig
from xner.align.criterion import mean_cosine
from xner.align.csls import csls_neighbourhoods, unit
from xner.align.dictionary import DictionaryFile, induce_dictionary, read_dictionary
from xner.align.evaluate import translation_precision
from xner.align.fingerprint import table_fingerprint
from xner.align.init import similarity_init
from xner.align.mapping import Mapping
from xner.embeddings.normalize import normalize_embeddings
from xner.align.procrustes import procrustes
from xner.align.seeds import combine, family_label, parse_families, spelling_seed
from xner.align.selflearn import Neighbours, SimilarityEngine, criterion_from, finish, self_learning, union_dictionary
from xner.embeddings.table import EmbeddingTable
from xner.errors import XnerError

LogFn = Callable[[dict], None]
INITS = ("adversarial", "identity", "similarity")
METHODS = ("adversarial", "selflearning", "dictionary-free")


@dataclass
class Spaces:
    """Normalised float32 matrices of the *from* side (mapped by W) and the *to* side, plus centring means."""

    src: np.ndarray  # (Ns, D) English
    tgt: np.ndarray  # (Nt, D)
    src_means: list[np.ndarray]
    tgt_means: list[np.ndarray]
    direction: str

    @property
    def from_side(self) -> np.ndarray:
        return self.src if self.direction == "s2t" else self.tgt

    @property
    def to_side(self) -> np.ndarray:
        return self.tgt if self.direction == "s2t" else self.src

    def shared(self, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(English rows, target rows) in the shared space, unit length (for retrieval)."""
        if self.direction == "s2t":
            return unit(self.src @ W.T), unit(self.tgt)
        return unit(self.src), unit(self.tgt @ W.T)


@dataclass
class AlignResult:
    mapping: Mapping
    criterion: float
    collapsed: bool
    null_criterion: float | None  # criterion of the null model (random rotation, refined when configured)
    tries: list[dict]
    log: list[dict] = field(default_factory=list)
    evaluation: dict | None = None
    seconds: float = 0.0
    family: str = ""  # what started the kept W: "dictionary-free (identical strings + numerals)", "similarity init", ...
    candidates: list[dict] = field(default_factory=list)  # dictionary-free: every screened seed (the referee's view)


def prepare(src_table: EmbeddingTable, tgt_table: EmbeddingTable, config: AlignConfig) -> Spaces:
    src, src_means = normalize_embeddings(src_table.float32(), config.normalize)
    tgt, tgt_means = normalize_embeddings(tgt_table.float32(), config.normalize)
    if src.shape[1] != tgt.shape[1]:
        raise XnerError(f"embedding sizes differ: {src.shape[1]} ({src_table.name}) vs {tgt.shape[1]} ({tgt_table.name})")
    return Spaces(src, tgt, src_means, tgt_means, config.resolved_direction())


class Selector:
    """Tracks the criterion of each candidate W and keeps the best (MUSE's `save_best`)."""

    def __init__(self, from_side: np.ndarray, to_side: np.ndarray, config: AlignConfig):
        self.x = from_side[: config.max_vocab]
        self.y = unit(to_side[: config.max_vocab])
        self.config = config
        self.best_value = -np.inf
        self.best_W: np.ndarray | None = None

    def neighbourhoods(self, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xm = unit(self.x @ W.T)  # (N, D)
        r_src, r_tgt = csls_neighbourhoods(xm, self.y, self.config.csls_knn)
        return xm, r_src, r_tgt

    def score(self, W: np.ndarray, state: tuple | None = None) -> float:
        xm, r_src, r_tgt = state if state is not None else self.neighbourhoods(W)
        value = mean_cosine(xm, self.y, self.config.criterion_words, self.config.csls_knn, r_src, r_tgt)
        return self.record(W, value)

    def record(self, W: np.ndarray, value: float) -> float:
        if value > self.best_value:
            self.best_value, self.best_W = value, W.copy()
        return value

    def scorer(self, engine: SimilarityEngine) -> Callable[[np.ndarray, Neighbours], float]:
        """Criterion of a W during self-learning: read off the engine's matrix when it covers the criterion's
        vocabulary exactly (same rows, same CSLS neighbourhoods), else the batched faiss computation."""
        exact = engine.x.shape[0] == self.x.shape[0] and engine.z.shape[0] == self.y.shape[0] and engine.knn == self.config.csls_knn
        if exact:
            return lambda W, nb: self.record(W, criterion_from(nb, self.config.criterion_words))
        return lambda W, nb: self.score(W)


def random_rotation(dim: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return (q * np.sign(np.diag(r))).astype(np.float32)  # (D, D), Haar-distributed


def _adversarial(spaces: Spaces, config: AlignConfig, seed: int, selector: Selector, log: LogFn, progress) -> np.ndarray:
    cfg = config.adversarial
    x, y = spaces.from_side[: config.max_vocab], spaces.to_side[: config.max_vocab]
    trainer = AdversarialTrainer(x, y, cfg, np.eye(x.shape[1], dtype=np.float32), seed)
    n_iters = max(1, cfg.epoch_size // cfg.batch_size)
    for epoch in range(cfg.n_epochs):
        start = time.time()
        task = progress(f"adversarial epoch {epoch + 1}/{cfg.n_epochs}", n_iters) if progress else None
        loss = trainer.epoch(lambda done, l: task(done) if task else None)
        W = trainer.weight()
        value = selector.score(W)
        log({"stage": "adversarial", "epoch": epoch, "dis_loss": round(loss, 5), "criterion": round(value, 5),
             "lr": trainer.lr, "seconds": round(time.time() - start, 1)})
        trainer.update_lr(value)
        if trainer.lr < cfg.min_lr:
            break
    return selector.best_W if selector.best_W is not None else trainer.weight()


def _refine(spaces: Spaces, config: AlignConfig, W: np.ndarray, selector: Selector, log: LogFn, try_no: int) -> np.ndarray:
    ref = config.refinement
    x, y = selector.x, selector.y
    state = selector.neighbourhoods(W)
    for iteration in range(ref.n_iterations):
        start = time.time()
        xm, r_src, r_tgt = state
        pairs = induce_dictionary(xm, y, ref.dico_method, ref.dico_build, ref.dico_max_rank, ref.dico_max_size,
                                  ref.dico_min_size, ref.dico_threshold, r_src, r_tgt)
        if len(pairs) == 0:
            log({"stage": "refinement", "try": try_no, "iteration": iteration, "dictionary": 0, "note": "empty dictionary"})
            break
        W = procrustes(x, y, pairs)
        state = selector.neighbourhoods(W)
        value = selector.score(W, state)
        log({"stage": "refinement", "try": try_no, "iteration": iteration, "dictionary": int(len(pairs)),
             "criterion": round(value, 5), "seconds": round(time.time() - start, 1)})
    return selector.best_W


def _engine(spaces: Spaces, config: AlignConfig, cutoff: int | None = None) -> SimilarityEngine:
    cfg = config.self_learning
    cutoff = cfg.cutoff if cutoff is None else cutoff
    return SimilarityEngine(unit(spaces.from_side[:cutoff]), unit(spaces.to_side[:cutoff]), cutoff, cfg.csls_knn,
                            cfg.candidates)


def _test_monitor(spaces: Spaces, test: DictionaryFile | None, cutoff: int) -> Callable[[Neighbours], dict] | None:
    """Logging only (never selection): CSLS P@1 of English -> XX on the test pairs inside the cutoff vocabulary."""
    if test is None or len(test.pairs) == 0:
        return None
    pairs = test.pairs[(test.pairs < cutoff).all(axis=1)]  # (P, 2) English row, XX row
    if len(pairs) == 0:
        return None
    queries, inverse = np.unique(pairs[:, 0], return_inverse=True)  # (Q,), (P,)

    def monitor(nb: Neighbours) -> dict:
        top1 = (nb.fwd_ids if spaces.direction == "s2t" else nb.bwd_ids)[:, 0].numpy()  # English rows -> XX row
        correct = np.zeros(len(queries), dtype=bool)
        np.logical_or.at(correct, inverse, top1[pairs[:, 0]] == pairs[:, 1])
        return {"test_p1_csls_cutoff": round(100.0 * float(correct.mean()), 2), "test_queries_cutoff": int(len(queries))}

    return monitor


def align(
    src_table: EmbeddingTable,
    tgt_table: EmbeddingTable,
    config: AlignConfig,
    dictionary: str | Path | None = None,
    log: LogFn | None = None,
    progress=None,
) -> AlignResult:
    """Alignment without a dictionary: `config.method` "dictionary-free" (seeds from spelling, the cpu default),
    "selflearning" or "adversarial" (fully unsupervised). `dictionary` is opened only for the evaluation after
    selection (and, with `log_test_precision`, for logging-only P@1 during self-learning)."""
    start = time.time()
    entries: list[dict] = []

    def emit(entry: dict) -> None:
        entry = {"t": round(time.time() - start, 1), **entry}
        entries.append(entry)
        if log:
            log(entry)

    torch.manual_seed(config.seed)
    if config.method not in METHODS:
        raise XnerError(f"unknown method {config.method!r} (known: {', '.join(METHODS)})")
    spaces = prepare(src_table, tgt_table, config)
    dim = spaces.src.shape[1]
    engine = _engine(spaces, config) if config.method in ("selflearning", "dictionary-free") else None
    monitor = None
    if engine is not None and dictionary is not None and config.log_test_precision:
        monitor = _test_monitor(spaces, read_dictionary(dictionary, src_table.index, tgt_table.index),
                                config.self_learning.cutoff)
    # Null model for collapse detection: what the criterion reaches from a random rotation (optionally after the
    # same refinement, which inflates the criterion of any start by fitting its own dictionary).
    probe = Selector(spaces.from_side, spaces.to_side, config)
    rotation = random_rotation(dim, config.seed + 10_000)
    random_value = probe.score(rotation)
    if config.collapse_null == "refined_random" and engine is not None:
        # The whole stochastic loop from the random rotation: self-learning from a wrong start climbs the criterion
        # for as long as it runs (en-es: 0.37 after 5 iterations, 0.41 after 90), so only an equal-effort null is fair.
        # Dictionary-free: the null gets what each seed gets before the referee judges it (the screen).
        null_iterations = config.screen_iterations if config.method == "dictionary-free" else None
        self_learning(engine, rotation, config.self_learning, config.seed + 10_000, probe.scorer(engine),
                      lambda e: emit({**e, "stage": "null-refinement"}), monitor, max_iterations=null_iterations)
    elif config.collapse_null == "refined_random":
        _refine(spaces, config, rotation, probe, lambda e: emit({**e, "stage": "null-refinement"}), -1)
    elif config.collapse_null != "random":
        raise XnerError(f"unknown collapse_null {config.collapse_null!r} (random or refined_random)")
    null_value = probe.best_value
    threshold = null_value + config.collapse_margin
    emit({"stage": "baseline", "random_rotation_criterion": round(random_value, 5),
          "null_criterion": round(null_value, 5), "collapse_below": round(threshold, 5)})

    if config.method == "dictionary-free":
        tries, best, candidates = _dictionary_free(spaces, src_table, tgt_table, config, engine, threshold, emit, progress)
    else:
        tries, best = _unsupervised_tries(spaces, config, engine, threshold, monitor, emit, progress)
        candidates = []
    family = next(t["family"] for t in tries if t["criterion"] == round(best[0], 5))
    collapsed = all(t["collapsed"] for t in tries) if config.method == "dictionary-free" else bool(best[0] < threshold)
    W, value = best[1], best[0]
    sl = config.self_learning
    if engine is not None and sl.reanneal > 0:
        W, value = _reanneal(spaces, config, engine, W, value, emit)
    if engine is not None and (sl.final_iterations > 0 or sl.final == "reweighted"):
        # VecMap's end of training on the kept W, whatever the criterion says of it (the loop's selection is done)
        del engine
        W = finish(_engine(spaces, config, sl.final_cutoff), W, sl, emit)
        value = Selector(spaces.from_side, spaces.to_side, config).score(W)
        emit({"stage": "finished", "criterion_before": round(best[0], 5), "criterion": round(value, 5)})
    mapping = Mapping(W=W, src_lang=config.src_lang, tgt_lang=config.tgt_lang, direction=spaces.direction,
                      normalize=config.normalize, src_means=spaces.src_means, tgt_means=spaces.tgt_means,
                      tables=_fingerprints(src_table, tgt_table), family=family)
    result = AlignResult(mapping, value, collapsed, null_value, tries, entries, family=family,
                         candidates=candidates)
    emit({"stage": "selected", "family": family, "criterion": round(value, 5), "collapsed": result.collapsed})
    if dictionary is not None:  # evaluation only: everything above is fixed before the dictionary is opened
        result.evaluation = evaluate_mapping(spaces, W, src_table, tgt_table, dictionary, config.eval_vocab)
        emit({"stage": "evaluation", **result.evaluation})
        if config.evaluate_candidates:
            for cand in candidates:
                if "W" in cand:
                    same = cand["W"] is W  # the kept one without a finish: already evaluated
                    ev = result.evaluation if same else evaluate_mapping(spaces, cand["W"], src_table, tgt_table,
                                                                         dictionary, config.eval_vocab)
                    cand["evaluation"] = {m: ev[m]["P@1"] for m in ("csls_knn_10", "nn") if m in ev}
    for cand in candidates:
        cand.pop("W", None)
    result.seconds = round(time.time() - start, 1)
    return result


def _unsupervised_tries(spaces: Spaces, config: AlignConfig, engine: SimilarityEngine | None, threshold: float,
                        monitor, emit: LogFn, progress) -> tuple[list[dict], tuple[float, np.ndarray]]:
    """The fully unsupervised methods: an init (adversarial, identity, similarity), then refinement or self-learning."""
    dim = spaces.src.shape[1]
    tries: list[dict] = []
    best: tuple[float, np.ndarray] | None = None
    for try_no in range(max(1, config.max_tries)):
        init = config.init if try_no == 0 or not config.restart_inits else config.restart_inits[(try_no - 1) % len(config.restart_inits)]
        if init not in INITS:
            raise XnerError(f"unknown init {init!r} (known: {', '.join(INITS)})")
        seed = config.seed + try_no
        torch.manual_seed(seed)
        t0 = time.time()
        selector = Selector(spaces.from_side, spaces.to_side, config)
        if init == "adversarial" and config.adversarial.enabled:
            W = _adversarial(spaces, config, seed, selector, lambda e: emit({"try": try_no, **e}), progress)
        elif init == "similarity":
            W, _ = similarity_init(selector.x, selector.y, config.similarity_words, config.csls_knn)
            emit({"stage": "init", "try": try_no, "init": init, "criterion": round(selector.score(W), 5)})
        else:
            W = np.eye(dim, dtype=np.float32)
            emit({"stage": "init", "try": try_no, "init": init, "criterion": round(selector.score(W), 5)})
        if engine is not None:
            task = progress(f"self-learning try {try_no + 1}", None) if progress else None
            self_learning(engine, W, config.self_learning, seed, selector.scorer(engine),
                          lambda e: emit({"try": try_no, **e}), monitor, progress=task)
            W = selector.best_W
        else:
            W = _refine(spaces, config, W, selector, emit, try_no)
        value = selector.best_value
        collapsed = bool(value < threshold)
        tries.append({"try": try_no, "init": init, "family": f"{init} init", "seed": seed, "criterion": round(value, 5),
                      "collapsed": collapsed, "seconds": round(time.time() - t0, 1)})
        emit({"stage": "try", **tries[-1]})
        if best is None or value > best[0]:
            best = (value, W)
        if not collapsed:
            break
    assert best is not None
    return tries, best


def seed_pairs(families: tuple[str, ...], spaces: Spaces, src_table: EmbeddingTable, tgt_table: EmbeddingTable,
               config: AlignConfig) -> np.ndarray:
    """[from row, to row] pairs of a seed combination (`seeds.py`); `similarity` adds the similarity-init pairs."""
    pairs = spelling_seed(families, src_table.words, tgt_table.words, config.seeds)  # (P, 2) English row, XX row
    oriented = pairs if spaces.direction == "s2t" else pairs[:, ::-1]
    if "similarity" in families:
        n = config.max_vocab
        _, similar = similarity_init(spaces.from_side[:n], unit(spaces.to_side[:n]), config.similarity_words, config.csls_knn)
        oriented = similar if families == ("similarity",) else combine(oriented, similar)
    return np.ascontiguousarray(oriented)


def _dictionary_free(spaces: Spaces, src_table: EmbeddingTable, tgt_table: EmbeddingTable, config: AlignConfig,
                     engine: SimilarityEngine, threshold: float, emit: LogFn, progress
                     ) -> tuple[list[dict], tuple[float, np.ndarray], list[dict]]:
    """The label-free referee: screen every seed family (Procrustes on its pairs, then the loop's first
    `screen_iterations`), rank them by the unsupervised criterion, finish the loop from the best one, and restart
    from the next-best when the criterion says it collapsed. Reads no dictionary file."""
    sl = config.self_learning
    candidates: list[dict] = []
    seen: dict[bytes, str] = {}  # seed dictionary -> the family that had it first
    for number, spec in enumerate(config.seed_families):
        families = parse_families(spec)
        t0 = time.time()
        pairs = seed_pairs(families, spaces, src_table, tgt_table, config)
        cand = {"seeds": spec, "family": family_label(families), "pairs": int(len(pairs))}
        key = np.unique(pairs, axis=0).tobytes()
        if len(pairs) < config.seeds.min_pairs or key in seen:
            # (en-ar: the orthographic seed finds nothing across scripts, so it would repeat identical+numerals)
            cand["skipped"] = f"fewer than {config.seeds.min_pairs} pairs" if key not in seen else f"same pairs as {seen[key]}"
            emit({"stage": "screen", **cand})
            candidates.append(cand)
            continue
        seen[key] = spec
        selector = Selector(spaces.from_side, spaces.to_side, config)
        W = procrustes(spaces.from_side, spaces.to_side, pairs)
        seed = config.seed + number
        W = self_learning(engine, W, sl, seed, selector.scorer(engine),
                          lambda e: emit({"seeds": spec, **e, "stage": "screen"}), max_iterations=config.screen_iterations)
        cand.update(screen_criterion=round(selector.best_value, 5), seconds=round(time.time() - t0, 1))
        emit({"stage": "screen", **cand})
        candidates.append({**cand, "selector": selector, "last_W": W, "seed": seed})
    ranked = sorted((c for c in candidates if "selector" in c), key=lambda c: -c["screen_criterion"])
    if not ranked:
        raise XnerError("no seed family found enough pairs (seed_families: " + ", ".join(config.seed_families) + ")")
    # the rest of the stochastic schedule: the screen spent the first keep probability
    rest = dataclasses.replace(sl, stochastic_initial=min(1.0, sl.stochastic_initial * sl.stochastic_multiplier))
    tries: list[dict] = []
    best: tuple[float, np.ndarray] | None = None
    for try_no, cand in enumerate(ranked[: max(1, config.max_tries)]):
        t0 = time.time()
        selector = cand["selector"]
        task = progress(f"self-learning from {cand['seeds']}", None) if progress else None
        self_learning(engine, cand["last_W"], rest, cand["seed"], selector.scorer(engine),
                      lambda e: emit({"try": try_no, "seeds": cand["seeds"], **e}), progress=task)
        value = selector.best_value
        # collapse is judged at equal effort: the screened criterion against the null after as many iterations
        tries.append({"try": try_no, "seeds": cand["seeds"], "family": cand["family"], "seed": cand["seed"],
                      "criterion": round(value, 5), "screen_criterion": cand["screen_criterion"],
                      "collapsed": bool(cand["screen_criterion"] < threshold),
                      "seconds": round(time.time() - t0 + cand["seconds"], 1)})
        emit({"stage": "try", **tries[-1]})
        if best is None or (not tries[-1]["collapsed"], value) > best[2:]:
            best = (value, selector.best_W, not tries[-1]["collapsed"], value)
        cand["W"] = selector.best_W
        if not tries[-1]["collapsed"]:
            break
    for cand in candidates:
        if "selector" in cand and "W" not in cand:
            cand["W"] = cand["selector"].best_W
        for key in ("selector", "last_W", "seed"):
            cand.pop(key, None)
    assert best is not None
    return tries, best[:2], candidates


def _reanneal(spaces: Spaces, config: AlignConfig, engine: SimilarityEngine, W: np.ndarray, value: float,
              emit: LogFn) -> tuple[np.ndarray, float]:
    """`self_learning.reanneal` more loops, each from Procrustes on the dictionary the best W so far induces (p = 1),
    with the keep probability back at its start; the unsupervised criterion keeps the best W of all of them."""
    sl = config.self_learning
    selector = Selector(spaces.from_side, spaces.to_side, config)
    selector.record(W, value)
    for round_no in range(sl.reanneal):
        start = selector.best_W
        pairs = union_dictionary(engine.neighbours(start), 1.0, torch.Generator())
        W0 = procrustes(engine.x.numpy(), engine.z.numpy(), pairs)
        self_learning(engine, W0, sl, config.seed + 100 * (round_no + 1), selector.scorer(engine),
                      lambda e: emit({"reanneal": round_no, **e, "stage": "reanneal"}))
        emit({"stage": "reanneal", "round": round_no, "dictionary": int(len(pairs)),
              "criterion": round(selector.best_value, 5)})
    return selector.best_W, selector.best_value


def _fingerprints(src_table: EmbeddingTable, tgt_table: EmbeddingTable) -> dict:
    return {"src": table_fingerprint(src_table), "tgt": table_fingerprint(tgt_table)}


def evaluate_mapping(spaces: Spaces, W: np.ndarray, src_table: EmbeddingTable, tgt_table: EmbeddingTable,
                     dictionary: str | Path, max_rows: int | None = None) -> dict:
    """P@1/5/10 (NN, CSLS) of English -> target retrieval in the shared space, whichever side W maps."""
    en, xx = spaces.shared(W)
    src_index, tgt_index = src_table.index, tgt_table.index
    if max_rows is not None:
        en, xx = en[:max_rows], xx[:max_rows]
        src_index = {w: i for w, i in src_index.items() if i < max_rows}
        tgt_index = {w: i for w, i in tgt_index.items() if i < max_rows}
    return translation_precision(en, xx, read_dictionary(dictionary, src_index, tgt_index))


def supervised_alignment(
    src_table: EmbeddingTable,
    tgt_table: EmbeddingTable,
    config: AlignConfig,
    pairs: np.ndarray,
    dictionary: str | Path | None = None,
    mode: str = "supervised",
) -> AlignResult:
    """Procrustes on given (English row, target row) pairs: the reference modes, never the unsupervised default."""
    start = time.time()
    spaces = prepare(src_table, tgt_table, config)
    oriented = pairs if spaces.direction == "s2t" else pairs[:, ::-1]
    W = procrustes(spaces.from_side, spaces.to_side, np.ascontiguousarray(oriented))
    selector = Selector(spaces.from_side, spaces.to_side, config)
    value = selector.score(W)
    mapping = Mapping(W=W, src_lang=config.src_lang, tgt_lang=config.tgt_lang, direction=spaces.direction,
                      normalize=config.normalize, src_means=spaces.src_means, tgt_means=spaces.tgt_means,
                      tables=_fingerprints(src_table, tgt_table), family=f"{mode} (reference: bilingual signal)")
    entries = [{"stage": mode, "pairs": int(len(pairs)), "criterion": round(value, 5)}]
    result = AlignResult(mapping, value, False, None, [], entries, family=mapping.family)
    if dictionary is not None:
        result.evaluation = evaluate_mapping(spaces, W, src_table, tgt_table, dictionary, config.eval_vocab)
    result.seconds = round(time.time() - start, 1)
    return result
