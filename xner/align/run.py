"""Run one alignment into an output folder (what `xner align` does), and re-evaluate a saved one.

Folder layout: `mapping.safetensors` (+ `mapping.json`): W, W^-1, centring
means; `config.json`: the AlignConfig; `log.jsonl`: criterion per epoch /
refinement iteration, restarts; `eval.json`: P@k when a test dictionary
exists; `result.json`: summary (mode, criterion, tries, wall time, machine).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from xner.align.config import AlignConfig
from xner.align.dictionary import identical_strings, read_dictionary
from xner.align.mapping import load_mapping, save_mapping
from xner.align.pipeline import AlignResult, align, supervised_alignment
from xner.embeddings import load_embeddings
from xner.errors import XnerError
from xner.io import data_root, write_json_atomic

MODES = ("unsupervised", "supervised", "identical")


def default_dictionary(src: str, tgt: str, part: str) -> Path | None:
    """`dictionaries/SRC-TGT.PART.txt` under the data folder (part: 5000-6500 test, 0-5000 train), if present."""
    root = data_root()
    path = root / "dictionaries" / f"{src}-{tgt}.{part}.txt" if root else None
    return path if path is not None and path.is_file() else None


def machine() -> dict:
    import torch

    return {"node": platform.node(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform()}


def run_alignment(
    config: AlignConfig,
    out_dir: str | Path,
    mode: str = "unsupervised",
    src_spec: str | None = None,
    tgt_spec: str | None = None,
    test_dictionary: str | Path | None = None,
    train_dictionary: str | Path | None = None,
    progress=None,
    echo=None,
) -> AlignResult:
    """Align `config.src_lang` -> `config.tgt_lang` tables (or the given table specs) and write the folder."""
    if mode not in MODES:
        raise XnerError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    src_table = load_embeddings(src_spec or config.src_lang)
    tgt_table = load_embeddings(tgt_spec or config.tgt_lang)
    if test_dictionary is None:
        test_dictionary = default_dictionary(config.src_lang, config.tgt_lang, "5000-6500")
    write_json_atomic(out_dir / "config.json", {"mode": mode, **config.to_dict()})
    log_path = out_dir / "log.jsonl"
    log_handle = log_path.open("w", encoding="utf-8")

    def log(entry: dict) -> None:
        log_handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        log_handle.flush()
        if echo:
            echo(entry)

    start, cpu_start = time.time(), time.process_time()
    try:
        if mode == "unsupervised":
            result = align(src_table, tgt_table, config, test_dictionary, log, progress)
        else:
            if mode == "supervised":
                train_dictionary = train_dictionary or default_dictionary(config.src_lang, config.tgt_lang, "0-5000")
                if train_dictionary is None:
                    raise XnerError("supervised mode needs --train-dictionary (no default dictionary found)")
                pairs = read_dictionary(train_dictionary, src_table.index, tgt_table.index).pairs
            else:
                pairs = identical_strings(src_table.words, tgt_table.words)
            result = supervised_alignment(src_table, tgt_table, config, pairs, test_dictionary, mode)
            for entry in result.log:
                log(entry)
    finally:
        log_handle.close()
    save_mapping(result.mapping, out_dir)
    if result.evaluation is not None:
        write_json_atomic(out_dir / "eval.json", result.evaluation)
    summary = {
        "src": config.src_lang, "tgt": config.tgt_lang, "mode": mode, "preset": config.preset,
        "method": config.method if mode == "unsupervised" else None,
        "direction": result.mapping.direction, "seed": config.seed, "criterion": round(result.criterion, 5),
        "null_criterion": result.null_criterion, "collapsed": result.collapsed, "tries": result.tries,
        "family": result.family, "candidates": result.candidates,
        "train_dictionary": str(train_dictionary) if mode == "supervised" else None,
        "evaluation": result.evaluation, "seconds": round(time.time() - start, 1),
        "cpu_seconds": round(time.process_time() - cpu_start, 1), "machine": machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # the machine is shared: wall time depends on it
    }
    write_json_atomic(out_dir / "result.json", summary)
    return result


def evaluate_dir(mapping_dir: str | Path, dictionary: str | Path | None = None, src_spec: str | None = None,
                 tgt_spec: str | None = None) -> dict:
    """Re-evaluate a saved mapping folder on a test dictionary (default: the language pair's 5000-6500 file)."""
    from xner.align.csls import unit
    from xner.align.evaluate import translation_precision
    from xner.align.mapping import mapped_tables

    mapping = load_mapping(mapping_dir)
    src_table = load_embeddings(src_spec or mapping.src_lang)
    tgt_table = load_embeddings(tgt_spec or mapping.tgt_lang)
    dictionary = dictionary or default_dictionary(mapping.src_lang, mapping.tgt_lang, "5000-6500")
    if dictionary is None:
        raise XnerError("no test dictionary given and none found for this language pair")
    src, tgt = mapped_tables(src_table, tgt_table, mapping)
    test = read_dictionary(dictionary, src_table.index, tgt_table.index)
    return translation_precision(unit(src.vectors), unit(tgt.vectors), test)
