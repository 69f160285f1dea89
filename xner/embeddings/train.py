"""Train monolingual fastText embeddings (gensim) from raw text, written in xner's binary form.

This is how a user without pretrained vectors gets them; the shared tables were made with
the same recipe (`../shared/data/README.md`). The paper used pretrained `wiki.XX.vec`
fastText vectors (Bojanowski et al. 2017), whose defaults the config below follows.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import platform
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from xner.embeddings.io import save_binary
from xner.errors import XnerError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

# Numbers keep inner . and , (3.5, 1,000,000); words keep inner hyphens and apostrophes
# (don't, so-called); every other non-space character is a token of its own.
TOKEN_PATTERN = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:[-'’]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """CoNLL-like tokens, case preserved: `"Dijo: 3,5 millones."` -> Dijo : 3,5 millones ."""
    return TOKEN_PATTERN.findall(text)


@dataclass
class FastTextConfig:
    """gensim FastText settings; defaults = the shared tables' recipe = fastText's wiki vectors."""

    dim: int = 300  # paper: 300-d fastText wiki.XX.vec
    window: int = 5  # fastText default (wiki vectors)
    min_count: int = 5  # fastText default
    min_n: int = 3  # char n-grams 3-6, fastText default
    max_n: int = 6
    epochs: int = 5  # fastText default
    sample: float = 1e-4  # fastText default
    negative: int = 5  # fastText default
    alpha: float = 0.025  # gensim default learning rate (shared recipe)
    bucket: int = 2_000_000  # fastText default n-gram hash buckets; lower it for small tests
    seed: int = 1  # shared recipe
    workers: int = 1  # (ours) 1 thread = deterministic; more threads are faster but not reproducible
    max_vocab: int | None = None  # (ours) rows written, most frequent first; None = the whole model vocabulary

    def validate(self) -> None:
        for name in ("dim", "window", "min_count", "min_n", "max_n", "epochs", "negative", "bucket", "workers"):
            if getattr(self, name) < 1:
                raise XnerError(f"embedding training: {name} must be at least 1, got {getattr(self, name)}")
        if self.min_n > self.max_n:
            raise XnerError(f"embedding training: min_n ({self.min_n}) > max_n ({self.max_n})")
        if self.max_vocab is not None and self.max_vocab < 1:
            raise XnerError(f"embedding training: max_vocab must be at least 1, got {self.max_vocab}")


def tokenize_corpus(corpus: Path, out: Path, progress: Progress | None = None) -> tuple[int, int]:
    """Write one tokenised line per non-empty input line to `out`; return (lines, tokens)."""
    if not corpus.is_file():
        raise XnerError("no such file", corpus)
    lines = tokens = 0
    size = corpus.stat().st_size
    task = progress.add_task("tokenising", total=size) if progress else None
    with open(corpus, "rb") as raw, open(out, "w", encoding="utf-8") as dst:
        handle = gzip.open(raw, "rb") if corpus.suffix == ".gz" else raw
        for lineno, data in enumerate(handle, start=1):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as err:
                raise XnerError(f"cannot decode byte 0x{data[err.start]:02x} as utf-8", corpus, lineno) from None
            if "\x00" in text:
                raise XnerError("looks like a binary file (NUL byte), not raw text", corpus, lineno)
            toks = tokenize(text)
            if toks:
                dst.write(" ".join(toks) + "\n")
                lines += 1
                tokens += len(toks)
            if progress and lineno % 2000 == 0:
                progress.update(task, completed=raw.tell())
        if progress:
            progress.update(task, completed=size)
    if not lines:
        raise XnerError("corpus holds no text", corpus)
    return lines, tokens


class _CountingCorpus:
    """Re-iterable tokenised sentences (gensim reads them once for the vocabulary, then once per epoch)."""

    def __init__(self, path: Path, progress: Progress | None, task: TaskID | None):
        self.path, self.progress, self.task = path, progress, task

    def __iter__(self) -> Iterator[list[str]]:
        i = 0
        with open(self.path, encoding="utf-8") as handle:
            for i, line in enumerate(handle, start=1):
                if self.progress and i % 1000 == 0:
                    self.progress.advance(self.task, 1000)
                yield line.split()
        if self.progress:
            self.progress.advance(self.task, i % 1000)


def train_fasttext(
    corpus: str | Path,
    out: str | Path,
    config: FastTextConfig | None = None,
    keep_words: Sequence[str] = (),
    show_progress: bool = True,
    command: str | None = None,
) -> dict:
    """Train on `corpus` (`.txt` or `.txt.gz`, one sentence or paragraph per line) and write
    `out.npy` (float16, rows in frequency order), `out.vocab` and `out.json`; return the JSON.

    Rows: the `max_vocab` most frequent words, plus any `keep_words` in the model vocabulary
    (the shared tables kept the top 30,000 plus the NER words seen at least `min_count` times).
    """
    from gensim.models import FastText
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    config = config or FastTextConfig()
    config.validate()
    corpus, out = Path(corpus), Path(out)
    started = time.time()
    progress = (
        Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        if show_progress
        else None
    )
    with tempfile.TemporaryDirectory(prefix="xner-embed-") as tmp, progress or contextlib.nullcontext():
        tokenised = Path(tmp) / "corpus.tok"
        lines, tokens = tokenize_corpus(corpus, tokenised, progress)
        model = FastText(
            vector_size=config.dim,
            window=config.window,
            min_count=config.min_count,
            sg=1,  # skip-gram, as the fastText wiki vectors
            min_n=config.min_n,
            max_n=config.max_n,
            sample=config.sample,
            negative=config.negative,
            alpha=config.alpha,
            bucket=config.bucket,
            seed=config.seed,
            workers=config.workers,
        )
        task = progress.add_task("vocabulary", total=lines) if progress else None
        model.build_vocab(corpus_iterable=_CountingCorpus(tokenised, progress, task))
        if not model.wv.index_to_key:
            raise XnerError(f"no word occurs at least min_count={config.min_count} times", corpus)
        task = progress.add_task(f"training ({config.epochs} epochs)", total=lines * config.epochs) if progress else None
        model.train(
            corpus_iterable=_CountingCorpus(tokenised, progress, task),
            total_examples=model.corpus_count,
            epochs=config.epochs,
        )
    vocab = model.wv.index_to_key  # gensim sorts by descending frequency (sorted_vocab=1)
    keep = set(keep_words)
    top = len(vocab) if config.max_vocab is None else config.max_vocab
    rows = [i for i, w in enumerate(vocab) if i < top or w in keep]
    words = [vocab[i] for i in rows]
    seconds = round(time.time() - started, 1)
    meta = {
        "corpus": str(corpus.resolve()),
        "lines": lines,
        "tokens": tokens,
        "model_vocab": len(vocab),
        "written": len(words),
        "kept_extra": len(rows) - min(top, len(vocab)),
        "train_seconds": seconds,
        "tool": "gensim FastText",
        "gensim": _gensim_version(),
        "tokenizer": TOKEN_PATTERN.pattern,
        "params": {**asdict(config), "sg": 1},
        "command": command,
        "machine": {"node": platform.node(), "cpus": os.cpu_count()},
    }
    save_binary(out, words, model.wv.vectors[rows], meta)
    return meta


def _gensim_version() -> str:
    import gensim

    return gensim.__version__
