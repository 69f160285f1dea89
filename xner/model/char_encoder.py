"""Character BiLSTM: a word's final forward and backward states form its character feature.

`CharEncoder` is the paper's encoder (characters as written). With `TaggerConfig.char_case="feature"` (ours,
issue 18) it reads every character lower-cased and appends an embedding of the word's case pattern (none /
lower / Title / UPPER / mixed), which training drops out to an "unknown" id: the English cue "capitalised =
name" then lives in one small, droppable vector instead of in every character, and German nouns (all
capitalised) need not look like names. Both the lower-casing and the pattern are computed from the char ids
(`CaseTable`), so batching and the vocabulary stay as they are. `build_char_encoder(config, vocab)` picks one.

`CharFeatureCache` keeps those features per word type for a frozen encoder (inference): the feature
depends only on the word's characters, so a word seen in an earlier batch or request costs no LSTM run.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import numpy as np
import torch
from torch import nn

from xner.model.config import TaggerConfig
from xner.model.sequence import BiLSTM
from xner.model.vocab import PAD, CharVocab

# Case-pattern ids of `CaseCharEncoder` (row 0 is what case dropout substitutes).
UNKNOWN_CASE, NO_CASE, LOWER, TITLE, UPPER, MIXED = range(6)
CASE_PATTERNS = 6
_UNCASED, _LOWER_CHAR, _UPPER_CHAR = 0, 1, 2  # per-character classes


class CharEncoder(nn.Module):
    """Char embeddings (shared across languages) -> BiLSTM (or one shared-weights LSTM) -> (U, 2*hidden)."""

    def __init__(self, n_chars: int, char_dim: int, hidden: int, shared_weights: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(n_chars, char_dim, padding_idx=PAD)
        self.lstm = BiLSTM(char_dim, hidden, shared_weights)
        self.output_dim = 2 * hidden

    @property
    def cache_token(self) -> tuple:
        """Settings besides the parameters that the inference output depends on (part of the cache key)."""
        return ()

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """chars (U, L) char ids, lengths (U,) -> (U, 2*hidden)."""
        x = self.embedding(chars)  # (U, L, char_dim)
        _, final = self.lstm(x, lengths, outputs=False)  # (U, 2H)
        return final

    def encode_words(self, vocab: CharVocab, words: Sequence[str]) -> torch.Tensor:
        """Features of word strings (U,) -> (U, output_dim), on the encoder's device."""
        chars, lengths = char_ids(vocab, words)
        return self(chars.to(self.embedding.weight.device), lengths)


class CaseTable:
    """Per char id of a `CharVocab`: the id of its lower-case form and its class (uncased / lower / upper).

    A character whose lower-case form is not one character of the vocabulary keeps its own id (it is then
    still classed upper, so the case pattern sees it); PAD and the unknown character are uncased."""

    def __init__(self, vocab: CharVocab):
        n = len(vocab)
        self.lower = np.arange(n, dtype=np.int64)  # (n_chars,)
        self.kind = np.full(n, _UNCASED, dtype=np.int64)  # (n_chars,)
        for char, i in vocab.index.items():
            if char.isupper():
                self.kind[i] = _UPPER_CHAR
                self.lower[i] = vocab.index.get(char.lower(), i)
            elif char.islower():
                self.kind[i] = _LOWER_CHAR


def case_patterns(kind: torch.Tensor) -> torch.Tensor:
    """(U, L) per-character classes (PAD = uncased) -> (U,) case-pattern ids: NO_CASE (no cased letter),
    LOWER, TITLE (first cased letter the only upper one, e.g. "Berlin", "A", "(Paris"), UPPER ("EU"), MIXED."""
    upper = (kind == _UPPER_CHAR).sum(1)  # (U,)
    lower = (kind == _LOWER_CHAR).sum(1)  # (U,)
    first = kind.gather(1, (kind != _UNCASED).int().argmax(1, keepdim=True))[:, 0]  # (U,) class of first cased letter
    out = torch.full_like(upper, MIXED)
    out[(upper == 1) & (first == _UPPER_CHAR)] = TITLE
    out[(upper >= 2) & (lower == 0)] = UPPER
    out[upper == 0] = LOWER
    out[(upper + lower) == 0] = NO_CASE
    return out


