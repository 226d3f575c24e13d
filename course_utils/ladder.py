"""What each piece of a GPT buys: the rungs of notebook 10's ladder.

Every rung predicts the next character of tiny Shakespeare on the same 90/10 split; the neural
ones train on the same budget (notebook 10's CPU preset) and are scored by the same validation
batches, so their losses can be compared directly.

- :func:`ngram_loss`: count baselines. ``n = 0`` is the uniform guess, ``n = 1`` the unigram
  (character frequencies), ``n = 2`` the bigram, ``n = 3`` the trigram, all with add-``k``
  smoothing, scored on the whole validation stream.
- :class:`BigramLM`: the bigram as a learned table of logits (one row per current character).
- :class:`LadderBlock` and :class:`LadderLM`: token and position embeddings, then attention from
  notebook 09 (:class:`course_utils.attention.MultiHeadAttention`, causal) with switches for the
  feed-forward layer and for residual connections with layer norm. With all switches on and
  several blocks it is notebook 10's GPT.
- :class:`LSTMLanguageModel`: the recurrent network that came before the transformer, an
  embedding, one LSTM layer and a linear head, of about the same size as the CPU GPT.

Every model maps ``idx`` of shape ``(B, T)`` (and optional ``targets``) to ``(logits, loss)``
like :class:`course_utils.gpt.GPT`, so :func:`course_utils.gpt.train` trains any of them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.attention import MultiHeadAttention

__all__ = ["ngram_loss", "BigramLM", "LadderBlock", "LadderLM", "LSTMLanguageModel"]


def ngram_loss(
    train_tokens: Any, val_tokens: Any, n: int, vocab_size: int, k: float = 0.1
) -> float:
    """Mean cross-entropy (nats per character) of an add-``k`` smoothed n-gram model.

    The model counts how often each character follows each context of ``n - 1`` characters in
    ``train_tokens`` and predicts ``p(c | context) = (count + k) / (total + k * vocab_size)``; the
    ``k`` keeps a pair never seen in training from getting probability 0 (an infinite loss).
    ``n = 0`` is the uniform guess, ``log(vocab_size)``. The loss is averaged over every
    character of ``val_tokens`` that has a full context.
    """
    train = np.asarray(train_tokens, dtype=np.int64)
    val = np.asarray(val_tokens, dtype=np.int64)
    if n < 0 or train.min() < 0 or max(train.max(), val.max()) >= vocab_size:
        raise ValueError(f"need n >= 0 and token ids in 0..{vocab_size - 1}.")
    if n == 0:
        return math.log(vocab_size)
    counts = np.full((vocab_size,) * n, float(k))
    np.add.at(counts, tuple(train[i : len(train) - n + 1 + i] for i in range(n)), 1.0)
    probs = counts / counts.sum(axis=-1, keepdims=True)
    return float(-np.log(probs[tuple(val[i : len(val) - n + 1 + i] for i in range(n))]).mean())


def _loss(logits: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor | None:
    if targets is None:
        return None
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))


class BigramLM(nn.Module):
    """The bigram as a network: row ``c`` of a learned ``(V, V)`` table holds the logits of the
    character after ``c``. It sees one character of context, whatever the window."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.table = nn.Embedding(vocab_size, vocab_size)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        logits = self.table(idx)  # (B, T, V)
        return logits, _loss(logits, targets)


class LadderBlock(nn.Module):
    """Causal multi-head attention, then optionally a feed-forward layer (4x width, GELU).

    With ``residual=True`` each part reads a layer-normed copy and adds its output to its input
    (notebook 10's pre-LN block); otherwise each part replaces its input.
    """

    def __init__(
        self, n_embd: int, n_head: int, *, mlp: bool = False, residual: bool = False
    ) -> None:
        super().__init__()
        self.residual = residual
        self.attn = MultiHeadAttention(n_embd, n_head)
        self.mlp = (
            nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))
            if mlp
            else None
        )
        self.ln1 = nn.LayerNorm(n_embd) if residual else nn.Identity()
        self.ln2 = nn.LayerNorm(n_embd) if residual and mlp else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.attn(self.ln1(x), causal=True)
        x = x + a if self.residual else a
        if self.mlp is not None:
            m = self.mlp(self.ln2(x))
            x = x + m if self.residual else m
        return x


class LadderLM(nn.Module):
    """Embeddings, ``n_layer`` :class:`LadderBlock` s, a final layer norm (with residuals) and a
    linear head to ``vocab_size`` logits."""

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        n_embd: int,
        n_head: int,
        *,
        n_layer: int = 1,
        mlp: bool = False,
        residual: bool = False,
    ) -> None:
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList(
            [LadderBlock(n_embd, n_head, mlp=mlp, residual=residual) for _ in range(n_layer)]
        )
        self.ln_f = nn.LayerNorm(n_embd) if residual else nn.Identity()
        self.head = nn.Linear(n_embd, vocab_size)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        t = idx.size(1)
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(t, device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        return logits, _loss(logits, targets)


class LSTMLanguageModel(nn.Module):
    """An embedding, an LSTM (``n_layers`` layers of width ``hidden``) and a linear head.

    The LSTM reads the window left to right, so position ``t`` sees characters ``0..t``: the
    same context as the GPT, carried in a fixed-size state instead of attention.
    """

    def __init__(self, vocab_size: int, n_embd: int, hidden: int, n_layers: int = 1) -> None:
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.lstm = nn.LSTM(n_embd, hidden, num_layers=n_layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        states, _ = self.lstm(self.tok_emb(idx))  # (B, T, hidden)
        logits = self.head(states)
        return logits, _loss(logits, targets)
