#!/usr/bin/env bash
# Full-budget Cross-Augmented cells (seeds 1-3) of one language on a borrowed GPU machine, from base cells trained
# on this CPU (phase 1 of `xner experiment grid xner/experiments/grids/full-supmap.json`). Only the repo travels
# (64 MiB), so the bases' checkpoints, the full embedding tables (the vocabulary must match the bases' exactly: no
# trimming) and the mapping go in a git-ignored .gpu2/.
# Each selection mode starts from its own base checkpoint here (see the cell_info.json plans), so each mode is its
# own process: 9 runs at once instead of 3 cells that run their 3 modes one after another.
#
# Prepare here, e.g. for fi (about 50 MB):
#   G=.gpu2 L=fi; echo /.gpu2/ >> .git/info/exclude; mkdir -p $G/data/ner/{en,$L} $G/data/emb $G/align $G/site
#   cp ../shared/data/ner/en/{train,dev}.txt $G/data/ner/en/; cp ../shared/data/ner/$L/*.txt $G/data/ner/$L/
#   gzip -r $G/data/ner; cp ../shared/data/emb/{en,$L}.{json,vocab,npy} $G/data/emb/; xz -6 -T2 $G/data/emb/*.npy
#   cp -r runs/align/en-$L.supervised $G/align/; cp -r .gpu/site/seqeval $G/site/; git rev-parse HEAD > $G/commit
#   for v in cross-word cross-shared cross-word-nochar; do  # only the bases the plans start from are needed
#     mkdir -p $G/runs/full/$L/$v+supmap/seed1/train; cp runs/experiments/full/$L/$v+supmap/seed1/cell_info.json $G/runs/full/$L/$v+supmap/seed1/
#     cp runs/experiments/full/$L/$v+supmap/seed1/train/{checkpoint.pt,run_config.json,best-*.safetensors} $G/runs/full/$L/$v+supmap/seed1/train/; done
# Run there (carry .gpu2):  OUT=... LANG_=fi END=520 bash scripts/gpu_augmented.sh
# Then here: unpack each ca_MODE.tgz.part* into /tmp/gpuout/MODE, merge with `xner experiment merge-modes` and write
# the results with `xner experiment salvage ... --device cuda --machine "..."` (it marks a cell complete only
# when every run's log shows it stopped by patience or by the iteration budget).
set -u
start=$(date +%s)
el() { echo "[$(( $(date +%s) - start ))s] $*"; }
G=.gpu2 D=/tmp/xdata M=/tmp/m
L=${LANG_:-fi} DEVICE=${DEVICE:-cuda} END=${END:-530}   # END: seconds after the start when the runs stop
rm -rf $D $M && mkdir -p $D && cp -r $G/data/* $D/ && gunzip -rq $D/ner && xz -d -T0 $D/emb/*.xz || exit 1
mkdir -p runs/align && cp -r $G/align/en-$L.supervised runs/align/
export PYTHONPATH=$PWD/$G/site:$PWD PYTHONUNBUFFERED=1 XNER_DATA=$D OMP_NUM_THREADS=1 XNER_GIT_COMMIT=$(cat $G/commit)
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null; nproc --all
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())"
el "data ready"
SET="--tag supmap --set space.align_suffix=.supervised --set train.length_buckets=20 --set augment.base_seed=1"
DL=$(( END - ($(date +%s) - start) ))
for m in tgt-dev src-dev tgt-test; do  # separate results/runs roots: the three processes share no file
  mkdir -p $M/$m/res/full/$L $M/$m/runs/full
  cp -r results/experiments/full/$L/cross-*+supmap $M/$m/res/full/$L/
  cp -r $G/runs/full/$L $M/$m/runs/full/
  python3 -c 'from xner.cli import main; main()' experiment run --lang $L --variant cross-augmented --seed 1 \
    --seed 2 --seed 3 --mode $m $SET --device $DEVICE --workers 3 --threads 1 --deadline $DL \
    --results $M/$m/res --runs $M/$m/runs > $M/$m.log 2>&1 &
done
wait
el "runs stopped"
for m in tgt-dev src-dev tgt-test; do echo "== $m"; grep -v "^ " $M/$m.log | tail -n 8
  grep -h "^iteration" $M/$m/runs/full/$L/cross-augmented+supmap/seed*/*/train.log | tail -n 6
  # checkpoints + logs of the augmented runs, split under the tool's 16 MB per-file limit
  tar czf - -C $M/$m/runs full/$L/cross-augmented+supmap | split -b 15M - "$OUT/ca_$m.tgz.part"
done
tar czf $OUT/logs.tgz -C $M --exclude='*.pt' --exclude='*.safetensors' .
ls -la $OUT; el "done"
