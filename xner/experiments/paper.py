"""Published numbers QUOTED from the paper (Bari, Joty, Jwalapuram, AAAI 2020), for side-by-side tables.

These are transcribed from `shared/paper/000_3e13c1edf884fca7.txt` (Tables 3, 4, 5). They are never
mixed with our results: every table that shows them labels them "quoted from the paper".
`None` = the paper's "x" (the model failed to learn anything) or "-" (not reported).
"""

from __future__ import annotations

# A value is (mean, std) or (mean, std, max); std None when the paper gives a single number.
Stat = tuple

PAPER_SOURCE = "Bari, Joty & Jwalapuram (AAAI 2020)"

# Table 3: Source-Mono. Keys: (embedding kind, variant) -> lang -> {"tgt-dev": F1*, "src-dev": F1}.
TABLE3: dict[tuple[str, str], dict[str, dict[str, Stat | None]]] = {
    ("pretrained", "source-mono-nochar"): {lang: {"tgt-dev": None, "src-dev": None} for lang in ("es", "nl", "de", "ar", "fi")},
    ("pretrained", "source-mono"): {
        "es": {"tgt-dev": (33.66, 0.90), "src-dev": (26.76, 1.45)},
        "nl": {"tgt-dev": (25.692, 1.75), "src-dev": (20.94, 0.74)},
        "de": {"tgt-dev": (12.54, 3.07), "src-dev": (8.34, 1.43)},
        "ar": {"tgt-dev": None, "src-dev": None},
        "fi": {"tgt-dev": (25.05, 0.54), "src-dev": (22.44, 2.23)},
    },
    ("random", "source-mono-nochar"): {lang: {"tgt-dev": None, "src-dev": None} for lang in ("es", "nl", "de", "ar", "fi")},
    ("random", "source-mono"): {
        "es": {"tgt-dev": (36.87, 2.46), "src-dev": (32.61, 1.71)},
        "nl": {"tgt-dev": (32.47, 0.92), "src-dev": (24.74, 0.48)},
        "de": {"tgt-dev": (14.70, 0.35), "src-dev": (11.51, 0.71)},
        "ar": {"tgt-dev": None, "src-dev": None},
        "fi": {"tgt-dev": (26.05, 0.44), "src-dev": (17.36, 3.34)},
    },
}

# Table 4: variant -> lang -> mode -> (mean, std, max); plus parameter counts.
TABLE4: dict[str, dict[str, dict[str, Stat]]] = {
    "cross-word-nochar": {
        "es": {"tgt-dev": (68.63, 1.49, 70.62), "src-dev": (64.79, 1.68, 67.42), "tgt-test": (68.90, 1.10, 70.62)},
        "nl": {"tgt-dev": (65.01, 0.53, 65.73), "src-dev": (64.28, 0.71, 65.05), "tgt-test": (65.86, 0.29, 66.25)},
        "de": {"tgt-dev": (58.76, 0.70, 59.7), "src-dev": (57.12, 0.53, 58.15), "tgt-test": (59.11, 0.37, 59.7)},
        "ar": {"tgt-dev": (29.81, 1.01, 31.18), "src-dev": (24.79, 0.65, 25.46), "tgt-test": (30.74, 0.71, 31.18)},
        "fi": {"tgt-dev": (28.77, 1.19, 30.01), "src-dev": (26.55, 0.61, 27.71), "tgt-test": (29.99, 0.36, 30.44)},
    },
    "cross-word": {
        "es": {"tgt-dev": (72.66, 0.39, 73.19), "src-dev": (70.49, 1.34, 72.82), "tgt-test": (73.62, 0.70, 74.76)},
        "nl": {"tgt-dev": (70.31, 1.01, 71.5), "src-dev": (69.24, 1.32, 70.98), "tgt-test": (71.22, 0.41, 71.71)},
        "de": {"tgt-dev": (45.20, 2.78, 48.94), "src-dev": (30.99, 1.08, 32.82), "tgt-test": (46.10, 1.68, 48.94)},
        "ar": {"tgt-dev": (21.39, 1.85, 24.6), "src-dev": (11.84, 3.69, 15.36), "tgt-test": (23.37, 1.40, 24.77)},
        "fi": {"tgt-dev": (47.84, 1.12, 49.53), "src-dev": (44.90, 1.26, 46.09), "tgt-test": (48.15, 0.88, 49.53)},
    },
    "cross-shared": {
        "es": {"tgt-dev": (74.39, 0.94, 75.72), "src-dev": (71.97, 0.85, 72.54), "tgt-test": (74.91, 0.81, 75.72)},
        "nl": {"tgt-dev": (71.02, 1.20, 72.89), "src-dev": (68.85, 1.87, 70.69), "tgt-test": (71.62, 0.89, 72.89)},
        "de": {"tgt-dev": (58.91, 1.03, 60.35), "src-dev": (56.20, 1.38, 57.62), "tgt-test": (59.52, 0.62, 60.35)},
        "ar": {"tgt-dev": (28.28, 1.61, 29.82), "src-dev": (23.32, 0.76, 24.35), "tgt-test": (29.89, 0.49, 30.72)},
        "fi": {"tgt-dev": (48.04, 1.40, 49.3), "src-dev": (44.36, 2.52, 48.37), "tgt-test": (49.31, 0.69, 50.13)},
    },
    "cross-augmented": {
        "es": {"tgt-dev": (75.93, 0.81, 77.03), "src-dev": (72.36, 1.17, 73.7), "tgt-test": (76.82, 0.84, 77.81)},
        "nl": {"tgt-dev": (74.61, 1.24, 76.43), "src-dev": (69.43, 2.43, 72.03), "tgt-test": (75.47, 1.25, 77.45)},
        "de": {"tgt-dev": (65.24, 0.56, 65.83), "src-dev": (59.45, 2.56, 62.61), "tgt-test": (65.76, 0.41, 66.02)},
        "ar": {"tgt-dev": (36.91, 2.74, 40.36), "src-dev": (27.12, 3.00, 31.84), "tgt-test": (38.02, 2.41, 41.63)},
        "fi": {"tgt-dev": (53.77, 1.54, 56.05), "src-dev": (45.69, 2.61, 50.67), "tgt-test": (54.42, 1.33, 56.54)},
    },
}

