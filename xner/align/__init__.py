"""Cross-lingual word-embedding mapping (METHOD.md section 1; MUSE, Conneau et al. 2018).

Pipeline (`align`): normalise both tables (renorm, center, renorm), start W
without a bilingual dictionary, improve it, keep the W with the best
unsupervised criterion, and flag collapse against a null model (a random
rotation improved the same way). Starts:

- `dictionary-free` (the cpu preset's default, ours): seed dictionaries from
  spelling (`seeds.py`: identical strings, numerals, cognates by edit distance)
  and the similarity-distribution seed, screened by the criterion (the
  label-free referee); the best is finished by stochastic self-learning
  (Artetxe et al. 2018, `selflearn.py`). Weak supervision from spelling, not
  the paper's adversarial setting; no dictionary file is read.
- `similarity` (method `selflearning`): the fully unsupervised
  similarity-distribution init + self-learning.
- `adversarial` (the paper's, MUSE): adversarial training, then Procrustes-CSLS
  refinement.

Dictionaries (`supervised_alignment`: a dictionary file, or identical strings
alone) are reference modes only, and the test dictionary is read for
evaluation after selection.

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
