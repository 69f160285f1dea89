"""Fetch official fastText vectors (the paper's inputs) and turn them into xner's binary cache.

Why its own module: the shared tables on this project's machines are small stand-ins for
`wiki.XX.vec`; users with internet can get the real ones with one command
(`xner download vectors es`). Downloads resume from a `.part` file with an HTTP `Range`
request, retry when the connection drops, check the size against `Content-Length` (and a
sha256 when one is given), and only then rename the file into place. Only the standard
library is used for HTTP (urllib).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from xner.errors import XnerError
from xner.io import cache_dir

# Official fastText locations (https://fasttext.cc/docs/en/pretrained-vectors.html, crawl-vectors.html).
FASTTEXT_URLS = {
    "wiki": "https://dl.fbaipublicfiles.com/fasttext/vectors-wiki/wiki.{lang}.vec",  # the paper's vectors
    "cc": "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.{lang}.300.vec.gz",
}
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z]+)?$")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")

# progress(downloaded_bytes, total_bytes_or_None) after every chunk
ProgressFn = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class DownloadConfig:
    """How a download behaves (all values ours)."""

    chunk_size: int = 1 << 20  # bytes per read
    timeout: float = 60.0  # seconds without data before the connection counts as dropped
    retries: int = 5  # automatic resumes after a dropped connection, within one call
    retry_wait: float = 2.0  # seconds before a resume (doubles each time)


def vectors_url(lang: str, kind: str = "wiki") -> str:
    if kind not in FASTTEXT_URLS:
        raise XnerError(f"unknown vector kind {kind!r}; choose one of {', '.join(FASTTEXT_URLS)}")
    if not _LANG.match(lang):
        raise XnerError(f"{lang!r} does not look like a language code (e.g. es, nl, de, ar, fi)")
    return FASTTEXT_URLS[kind].format(lang=lang)


def vectors_dir() -> Path:
    path = cache_dir() / "vectors"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _file_name(url: str) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    return name or "download"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Dropped(Exception):
    """The connection ended before the announced size; resumable."""


def _open(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": "xner-download/1"}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (user-chosen URL, http/https only)


def _fetch_once(url: str, part: Path, cfg: DownloadConfig, progress: ProgressFn | None) -> int:
    """Continue `part` from its current size; return the total size. Raises `_Dropped` on a short transfer."""
    offset = part.stat().st_size if part.exists() else 0
    try:
        response = _open(url, offset, cfg.timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset > 0:
            # Range starts at or past the end: the .part may already be complete; the caller checks its size.
            total = _total_from_content_range(err.headers.get("Content-Range"))
            if total is not None and total == offset:
                return total
            part.unlink()  # inconsistent with the server's file: start over
            raise _Dropped("server refused the resume range; restarting from byte 0") from None
        if err.code >= 500:  # the server's trouble, often passing: retry like a dropped connection
            raise _Dropped(f"HTTP {err.code} {err.reason}") from None
        raise XnerError(f"HTTP {err.code} {err.reason} for {url}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise _Dropped(f"cannot connect: {reason}") from None

    with response:
        if response.status == 206:
            content_range = response.headers.get("Content-Range")
            match = _CONTENT_RANGE.match(content_range or "")
            if not match or int(match.group(1)) != offset:
                raise XnerError(f"server answered a resume with an unexpected range {content_range!r}", url)
            total = int(match.group(3)) if match.group(3) != "*" else None
            mode = "ab"
        else:
            # 200: the server ignored Range (or there was nothing to resume); write from byte 0.
            offset = 0
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None else None
            mode = "wb"
        done = offset
        if progress:
            progress(done, total)
        with open(part, mode) as out:
            while True:
                try:
                    block = response.read(cfg.chunk_size)
                except (http.client.IncompleteRead, OSError, socket.timeout) as err:
                    raise _Dropped(f"connection dropped after {done} bytes: {err}") from None
                if not block:
                    break
                out.write(block)
                done += len(block)
                if progress:
                    progress(done, total)
    if total is not None and done < total:
        raise _Dropped(f"connection closed after {done} of {total} bytes")
    if total is not None and done > total:
        part.unlink()
        raise XnerError(f"received {done} bytes but the server announced {total}; the partial file was removed", url)
    return done


def _total_from_content_range(value: str | None) -> int | None:
    match = re.match(r"bytes \*/(\d+)", value or "")
    return int(match.group(1)) if match else None


def fetch(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    expected_size: int | None = None,
    config: DownloadConfig = DownloadConfig(),
    progress: ProgressFn | None = None,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Download `url` to `dest`, resuming `dest.part` if an earlier call was cut off.

    The file appears at `dest` only when complete and verified (size from the server or
    `expected_size`, and `sha256` if given); a failed check removes the partial file.
    """
    dest = Path(dest)
    if not url.startswith(("http://", "https://")):
        raise XnerError(f"only http:// and https:// URLs can be downloaded, not {url!r}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    wait = config.retry_wait
    attempt = 0
    while True:
        try:
            size = _fetch_once(url, part, config, progress)
            break
        except _Dropped as err:
            if attempt >= config.retries:
                kept = part.stat().st_size if part.exists() else 0
                raise XnerError(
                    f"download interrupted ({err}); {kept} bytes kept in {part.name}; run the command again to resume",
                    url,
                ) from None
            attempt += 1
            if log:
                log(f"{err}; resuming (try {attempt} of {config.retries})")
            time.sleep(wait)
            wait *= 2
    if expected_size is not None and size != expected_size:
        part.unlink()
        raise XnerError(f"size check failed: got {size} bytes, expected {expected_size}; the partial file was removed", url)
    if sha256 is not None:
        got = _sha256(part)
        if got.lower() != sha256.lower():
            part.unlink()
            raise XnerError(f"sha256 check failed: got {got}, expected {sha256}; the partial file was removed", url)
    os.replace(part, dest)
    return dest


def rich_progress(description: str):
    """A context manager yielding a `ProgressFn` that drives a rich download bar."""
    import contextlib

    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    @contextlib.contextmanager
    def manager():
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        ) as bar:
            task = bar.add_task(description, total=None)

            def update(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            yield update

    return manager()


def download_vectors(
    lang: str,
    kind: str = "wiki",
    *,
    url: str | None = None,
    dest_dir: str | Path | None = None,
    sha256: str | None = None,
    convert: bool = True,
    max_vocab: int | None = None,
    force: bool = False,
    config: DownloadConfig = DownloadConfig(),
    progress: ProgressFn | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Fetch fastText vectors for `lang` and (by default) convert them to xner's binary cache.

    Returns {"url", "file", "bytes", "table" (the .npy path or None), "rows", "dim"}. An existing
    complete file is reused unless `force`.
    """
    url = url or vectors_url(lang, kind)
    folder = Path(dest_dir) if dest_dir is not None else vectors_dir()
    dest = folder / _file_name(url)
    if force and dest.exists():
        dest.unlink()
    if not dest.exists():
        fetch(url, dest, sha256=sha256, config=config, progress=progress, log=log)
    elif log:
        log(f"{dest} already downloaded; pass --force to fetch it again")
    result = {"url": url, "file": str(dest), "bytes": dest.stat().st_size, "table": None, "rows": None, "dim": None}
    if convert:
        table_path = convert_vectors(dest, max_vocab=max_vocab)
        from xner.embeddings.io import load_embeddings

        table = load_embeddings(table_path)
        result.update(table=str(table_path), rows=len(table), dim=table.dim)
    return result


def convert_vectors(vec_path: str | Path, max_vocab: int | None = None) -> Path:
    """Parse a `.vec` / `.vec.gz` once into xner's binary cache (`xner.embeddings.io.load_vec`); return its `.npy`.

    Afterwards `load_embeddings(vec_path)` (or the returned `.npy`) loads in seconds, memory-mapped.
    """
    from xner.embeddings.io import load_vec, npy_path_for, vec_cache_prefix

    vec_path = Path(vec_path)
    load_vec(vec_path, max_vocab=max_vocab)
    return npy_path_for(vec_cache_prefix(vec_path, max_vocab))