class CaseCharEncoder(CharEncoder):
    """The char BiLSTM over lower-cased characters, plus a case-pattern embedding: (U, 2*hidden + case_dim). (ours)

    Training: each word type's pattern becomes UNKNOWN_CASE with probability `case_dropout` (one draw per type
    and batch, from torch's RNG). Inference (eval mode): `case_inference="expected"` feeds the training-time
    mean (1-p) E[pattern] + p E[unknown], so p = 1 ignores the case and p = 0 is a plain case feature;
    "unknown" feeds E[unknown] alone. The lower-casing tables are buffers built from the vocabulary (not saved).
    """

    def __init__(self, vocab: CharVocab, char_dim: int, hidden: int, shared_weights: bool = False,
                 case_dim: int = 5, case_dropout: float = 0.5, case_inference: str = "expected"):
        super().__init__(len(vocab), char_dim, hidden, shared_weights)
        table = CaseTable(vocab)
        self.register_buffer("lower_ids", torch.from_numpy(table.lower), persistent=False)  # (n_chars,)
        self.register_buffer("char_kinds", torch.from_numpy(table.kind), persistent=False)  # (n_chars,)
        self.case_embedding = nn.Embedding(CASE_PATTERNS, case_dim)
        self.case_dropout = case_dropout
        self.case_inference = case_inference
        self.output_dim = 2 * hidden + case_dim

    @property
    def cache_token(self) -> tuple:
        return (self.case_dropout, self.case_inference)

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """chars (U, L) char ids as written, lengths (U,) -> (U, 2*hidden + case_dim)."""
        final = super().forward(self.lower_ids[chars], lengths)  # (U, 2H)
        patterns = case_patterns(self.char_kinds[chars])  # (U,)
        p = self.case_dropout
        if self.training:
            if p > 0:
                dropped = torch.rand(patterns.shape, device=patterns.device) < p  # (U,)
                patterns = patterns.masked_fill(dropped, UNKNOWN_CASE)
            case = self.case_embedding(patterns)  # (U, case_dim)
        elif self.case_inference == "unknown" or p == 1.0:
            case = self.case_embedding.weight[UNKNOWN_CASE].expand(len(patterns), -1)  # (U, case_dim)
        else:
            case = (1.0 - p) * self.case_embedding(patterns) + p * self.case_embedding.weight[UNKNOWN_CASE]
        return torch.cat([final, case], dim=-1)


def build_char_encoder(config: TaggerConfig, vocab: CharVocab) -> CharEncoder:
    """The char encoder `config` asks for (`config.char_case`), over `vocab`'s characters."""
    if config.char_case == "feature":
        return CaseCharEncoder(vocab, config.char_dim, config.char_hidden, config.shared_weights,
                               config.case_dim, config.case_dropout, config.case_inference)
    return CharEncoder(len(vocab), config.char_dim, config.char_hidden, config.shared_weights)


