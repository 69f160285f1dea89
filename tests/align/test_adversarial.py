"""The adversarial trainer: MUSE's discriminator shape, orthogonalisation, and learning-rate schedule."""

from __future__ import annotations

import numpy as np
import torch

from xner.align.adversarial import AdversarialTrainer, Discriminator
from xner.align.config import AdversarialConfig, preset


def test_discriminator_shape_and_output():
    config = AdversarialConfig()
    dis = Discriminator(300, config)
    linears = [m for m in dis.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(300, 2048), (2048, 2048), (2048, 1)]
    out = dis(torch.randn(4, 300))
    assert out.shape == (4,) and bool(((out > 0) & (out < 1)).all())


def test_epoch_keeps_w_orthogonal_and_learns():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 16)).astype(np.float32)
    y = rng.standard_normal((500, 16)).astype(np.float32) + 0.5
    config = AdversarialConfig(epoch_size=640, batch_size=32, dis_hid_dim=32, log_every=5)
    trainer = AdversarialTrainer(x, y, config, np.eye(16), seed=0)
    seen = []
    loss = trainer.epoch(lambda it, l: seen.append(it))
    W = trainer.weight()
    assert np.isfinite(loss) and seen[:2] == [5, 10]
    assert not np.allclose(W, np.eye(16))  # the mapping moved
    assert np.abs(W @ W.T - np.eye(16)).max() < 0.05  # and stayed close to orthogonal


def test_lr_schedule_follows_muse():
    trainer = AdversarialTrainer(np.eye(4, dtype=np.float32), np.eye(4, dtype=np.float32),
                                 AdversarialConfig(dis_hid_dim=8), np.eye(4), seed=0)
    trainer.update_lr(0.5)  # best so far: decay only
    assert abs(trainer.lr - 0.098) < 1e-9
    trainer.update_lr(0.4)  # first drop: decay, no shrink yet
    assert abs(trainer.lr - 0.098 * 0.98) < 1e-9
    trainer.update_lr(0.3)  # second drop: decay and shrink by 0.5
    assert abs(trainer.lr - 0.098 * 0.98 * 0.98 * 0.5) < 1e-9


def test_presets():
    muse, cpu = preset("muse"), preset("cpu", method="adversarial")
    assert muse.adversarial.dis_hid_dim == 2048 and muse.adversarial.epoch_size == 1_000_000
    assert muse.refinement.n_iterations == 5 and muse.refinement.dico_max_rank == 15000
    assert muse.method == "adversarial" and cpu.method == "adversarial" and cpu.init == "adversarial"
    assert cpu.adversarial.dis_hid_dim < muse.adversarial.dis_hid_dim
    default = preset("cpu")  # the cpu preset's default: dictionary-free seeds, then stochastic self-learning
    assert default.method == "dictionary-free" and "similarity" in default.seed_families
    similarity = preset("cpu", method="similarity")  # the fully unsupervised self-learning stays selectable
    assert similarity.method == "selflearning" and similarity.init == "similarity"
    assert default.self_learning.cutoff == default.max_vocab  # the criterion is read off the self-learning matrix
    assert preset("muse", method="selflearning").method == "selflearning"
    assert type(default).from_dict(default.to_dict()) == default
    assert preset("cpu", tgt_lang="ar").resolved_direction() == "t2s"
    assert preset("cpu", tgt_lang="es").resolved_direction() == "s2t"
    assert type(cpu).from_dict(cpu.to_dict()) == cpu