TABLE4_PARAMS: dict[str, dict[str, int]] = {
    "cross-word-nochar": {"es": 342906, "nl": 342906, "de": 342906, "ar": 341890, "fi": 342906},
    "cross-word": {"es": 395581, "nl": 395881, "de": 395756, "ar": 396215, "fi": 395356},
    "cross-shared": {"es": 210081, "nl": 210381, "de": 182506, "ar": 181490, "fi": 209856},
    "cross-augmented": {"es": 661281, "nl": 661581, "de": 636356, "ar": 797215, "fi": 661056},
}

# Table 5: peers' published F1 (tgt-dev tuned where the paper says so). Order = the paper's rows.
TABLE5_LANGS = ("es", "nl", "de", "ar", "fi")
TABLE5_PEERS: list[dict] = [
    {"group": "with cross-lingual resources", "model": "Tackstrom et al. (2012)",
     "method": "Wiki article induction, parallel corpus", "emb": "-",
     "f1": {"es": (59.30, None), "nl": (58.40, None), "de": (40.40, None)}},
    {"group": "with cross-lingual resources", "model": "Nothman et al. (2013)",
     "method": "Word cluster features", "emb": "-",
     "f1": {"es": (60.55, None), "nl": (61.60, None), "de": (48.10, None)}},
    {"group": "with cross-lingual resources", "model": "Tsai, Mayhew & Roth (2016)",
     "method": "Feature based methods", "emb": "-",
     "f1": {"es": (61.0, None), "nl": (64.00, None), "de": (55.80, None)}},
    {"group": "with cross-lingual resources", "model": "Ni, Dinu & Florian (2017)",
     "method": "parallel corpus, dict", "emb": "polyglot emb.",
     "f1": {"es": (65.10, None), "nl": (65.40, None), "de": (58.50, None)}},
    {"group": "with cross-lingual resources", "model": "Mayhew, Tsai & Roth (2017)",
     "method": "Cheap Translation, multi-lingual", "emb": "-",
     "f1": {"es": (65.95, None), "nl": (66.50, None), "de": (59.11, None)}},
    {"group": "with cross-lingual resources", "model": "Mayhew, Tsai & Roth (2017)",
     "method": "Cheap Translation, english-only", "emb": "-",
     "f1": {"es": (51.82, None), "nl": (53.94, None), "de": (50.96, None)}},
    {"group": "without cross-lingual resources", "model": "Xie et al. (2018)",
     "method": "Translate (train on translated src)", "emb": "fasttext/MUSE, glove",
     "f1": {"es": (71.03, 0.44), "nl": (71.25, 0.79), "de": (56.90, 0.76)}},
    {"group": "without cross-lingual resources", "model": "Rahimi, Li & Cohn (2019)",
     "method": "Ranking and Retraining", "emb": "fasttext/MUSE",
     "f1": {"es": (71.8, None), "nl": (67.6, None), "de": (59.1, None)}},
    {"group": "without cross-lingual resources", "model": "Chen et al. (2018)",
     "method": "MAN-MoE+CharCNN, multi-lingual", "emb": "fasttext/MUSE",
     "f1": {"es": (71.0, None), "nl": (70.9, None), "de": (56.7, None)}},
    {"group": "without cross-lingual resources", "model": "Chen et al. (2018)",
     "method": "MAN-MoE+CharCNN, multi-lingual", "emb": "fasttext/UMWE",
     "f1": {"es": (73.5, None), "nl": (72.4, None), "de": (56.0, None)}},
]
# The paper's own rows of Table 5 (= Table 4, tgt-dev tuned).
TABLE5_PAPER_OURS = {
    "cross-shared": {lang: TABLE4["cross-shared"][lang]["tgt-dev"][:2] for lang in TABLE5_LANGS},
    "cross-augmented": {lang: TABLE4["cross-augmented"][lang]["tgt-dev"][:2] for lang in TABLE5_LANGS},
}
