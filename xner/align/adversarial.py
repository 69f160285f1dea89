"""Adversarial training of a linear map W against an MLP discriminator (MUSE's `Trainer`, eq. 3-4 of the paper).

The discriminator learns to tell mapped source vectors (label 1 - smooth) from
target vectors (label smooth); W learns to fool it (flipped labels), and is
pulled back towards orthogonality after every step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from xner.align.config import AdversarialConfig


class Discriminator(nn.Module):
    """MLP: input dropout, `layers` hidden LeakyReLU(0.2) layers, sigmoid output (MUSE)."""

    def __init__(self, dim: int, config: AdversarialConfig):
        super().__init__()
        modules: list[nn.Module] = [nn.Dropout(config.dis_input_dropout)]
        for i in range(config.dis_layers + 1):
            in_dim = dim if i == 0 else config.dis_hid_dim
            out_dim = 1 if i == config.dis_layers else config.dis_hid_dim
            modules.append(nn.Linear(in_dim, out_dim))
            if i < config.dis_layers:
                modules += [nn.LeakyReLU(0.2), nn.Dropout(config.dis_dropout)]
        self.layers = nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, D) -> (B,)
        return torch.sigmoid(self.layers(x)).view(-1)


class AdversarialTrainer:
    """Holds W, the discriminator and their SGD optimisers; one `epoch()` is `epoch_size` samples."""

    def __init__(self, src: np.ndarray, tgt: np.ndarray, config: AdversarialConfig, init: np.ndarray, seed: int):
        self.config = config
        self.generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        self.src = torch.from_numpy(np.ascontiguousarray(src[: config.dis_most_frequent], dtype=np.float32))  # (Ns, D)
        self.tgt = torch.from_numpy(np.ascontiguousarray(tgt[: config.dis_most_frequent], dtype=np.float32))  # (Nt, D)
        dim = self.src.shape[1]
        self.mapping = nn.Linear(dim, dim, bias=False)
        with torch.no_grad():
            self.mapping.weight.copy_(torch.from_numpy(np.asarray(init, dtype=np.float32)))
        self.discriminator = Discriminator(dim, config)
        self.map_optimizer = torch.optim.SGD(self.mapping.parameters(), lr=config.map_lr)
        self.dis_optimizer = torch.optim.SGD(self.discriminator.parameters(), lr=config.dis_lr)
        bs = config.batch_size
        self.labels = torch.cat([torch.full((bs,), 1.0 - config.dis_smooth), torch.full((bs,), config.dis_smooth)])  # (2B,)
        self.best_criterion = -1e12
        self.decrease_lr = False

    @property
    def lr(self) -> float:
        return float(self.map_optimizer.param_groups[0]["lr"])

    def weight(self) -> np.ndarray:
        return self.mapping.weight.detach().numpy().copy()  # (D, D)

    def _batch(self) -> torch.Tensor:
        bs = self.config.batch_size
        src_ids = torch.randint(0, self.src.shape[0], (bs,), generator=self.generator)
        tgt_ids = torch.randint(0, self.tgt.shape[0], (bs,), generator=self.generator)
        return torch.cat([self.mapping(self.src[src_ids]), self.tgt[tgt_ids]])  # (2B, D)

    def dis_step(self) -> float:
        self.discriminator.train()
        with torch.no_grad():
            x = self._batch()  # (2B, D)
        loss = nn.functional.binary_cross_entropy(self.discriminator(x), self.labels)
        self.dis_optimizer.zero_grad()
        loss.backward()
        self.dis_optimizer.step()
        if self.config.dis_clip_weights > 0:
            with torch.no_grad():
                for p in self.discriminator.parameters():
                    p.clamp_(-self.config.dis_clip_weights, self.config.dis_clip_weights)
        return float(loss.detach())

    def mapping_step(self) -> None:
        if self.config.dis_lambda == 0:
            return
        self.discriminator.eval()
        x = self._batch()  # (2B, D)
        loss = self.config.dis_lambda * nn.functional.binary_cross_entropy(self.discriminator(x), 1.0 - self.labels)
        self.map_optimizer.zero_grad()
        loss.backward()
        self.map_optimizer.step()
        self.orthogonalize()

    def orthogonalize(self) -> None:
        """W <- (1 + beta) W - beta (W W^T) W."""
        beta = self.config.map_beta
        if beta > 0:
            with torch.no_grad():
                w = self.mapping.weight  # (D, D)
                w.copy_((1 + beta) * w - beta * w.mm(w.t().mm(w)))

    def epoch(self, progress: Callable[[int, float], None] | None = None) -> float:
        """Train for `epoch_size` samples; returns the mean discriminator loss."""
        losses: list[float] = []
        n_iters = max(1, self.config.epoch_size // self.config.batch_size)
        for it in range(n_iters):
            for _ in range(self.config.dis_steps):
                losses.append(self.dis_step())
            self.mapping_step()
            if progress is not None and (it + 1) % self.config.log_every == 0:
                progress(it + 1, float(np.mean(losses[-self.config.log_every * self.config.dis_steps :])))
        return float(np.mean(losses)) if losses else float("nan")

    def update_lr(self, criterion: float) -> None:
        """MUSE: decay every epoch; shrink when the criterion drops below its best for the second time."""
        cfg = self.config
        for group in self.map_optimizer.param_groups:
            group["lr"] = max(cfg.min_lr, group["lr"] * cfg.lr_decay)
        if cfg.lr_shrink < 1 and criterion < self.best_criterion:
            if self.decrease_lr:
                for group in self.map_optimizer.param_groups:
                    group["lr"] *= cfg.lr_shrink
            self.decrease_lr = True
        self.best_criterion = max(self.best_criterion, criterion)
