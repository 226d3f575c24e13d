"""Every exercise of every notebook: its solution passes, and odd answers never raise."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.checks import Exercise
from course_utils.exercises import all_exercises

EXERCISES = all_exercises()


def test_every_notebook_module_defines_exercises():
    assert EXERCISES, "no exercises found"
    assert all(isinstance(e, Exercise) for e in EXERCISES.values())


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_solution_passes_its_own_check(key):
    ex = EXERCISES[key]
    assert ex.feedback(ex.run_solution()).ok, ex.feedback(ex.run_solution()).message


ODD_ANSWERS = [None, ..., np.nan, np.ones((7, 3)), "text", lambda *a, **k: None, {"a": 1}]


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_odd_answers_get_feedback_not_exceptions(key):
    ex = EXERCISES[key]
    for odd in ODD_ANSWERS:
        fb = ex.feedback(odd)
        assert not fb.ok, f"{key} accepted {odd!r}"
        assert isinstance(fb.message, str) and fb.message


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_exercise_has_hint(key):
    assert EXERCISES[key].hints, f"{key} has no hint"


def test_a_class_whose_init_fails_is_told_what_failed():
    from course_utils.exercises import ch06

    class Dropout:  # a learner's class with the wrong signature
        def __init__(self, p):
            self.p = p

    fb = ch06.dropout_layer.feedback(Dropout)
    assert not fb.ok and "unexpected keyword argument 'seed'" in fb.message


def _forward_difference(f, w, eps=1e-6):  # one-sided: off by eps * f'' / 2
    w = np.array(w, dtype=float)
    grad, f0 = np.zeros_like(w), f(w)
    for i in np.ndindex(w.shape):
        old = w[i]
        w[i] = old + eps
        grad[i] = (f(w) - f0) / eps
        w[i] = old
    return grad


def _early_stop_on_ties(losses, patience):  # a tie counted as an improvement
    best_epoch, best, waited = 1, losses[0], 0
    for epoch, loss in enumerate(losses[1:], start=2):
        if loss <= best:
            best_epoch, best, waited = epoch, loss, 0
        else:
            waited += 1
            if waited >= patience:
                break
    return best_epoch


class _DropoutInPlace:
    def __init__(self, p, seed=0):
        self.p, self.rng = p, np.random.default_rng(seed)

    def forward(self, x, training=True):
        if training:
            self.mask = self.rng.random(x.shape) >= self.p
            x *= self.mask / (1 - self.p)  # changes the caller's array
        return x

    def backward(self, grad):
        return grad * self.mask / (1 - self.p)


def test_typical_numpy_mistakes_are_caught():
    from course_utils.exercises import ch04, ch06

    assert not ch04.numerical_gradient.feedback(_forward_difference).ok
    assert not ch06.early_stopping_epoch.feedback(_early_stop_on_ties).ok
    assert "changed the x" in ch06.dropout_layer.feedback(_DropoutInPlace).message
    assert "not an instance" in ch06.dropout_layer.feedback(_DropoutInPlace(0.5)).message


def _top_p_keeps_ties(probs, p):  # <= instead of <: keeps a token whose mass before is p
    sorted_probs, order = torch.sort(probs, descending=True)
    keep = (torch.cumsum(sorted_probs, 0) - sorted_probs) <= p
    kept = torch.zeros_like(probs)
    kept[order[keep]] = probs[order[keep]]
    return kept / kept.sum()


def _shard_one_row_too_many(xb, rank, world_size, grad_accum):
    per = xb.shape[0] // world_size
    return list(xb[rank * per : (rank + 1) * per + 1].tensor_split(grad_accum))


def test_typical_torch_mistakes_are_caught():
    from course_utils.exercises import ch10, ch11, ch14

    float_mask = ch10.causal_mask.feedback(lambda n: torch.tril(torch.ones(n, n)))
    assert "dtype bool" in float_mask.message
    assert not ch11.top_p_probs.feedback(_top_p_keeps_ties).ok
    assert "shapes differ" in ch14.shard.feedback(_shard_one_row_too_many).message


def _lora(scale_of, merge_in_place=False):
    class Layer(nn.Module):
        def __init__(self, base, rank, alpha):
            super().__init__()
            self.base, self.scale = base, scale_of(alpha, rank)
            for p in base.parameters():
                p.requires_grad_(False)
            self.A = nn.Parameter(torch.empty(rank, base.in_features))
            self.B = nn.Parameter(torch.zeros(base.out_features, rank))
            nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

        def forward(self, x):
            return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale

        @torch.no_grad()
        def merged(self):
            if merge_in_place:  # changes the layer it merges
                self.base.weight.add_(self.scale * self.B @ self.A)
                return self.base
            out = nn.Linear(self.base.in_features, self.base.out_features)
            out.weight.copy_(self.base.weight + self.scale * self.B @ self.A)
            out.bias.copy_(self.base.bias)
            return out

    return Layer


def test_lora_check_tries_two_scales_and_a_merge_that_leaves_the_layer_alone():
    from course_utils.exercises import ch13

    assert ch13.lora_linear.feedback(_lora(lambda a, r: a / r)).ok
    assert "scale" in ch13.lora_linear.feedback(_lora(lambda a, r: a // r)).message
    in_place = ch13.lora_linear.feedback(_lora(lambda a, r: a / r, merge_in_place=True))
    assert "changed the LoRA layer" in in_place.message
