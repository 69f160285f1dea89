"""Word-level BiLSTM over [word vector ; char feature], or one shared-weights LSTM run both ways."""

from __future__ import annotations

import torch
from torch import nn

from xner.model.sequence import BiLSTM


class WordEncoder(nn.Module):
    """(B, T, input_dim) -> (B, T, 2*hidden): [forward ; backward] states at every token."""

    def __init__(self, input_dim: int, hidden: int, shared_weights: bool = False):
        super().__init__()
        self.lstm = BiLSTM(input_dim, hidden, shared_weights)
        self.output_dim = 2 * hidden

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x (B, T, D), lengths (B,) -> (B, T, 2H), zeros on padding."""
        out, _ = self.lstm(x, lengths)
        return out  # (B, T, 2H)
