"""Exercises of notebook 10: building and training a GPT."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from course_utils.checks import Exercise

__all__ = ["targets", "causal_mask", "causal_attention", "parameter_count"]


# --- 1. Shifted targets ------------------------------------------------------------------------


def _targets_reference(tokens: torch.Tensor, start: int, block_size: int) -> torch.Tensor:
    return tokens[start + 1 : start + 1 + block_size]


def _targets_cases() -> list[tuple[torch.Tensor, int, int]]:
    stream = torch.tensor([18, 47, 56, 57, 58, 1, 15, 47, 58, 47, 64, 43, 52, 10, 0, 14])
    return [(stream, 0, 8), (stream, 3, 4), (stream, 7, 8), (torch.arange(100) * 2, 50, 10)]


targets = Exercise(
    "Targets shifted by one",
    reference=_targets_reference,
    cases=_targets_cases,
    hints=[
        "The input window is tokens[start : start + block_size]. Each target is the token that "
        "comes one step later.",
        "So the targets are the same slice moved right by one: tokens[start + 1 : ...].",
    ],
    solution="""
def targets_for(tokens, start, block_size):
    return tokens[start + 1 : start + 1 + block_size]

answer = targets_for
""",
)


# --- 2. The causal mask ------------------------------------------------------------------------


def _mask_reference(size: int) -> torch.Tensor:
    return torch.tril(torch.ones(size, size, dtype=torch.bool))


causal_mask = Exercise(
    "The causal mask",
    reference=_mask_reference,
    cases=[(1,), (4,), (7,)],
    hints=[
        "Row i is the query at position i; column j is the key at position j. Position i may "
        "look at j only when j <= i.",
        "That is the lower triangle including the diagonal: torch.tril of a matrix of ones.",
    ],
    solution="""
import torch

def causal_mask(size):
    return torch.tril(torch.ones(size, size, dtype=torch.bool))

answer = causal_mask
""",
)


# --- 3. Causal attention from scratch -----------------------------------------------------------


def _attention_reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def _attention_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(10)
    cases = []
    for shape in [(1, 1, 3, 2), (2, 3, 5, 4), (1, 2, 8, 16)]:
        q, k, v = (torch.randn(shape, generator=g) for _ in range(3))
        cases.append((q, k, v))
    return cases


causal_attention = Exercise(
    "Causal attention from scratch",
    reference=_attention_reference,
    cases=_attention_cases,
    rtol=1e-4,
    atol=1e-5,
    hints=[
        "Scores: q @ k.transpose(-2, -1), divided by sqrt(d) where d = q.size(-1).",
        "Before the softmax, set the scores above the diagonal to -inf with masked_fill, so their "
        "weights become exactly 0.",
        "Softmax over the last dimension (the keys), then multiply the weights by v.",
    ],
    solution="""
import math
import torch

def causal_attention(q, k, v):
    t, d = q.size(-2), q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    allowed = torch.tril(torch.ones(t, t, dtype=torch.bool))
    scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v

answer = causal_attention
""",
)


# --- 4. Counting parameters ---------------------------------------------------------------------


def _count_reference(vocab_size: int, block_size: int, n_embd: int, n_layer: int) -> int:
    c = n_embd
    per_block = 12 * c * c + 2 * c  # Q, K, V, projection, MLP up and down; two layer-norm scales
    return vocab_size * c + block_size * c + n_layer * per_block + c


parameter_count = Exercise(
    "Counting the parameters of a GPT",
    reference=_count_reference,
    cases=[(65, 256, 384, 6), (65, 64, 128, 4), (10, 8, 16, 1), (50257, 1024, 768, 12)],
    hints=[
        "Embeddings: vocab_size x n_embd for tokens, block_size x n_embd for positions. The head "
        "shares the token matrix, so it adds nothing.",
        "In one block (no biases): attention has Q, K, V and an output projection, four "
        "n_embd x n_embd matrices. The MLP has n_embd x 4 n_embd and 4 n_embd x n_embd.",
        "Each layer norm has one scale vector of n_embd numbers: two per block, one at the end.",
    ],
    solution="""
def gpt_parameter_count(vocab_size, block_size, n_embd, n_layer):
    c = n_embd
    embeddings = vocab_size * c + block_size * c
    attention = 4 * c * c                      # Q, K, V and the output projection
    mlp = c * 4 * c + 4 * c * c                # widen 4x, then project back
    norms = 2 * c                              # two layer-norm scales per block
    return embeddings + n_layer * (attention + mlp + norms) + c   # + the final layer norm

answer = gpt_parameter_count
""",
)
