"""What exact resumption needs: RNG states, weights files, and the metrics log cut back to a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from xner.io import atomic_path


def rng_state(shuffle_rng: np.random.Generator) -> dict:
    """torch (CPU, and CUDA when used) and the loop's numpy Generator."""
    state = {"torch": torch.get_rng_state(), "numpy": json.dumps(shuffle_rng.bit_generator.state)}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict, shuffle_rng: np.random.Generator) -> None:
    torch.set_rng_state(state["torch"])
    shuffle_rng.bit_generator.state = json.loads(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_weights(state: dict[str, torch.Tensor], path: Path) -> None:
    from safetensors.torch import save_file

    with atomic_path(path) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(tmp))


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path))


def save_checkpoint(path: Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def read_metrics(path: Path) -> list[dict]:
    """The eval records of a metrics.jsonl; a last line cut by a kill is dropped (everything before it is good)."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return out


def append_metrics(path: Path, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def truncate_metrics(path: Path, step: int) -> None:
    """Drop log lines written after the checkpoint we resume from (they are redone)."""
    records = [r for r in read_metrics(path) if r["step"] <= step]
    with atomic_path(path) as tmp:
        tmp.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
