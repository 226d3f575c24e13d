"""The LSTM cell of notebook 08 against PyTorch's nn.LSTMCell."""

from __future__ import annotations

import torch
from torch import nn

from course_utils.sequence import LSTMCell


def test_lstm_cell_equals_nn_lstmcell_over_a_sequence_with_gradients():
    torch.manual_seed(0)
    ref = nn.LSTMCell(3, 5).double()
    ours = LSTMCell.from_torch(ref).double()
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    states = [(torch.randn(4, 5, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64))] * 2
    outs = []
    for cell, (h, c) in zip((ours, ref), states):
        hs = []
        for t in range(7):
            h, c = cell(x[:, t], (h, c))
            hs.append(h)
        outs.append(torch.stack(hs, 1))
        (outs[-1] ** 2).sum().backward()
    assert torch.allclose(outs[0], outs[1], atol=1e-12)
    assert torch.allclose(ours.W_x.grad, ref.weight_ih.grad.T, atol=1e-12)
    assert torch.allclose(ours.W_h.grad, ref.weight_hh.grad.T, atol=1e-12)
    assert torch.allclose(ours.b.grad, ref.bias_ih.grad, atol=1e-12)


def test_forget_bias_raises_only_the_forget_gate():
    torch.manual_seed(1)
    plain = LSTMCell(2, 4)
    torch.manual_seed(1)
    remembering = LSTMCell(2, 4, forget_bias=1.0)
    diff = remembering.b.detach() - plain.b.detach()
    assert torch.allclose(diff, torch.tensor([0.0] * 4 + [1.0] * 4 + [0.0] * 8))
