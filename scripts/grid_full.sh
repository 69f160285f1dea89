#!/usr/bin/env bash
# Cells at the paper's full budget (30 epochs, all unlabelled target sentences, up to 30 Cross-Augmented
# iterations with patience 3) on this 2-core machine, with the supervised reference mapping (tag supmap,
# like results/table4.md). Results: results/experiments/full/, rendered into results/supplementary/full/.
# Length-bucketed batches (train.length_buckets=20) make a base cell about 50 min on one busy core here.
# Resumable: finished cells are skipped and a cut cell continues from its checkpoint.
# Usage: bash scripts/grid_full.sh LANG [SEEDS...]   e.g. bash scripts/grid_full.sh es 1 2 3
# Each phase stops at DEADLINE seconds (default 6600), or at the clock time UNTIL (e.g. UNTIL=14:55) if given.
set -eu
cd "$(dirname "$0")/.."
LANG_=${1:?language}; shift; SEEDS=("${@:-1}")
SET="--tag supmap --set space.align_suffix=.supervised --set train.length_buckets=20 --set augment.base_seed=1 --threads 1"
deadline() { if [ -n "${UNTIL:-}" ]; then echo $(( $(date -d "$UNTIL" +%s) - $(date +%s) )); else echo "${DEADLINE:-6600}"; fi; }
# The three base variants (seed 1), then Cross-Augmented from them, two cells at a time.
xner experiment run --lang "$LANG_" --variant cross-word-nochar --variant cross-word --variant cross-shared --seed 1 \
  $SET --workers "${WORKERS:-2}" --deadline "$(deadline)"
xner experiment run --lang "$LANG_" --variant cross-augmented $(printf -- "--seed %s " "${SEEDS[@]}") \
  $SET --workers "${WORKERS:-2}" --deadline "$(deadline)"
xner experiment table --tag supmap --only full --out results/supplementary/full
