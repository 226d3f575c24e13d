"""pocket_perceptron keeps the best line the plain perceptron rule passes through."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from course_utils.perceptron import perceptron_trace, pocket_perceptron, step, xor_data


def _mistakes(X, y, w, b):
    return int(np.sum(step(X @ w + b) != y))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pocket_holds_the_best_line_of_the_plain_run(seed):
    X, y = xor_data(20, noise=0.2, rng=np.random.default_rng(seed))
    w0, b0, epochs = np.array([0.3, -0.2]), 0.1, 15
    w, b, pocket, current = pocket_perceptron(X, y, lr=0.1, epochs=epochs, w0=w0, b0=b0)
    trace = perceptron_trace(X, y, lr=0.1, max_epochs=epochs, w0=w0, b0=b0)
    assert len(trace) == epochs * len(X)  # XOR never converges, so the plain run goes on
    lines = [(w0, b0)] + [(s.w_after, s.b_after) for s in trace if s.updated]
    errors = [_mistakes(X, y, lw, lb) for lw, lb in lines]
    best = int(np.argmin(errors))  # the first line with the fewest mistakes
    assert pocket[-1] == errors[best] == _mistakes(X, y, w, b)
    np.testing.assert_allclose(w, lines[best][0])
    assert b == pytest.approx(lines[best][1])
    assert all(a >= c for a, c in zip(pocket, pocket[1:]))  # the pocket never gets worse
    final = trace[-1]
    assert current[-1] == _mistakes(X, y, final.w_after, final.b_after)
    assert len(pocket) == len(current) == epochs


def test_pocket_separates_separable_data():
    X, y = make_blobs(60, centers=[[1.0, 3.0], [3.0, 1.0]], cluster_std=0.6, random_state=1)
    _, _, pocket, _ = pocket_perceptron(X, y, lr=0.1, epochs=100)
    assert pocket[-1] == 0


def test_pocket_beats_the_plain_line_on_overlapping_data():
    X, y = xor_data(25, noise=0.15, rng=np.random.default_rng(0))
    _, _, pocket, current = pocket_perceptron(X, y, lr=0.1, epochs=30)
    assert pocket[-1] <= min(current)
    assert pocket[-1] < current[-1]


def test_pocket_rejects_bad_labels():
    with pytest.raises(ValueError):
        pocket_perceptron(np.zeros((3, 2)), [0, 1, 2])
