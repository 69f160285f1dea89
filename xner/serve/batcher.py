"""Thread-safe access to one read-only tagger, batching the sentences of concurrent requests.

Requests arrive on many threads; only one thread runs the model at a time (a lock), and whichever thread
gets the lock tags every sentence that is waiting at that moment in one `predict` call ("group commit").
No timer and no extra thread: a lone request pays nothing, and under load the waiting requests share
one padded batch, which on CPU is cheaper than one call per request. `predict_if_idle` is the lone
request's shortcut: it tags on the caller's thread (the server's event loop) when the model is free and
nobody waits, so a short request skips the hand-off to a worker thread (issue 21).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol, Sequence


class TokenTagger(Protocol):
    def predict(self, token_lists: Sequence[Sequence[str]], lang: str | None = None) -> list[list[str]]: ...


@dataclass
class _Job:
    sentences: list[list[str]]
    n_tokens: int
    done: threading.Event = field(default_factory=threading.Event)
    tags: list[list[str]] | None = None
    error: BaseException | None = None

    @classmethod
    def of(cls, token_lists: Sequence[Sequence[str]]) -> "_Job":
        return cls([list(t) for t in token_lists], sum(len(t) for t in token_lists))


class BatchingTagger:
    """`predict(token_lists)` for many threads at once on one model and language.

    `max_batch_tokens` caps one model call (a job larger than the cap still runs, alone);
    `batching=False` only serialises the calls (one request per model call), for comparison.
    """

    def __init__(self, tagger: TokenTagger, lang: str | None, max_batch_tokens: int = 8192, batching: bool = True):
        self.tagger = tagger
        self.lang = lang
        self.max_batch_tokens = max_batch_tokens
        self.batching = batching
        self._model_lock = threading.Lock()  # held while the model runs
        self._queue_lock = threading.Lock()  # guards _pending
        self._pending: list[_Job] = []
        self.calls = 0  # model calls made (for the benchmark: requests / calls = mean batch)

    def predict(self, token_lists: Sequence[Sequence[str]]) -> list[list[str]]:
        job = _Job.of(token_lists)
        if not job.sentences:
            return []
        with self._queue_lock:
            self._pending.append(job)
        while not job.done.is_set():
            with self._model_lock:
                if not job.done.is_set():
                    self._run(self._take())
        if job.error is not None:
            raise job.error
        assert job.tags is not None
        return job.tags

    def predict_if_idle(self, token_lists: Sequence[Sequence[str]]) -> list[list[str]] | None:
        """The tags, computed now on this thread, if the model is idle and no request waits; else None.

        Never blocks on the model: a caller that gets None goes through `predict` (from a worker thread)."""
        job = _Job.of(token_lists)
        if not job.sentences:
            return []
        if not self._model_lock.acquire(blocking=False):
            return None
        try:
            with self._queue_lock:
                if self._pending:
                    return None
            self._run([job])
        finally:
            self._model_lock.release()
        if job.error is not None:
            raise job.error
        return job.tags

    def _take(self) -> list[_Job]:
        """The waiting jobs, oldest first, up to the token cap (at least one)."""
        with self._queue_lock:
            if not self.batching:
                return [self._pending.pop(0)]
            taken, tokens = [], 0
            while self._pending and (not taken or tokens + self._pending[0].n_tokens <= self.max_batch_tokens):
                job = self._pending.pop(0)
                taken.append(job)
                tokens += job.n_tokens
            return taken

    def _run(self, jobs: list[_Job]) -> None:
        try:
            try:
                self._predict_into(jobs)
            except Exception:
                if len(jobs) == 1:
                    raise
                for job in jobs:  # one bad request must not fail the others it was batched with
                    try:
                        self._predict_into([job])
                    except Exception as err:
                        job.error = err
        except BaseException as err:  # every waiting request learns of the failure, none hangs
            for job in jobs:
                job.error = err
        finally:
            for job in jobs:
                job.done.set()

    def _predict_into(self, jobs: list[_Job]) -> None:
        flat = [s for job in jobs for s in job.sentences]
        tags = self.tagger.predict(flat, lang=self.lang)
        self.calls += 1
        if len(tags) != len(flat):
            raise RuntimeError(f"the tagger returned {len(tags)} tag sequences for {len(flat)} sentences")
        pos = 0
        for job in jobs:
            job.tags = tags[pos : pos + len(job.sentences)]
            pos += len(job.sentences)
