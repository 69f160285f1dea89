"""Character BiLSTM: a word's final forward and backward states form its character feature."""

from __future__ import annotations

import torch
from torch import nn

from xner.model.sequence import BiLSTM
from xner.model.vocab import PAD


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
