"""Notebook 07's optimizer classes equal the package's (and so torch.optim's) step for step."""

from __future__ import annotations

import torch

from tests.mirror_cases.compare import assert_same


def _net(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)
    ).double()


def _run(optimizer_class, kwargs, steps=6, groups=False):
    net = _net()
    g = torch.Generator().manual_seed(1)
    X = torch.randn(10, 3, generator=g, dtype=torch.float64)
    y = torch.randn(10, 2, generator=g, dtype=torch.float64)
    params = (
        [{"params": net[0].parameters(), "lr": 0.003}, {"params": net[2].parameters()}]
        if groups
        else net.parameters()
    )
    opt = optimizer_class(params, **kwargs)
    net[0].bias.requires_grad_(False)  # a parameter without a gradient is skipped
    for _ in range(steps):
        opt.zero_grad()
        ((net(X) - y) ** 2).mean().backward()
        opt.step()
    return [p.detach().clone() for p in net.parameters()]


def _check(settings, both_decays=False):
    def check(ours, theirs):
        pairs = [(ours, theirs)]
        if both_decays:  # Adam's decoupled branch is the one AdamW switches on
            pairs.append(
                tuple(type("Decoupled", (cls,), {"decoupled": True}) for cls in (ours, theirs))
            )
        for a, b in pairs:
            for kwargs in [{}, *settings]:
                for groups in (False, True):
                    assert_same(
                        _run(a, kwargs, groups=groups), _run(b, kwargs, groups=groups), atol=1e-12
                    )

    return check


CASES = {
    "course_utils.optimizers.Adagrad": _check(
        [{"lr": 0.05}, {"lr": 0.1, "weight_decay": 0.3}, {"lr": 0.1, "eps": 0.5}]
    ),
    "course_utils.optimizers.RMSProp": _check(
        [{"lr": 0.01}, {"lr": 0.01, "alpha": 0.5}, {"lr": 0.02, "weight_decay": 0.2, "eps": 0.3}]
    ),
    "course_utils.optimizers.Adam": _check(
        [
            {"lr": 0.01},
            {"lr": 0.02, "betas": (0.5, 0.8)},
            {"lr": 0.01, "weight_decay": 0.4, "eps": 0.1},
        ],
        both_decays=True,
    ),
    "course_utils.optimizers.AdamW": _check(
        [{"lr": 0.05, "weight_decay": 0.5}, {"lr": 0.02, "betas": (0.6, 0.7), "eps": 0.2}]
    ),
}