def char_ids(vocab: CharVocab, words: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """PAD-padded char ids (U, L) and lengths (U,) of word strings (every word non-empty)."""
    encoded = [vocab.encode(w) for w in words]
    lengths = np.fromiter((len(c) for c in encoded), dtype=np.int64, count=len(encoded))  # (U,)
    chars = np.full((len(encoded), int(lengths.max())), PAD, dtype=np.int64)  # (U, L)
    for row, ids in zip(chars, encoded):
        row[: len(ids)] = ids
    return torch.from_numpy(chars), torch.from_numpy(lengths)


class CharFeatureCache:
    """Bounded LRU of word type -> char feature row, for one `CharEncoder` used without gradients. (ours)

    `features(encoder, vocab, words)` runs the encoder only on the words it has not seen (in one padded
    batch) and gathers the rest. Every row is dropped as soon as any encoder parameter changes: the
    cache key is each parameter's storage pointer and in-place version counter, which an optimiser step,
    `load_state_dict` or `.to(device)` all change (a write through `param.data` bypasses the version
    counter: call `clear()` after one; nothing in xner writes that way), plus the encoder's `cache_token` (settings
    such as the case-feature inference rule). `capacity` word types (65,536 x 50 floats = 13 MB
    for the paper's 25+25 char hidden) bound the memory; the least recently used type is evicted first.
    Not thread-safe: callers serialise model calls (as `xner serve`'s batcher does).
    """

    def __init__(self, capacity: int = 65536):
        if capacity < 1:
            raise ValueError("the char feature cache needs a capacity of at least 1")
        self.capacity = capacity
        self._slots: OrderedDict[str, int] = OrderedDict()  # word -> row of _rows, least recent first
        self._rows: torch.Tensor | None = None  # (allocated, feature_dim)
        self._key: tuple | None = None
        self._encoder: nn.Module | None = None
        self._params: list[torch.Tensor] = []
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._slots)

    def clear(self) -> None:
        self._slots.clear()
        self._rows = None
        self._key = None

    def _state_key(self, encoder: nn.Module) -> tuple:
        if encoder is not self._encoder:  # parameters() walks the module tree: do it once per encoder
            self._encoder, self._params = encoder, list(encoder.parameters())
        token = getattr(encoder, "cache_token", ())  # e.g. case dropout / inference settings
        return (id(encoder), token) + tuple((p.data_ptr(), p._version) for p in self._params)

    def features(self, encoder: CharEncoder, vocab: CharVocab, words: Sequence[str]) -> torch.Tensor:
        """(U, feature_dim) features of U distinct word strings, equal to `encoder.encode_words(vocab, words)`."""
        key = self._state_key(encoder)
        if key != self._key:
            self.clear()
            self._key = key
        if len(words) > self.capacity:  # cannot hold them all at once: no caching for this call
            self.misses += len(words)
            return encoder.encode_words(vocab, words)
        slots = self._slots
        missing = []
        for i, word in enumerate(words):
            if word in slots:
                slots.move_to_end(word)
            else:
                missing.append(i)
        self.hits += len(words) - len(missing)
        self.misses += len(missing)
        if missing:
            new = encoder.encode_words(vocab, [words[i] for i in missing])  # (M, D)
            targets = []
            for i in missing:  # this call's hits were just moved to the recent end: never evicted here
                if len(slots) < self.capacity:
                    slot = len(slots)
                else:
                    slot = slots.popitem(last=False)[1]
                slots[words[i]] = slot
                targets.append(slot)
            self._store(torch.tensor(targets, dtype=torch.int64, device=new.device), new)
        index = torch.tensor([slots[w] for w in words], dtype=torch.int64, device=self._rows.device)
        return self._rows[index]  # (U, D)

    def _store(self, targets: torch.Tensor, rows: torch.Tensor) -> None:
        needed = int(targets.max()) + 1
        if self._rows is not None and self._rows.is_inference() and not torch.is_inference_mode_enabled():
            self._rows = self._rows.clone()  # rows filled under inference_mode (training's evaluations) are
            # read-only outside it: a later no_grad prediction would fail writing its misses
        if self._rows is None or self._rows.shape[0] < needed:
            size = min(self.capacity, max(needed, 2 * (0 if self._rows is None else self._rows.shape[0]), 1024))
            grown = rows.new_empty((size, rows.shape[1]))
            if self._rows is not None:
                grown[: self._rows.shape[0]] = self._rows
            self._rows = grown
        self._rows[targets] = rows
