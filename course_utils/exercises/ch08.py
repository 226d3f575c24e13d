"""Exercises of notebook 08: tokens and embeddings.

- :data:`merge_pair`: one BPE merge, replacing a pair of ids left to right.
- :data:`binary_bag_of_words`: a 0/1 vector marking which vocabulary words a document contains.
- :data:`cosine`: the cosine similarity of two vectors.
- :data:`rnn_step`: one step of a vanilla RNN cell, checked against ``torch.nn.RNNCell``.
"""

from __future__ import annotations

import numpy as np
import torch

from course_utils.bpe import merge_pair as _merge_pair_reference
from course_utils.checks import Exercise

__all__ = ["merge_pair", "binary_bag_of_words", "cosine", "rnn_step"]


# --- 1. One BPE merge ------------------------------------------------------------------------------

merge_pair = Exercise(
    "One BPE merge",
    reference=_merge_pair_reference,
    cases=[
        ([1, 2, 3, 1, 2], (1, 2), 256),
        ([5, 5, 5, 1, 5, 5], (5, 5), 300),  # overlapping: left to right
        ([7, 8, 9], (1, 2), 256),  # nothing to merge
        ([104, 101, 104, 101, 108], (104, 101), 260),
        ([4, 4], (4, 4), 999),
    ],
    hints=[
        "Walk through the list with an index i. If ids[i] and ids[i + 1] form the pair, append "
        "new_id and jump two places; otherwise append ids[i] and move one place.",
        "Take care at the end: ids[i + 1] only exists when i + 1 < len(ids).",
        "Use a while loop, not a for loop, because the step is sometimes 2.",
    ],
    solution="""
def merge(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out

answer = merge
""",
)


# --- 2. A binary bag of words ----------------------------------------------------------------------


def _bow_reference(words: list[str], vocabulary: list[str]) -> np.ndarray:
    present = set(words)
    return np.array([1 if w in present else 0 for w in vocabulary])


binary_bag_of_words = Exercise(
    "A binary bag of words",
    reference=_bow_reference,
    cases=[
        (["the", "dog", "bites", "the", "man"], ["bites", "cat", "dog", "man"]),
        (["to", "be", "or", "not", "to", "be"], ["be", "not", "or", "question", "to"]),
        (["unseen", "words", "only"], ["alpha", "beta"]),
        ([], ["a", "b", "c"]),
    ],
    hints=[
        "The answer has one entry per vocabulary word, in the vocabulary's order.",
        "An entry is 1 if that vocabulary word appears in the document (any number of times) and "
        "0 otherwise. A set of the document's words makes the test fast.",
    ],
    solution="""
import numpy as np

def binary_bow(words, vocabulary):
    present = set(words)
    return np.array([1 if w in present else 0 for w in vocabulary])

answer = binary_bow
""",
)


# --- 3. Cosine similarity --------------------------------------------------------------------------


def _cosine_reference(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _cosine_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(8)
    return [
        (np.array([1.0, 0.0]), np.array([0.0, 1.0])),  # orthogonal: 0
        (np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])),  # same direction: 1
        (np.array([1.0, 1.0]), np.array([-1.0, -1.0])),  # opposite: -1
        (rng.normal(size=8), rng.normal(size=8)),
        (rng.normal(size=50) * 10, rng.normal(size=50)),
    ]


cosine = Exercise(
    "Cosine similarity",
    reference=_cosine_reference,
    cases=_cosine_cases,
    hints=[
        "Cosine similarity is the dot product divided by the product of the two lengths.",
        "The dot product is a @ b; the length of a is np.linalg.norm(a) (or np.sqrt(a @ a)).",
    ],
    solution="""
import numpy as np

def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

answer = cosine
""",
)


# --- 4. One RNN step ---------------------------------------------------------------------------------


def _rnn_reference(
    x: torch.Tensor, h: torch.Tensor, W_xh: torch.Tensor, W_hh: torch.Tensor, b: torch.Tensor
) -> torch.Tensor:
    cell = torch.nn.RNNCell(W_xh.shape[0], W_xh.shape[1], dtype=x.dtype)
    with torch.no_grad():
        cell.weight_ih.copy_(W_xh.T)
        cell.weight_hh.copy_(W_hh.T)
        cell.bias_ih.copy_(b)
        cell.bias_hh.zero_()
        return cell(x, h)


def _rnn_cases() -> list[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(8)
    cases = []
    for batch, d_in, d_h in [(1, 3, 4), (2, 5, 3), (4, 8, 16)]:
        cases.append(
            (
                torch.randn(batch, d_in, generator=g),
                torch.randn(batch, d_h, generator=g),
                torch.randn(d_in, d_h, generator=g) * 0.5,
                torch.randn(d_h, d_h, generator=g) * 0.5,
                torch.randn(d_h, generator=g),
            )
        )
    return cases


rnn_step = Exercise(
    "One step of an RNN",
    reference=_rnn_reference,
    cases=_rnn_cases,
    rtol=1e-4,
    atol=1e-6,
    hints=[
        "The new hidden state is tanh(x @ W_xh + h @ W_hh + b).",
        "Shapes: x is (batch, d_in), h is (batch, d_h), W_xh is (d_in, d_h), W_hh is (d_h, d_h); "
        "the result is (batch, d_h).",
    ],
    solution="""
import torch

def rnn_step(x, h, W_xh, W_hh, b):
    return torch.tanh(x @ W_xh + h @ W_hh + b)

answer = rnn_step
""",
)
