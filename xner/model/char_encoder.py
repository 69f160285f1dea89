"""Character BiLSTM: a word's final forward and backward states form its character feature.

`CharFeatureCache` keeps those features per word type for a frozen encoder (inference): the feature
depends only on the word's characters, so a word seen in an earlier batch or request costs no LSTM run.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import numpy as np
import torch
from torch import nn

from xner.model.sequence import BiLSTM
from xner.model.vocab import PAD, CharVocab


class CharEncoder(nn.Module):
    """Char embeddings (shared across languages) -> BiLSTM (or one shared-weights LSTM) -> (U, 2*hidden)."""

    def __init__(self, n_chars: int, char_dim: int, hidden: int, shared_weights: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(n_chars, char_dim, padding_idx=PAD)
        self.lstm = BiLSTM(char_dim, hidden, shared_weights)
        self.output_dim = 2 * hidden

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """chars (U, L) char ids, lengths (U,) -> (U, 2*hidden)."""
        x = self.embedding(chars)  # (U, L, char_dim)
        _, final = self.lstm(x, lengths, outputs=False)  # (U, 2H)
        return final

    def encode_words(self, vocab: CharVocab, words: Sequence[str]) -> torch.Tensor:
        """Features of word strings (U,) -> (U, 2*hidden), on the encoder's device."""
        chars, lengths = char_ids(vocab, words)
        return self(chars.to(self.embedding.weight.device), lengths)


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
    counter: call `clear()` after one; nothing in xner writes that way). `capacity` word types (65,536 x 50 floats = 13 MB
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
        return (id(encoder),) + tuple((p.data_ptr(), p._version) for p in self._params)

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
        if self._rows is None or self._rows.shape[0] < needed:
            size = min(self.capacity, max(needed, 2 * (0 if self._rows is None else self._rows.shape[0]), 1024))
            grown = rows.new_empty((size, rows.shape[1]))
            if self._rows is not None:
                grown[: self._rows.shape[0]] = self._rows
            self._rows = grown
        self._rows[targets] = rows
