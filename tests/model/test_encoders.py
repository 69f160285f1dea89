"""The padded BiLSTM equals torch's packed bidirectional LSTM; shared weights halve the LSTM parameters."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from xner.model.sequence import BiLSTM


def test_bilstm_matches_packed_bidirectional_lstm():
    torch.manual_seed(0)
    ours = BiLSTM(5, 4)
    ref = nn.LSTM(5, 4, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ref, f"{name}_l0").copy_(getattr(ours.forward_lstm, f"{name}_l0"))
            getattr(ref, f"{name}_l0_reverse").copy_(getattr(ours.backward_lstm, f"{name}_l0"))
    lengths = torch.tensor([3, 6, 1, 4])
    x = torch.randn(4, 6, 5)
    out, final = ours(x, lengths)
    packed_out, (h_n, _) = ref(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    ref_out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=6)
    assert torch.allclose(out, ref_out, atol=1e-6)
    assert torch.allclose(final, torch.cat([h_n[0], h_n[1]], -1), atol=1e-6)


def test_shared_bilstm_is_one_lstm_read_both_ways():
    torch.manual_seed(0)
    shared = BiLSTM(5, 4, shared=True)
    unshared = BiLSTM(5, 4)
    assert sum(p.numel() for p in shared.parameters()) * 2 == sum(p.numel() for p in unshared.parameters())
    lengths = torch.tensor([3, 5])
    x = torch.randn(2, 5, 5)
    out, _ = shared(x, lengths)
    # Backward half at token t of sequence 0 = forward LSTM run on the reversed sequence.
    rev = x[0, :3].flip(0)[None]
    rev_out, _ = shared.forward_lstm(rev)
    assert torch.allclose(out[0, :3, 4:], rev_out[0].flip(0), atol=1e-6)
    assert torch.all(out[0, 3:] == 0)  # padding stays zero


def test_unpadded_and_fused_paths_are_bit_identical_and_not_saved():
    """No padding: flip instead of gather (with gradients) and one fused bidirectional call (without)."""
    torch.manual_seed(0)
    ours = BiLSTM(5, 4)
    x = torch.randn(3, 6, 5)
    full = torch.tensor([6, 6, 6])
    padded_out, padded_final = ours(torch.cat([x, torch.zeros(1, 6, 5)]), torch.tensor([6, 6, 6, 2]))
    flip_out, flip_final = ours(x, full)  # gradients on: flip path
    with torch.no_grad():
        fused_out, fused_final = ours(x, full)
    assert torch.equal(flip_out, padded_out[:3]) and torch.equal(flip_final, padded_final[:3])
    assert torch.equal(fused_out, flip_out.detach()) and torch.equal(fused_final, flip_final.detach())
    assert set(ours.state_dict()) == {f"{d}_lstm.{n}" for d in ("forward", "backward")
                                      for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")}
    with torch.no_grad():  # the fused call follows in-place weight changes (same parameter objects)
        ours.backward_lstm.weight_hh_l0.mul_(2)
        again, _ = ours(x, full)
    assert torch.equal(again, ours(x, full)[0].detach())
