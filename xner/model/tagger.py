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
- `Tagger.decode_tokens(token_lists, lang)` -> the same paths as `decode` on a batch of those sentences,
  by the frozen fast path (see `decode_tokens`); `fast_tokens_path()` says whether it applies;
- `build_tagger(config, tables, train, scheme, ...)` builds vocabularies, word matrix and model at once;
- `count_parameters(model)` -> parameters excluding the word embeddings (paper Table 4's count).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from xner.data.conll import Sentence
from xner.errors import XnerError
from xner.model.batching import Batch
from xner.model.char_encoder import CharEncoder, CharFeatureCache, build_char_encoder, char_ids
from xner.model.config import TaggerConfig
from xner.model.crf import CRF
from xner.model.scorer import Dropout, TagScorer
from xner.model.sequence import recurrence_numpy
from xner.model.vocab import PAD, TaggerVocab
from xner.model.word_encoder import WordEncoder


class Tagger(nn.Module):
    def __init__(self, config: TaggerConfig, vocab: TaggerVocab, word_vectors: np.ndarray | torch.Tensor,
                 char_cache_size: int = 65536, gate_cache_size: int = 16384):
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
        # lang -> word type -> the word BiLSTM's input-gate pre-activations (8 * word_hidden floats; 16,384
        # types = 52 MB at the paper's sizes, (ours)); see `decode_tokens`.
        self.gate_cache_size = gate_cache_size
        self.gate_caches: dict[str, CharFeatureCache] = {}
        self.__dict__["_gate_inputs"] = _GateInputs(self)  # outside the module tree (no state_dict entries)

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


    def fast_tokens_path(self) -> bool:
        """Whether `decode_tokens` may run: frozen here (eval mode, no gradients) on the CPU."""
        return not self.training and not torch.is_grad_enabled() and self.device.type == "cpu"

    def decode_tokens(self, token_lists: Sequence[Sequence[str]], lang: str) -> list[list[int]]:
        """Viterbi paths of non-empty token lists, as `decode` on a batch of them, for a frozen model
        (`fast_tokens_path()`). The word BiLSTM's input projection of each word type (word vector and
        char feature through W_ih, plus biases) comes from `gate_caches[lang]` (computed once per type:
        for the missing types in one matrix product), the recurrence and the dense + output layers run in
        numpy (`xner.model.sequence.recurrence_numpy`), then `crf.decode`. Dropout is off in eval mode,
        so this is the model's maths; float32 sums run in another order than torch's (tested: same tags)."""
        lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))  # (B,)
        if len(lengths) == 0 or lengths.min() == 0:
            raise XnerError("empty sentences cannot be encoded; drop them first")
        type_index: dict[str, int] = {}
        add = type_index.setdefault
        flat = np.fromiter((add(w, len(type_index)) for tokens in token_lists for w in tokens), dtype=np.int64,
                           count=int(lengths.sum()))  # (n_tokens,) type of each token
        cache = self.gate_caches.get(lang)
        if cache is None:
            if not self.vocab.words.has(lang):
                self.vocab.words.rows([], lang)  # raises the located "no word vectors" error
            cache = self.gate_caches[lang] = CharFeatureCache(self.gate_cache_size)
        # The cache's rows must be normal tensors: filled under torch.inference_mode (training's evaluation),
        # inference tensors could not be updated in place by a later call outside it.
        with torch.inference_mode(False), torch.no_grad():
            gates = cache.features(self.__dict__["_gate_inputs"], lang, list(type_index)).numpy()  # (U, 8H)
        hidden = self.word_encoder.lstm.hidden
        width = int(lengths.max())
        if len(lengths) == 1:
            mask = np.ones((1, width), dtype=bool)
            per_token = gates[flat]  # (T, 8H)
            steps = np.empty((width, 2, 1, 4 * hidden), dtype=gates.dtype)
            steps[:, 0, 0] = per_token[:, : 4 * hidden]
            steps[:, 1, 0] = per_token[::-1, 4 * hidden :]
        else:
            mask = np.arange(width)[None, :] < lengths[:, None]  # (B, T)
            types = np.zeros(mask.shape, dtype=np.int64)
            types[mask] = flat
            types_t = types.T  # (T, B)
            index = np.empty((width, 2, len(lengths)), dtype=np.int64)  # rows of gates viewed as (2U, 4H)
            np.multiply(types_t, 2, out=index[:, 0])
            np.multiply(types_t[::-1], 2, out=index[:, 1])
            index[:, 1] += 1
            steps = gates.reshape(-1, 4 * hidden)[index]  # (T, 2, B, 4H)
        w_hh, layers = self._numpy_weights()
        features = recurrence_numpy(steps, lengths, w_hh)  # (T, B, 2H)
        emissions = _numpy_scores(features, layers).transpose(1, 0, 2)  # (B, T, n_tags)
        return self.crf.decode(torch.from_numpy(emissions), torch.from_numpy(mask))

    def _numpy_weights(self) -> tuple:
        """(w_hh (2, H, 4H), then (weight, bias) numpy views of the scorer's layers); rebuilt when any changes."""
        lstm, scorer = self.word_encoder.lstm, self.scorer
        modules = (lstm.forward_lstm, lstm.backward_lstm, scorer.dense, scorer.output)  # direct: no module-tree walk
        key = tuple((p.data_ptr(), p._version) for m in modules if m is not None for p in m._parameters.values())
        if self.__dict__.get("_numpy_key") != key:
            w_hh = self.word_encoder.lstm.recurrence_weights()[2].cpu().numpy()
            layers = [self.scorer.dense, self.scorer.output] if self.scorer.dense is not None else [self.scorer.output]
            arrays = [(lay.weight.detach().numpy().T, lay.bias.detach().numpy()) for lay in layers]
            self.__dict__["_numpy_weights_value"] = (w_hh, arrays)
            self.__dict__["_numpy_key"] = key
        return self.__dict__["_numpy_weights_value"]


