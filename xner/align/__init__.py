"""Cross-lingual word-embedding mapping (METHOD.md section 1; MUSE, Conneau et al. 2018).

Pipeline (`align`): normalise both tables (renorm, center, renorm), start W
without bilingual signal (MUSE: adversarial training from the identity; cpu
preset: the similarity-distribution seed dictionary of Artetxe et al. 2018),
improve it (MUSE: Procrustes on mutual CSLS neighbours; cpu preset: stochastic
self-learning, `selflearn.py`), keep the W with the best unsupervised
criterion, and restart with another seed / initialisation when the criterion
says the run collapsed. No dictionary and no identical strings are used unless a reference
mode (`supervised_alignment`) is asked for explicitly.

For the transfer stage::

    from xner.align import load_mapping, mapped_tables
    from xner.embeddings import load_embeddings

    mapping = load_mapping("runs/align/en-es")          # folder written by `xner align --out`
    en, es = mapped_tables(load_embeddings("en"), load_embeddings("es"), mapping)
    # en.vectors / es.vectors: float32 (N, 300) in one shared space, same words and order as the inputs.
    # direction=None keeps the trained space (es space for s2t; English space for ar, fi: t2s);
    # mapped_tables(..., direction="t2s") moves the target into English space through W^-1 instead.
"""

from xner.align.config import AlignConfig, preset
from xner.align.mapping import Mapping, load_mapping, mapped_tables, save_mapping
from xner.align.pipeline import AlignResult, align, supervised_alignment

__all__ = [
    "AlignConfig", "AlignResult", "Mapping", "align", "load_mapping", "mapped_tables", "preset", "save_mapping",
    "supervised_alignment",
]
