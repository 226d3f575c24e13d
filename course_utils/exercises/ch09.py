"""Exercises of notebook 09: attention and positional encoding."""

from __future__ import annotations

import numpy as np
import torch

from course_utils import attention as A
from course_utils.checks import Exercise

__all__ = [
    "softmax_temperature",
    "attention_numpy",
    "split_heads",
    "positional_encoding",
    "rope_rotate",
]


# --- 1. Softmax with a temperature --------------------------------------------------------------


def _softmax_reference(logits: np.ndarray, temperature: float) -> np.ndarray:
    return A.softmax(np.asarray(logits, dtype=float) / temperature)


softmax_temperature = Exercise(
    "Softmax with a temperature",
    reference=_softmax_reference,
    cases=[
        (np.array([1.0, 2.0, 3.0]), 1.0),
        (np.array([1.0, 2.0, 3.0]), 0.1),
        (np.array([0.5, -1.0, 2.0, 2.0]), 10.0),
        (np.array([1000.0, 1001.0, 999.0]), 0.5),  # needs the max subtracted
        (np.array([3.0]), 2.0),
    ],
    hints=[
        "Divide the logits by the temperature first, then take an ordinary softmax.",
        "Subtract the largest value before np.exp, or 1000 / 0.5 overflows to infinity.",
    ],
    solution="""
import numpy as np

def softmax_t(logits, temperature):
    z = logits / temperature
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()

answer = softmax_t
""",
)


# --- 2. Attention in NumPy, with an optional causal mask ----------------------------------------


def _attend_reference(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool) -> np.ndarray:
    return A.scaled_dot_product_attention(q, k, v, causal=causal)[0]


def _attend_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]]:
    rng = np.random.default_rng(9)
    cases = []
    for t, d, dv, causal in [
        (1, 2, 2, False),
        (4, 3, 2, False),
        (4, 3, 2, True),
        (6, 8, 5, True),
        (5, 16, 4, False),
    ]:
        cases.append(
            (
                rng.standard_normal((t, d)),
                rng.standard_normal((t, d)),
                rng.standard_normal((t, dv)),
                causal,
            )
        )
    return cases


attention_numpy = Exercise(
    "Scaled dot-product attention in NumPy",
    reference=_attend_reference,
    cases=_attend_cases,
    hints=[
        "Scores: Q @ K.T / np.sqrt(d_k), with d_k = Q.shape[1]. Row i holds query i's score for "
        "every key.",
        "When causal is True, put -np.inf where the column index is larger than the row index "
        "(np.triu(..., k=1) marks those entries).",
        "Softmax along each row (axis=1, subtract the row maximum first), then multiply by V.",
    ],
    solution="""
import numpy as np

def attend(Q, K, V, causal):
    scores = Q @ K.T / np.sqrt(Q.shape[1])
    if causal:
        future = np.triu(np.ones(scores.shape, dtype=bool), k=1)
        scores = np.where(future, -np.inf, scores)
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=1, keepdims=True)
    return weights @ V

answer = attend
""",
)


# --- 3. Splitting into heads --------------------------------------------------------------------


def _split_reference(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    b, t, c = x.shape
    return x.view(b, t, n_heads, c // n_heads).transpose(1, 2)


def _split_cases() -> list[tuple[torch.Tensor, int]]:
    g = torch.Generator().manual_seed(3)
    return [
        (torch.arange(24.0).view(1, 2, 12), 3),
        (torch.randn(2, 5, 8, generator=g), 2),
        (torch.randn(3, 4, 8, generator=g), 8),
        (torch.randn(1, 7, 6, generator=g), 1),
    ]


split_heads = Exercise(
    "Splitting the model width into heads",
    reference=_split_reference,
    cases=_split_cases,
    hints=[
        "Head h owns the columns h*head_dim ... (h+1)*head_dim - 1 of every row, with "
        "head_dim = C // n_heads.",
        "x.view(B, T, n_heads, head_dim) cuts each row into heads; then move the head axis in "
        "front of the time axis with .transpose(1, 2).",
    ],
    solution="""
def split_heads(x, n_heads):
    b, t, c = x.shape
    return x.view(b, t, n_heads, c // n_heads).transpose(1, 2)

answer = split_heads
""",
)


# --- 4. The sinusoidal position table -----------------------------------------------------------


def _pe_reference(n_positions: int, d_model: int) -> np.ndarray:
    return A.sinusoidal_positional_encoding(n_positions, d_model)


positional_encoding = Exercise(
    "The sinusoidal position table",
    reference=_pe_reference,
    cases=[(1, 2), (4, 4), (10, 6), (50, 16), (3, 64)],
    hints=[
        "Make a column of positions, np.arange(n_positions)[:, None], and a row of pair indices "
        "i = 0, 1, ..., d_model/2 - 1.",
        "The angle of pair i is pos / 10000 ** (2 * i / d_model). Put np.sin of it in the even "
        "columns (pe[:, 0::2]) and np.cos in the odd ones (pe[:, 1::2]).",
    ],
    solution="""
import numpy as np

def positional_encoding(n_positions, d_model):
    pos = np.arange(n_positions)[:, None]
    i = np.arange(d_model // 2)[None, :]
    angle = pos / 10000 ** (2 * i / d_model)
    pe = np.zeros((n_positions, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle)
    return pe

answer = positional_encoding
""",
)


# --- 5. Rotating one vector with RoPE -----------------------------------------------------------


def _rope_reference(x: np.ndarray, position: int) -> np.ndarray:
    return A.rope_matrix(position, x.shape[0]) @ x


def _rope_cases() -> list[tuple[np.ndarray, int]]:
    rng = np.random.default_rng(5)
    return [
        (np.array([1.0, 0.0]), 1),
        (np.array([1.0, 2.0, 3.0, 4.0]), 0),
        (np.array([1.0, 2.0, 3.0, 4.0]), 3),
        (rng.standard_normal(8), 17),
        (rng.standard_normal(16), 250),
    ]


rope_rotate = Exercise(
    "Rotating a vector with RoPE",
    reference=_rope_reference,
    cases=_rope_cases,
    hints=[
        "Pair i is made of x[2i] and x[2i+1]; it turns by the angle position * theta_i with "
        "theta_i = 10000 ** (-2i / d).",
        "A turn by angle a maps (a0, a1) to (a0 cos a - a1 sin a, a0 sin a + a1 cos a). With "
        "a0 = x[0::2] and a1 = x[1::2] you can do all pairs at once.",
        "Write the results back into the even and odd entries of a new array.",
    ],
    solution="""
import numpy as np

def rope_rotate(x, position):
    d = x.shape[0]
    theta = 10000.0 ** (-np.arange(0, d, 2) / d)
    angle = position * theta
    a0, a1 = x[0::2], x[1::2]
    out = np.empty(d)
    out[0::2] = a0 * np.cos(angle) - a1 * np.sin(angle)
    out[1::2] = a0 * np.sin(angle) + a1 * np.cos(angle)
    return out

answer = rope_rotate
""",
)
