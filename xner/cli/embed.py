"""`xner embed ...`: train, inspect and measure monolingual embedding tables."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

embed_app = typer.Typer(help="Monolingual word embeddings: train, inspect, measure coverage.", no_args_is_help=True)


def _command_line() -> str:
    return shlex.join(["xner", *sys.argv[1:]])


@embed_app.command("train")
def train(
    corpus: Path = typer.Argument(..., help="Raw text, .txt or .txt.gz, one sentence or paragraph per line."),
    out: Path = typer.Option(..., "--out", "-o", help="Output prefix: writes OUT.npy, OUT.vocab, OUT.json."),
    dim: int = typer.Option(300, help="Vector size."),
    window: int = typer.Option(5, help="Context window."),
    min_count: int = typer.Option(5, help="Ignore words rarer than this."),
    min_n: int = typer.Option(3, help="Shortest character n-gram."),
    max_n: int = typer.Option(6, help="Longest character n-gram."),
    epochs: int = typer.Option(5, help="Passes over the corpus."),
    sample: float = typer.Option(1e-4, help="Down-sampling threshold for frequent words."),
    bucket: int = typer.Option(2_000_000, help="Hash buckets for character n-grams (lower = less memory)."),
    seed: int = typer.Option(1, help="Random seed."),
    workers: int = typer.Option(1, help="Training threads (1 = reproducible)."),
    max_vocab: Optional[int] = typer.Option(None, help="Write only the most frequent N words (default: all)."),
    keep_words_from: Optional[list[Path]] = typer.Option(
        None, "--keep-words-from", help="CoNLL/tokenised file whose words are also written when in the model vocabulary."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Train fastText skip-gram embeddings (gensim) on raw text and write them in xner's binary form."""
    from xner.data.conll import read_conll
    from xner.embeddings.io import npy_path_for
    from xner.embeddings.train import FastTextConfig, train_fasttext

    config = FastTextConfig(
        dim=dim, window=window, min_count=min_count, min_n=min_n, max_n=max_n, epochs=epochs,
        sample=sample, bucket=bucket, seed=seed, workers=workers, max_vocab=max_vocab,
    )  # fmt: skip
    keep = [tok for path in keep_words_from or () for s in read_conll(path, require_tags=False) for tok in s.tokens]
    meta = train_fasttext(corpus, out, config, keep_words=keep, show_progress=progress, command=_command_line())
    print(
        f"wrote {npy_path_for(out)} (+ .vocab, .json): {meta['written']} words x {dim} d "
        f"(model vocabulary {meta['model_vocab']}, {meta['tokens']} tokens, {meta['train_seconds']} s)"
    )


@embed_app.command("neighbours")
def neighbours(
    table: str = typer.Argument(..., help="Language code of a shared table (es) or a .npy / .vec path."),
    word: str = typer.Argument(..., help="Query word (exact, else lower-cased)."),
    k: int = typer.Option(10, "-k", help="How many neighbours."),
    max_vocab: Optional[int] = typer.Option(None, help="Search only the most frequent N words."),
) -> None:
    """Print the nearest neighbours of WORD by cosine similarity."""
    from rich.console import Console
    from rich.table import Table

    from xner.embeddings.io import load_embeddings
    from xner.embeddings.neighbours import nearest_neighbours

    emb = load_embeddings(table, max_vocab=max_vocab)
    result = Table(title=f"nearest neighbours of {word!r} in {table} ({len(emb)} words)")
    result.add_column("rank", justify="right")
    result.add_column("word")
    result.add_column("cosine", justify="right")
    for rank, (other, sim) in enumerate(nearest_neighbours(emb, word, k), start=1):
        result.add_row(str(rank), other, f"{sim:.3f}")
    Console().print(result)


