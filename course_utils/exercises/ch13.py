"""Exercises of notebook 13: adapting a language model (instruction tuning, LoRA, DPO)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.checks import Exercise, Feedback

__all__ = ["sft_targets", "lora_parameters", "lora_linear", "dpo_loss"]


# --- 1. Targets masked to the reply -------------------------------------------------------------


def _sft_targets_reference(ids: torch.Tensor, prompt_len: int) -> torch.Tensor:
    targets = ids[1:].clone()
    targets[: prompt_len - 1] = -100
    return targets


def _sft_cases() -> list[tuple[torch.Tensor, int]]:
    g = torch.Generator().manual_seed(13)
    return [
        (torch.tensor([5, 6, 7, 8, 9]), 2),
        (torch.tensor([5, 6, 7, 8, 9]), 4),
        (torch.tensor([1, 2]), 1),
        (torch.randint(0, 60, (30,), generator=g), 17),
        (torch.randint(0, 60, (64,), generator=g), 40),
    ]


sft_targets = Exercise(
    "Targets masked to the reply",
    reference=_sft_targets_reference,
    cases=_sft_cases,
    hints=[
        "The target at position i is the token at position i + 1: start from ids[1:].",
        "Position i predicts token i + 1, which belongs to the prompt while i + 1 < prompt_len: "
        "set targets[: prompt_len - 1] to -100. Work on a copy (.clone()), not on ids.",
    ],
    solution="""
def sft_targets(ids, prompt_len):
    # Position i is trained to predict token i + 1.
    targets = ids[1:].clone()
    # Tokens 1 .. prompt_len - 1 belong to the prompt: their targets are skipped by the loss.
    targets[: prompt_len - 1] = -100
    return targets

answer = sft_targets
""",
)


# --- 2. How many numbers LoRA trains ------------------------------------------------------------


def _lora_parameters_reference(d_in: int, d_out: int, rank: int) -> int:
    return rank * (d_in + d_out)


lora_parameters = Exercise(
    "Trainable parameters of one LoRA layer",
    reference=_lora_parameters_reference,
    cases=[(128, 384, 1), (128, 384, 4), (128, 128, 16), (512, 128, 8), (4096, 4096, 16)],
    hints=[
        "LoRA trains A (rank x d_in) and B (d_out x rank); the frozen W (d_out x d_in) does not "
        "count.",
    ],
    solution="""
def lora_parameters(d_in, d_out, rank):
    # A has rank * d_in entries, B has d_out * rank.
    return rank * (d_in + d_out)

answer = lora_parameters
""",
)


# --- 3. A whole LoRA layer ----------------------------------------------------------------------


def _lora_structure_problem(layer: nn.Module, rank: int) -> str | None:
    """What is wrong with the layer's parameters at initialisation, or None."""
    for name in ("A", "B"):
        if not isinstance(getattr(layer, name, None), nn.Parameter):
            return f"The layer needs an nn.Parameter called {name}."
    if tuple(layer.A.shape) != (rank, 6) or tuple(layer.B.shape) != (5, rank):
        return (
            f"A must have shape (rank, in) = ({rank}, 6) and B (out, rank) = (5, {rank}); "
            f"got {tuple(layer.A.shape)} and {tuple(layer.B.shape)}."
        )
    if not torch.all(layer.B == 0) or torch.all(layer.A == 0):
        return (
            "B must start at zero and A at random values (otherwise the update can never "
            "grow, or the layer changes the model at once)."
        )
    trainable = {id(p) for p in layer.parameters() if p.requires_grad}
    if trainable != {id(layer.A), id(layer.B)}:
        return (
            "Only A and B may be trainable: set requires_grad_(False) on the base layer's "
            "weight and bias."
        )
    return None


@torch.no_grad()
def _lora_maths_problem(
    layer: nn.Module, base: nn.Linear, w0: torch.Tensor, rank: int, alpha: float
) -> str | None:
    """What is wrong with forward (at B = 0 and after B changes) or merged(), or None."""
    x = torch.randn(3, 6)
    first = layer(x)
    if not isinstance(first, torch.Tensor) or first.shape != (3, 5):
        return "forward must return a tensor of shape (3, 5) for an input of shape (3, 6)."
    if not torch.allclose(first, base(x), atol=1e-6):
        return (
            "At initialisation (B = 0) the layer must compute exactly what the base layer computes."
        )
    layer.B.copy_(torch.randn(5, rank))
    scale = alpha / rank
    want = x @ w0.T + base.bias + scale * (x @ layer.A.T @ layer.B.T)
    got = layer(x)
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        return f"forward must return a tensor of shape {tuple(want.shape)}."
    if not torch.allclose(got, want, atol=1e-5):
        return (
            "forward must return base(x) + (alpha / rank) * x A^T B^T; check the scale "
            f"alpha / rank (here {alpha:g} / {rank} = {scale:g})."
        )
    merged = layer.merged()
    if not isinstance(merged, nn.Linear):
        return "merged() must return an nn.Linear."
    if not torch.allclose(merged(x), want, atol=1e-5):
        return (
            "merged() must return a layer with weight W + (alpha / rank) B @ A and the same "
            "bias, computing the same outputs."
        )
    if not torch.allclose(layer(x), want, atol=1e-5) or not torch.equal(base.weight, w0):
        return (
            "merged() changed the LoRA layer itself (its base weight, in place): build a new "
            "nn.Linear and copy W + (alpha / rank) B @ A into it, so the LoRA layer still "
            "computes what it did."
        )
    return None


