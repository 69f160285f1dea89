"""The base tagger (METHOD.md section 2): [word vector ; char BiLSTM feature] -> dropout -> word BiLSTM
-> dense tanh -> tag scores -> linear-chain CRF.

API used by the transfer stage:
- `Tagger.features(batch)` -> (B, T, 2*word_hidden): word BiLSTM outputs (the encoder features);
- `Tagger.emissions(features)` -> (B, T, n_tags);
- `Tagger.loss(batch)` -> CRF negative log-likelihood (mean over the batch by default);
- `Tagger.decode(batch, fast=True)` -> Viterbi paths (tag ids, cut to each length); `fast=False` is the
  old path (no char feature cache, torch Viterbi), kept so that benchmarks measure both in one run;
- `Tagger.char_cache`: a `CharFeatureCache` of word-type char features, used whenever the model runs
  in eval mode without gradients (`capacity` = `char_cache_size`; dropped when any char weight changes);
- `build_tagger(config, tables, train, scheme, ...)` builds vocabularies, word matrix and model at once;
- `count_parameters(model)` -> parameters excluding the word embeddings (paper Table 4's count).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from xner.data.conll import Sentence
from xner.model.batching import Batch
from xner.model.char_encoder import CharFeatureCache, build_char_encoder
from xner.model.config import TaggerConfig
from xner.model.crf import CRF
from xner.model.scorer import Dropout, TagScorer
from xner.model.vocab import PAD, TaggerVocab
from xner.model.word_encoder import WordEncoder


class Tagger(nn.Module):
    def __init__(self, config: TaggerConfig, vocab: TaggerVocab, word_vectors: np.ndarray | torch.Tensor,
                 char_cache_size: int = 65536):
        super().__init__()
        self.config = config
        self.vocab = vocab
        vectors = torch.as_tensor(np.asarray(word_vectors, dtype=np.float32))  # (rows, word_dim)
        if vectors.shape[0] != vocab.words.n_rows:
            raise ValueError(f"word matrix has {vectors.shape[0]} rows, the word index {vocab.words.n_rows}")
        # Fine-tuned vectors get sparse gradients: a batch touches a few hundred of ~40,000 rows.
        self.word_embedding = nn.Embedding.from_pretrained(
            vectors, freeze=not config.finetune_embeddings, padding_idx=PAD, sparse=config.finetune_embeddings
        )
        input_dim = vectors.shape[1]
        self.char_encoder = None
        if config.use_char:
            self.char_encoder = build_char_encoder(config, vocab.chars)
            input_dim += self.char_encoder.output_dim
        self.char_cache = CharFeatureCache(char_cache_size) if self.char_encoder is not None else None
        self.input_dropout = Dropout(config.dropout)
        self.word_encoder = WordEncoder(input_dim, config.word_hidden, config.shared_weights)
        self.scorer = TagScorer(self.word_encoder.output_dim, len(vocab.tags), config.dense_dim, config.dropout)
        self.crf = CRF(len(vocab.tags), boundary=config.crf_boundary)

    @property
    def feature_dim(self) -> int:
        return self.word_encoder.output_dim

    @property
    def device(self) -> torch.device:
        return self.scorer.output.weight.device

    @property
    def default_lang(self) -> str:
        return self.vocab.default_lang

    def token_inputs(self, batch: Batch, use_cache: bool = True) -> torch.Tensor:
        """[word vector ; char feature] per token, before dropout: (B, T, word_dim [+ 2*char_hidden]).

        The char features come from `char_cache` when the model is frozen here (eval mode, no gradients)
        and the batch names its word types; otherwise the char BiLSTM runs on the batch's types."""
        words = self.word_embedding(batch.word_rows)  # (B, T, word_dim)
        if self.char_encoder is None:
            return words
        frozen = not self.training and not torch.is_grad_enabled()
        if batch.type_words is not None and (batch.chars is None or (use_cache and frozen)):
            if frozen:
                per_type = self.char_cache.features(self.char_encoder, self.vocab.chars, batch.type_words)  # (U, 2C)
            else:
                per_type = self.char_encoder.encode_words(self.vocab.chars, batch.type_words)  # (U, 2C)
        else:
            per_type = self.char_encoder(batch.chars, batch.char_lengths)  # (U, 2C)
        chars = per_type[batch.token_types]  # (B, T, 2C)
        return torch.cat([words, chars], dim=-1)  # (B, T, word_dim + 2C)

    def features(self, batch: Batch, use_cache: bool = True) -> torch.Tensor:
        """Encoder outputs (B, T, 2*word_hidden); zeros on padding."""
        x = self.input_dropout(self.token_inputs(batch, use_cache))  # (B, T, D)
        return self.word_encoder(x, batch.lengths)  # (B, T, 2H)

    def emissions(self, features: torch.Tensor) -> torch.Tensor:
        return self.scorer(features)  # (B, T, n_tags)

    def loss(self, batch: Batch, reduction: str = "mean") -> torch.Tensor:
        if batch.tags is None:
            raise ValueError("batch has no gold tags")
        return self.crf.nll(self.emissions(self.features(batch)), batch.tags, batch.mask, reduction)

    @torch.no_grad()
    def decode(self, batch: Batch, fast: bool = True) -> list[list[int]]:
        if not fast:  # the old path: char BiLSTM on every batch, torch Viterbi
            return self.crf.decode_torch(self.emissions(self.features(batch, use_cache=False)), batch.mask)
        return self.crf.decode(self.emissions(self.features(batch)), batch.mask)


def build_tagger(
    config: TaggerConfig,
    tables: Mapping,
    train: Sequence[Sentence],
    scheme: str = "IOBES",
    char_texts: Iterable[Sequence[Sentence]] = (),
    default_lang: str | None = None,
) -> Tagger:
    """Vocabularies (chars from `train` + `char_texts`, tags from `train` in `scheme`, words from
    `tables` = {lang: EmbeddingTable}) and a freshly initialised model. Seed torch first for determinism."""
    vocab, matrix = TaggerVocab.build(tables, train, scheme, char_texts, config.word_lookup, default_lang)
    return Tagger(config, vocab, matrix)


def count_parameters(model: nn.Module, word_embeddings: bool = False, merge_lstm_biases: bool = False) -> int:
    """Number of parameters, by default without the word embeddings (as the paper's Table 4 counts).

    `merge_lstm_biases=True` counts PyTorch's two LSTM bias vectors (bias_ih + bias_hh, which only ever
    act as their sum) as one, the convention of the paper's counts.
    """
    total = 0
    for name, param in model.named_parameters():
        if not word_embeddings and "word_embedding" in name:
            continue
        if merge_lstm_biases and ".bias_hh_" in name:
            continue
        total += param.numel()
    return total