@embed_app.command("coverage")
def coverage(
    lang: Optional[list[str]] = typer.Option(None, "--lang", help="Languages (default: all)."),
    out: Path = typer.Option(Path("results/embeddings.md"), "--out", help="Markdown report; the JSON goes next to it."),
    max_vocab: Optional[int] = typer.Option(None, help="Use only the most frequent N words of each table."),
) -> None:
    """Share of NER tokens (train/dev/test) covered by each shared table, exactly and after lower-casing."""
    from xner.data.registry import LANGUAGES
    from xner.embeddings.report import coverage_report, json_path_for, render_markdown
    from xner.io import write_json_atomic, write_text_atomic

    report = coverage_report(tuple(lang) if lang else LANGUAGES, max_vocab=max_vocab, command=_command_line())
    write_json_atomic(json_path_for(out), report)
    write_text_atomic(out, render_markdown(report))
    print(f"wrote {out} and {json_path_for(out)}")


@embed_app.command("import")
def import_(
    source: str = typer.Argument(
        ..., help="A fastText .bin model, a spaCy vectors / vocab / pipeline folder, or an installed spaCy package."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output prefix: writes OUT.npy, OUT.vocab, OUT.json."),
    vocab: Optional[Path] = typer.Option(
        None, "--vocab", help="Words to write first, in this order (one a line, e.g. a table's .vocab)."
    ),
    top: Optional[int] = typer.Option(
        None, "--top", min=1, help="Also the N most frequent words (of --corpus, else of the source's word list)."
    ),
    corpus: Optional[list[Path]] = typer.Option(
        None, "--corpus", help="Unlabelled text (.txt/.gz) whose token counts rank the --top words (repeatable)."
    ),
    include: Optional[list[Path]] = typer.Option(
        None, "--include", help="NER (CoNLL) or text file: every token of it is written (repeatable)."
    ),
) -> None:
    """Write spaCy (floret or plain) or fastText .bin vectors in xner's binary form, for a vocabulary you choose."""
    from xner.embeddings.io import npy_path_for
    from xner.embeddings.subword import import_table

    meta = import_table(source, out, vocab, top, corpus or (), include or (), command=_command_line())
    chosen = meta["vocabulary"]
    print(
        f"wrote {npy_path_for(out)} (+ .vocab, .json): {meta['written']} words x {meta['dim']} d from {meta['kind']} "
        f"({chosen['from_vocab']} from --vocab, {chosen['from_top']} top, {chosen['from_include']} more from "
        f"--include; {chosen['dropped_without_vector']} without a vector)"
    )


@embed_app.command("attach")
def attach(
    model: Path = typer.Argument(..., help="A saved tagger folder (or a training run folder: its best-* tagger)."),
    source: str = typer.Option(
        ..., "--source", help="The fastText .bin / spaCy vectors folder / installed spaCy package the table came from."
    ),
    lang: Optional[str] = typer.Option(
        None, "--lang", help="Language whose OOV words get subword vectors (default: the model's)."
    ),
    align: Optional[Path] = typer.Option(
        None, "--align", help="The `xner align` folder the model's tables were mapped with (none: raw vectors)."
    ),
    direction: Optional[str] = typer.Option(
        None, "--direction", help="s2t or t2s, as in training (default: the direction the mapping was trained in)."
    ),
) -> None:
    """Record in MODEL that `xner tag` gives words outside its vocabulary their subword vector, mapped by the same W."""
    from xner.model.persistence import load_model, resolve_model_dir
    from xner.model.vocab import attach_subwords

    folder = resolve_model_dir(model)
    oov = attach_subwords(load_model(folder), folder, source, lang, align, direction)
    how = "as they are (no mapping)"
    if align is not None:
        how = f"normalised as for the mapping ({oov.normalize})"
        how += f", then mapped by W ({oov.info['direction']})" if oov.W is not None else ""
    print(f"{folder}: {oov.lang} words outside the vocabulary now get {oov.info['kind']} subword vectors, {how}")


@embed_app.command("info")
def info(table: str = typer.Argument(..., help="Language code of a shared table or a .npy / .vec path.")) -> None:
    """Load a table (a .vec is converted to the binary cache once) and print its size and load time."""
    import time

    from xner.embeddings.io import load_embeddings

    started = time.perf_counter()
    emb = load_embeddings(table)
    seconds = time.perf_counter() - started
    print(f"{emb.name}: {len(emb)} words x {emb.dim} d ({emb.vectors.dtype}), loaded in {seconds:.2f} s")


def register(app: typer.Typer) -> None:
    app.add_typer(embed_app, name="embed")