def _check_lora_class(cls: object) -> Feedback:
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        return Feedback(
            False, "Pass the class itself (MyLoRALinear, no brackets), a subclass of nn.Module."
        )
    for rank, alpha in ((2, 4.0), (4, 2.0)):  # two scales: 2 and 0.5
        torch.manual_seed(rank)
        base = nn.Linear(6, 5)
        w0 = base.weight.detach().clone()
        layer = cls(base, rank, alpha)
        problem = _lora_structure_problem(layer, rank) or _lora_maths_problem(
            layer, base, w0, rank, alpha
        )
        if problem:
            return Feedback(False, f"LoRALinear(base, rank={rank}, alpha={alpha:g}): {problem}")
    return Feedback(
        True,
        "frozen base, B = 0 at the start, the scaled low-rank update and the merge are all right.",
    )


lora_linear = Exercise(
    "A LoRA layer",
    validator=_check_lora_class,
    hints=[
        "In __init__: keep base, call p.requires_grad_(False) on its parameters, and create "
        "A = nn.Parameter(torch.empty(rank, base.in_features)) with a random init "
        "(nn.init.kaiming_uniform_(A, a=math.sqrt(5))) and B = nn.Parameter(torch.zeros("
        "base.out_features, rank)). Store scale = alpha / rank.",
        "forward(x) = self.base(x) + (x @ self.A.T @ self.B.T) * self.scale.",
        "merged(): build nn.Linear(in, out) and, under torch.no_grad(), copy base.weight + "
        "scale * B @ A into its weight and base.bias into its bias.",
    ],
    solution="""
import math

import torch
from torch import nn

class MyLoRALinear(nn.Module):
    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)                      # the pre-trained layer stays frozen
        self.scale = alpha / rank
        self.A = nn.Parameter(torch.empty(rank, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))   # zero: no change at first
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale

    @torch.no_grad()
    def merged(self):
        out = nn.Linear(self.base.in_features, self.base.out_features,
                        bias=self.base.bias is not None)
        out.weight.copy_(self.base.weight + self.scale * self.B @ self.A)
        if self.base.bias is not None:
            out.bias.copy_(self.base.bias)
        return out

answer = MyLoRALinear
""",
)


# --- 4. The DPO loss ----------------------------------------------------------------------------


def _dpo_reference(
    pc: torch.Tensor, pr: torch.Tensor, rc: torch.Tensor, rr: torch.Tensor, beta: float
) -> torch.Tensor:
    return -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()


def _dpo_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, float]]:
    g = torch.Generator().manual_seed(7)

    def logps(n: int) -> torch.Tensor:
        return -30 * torch.rand(n, generator=g, dtype=torch.float64)

    same = logps(3)
    return [
        (same, logps(3), same, logps(3), 0.1),
        (
            torch.tensor([-10.0]),
            torch.tensor([-12.0]),
            torch.tensor([-11.0]),
            torch.tensor([-11.0]),
            0.5,
        ),
        (logps(8), logps(8), logps(8), logps(8), 0.1),
        (logps(8), logps(8), logps(8), logps(8), 2.0),
        (
            torch.tensor([-400.0]),
            torch.tensor([-5.0]),
            torch.tensor([-5.0]),
            torch.tensor([-400.0]),
            1.0,
        ),
    ]


dpo_loss = Exercise(
    "The DPO loss",
    reference=_dpo_reference,
    cases=_dpo_cases,
    rtol=1e-6,
    atol=1e-8,
    hints=[
        "The implicit reward of a reply is beta * (log pi(reply) - log pi_ref(reply)); compute it "
        "for the chosen and the rejected reply of every pair.",
        "The loss of a pair is -log sigmoid(chosen reward - rejected reward); average over pairs. "
        "Use F.logsigmoid: log(sigmoid(x)) gives -inf for a margin of -400.",
    ],
    solution="""
from torch.nn import functional as F

def my_dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta):
    # Implicit rewards: how much more likely the policy makes each reply than the reference.
    chosen_reward = beta * (policy_chosen - ref_chosen)
    rejected_reward = beta * (policy_rejected - ref_rejected)
    # Bradley-Terry: the chosen reply should beat the rejected one.
    return -F.logsigmoid(chosen_reward - rejected_reward).mean()

answer = my_dpo_loss
""",
)
