#!/usr/bin/env bash
# Regenerate the committed figures (results/fig2_length.*, fig3_tsne.*, align_curve.*) from the runs they
# were made from. Each step reads trained models under runs/ (a figure never trains one) and fails naming what is
# missing and the `xner experiment run` line that makes it. `xner plot NAME --from-csv` redraws a PNG from its
# committed CSV without any run.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1

# Criterion per adversarial epoch / refinement iteration of the unsupervised runs
# (made by `xner align table --langs XX --modes unsupervised`, see results/align.json).
xner plot align --align-root runs/align

# Fig. 2: Cross-Shared source models of the e1-a2-u2000 grid on the supervised reference mappings
# (the unsupervised mappings collapsed for every pair; see results/align_curve.png).
xner plot fig2 --budget e1-a2-u2000 --tag supmap --set space.align_suffix=.supervised

# Fig. 3: the Cross-Augmented model of the es smoke grid on the supervised reference mapping.
xner plot fig3 --config xner/experiments/grids/smoke-es.json --tag supmap --set space.align_suffix=.supervised