def _numpy_scores(features: np.ndarray, layers: list) -> np.ndarray:
    """`TagScorer` in eval mode (no dropout) on numpy features (..., 2H) -> (..., n_tags), with the
    (weight transposed, bias) layers of `Tagger._numpy_weights()[1]`."""
    x = features.reshape(-1, features.shape[-1])  # one matrix product per layer
    for i, (weight, bias) in enumerate(layers):
        x = x @ weight
        x += bias
        if i < len(layers) - 1:
            np.tanh(x, out=x)
    return x.reshape(features.shape[:-1] + (x.shape[-1],))


CHAR_GROUP = 256  # (ours) new words per numpy char recurrence call in `_GateInputs`


class _GateInputs:
    """What `CharFeatureCache` needs of an encoder, for the word BiLSTM's per-type input projection:
    `parameters()` (the cache is dropped when any of them changes) and `encode_words(lang, words)`.

    The missing types' char features run in numpy too (`recurrence_numpy` on a per-character table of
    the char LSTM's input projection), since a request's few new words would otherwise pay torch's
    per-call cost of the char BiLSTM. Once per char-weights version they are checked against
    `CharEncoder.encode_words` (the reference); if they differ (a char encoder that computes something
    else), the reference is used from then on."""

    def __init__(self, tagger: Tagger):
        self.tagger = tagger
        self._char_key: tuple | None = None
        self._char_tables: tuple | None = None  # (table (n_chars, 8C), w_hh (2, C, 4C)) for numpy features
        self._char_checked = False

    def parameters(self) -> list[torch.Tensor]:
        t = self.tagger
        return [t.word_embedding.weight] + list(t.char_encoder.parameters() if t.char_encoder is not None else []) \
            + list(t.word_encoder.lstm.parameters())

    def encode_words(self, lang: str, words: Sequence[str]) -> torch.Tensor:
        """(U, 8H) input-gate pre-activations [forward ; backward] of word strings (`BiLSTM.recurrence_weights`)."""
        t = self.tagger
        rows = t.vocab.words.rows(words, lang)  # first: it may grow the matrix (tag-time subword vectors)
        x = t.word_embedding.weight.detach().numpy()[rows]  # (U, word_dim)
        if t.char_encoder is not None:
            x = np.concatenate([x, self._char_features(words)], axis=1)  # (U, D)
        w_ih, bias = t.word_encoder.lstm.recurrence_weights()[:2]
        gates = x @ w_ih.numpy().T
        gates += bias.numpy()
        return torch.from_numpy(gates)  # (U, 8H)

    def _char_features(self, words: Sequence[str]) -> np.ndarray:
        """(U, 2C) char features of word strings, equal to `char_encoder.encode_words` (see the class docstring)."""
        t = self.tagger
        encoder = t.char_encoder
        if type(encoder) is not CharEncoder:  # e.g. the case-robust encoder: its own output, no numpy copy of it
            return encoder.encode_words(t.vocab.chars, words).numpy()
        key = tuple((p.data_ptr(), p._version) for p in encoder.parameters())
        if key != self._char_key:
            w_ih, bias, w_hh = encoder.lstm.recurrence_weights()
            table = torch.addmm(bias, encoder.embedding.weight.detach(), w_ih.t()).numpy()  # (n_chars, 8C)
            self._char_key, self._char_tables, self._char_checked = key, (table, w_hh.numpy()), False
        if self._char_tables is None:
            return encoder.encode_words(t.vocab.chars, words).numpy()
        table, w_hh = self._char_tables
        four = table.shape[1] // 2
        hidden = four // 4
        features = np.empty((len(words), 2 * hidden), dtype=table.dtype)
        # Words of similar length together (groups of CHAR_GROUP, by string length): one long word in an
        # evaluation batch would otherwise pad every word's recurrence to its length.
        order = sorted(range(len(words)), key=lambda i: len(words[i]))
        for start in range(0, len(order), CHAR_GROUP):
            group = order[start : start + CHAR_GROUP]
            chars, lengths = (a.numpy() for a in char_ids(t.vocab.chars, [words[i] for i in group]))  # (G, L), (G,)
            index = np.empty((chars.shape[1], 2, len(group)), dtype=np.int64)  # rows of the table as (2 n_chars, 4C)
            np.multiply(chars.T, 2, out=index[:, 0])
            np.multiply(chars.T[::-1], 2, out=index[:, 1])
            index[:, 1] += 1
            out = recurrence_numpy(table.reshape(-1, four)[index], lengths, w_hh)  # (L, G, 2C)
            # [forward state at the last char ; backward state at the first char]
            features[group, :hidden] = out[lengths - 1, np.arange(len(group)), :hidden]
            features[group, hidden:] = out[0, :, hidden:]
        if not self._char_checked:
            reference = encoder.encode_words(t.vocab.chars, words).numpy()
            self._char_checked = True
            if reference.shape != features.shape or not np.allclose(features, reference, rtol=1e-4, atol=1e-5):
                self._char_tables = None
                return reference
        return features


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
