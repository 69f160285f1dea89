"""Sentences -> padded tensors, encoded once per corpus so that building a batch is pure numpy gathering.

`EncodedCorpus(sentences, lang, vocab)` looks every token up once (word row, word type, tag id).
`corpus.batch(indices, device)` gathers a `Batch`: word rows (B, T), a mask, and the characters of
the batch's *unique* word types (U, L) so the char LSTM runs once per type, not once per token.
`make_batch(sentences, lang, vocab, device)` does both for a one-off list.
`inference_batch(token_lists, lang, vocab, device)` is the lean builder for tagging: no gold tags and
no char ids, only the batch's unique word strings (`type_words`), which the tagger looks up in its char
feature cache (`xner.model.char_encoder.CharFeatureCache`); a few Python lookups instead of the numpy
gathers, which cost more than the model itself for one short sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from xner.data.conll import Sentence
from xner.errors import XnerError
from xner.model.vocab import PAD, UNK, TaggerVocab


@dataclass
class Batch:
    """One padded batch; every tensor except the two length vectors lives on the model's device."""

    lang: str
    word_rows: torch.Tensor  # (B, T) rows of the word matrix, PAD beyond each length
    mask: torch.Tensor  # (B, T) bool, True on real tokens (left-aligned)
    lengths: torch.Tensor  # (B,) int64 on CPU (what pack_padded_sequence wants)
    chars: torch.Tensor | None  # (U, L) char ids of the batch's unique word types, PAD-padded (None: from type_words)
    char_lengths: torch.Tensor | None  # (U,) int64 on CPU
    token_types: torch.Tensor  # (B, T) index into the U unique types (0 on padding)
    tags: torch.Tensor | None  # (B, T) gold tag ids (0 on padding), or None
    indices: np.ndarray  # (B,) positions of these sentences in their corpus
    type_words: Sequence[str] | None = None  # (U,) the unique word types as strings (keys of the char cache)

    @property
    def size(self) -> int:
        return int(self.lengths.shape[0])


class EncodedCorpus:
    """A list of sentences of ONE language looked up once; `with_tags=False` ignores the tags."""

    def __init__(self, sentences: Sequence[Sentence], lang: str, vocab: TaggerVocab, with_tags: bool = True):
        self.sentences = list(sentences)
        self.lang = lang
        lengths = np.fromiter((len(s) for s in self.sentences), dtype=np.int64, count=len(self.sentences))
        if len(lengths) and lengths.min() == 0:
            raise XnerError("empty sentences cannot be encoded; drop them first")
        self.lengths = lengths  # (N,)
        self.starts = np.zeros(len(lengths), dtype=np.int64)  # (N,)
        if len(lengths):
            self.starts[1:] = np.cumsum(lengths)[:-1]
        tokens = [w for s in self.sentences for w in s.tokens]
        # Word types: one id per distinct token string (the char LSTM sees strings, not embedding rows).
        type_index: dict[str, int] = {}
        self.token_types = np.fromiter(
            (type_index.setdefault(w, len(type_index)) for w in tokens), dtype=np.int64, count=len(tokens)
        )  # (total_tokens,)
        types = list(type_index)
        self.types = types  # (n_types,) strings
        self.word_rows = vocab.words.rows(tokens, lang)  # (total_tokens,)
        type_rows = vocab.words.rows(types, lang)
        self.type_in_vocab = type_rows != UNK  # (n_types,) True where the word has an embedding (exact or lower)
        encoded = [vocab.chars.encode(w) for w in types]
        self.type_char_len = np.fromiter((len(c) for c in encoded), dtype=np.int64, count=len(encoded))
        self.type_char_start = np.zeros(len(encoded), dtype=np.int64)
        if len(encoded):
            self.type_char_start[1:] = np.cumsum(self.type_char_len)[:-1]
        self.type_chars = np.fromiter((c for cs in encoded for c in cs), dtype=np.int64)  # flat
        self.tags = None
        if with_tags:
            self.tags = np.fromiter(
                (t for s in self.sentences for t in vocab.tags.encode(s.tags)), dtype=np.int64, count=len(tokens)
            )

    def __len__(self) -> int:
        return len(self.sentences)

    def batch(self, indices: Sequence[int] | np.ndarray, device: str | torch.device = "cpu") -> Batch:
        indices = np.asarray(indices, dtype=np.int64)
        lengths = self.lengths[indices]  # (B,)
        width = int(lengths.max())
        steps = np.arange(width, dtype=np.int64)
        mask = steps[None, :] < lengths[:, None]  # (B, T)
        flat = np.where(mask, self.starts[indices][:, None] + steps[None, :], 0)  # (B, T) token positions
        word_rows = np.where(mask, self.word_rows[flat], PAD)  # (B, T)
        types = self.token_types[flat]  # (B, T)
        unique, inverse = np.unique(types[mask], return_inverse=True)  # (U,), (n_tokens,)
        token_types = np.zeros_like(types)
        token_types[mask] = inverse
        char_len = self.type_char_len[unique]  # (U,)
        char_width = int(char_len.max())
        char_steps = np.arange(char_width, dtype=np.int64)
        char_mask = char_steps[None, :] < char_len[:, None]  # (U, L)
        char_pos = np.where(char_mask, self.type_char_start[unique][:, None] + char_steps[None, :], 0)
        chars = np.where(char_mask, self.type_chars[char_pos] if len(self.type_chars) else 0, PAD)  # (U, L)
        tags = None
        if self.tags is not None:
            tags = torch.from_numpy(np.where(mask, self.tags[flat], 0)).to(device)
        return Batch(
            lang=self.lang,
            word_rows=torch.from_numpy(word_rows).to(device),
            mask=torch.from_numpy(mask).to(device),
            lengths=torch.from_numpy(lengths),
            chars=torch.from_numpy(chars).to(device),
            char_lengths=torch.from_numpy(char_len),
            token_types=torch.from_numpy(token_types).to(device),
            tags=tags,
            indices=indices,
            type_words=[self.types[u] for u in unique.tolist()],
        )

    def oov_token_mask(self) -> np.ndarray:
        """(total_tokens,) True where the token has no embedding row (neither exact nor lower-cased)."""
        return ~self.type_in_vocab[self.token_types]

    def batches_in_order(self, batch_size: int, device: str | torch.device = "cpu", sort: bool = True):
        """Batches for evaluation/prediction; sorted by length so padding stays small."""
        order = np.argsort(-self.lengths, kind="stable") if sort else np.arange(len(self))
        for start in range(0, len(order), batch_size):
            yield self.batch(order[start : start + batch_size], device)


