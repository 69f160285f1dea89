"""Make `docs/serve.png`: the `xner serve` page tagging a real Spanish sentence, in headless Chromium.

    python scripts/serve_screenshot.py [--model DIR] [--out docs/serve.png]

Without `--model` it first trains the tagger it shows (kept in `--work`, reused on a second run): the
paper's architecture on the Spanish CoNLL-2002 training split (`--epochs`, seed 1, model selected on
Spanish dev). That is a *monolingual supervised* model (Table 2 setting), not a zero-resource one;
pass `--model` to show any other saved tagger (e.g. a Cross-Augmented one). The sentence is sentence
`--index` (0-based) of the Spanish test split, detokenised for display; the default, 691, was picked
for holding PER, LOC and ORG entities in one readable sentence.
A JSON next to the PNG records the command, model, sentence, gold and shown entities, and machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path


def pick_sentence(index: int):
    from xner.data.registry import load_split

    return load_split("es", "test")[index]


def detokenise(tokens) -> str:
    text = " ".join(tokens)
    text = re.sub(r" ([,.;:)?!])", r"\1", text)
    return re.sub(r"([(¿¡]) ", r"\1", text)


def train_model(work: Path, epochs: int) -> Path:
    import torch

    from xner.data.registry import load_split
    from xner.embeddings.io import load_embeddings
    from xner.model.config import TaggerConfig, TrainConfig
    from xner.model.tagger import build_tagger
    from xner.training.trainer import train

    model_dir = work / "run" / "best-dev"
    if (model_dir / "config.json").is_file():
        return model_dir
    train_set, dev = load_split("es", "train"), load_split("es", "dev")
    torch.manual_seed(1)
    model = build_tagger(TaggerConfig(), {"es": load_embeddings("es")}, train_set, "IOBES")
    train(model, train_set, TrainConfig(epochs=epochs, seed=1), work / "run", eval_sets={"dev": (dev, "es")},
          resume=True)
    return model_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="A saved tagger folder (default: train one, see above).")
    parser.add_argument("--work", type=Path, default=Path("runs/serve_screenshot"), help="Where the default model is trained.")
    parser.add_argument("--epochs", type=int, default=3, help="Epochs of the default model (paper: 30).")
    parser.add_argument("--index", type=int, default=691, help="Sentence of es/test.txt to tag (0-based).")
    parser.add_argument("--out", type=Path, default=Path("docs/serve.png"))
    args = parser.parse_args()

    from xner.data.registry import split_path
    from xner.experiments.provenance import git_info, machine_info
    from xner.io import write_json_atomic
    from xner.serve.process import serve_process, tag_in_browser

    index = args.index
    sent = pick_sentence(index)
    text = detokenise(sent.tokens)
    if args.model:
        model_dir, model_info = args.model, {"path": str(args.model)}
    else:
        model_dir = train_model(args.work, args.epochs)
        model_info = {"path": str(model_dir), "trained_by": "scripts/serve_screenshot.py",
                      "setting": f"monolingual supervised Spanish (es train, {args.epochs} epochs, seed 1, "
                                 "selected on es dev; paper architecture)"}
    config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    model_info["best"] = config.get("best")
    with serve_process([f"es={model_dir}"]) as url:
        shown = tag_in_browser(url, text, lang="es", screenshot=args.out)
    from seqeval.metrics.sequence_labeling import get_entities

    gold = [{"type": t, "text": " ".join(sent.tokens[a : b + 1])} for t, a, b in get_entities(list(sent.tags))]
    write_json_atomic(args.out.with_suffix(".json"), {
        "what": f"{args.out}: the xner serve page (headless Chromium) tagging a Spanish test sentence",
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "sentence": {"data": str(split_path("es", "test")), "index": index, "text": text},
        "gold_entities": gold,
        "shown_entities": shown["entities"],
        "status_line": shown["status"],
        "model": model_info,
        "machine": machine_info("cpu"),
        "git": git_info(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    print(f"wrote {args.out}: {shown['status']}", file=sys.stderr)


if __name__ == "__main__":
    main()
