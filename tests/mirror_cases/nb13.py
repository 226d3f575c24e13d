"""Mirror cases of notebook 13: the masked loss, the LoRA layer and the DPO loss."""

from __future__ import annotations

import torch
from torch import nn

from tests.mirror_cases.compare import assert_same


def _masked_lm_loss(nb, pkg):
    g = torch.Generator().manual_seed(13)
    logits = torch.randn(3, 6, 9, generator=g, dtype=torch.float64)
    targets = torch.randint(0, 9, (3, 6), generator=g)
    targets[0, :4] = -100  # a masked prompt
    targets[1, 2] = -100
    one = torch.full((2, 6), -100)
    one[1, 3] = 5  # exactly one target kept
    for t in (targets, one, torch.full((2, 6), -100)):
        results = []
        for fn in (nb, pkg):
            x = logits[: len(t)].clone().requires_grad_(True)
            loss = fn(x, t)
            loss.backward()
            results.append((loss.detach(), x.grad))
        assert_same(results[0], results[1], atol=1e-10)
    plain = targets.clamp(min=0)  # another ignore_index: 2 is skipped instead
    assert_same(nb(logits, plain, ignore_index=2), pkg(logits, plain, ignore_index=2))


def _lora_linear(nb_cls, pkg_cls):
    for bias in (True, False):
        torch.manual_seed(0)
        base = nn.Linear(6, 5, bias=bias)
        layers = []
        for cls in (nb_cls, pkg_cls):
            torch.manual_seed(1)  # the same random A
            layers.append(cls(nn.Linear(6, 5, bias=bias).requires_grad_(True), 2, 3.0))
            layers[-1].base.load_state_dict(base.state_dict())
        x = torch.randn(4, 6, generator=torch.Generator().manual_seed(2))
        target = torch.randn(4, 5, generator=torch.Generator().manual_seed(3))
        state = []
        for layer in layers:
            flags = [p.requires_grad for p in layer.parameters()]
            start = layer(x).detach()
            opt = torch.optim.SGD([p for p in layer.parameters() if p.requires_grad], lr=0.1)
            for _ in range(3):
                opt.zero_grad()
                ((layer(x) - target) ** 2).mean().backward()
                opt.step()
            merged = layer.merged()
            state.append(
                (
                    flags,
                    start,
                    layer.A.detach(),
                    layer.B.detach(),
                    layer(x).detach(),
                    merged.weight.detach(),
                    merged(x).detach(),
                    merged.bias is None,
                )
            )
        assert_same(state[0], state[1], atol=1e-10)


def _dpo_loss(nb, pkg):
    g = torch.Generator().manual_seed(5)
    for beta in (0.1, 0.5, 2.0):
        logps = [-30 * torch.rand(7, generator=g, dtype=torch.float64) for _ in range(4)]
        results = []
        for fn in (nb, pkg):
            args = [t.clone().requires_grad_(True) for t in logps]
            loss = fn(*args, beta)
            loss.backward()
            results.append((loss.detach(), [a.grad for a in args]))
        assert_same(results[0], results[1], atol=1e-10)


CASES = {
    "course_utils.adapt.masked_lm_loss": _masked_lm_loss,
    "course_utils.adapt.LoRALinear": _lora_linear,
    "course_utils.adapt.dpo_loss": _dpo_loss,
}