def make_batch(
    sentences: Sequence[Sentence], lang: str, vocab: TaggerVocab, device: str | torch.device = "cpu", with_tags: bool = True
) -> Batch:
    """Encode and batch a small list of sentences in one call."""
    corpus = EncodedCorpus(sentences, lang, vocab, with_tags=with_tags)
    return corpus.batch(np.arange(len(corpus)), device)


def inference_batch(
    token_lists: Sequence[Sequence[str]], lang: str, vocab: TaggerVocab, device: str | torch.device = "cpu"
) -> Batch:
    """A tag-free `Batch` of non-empty token lists with `type_words` and no char ids (see the module docstring).

    Same word rows and mask as `EncodedCorpus(...).batch(...)`; types are numbered by first occurrence."""
    lengths = [len(tokens) for tokens in token_lists]
    if min(lengths) == 0:
        raise XnerError("empty sentences cannot be encoded; drop them first")
    type_index: dict[str, int] = {}
    add = type_index.setdefault
    types = np.fromiter((add(w, len(type_index)) for tokens in token_lists for w in tokens), dtype=np.int64,
                        count=sum(lengths))  # (n_tokens,)
    type_words = list(type_index)
    rows = vocab.words.rows(type_words, lang)[types]  # (n_tokens,): one lookup per type
    width = max(lengths)
    if len(token_lists) == 1:
        word_rows, token_types = rows[None], types[None]  # (1, T)
        mask = np.ones((1, width), dtype=bool)
    else:
        mask = np.arange(width)[None, :] < np.asarray(lengths)[:, None]  # (B, T)
        word_rows = np.full(mask.shape, PAD, dtype=np.int64)
        word_rows[mask] = rows
        token_types = np.zeros(mask.shape, dtype=np.int64)
        token_types[mask] = types
    return Batch(
        lang=lang,
        word_rows=torch.from_numpy(word_rows).to(device),
        mask=torch.from_numpy(mask).to(device),
        lengths=torch.tensor(lengths, dtype=torch.int64),
        chars=None,
        char_lengths=None,
        token_types=torch.from_numpy(token_types).to(device),
        tags=None,
        indices=np.arange(len(token_lists)),
        type_words=type_words,
    )
