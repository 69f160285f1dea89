#!/usr/bin/env bash
# Tables 3-5 grid behind results/: reduced budget on a 2-core CPU machine, supervised reference mapping
# (runs/align/en-XX.supervised from scripts/align_table.py), because the unsupervised mapping collapsed on the shared tables.
cd "$(dirname "$0")/.."
COMMON="--tag supmap --set space.align_suffix=.supervised --set augment.base_seed=1 --epochs 1 --augment-iterations 2 --max-unlabeled 2000 --workers 2 --threads 1"
xner experiment run --lang es --lang nl --lang de --lang ar --lang fi --variant cross-word-nochar --variant cross-word --variant cross-shared --seed 1 $COMMON --deadline 1500
xner experiment run --lang es --lang nl --lang de --lang ar --lang fi --variant cross-augmented --seed 1 $COMMON --deadline 900
xner experiment run --lang es --lang nl --lang de --lang ar --lang fi --variant cross-augmented --seed 2 --seed 3 $COMMON --deadline 900
# Table 3 (Source-Mono, no mapping involved; the tag only groups it with the rows above)
xner experiment run --lang es --lang nl --lang de --lang ar --lang fi --variant source-mono --variant source-mono-nochar --seed 1 --tag supmap --set space.align_suffix=.supervised --set augment.base_seed=1 --epochs 1 --augment-iterations 2 --max-unlabeled 2000 --workers 1 --threads 1 --deadline 1200
