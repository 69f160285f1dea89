#!/usr/bin/env bash
# Table 4 grid on a borrowed GPU machine (one GPU, 16 CPUs, ~10 minutes, only the repo travels).
#
# Prepare here (git-ignored .gpu/, ~55 MB):
#   xner data pack .gpu/tdata --lang en --lang es --lang nl --lang de --lang ar --lang fi --transfer --max-unlabeled 4000
#   gzip -r .gpu/tdata/ner .gpu/tdata/unlabeled && xz -6 -T2 .gpu/tdata/emb/*.npy
#   for l in es nl de ar fi; do mkdir -p .gpu/align/en-$l.supervised
#     cp runs/align/en-$l.supervised/{mapping.*,result.json,eval.json} .gpu/align/en-$l.supervised/; done
#   cp -r "$(python -c 'import seqeval, os; print(os.path.dirname(seqeval.__file__))')" .gpu/site/  # image lacks it
# Run there (carry .gpu/tdata .gpu/align .gpu/site):  OUT=... bash scripts/gpu_transfer_grid.sh
# Then here: unpack results.tgz's res/<budget>/ into results/experiments/<budget>/ and render the tables.
# Runs behind results/experiments/ (H200, 2026-11-26):
# - e4-a4-u4000 (defaults; results/supplementary/e4-a4-u4000): results.tgz did not exist yet and the result JSONs
#   were lost; they were rebuilt from logs.tgz's run folders with `xner experiment salvage`.
# - e4-a2-u2000 (results/table4.md), commit d7fc2c2: `EPOCHS=4 AUG=2 UNLAB=2000 DEADLINE1=300 DEADLINE2=230`
#   (phase 1 216 s, phase 2 157 s), then on the same machine `PHASES=1 BASE_SEED=2 EPOCHS=4 AUG=2 UNLAB=2000` (211 s).
#
# Phase 1: the three base variants, seed 1, all five languages at once (15 processes).
# Phase 2: Cross-Augmented seeds 1-3 from the seed-1 bases (augment.base_seed=1), 15 processes.
# Budget knobs (env): EPOCHS, AUG, UNLAB, DEADLINE1, DEADLINE2 (seconds from the start of each phase).
set -u
EPOCHS=${EPOCHS:-4} AUG=${AUG:-4} UNLAB=${UNLAB:-4000} DEADLINE1=${DEADLINE1:-290} DEADLINE2=${DEADLINE2:-240}
DEVICE=${DEVICE:-cuda} WORKERS=${WORKERS:-15} THREADS=${THREADS:-1} EXTRA=${EXTRA:-}
PHASES=${PHASES:-"1 2"} BASE_SEED=${BASE_SEED:-1}   # e.g. PHASES=1 BASE_SEED=2: more seeds of the base variants
start=$(date +%s)
el() { echo "[$(( $(date +%s) - start ))s] $*"; }
DATA=${XDATA:-/tmp/xdata}
rm -rf "$DATA" && cp -r .gpu/tdata "$DATA" && gunzip -rq "$DATA" && xz -d -T0 "$DATA"/emb/*.xz
export PYTHONPATH=$PWD/.gpu/site:$PWD PYTHONUNBUFFERED=1 XNER_DATA=$DATA OMP_NUM_THREADS=$THREADS
export XNER_GIT_COMMIT=${XNER_GIT_COMMIT:-$(cat .gpu/commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null; nproc --all
el "data ready"
x() { python3 -c 'from xner.cli import main; main()' "$@"; }
C="--tag supmap --set space.align_root=.gpu/align --set space.align_suffix=.supervised --set train.length_buckets=20 --set augment.base_seed=1
   --epochs $EPOCHS --augment-iterations $AUG --max-unlabeled $UNLAB --device $DEVICE --workers $WORKERS
   --threads $THREADS --results /tmp/res --runs /tmp/runs $EXTRA"
if [[ " $PHASES " == *" 1 "* ]]; then
  el "phase 1: base variants, seed $BASE_SEED"
  x experiment run --lang es --lang nl --lang de --lang ar --lang fi --variant cross-word-nochar --variant cross-word \
    --variant cross-shared --seed "$BASE_SEED" --deadline "$DEADLINE1" $C 2>&1 | grep -v "^ " | tail -40
fi
if [[ " $PHASES " == *" 2 "* ]]; then
  el "phase 2: Cross-Augmented"
  x experiment run --lang es --lang nl --lang de --lang ar --lang fi --variant cross-augmented --seed 1 --seed 2 \
    --seed 3 --deadline "$DEADLINE2" $C 2>&1 | grep -v "^ " | tail -40
fi
el "done"
# The device tool returns only shallow files: results and logs travel as archives.
tar czf "$OUT/results.tgz" -C /tmp res
tar czf "$OUT/logs.tgz" -C /tmp --exclude='*.pt' --exclude='*.safetensors' --exclude='*.npy' runs 2>/dev/null
