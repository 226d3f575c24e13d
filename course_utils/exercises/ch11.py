"""Exercises of notebook 11: generating text and adapting models."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from course_utils import generation
from course_utils.checks import Exercise

__all__ = ["temperature_probs", "top_p_probs", "distinct_n", "reward_loss"]


# --- 1. Temperature -----------------------------------------------------------------------------


def _temperature_reference(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    return torch.softmax(logits / temperature, dim=-1)


def _temperature_cases() -> list[tuple[torch.Tensor, float]]:
    g = torch.Generator().manual_seed(11)
    return [
        (torch.tensor([2.0, 1.0, 0.0]), 1.0),
        (torch.tensor([2.0, 1.0, 0.0]), 0.5),
        (torch.tensor([0.5, 0.25, 0.25]).log(), 2.0),
        (torch.randn(10, generator=g), 0.8),
        (torch.randn(10, generator=g) * 3, 1.7),
    ]


temperature_probs = Exercise(
    "Softmax with a temperature",
    reference=_temperature_reference,
    cases=_temperature_cases,
    hints=[
        "Divide the logits by the temperature first, then take the softmax.",
        "torch.softmax(x, dim=-1) turns a vector of logits into probabilities that add up to 1.",
    ],
    solution="""
import torch

def temperature_probs(logits, temperature):
    return torch.softmax(logits / temperature, dim=-1)

answer = temperature_probs
""",
)


# --- 2. Nucleus (top-p) filtering ---------------------------------------------------------------


def _top_p_reference(probs: torch.Tensor, p: float) -> torch.Tensor:
    return generation.next_token_probs(probs.log(), top_p=p)


def _top_p_cases() -> list[tuple[torch.Tensor, float]]:
    g = torch.Generator().manual_seed(5)
    random_probs = torch.softmax(torch.randn(12, generator=g) * 2, dim=-1)
    hand = torch.tensor([0.15, 0.5, 0.3, 0.05])
    return [
        (hand, 0.3),
        (hand, 0.5),  # the mass before the second token is exactly p: it is dropped
        (hand, 0.7),
        (hand, 0.9),
        (hand, 1.0),
        (random_probs, 0.5),
        (random_probs, 0.9),
    ]


top_p_probs = Exercise(
    "Nucleus (top-p) filtering",
    reference=_top_p_reference,
    cases=_top_p_cases,
    hints=[
        "Sort the probabilities from largest to smallest (torch.sort(..., descending=True) also "
        "gives you the original positions).",
        "Keep a token when the probability mass of the tokens *before* it in that order is still "
        "below p: torch.cumsum(sorted, 0) - sorted. The first token is always kept.",
        "Put zeros at the positions you drop, then divide by the sum so the rest adds up to 1.",
    ],
    solution="""
import torch

def top_p_probs(probs, p):
    sorted_probs, order = torch.sort(probs, descending=True)
    mass_before = torch.cumsum(sorted_probs, dim=0) - sorted_probs
    keep_sorted = mass_before < p
    kept = torch.zeros_like(probs)
    kept[order[keep_sorted]] = probs[order[keep_sorted]]
    return kept / kept.sum()

answer = top_p_probs
""",
)


# --- 3. Distinct n-grams ------------------------------------------------------------------------


def _distinct_reference(words: list[str], n: int) -> float:
    return generation.distinct_ngrams(words, n)


distinct_n = Exercise(
    "Distinct n-grams",
    reference=_distinct_reference,
    cases=[
        ("the cat sat on the mat".split(), 1),
        ("the cat sat on the mat".split(), 2),
        ("to be or not to be".split(), 2),
        (["la"] * 8, 2),
        ("a b c a b c a b".split(), 3),
        (list("mississippi"), 2),
    ],
    hints=[
        "The n-grams of a list are the tuples words[i : i + n] for i from 0 to len(words) - n.",
        "Put them in a set to count the distinct ones, and divide by how many there are in all.",
    ],
    solution="""
def distinct_n(words, n):
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams)

answer = distinct_n
""",
)


# --- 4. The reward model's loss -----------------------------------------------------------------


def _reward_reference(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    return -F.logsigmoid(r_chosen - r_rejected).mean()


def _reward_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(3)
    return [
        (torch.tensor([2.0]), torch.tensor([0.0])),
        (torch.tensor([0.0]), torch.tensor([2.0])),
        (torch.tensor([1.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, -2.0])),
        (torch.randn(16, generator=g), torch.randn(16, generator=g)),
        (torch.tensor([40.0]), torch.tensor([-40.0])),
        (torch.tensor([-120.0]), torch.tensor([80.0])),  # sigmoid(-200) underflows to 0
    ]


reward_loss = Exercise(
    "The reward model's pairwise loss",
    reference=_reward_reference,
    cases=_reward_cases,
    rtol=1e-4,
    atol=1e-6,
    hints=[
        "The probability that the chosen answer beats the rejected one is "
        "sigmoid(r_chosen - r_rejected); the loss is minus its log, averaged over the pairs.",
        "torch.log(torch.sigmoid(x)) underflows for very negative x: F.logsigmoid(x) computes "
        "the same number safely.",
    ],
    solution="""
from torch.nn import functional as F

def reward_loss(r_chosen, r_rejected):
    return -F.logsigmoid(r_chosen - r_rejected).mean()

answer = reward_loss
""",
)
