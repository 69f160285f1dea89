"""The numbers of Fig. 2 and Fig. 3, from the trained models of finished experiment cells.

A figure reads the grid its models were made with (narrowed to its languages, variant, seed and mode) and loads
each cell's model with `xner.experiments.models.load_cell_model`; a cell without a complete result is an error
that says which `xner experiment run` makes it.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from xner.errors import XnerError
from xner.experiments.figures.analysis import (
    encoder_features,
    length_accuracy_rows,
    neighbourhood_stats,
    rows_of,
    sample_tagged_words,
    tsne_2d,
)
from xner.experiments.models import augmented_base_variant, load_cell_model, require_results

FIG2_LANGS = ("es", "nl", "ar", "fi")  # every target with a labelled training split (German has none here)


def figure_grid(base=None, *, langs: Sequence[str], variants: Sequence[str], seed: int, mode: str,
                budget: str | None = None):
    """The experiment grid a figure reads its models from: `base` (a `GridConfig`, e.g. from the grid file the
    results were made with; default: `GridConfig()`) narrowed to the figure's languages, variants, seed and mode.
    Same paths as `xner experiment run`, so its finished cells are found."""
    from xner.experiments.grid import GridConfig
    from xner.transfer.config import budget_from_name

    base = base or GridConfig()
    # The grid's own modes are kept, so the cells are the same cells `xner experiment run` made.
    modes = list(base.modes) if mode in base.modes else list(base.modes) + [mode]
    return dataclasses.replace(base, langs=list(langs), variants=list(variants), seeds=[seed], modes=modes,
                               budget=budget_from_name(budget) if budget is not None else base.budget)


def _mapping_name(cell) -> str:
    """Which saved mapping a cell's shared space comes from, e.g. `en-es` (unsupervised) or `en-es.supervised`."""
    from xner.transfer.spaces import align_dir

    return align_dir(cell.config.lang, cell.config.space).name


def fig2_data(base_grid=None, langs: Sequence[str] = FIG2_LANGS, variant: str = "cross-shared", seed: int = 1,
              mode: str = "src-dev", echo=print, budget: str | None = None) -> list[dict]:
    """Pseudo-labels of each language's source model on its target training split vs the gold tags.

    The sentences are read token-column only (`load_unlabeled`, as pseudo-labelling does); the gold
    tags are read separately (`load_split(lang, "train")`), for this analysis only.
    """
    from xner.data.registry import has_split, load_split, load_unlabeled
    from xner.experiments.grid import make_cell
    from xner.model.predictor import predict

    langs = [lang for lang in langs if has_split(lang, "train")]
    if not langs:
        raise XnerError("none of the languages has a labelled training split (German has none here)")
    grid = figure_grid(base_grid, langs=langs, variants=[variant], seed=seed, mode=mode, budget=budget)
    require_results(grid)
    rows: list[dict] = []
    for lang in langs:
        cell = make_cell(grid, lang, variant, seed)
        model = load_cell_model(cell, mode)
        sentences = load_unlabeled(lang)
        echo(f"fig2: {lang}: pseudo-labelling {len(sentences)} target training sentences with {cell.name}")
        pred = predict(model, [s.tokens for s in sentences], lang)
        gold = [s.tags for s in load_split(lang, "train")]  # analysis-only label read
        if [len(g) for g in gold] != [len(p) for p in pred]:
            raise XnerError(f"{lang} train split and its unlabelled view differ in sentence lengths")
        for row in length_accuracy_rows(lang, gold, pred):
            rows.append({**row, "model": cell.name, "selection": mode, "mapping": _mapping_name(cell),
                         "result": str(cell.result_path)})
    return rows


def fig3_data(base_grid=None, lang: str = "es", seed: int = 1, mode: str = "src-dev", n_words: int = 1000,
              echo=print, budget: str | None = None) -> tuple[list[dict], dict]:
    """t-SNE coordinates of `n_words` NER-tagged words (half English, half `lang`) in three spaces.

    Words and their types come from each language's dev split (the target's gold tags are read to
    colour the points: analysis only). (a) the monolingual tables, each normalised alone; (b) the two
    tables in the shared space of the alignment the experiments use; (c) the encoder theta_s of the
    trained Cross-Augmented model (the encoder both languages go through), at one occurrence per word.
    """
    import numpy as np

    from xner.data.registry import load_split
    from xner.embeddings.io import load_embeddings
    from xner.experiments.grid import expand, make_cell
    from xner.transfer.config import CROSS_AUGMENTED, SOURCE_LANG
    from xner.transfer.spaces import MONO_NORMALIZE, shared_space

    grid = figure_grid(base_grid, langs=[lang], variants=[CROSS_AUGMENTED], seed=seed, mode=mode, budget=budget)
    require_results(grid)
    cell = make_cell(grid, lang, CROSS_AUGMENTED, seed)
    model = load_cell_model(cell, mode, expand(grid))
    base_variant = augmented_base_variant(cell, mode)
    max_vocab = cell.config.budget.max_vocab
    space = shared_space(lang, cell.config.space, max_vocab)  # the tables the model was trained with

    half = n_words // 2
    picks: list[dict] = []
    dev: dict[str, list] = {}
    for k, code in enumerate((SOURCE_LANG, lang)):
        dev[code] = load_split(code, "dev")  # English dev; target dev read for colours only (analysis)
        picks += sample_tagged_words(dev[code], code, space.tables[code], half if k == 0 else n_words - half, seed + k)
    rows: list[dict] = []
    mono_tables = {code: load_embeddings(code, max_vocab).normalized(MONO_NORMALIZE) for code in (SOURCE_LANG, lang)}
    panels = {}
    for panel, tables in (("mono", mono_tables), ("mapped", space.tables)):
        panels[panel] = np.concatenate([rows_of(tables[code], [p["word"] for p in picks if p["lang"] == code])
                                        for code in (SOURCE_LANG, lang)])
    panels["encoder"] = np.concatenate([
        encoder_features(model.source, dev[code], [p for p in picks if p["lang"] == code], code)
        for code in (SOURCE_LANG, lang)
    ])
    ordered = [p for code in (SOURCE_LANG, lang) for p in picks if p["lang"] == code]
    stats = {panel: neighbourhood_stats(matrix, [p["lang"] for p in ordered], [p["entity"] for p in ordered])
             for panel, matrix in panels.items()}
    for panel, matrix in panels.items():
        echo(f"fig3: t-SNE of {len(matrix)} points, panel {panel}")
        xy = tsne_2d(matrix, seed)
        for p, (x, y) in zip(ordered, xy):
            rows.append({"panel": panel, "lang": p["lang"], "word": p["word"], "entity": p["entity"],
                         "x": float(x), "y": float(y), "model": cell.name, "encoder_base": base_variant,
                         "mapping": _mapping_name(cell), "result": str(cell.result_path)})
    return rows, stats
