"""Recurrent cells written out (notebook 08): the LSTM cell with its four gates.

:class:`LSTMCell` computes, for an input ``x`` (batch, input_size) and a state ``(h, c)``,

    z = x W_x + h W_h + b,   split into four parts i, f, g, o
    i = sigmoid(.)  input gate      f = sigmoid(.)  forget gate
    g = tanh(.)     candidate       o = sigmoid(.)  output gate
    c' = f * c + i * g              h' = o * tanh(c')

in PyTorch's gate order, so :meth:`LSTMCell.from_torch` can copy an ``nn.LSTMCell`` and give the
same numbers. The cell state ``c`` is changed by a multiplication with ``f`` and an addition: with
``f`` near 1 it carries information over many steps.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["LSTMCell"]


class LSTMCell(nn.Module):
    """One LSTM step; ``forward(x, (h, c))`` returns the new ``(h, c)``.

    Weights start as PyTorch's do (uniform in ``±1/sqrt(hidden_size)``); ``forget_bias`` is added
    to the forget gate's bias (1.0 is a common choice: the cell starts out remembering).
    """

    def __init__(self, input_size: int, hidden_size: int, forget_bias: float = 0.0) -> None:
        super().__init__()
        bound = hidden_size**-0.5
        self.W_x = nn.Parameter(torch.empty(input_size, 4 * hidden_size).uniform_(-bound, bound))
        self.W_h = nn.Parameter(torch.empty(hidden_size, 4 * hidden_size).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-bound, bound))
        with torch.no_grad():
            self.b[hidden_size : 2 * hidden_size] += forget_bias

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h, c = state
        z = x @ self.W_x + h @ self.W_h + self.b
        i, f, g, o = z.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c

    @classmethod
    def from_torch(cls, cell: nn.LSTMCell) -> LSTMCell:
        """A copy of PyTorch's ``nn.LSTMCell`` (its weights are stored transposed, two biases)."""
        ours = cls(cell.input_size, cell.hidden_size)
        with torch.no_grad():
            ours.W_x.copy_(cell.weight_ih.T)
            ours.W_h.copy_(cell.weight_hh.T)
            ours.b.copy_(cell.bias_ih + cell.bias_hh)
        return ours
