r"""Muon: momentum whose update matrix is orthogonalised, for the hidden matrices of a GPT.

Notebook 12 writes this out and uses it for its CPU recipe. AdamW gives every entry of a weight
matrix its own step size; Muon (Jordan et al., 2024) treats the matrix as a whole. It keeps the
usual momentum of the gradient, then replaces that matrix :math:`M = U \Sigma V^\top` by
(roughly) :math:`U V^\top`: the same directions with every singular value set to about 1, so the
few directions that dominate a gradient no longer drown the many small ones. Five steps of a
Newton-Schulz iteration (:func:`newton_schulz`) compute it with matrix products only.

Muon is for the 2-D weights inside the blocks. The token embedding (a lookup table, not a map),
the output head and the norms' gains stay with AdamW: :class:`Muon` runs
:func:`course_utils.optimizers.adam_update_group` (notebook 07's AdamW) on those groups.

A fused weight holds several matrices side by side (attention's ``qkv``: queries, keys and
values; SwiGLU's ``fc``: gate and up-projection). Each is orthogonalised on its own: a
parameter group's ``"splits"`` lists, per parameter, the row counts of its parts
(:func:`muon_param_groups` fills them in for the course GPT).

Each part of shape :math:`A \times B` moves by :math:`0.2\sqrt{\max(A, B)}` times the learning
rate (Liu et al., 2025, "Muon is scalable for LLM training"), which gives its update the
root-mean-square size of a typical AdamW update, so both halves share one learning rate and one
schedule. Weight decay is decoupled, as in AdamW. With no splits, the update equals
``torch.optim.Muon(..., adjust_lr_fn="match_rms_adamw")`` up to rounding (PyTorch's runs the
iteration in bfloat16, this one in the parameter's own precision, as a CPU wants); the tests
prove it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from course_utils.gpt.model import CausalSelfAttention, SwiGLU
from course_utils.optimizers import _betas, _run_closure, _unit_interval, adam_update_group
from course_utils.validation import non_negative, positive_int

__all__ = ["NS_COEFFICIENTS", "newton_schulz", "muon_update", "Muon", "muon_param_groups"]

# The quintic's coefficients: as steep as possible near 0, so that small singular values grow
# fast; those above about 1e-3 of the norm end between 0.5 and 1.2 (most 0.7 to 1.2), not at 1.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def newton_schulz(g: torch.Tensor, steps: int = 5, eps: float = 1e-7) -> torch.Tensor:
    r"""Approximately orthogonalise ``g`` (a matrix, or a stack of them: shape (..., A, B)).

    Divide by the Frobenius norm, so every singular value is at most 1, then repeat
    :math:`X \leftarrow aX + (bXX^\top + c(XX^\top)^2)X`, which maps each singular value
    :math:`\sigma` to :math:`a\sigma + b\sigma^3 + c\sigma^5` and leaves the singular vectors
    alone. A tall matrix is handled as its transpose, so :math:`XX^\top` is the smaller square.
    """
    a, b, c = NS_COEFFICIENTS
    tall = g.size(-2) > g.size(-1)
    x = g.mT if tall else g
    x = x / x.norm(dim=(-2, -1), keepdim=True).clamp(min=eps)
    for _ in range(steps):
        gram = x @ x.mT
        poly = b * gram + c * gram @ gram
        x = a * x + poly @ x
    return x.mT if tall else x


class Muon(torch.optim.Optimizer):
    r"""Muon for the parameter groups marked ``use_muon=True``, AdamW for the others.

    For each matrix :math:`W` of a Muon group, with gradient :math:`G` and momentum buffer
    :math:`B`, and each part of :math:`W` of shape :math:`m \times n`:

    .. math::
        B &\leftarrow \mu B + (1-\mu) G, \qquad
        M = (1-\mu) G + \mu B \ \text{(Nesterov)}, \\
        W &\leftarrow (1 - \eta\lambda) W - \eta \cdot 0.2\sqrt{\max(m, n)}\;\mathrm{NS}(M).

    Parts of the same shape, from every matrix of the group, go through :func:`newton_schulz`
    together as one batch (a handful of large matrix products instead of many small ones). The
    other groups take AdamW steps with ``betas``, ``eps`` and ``weight_decay``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.95,
        betas: tuple[float, float] = (0.9, 0.99),
        eps: float = 1e-8,
        weight_decay: float = 0.1,
        ns_steps: int = 5,
        nesterov: bool = True,
    ) -> None:
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}.")
        defaults = dict(
            lr=non_negative(lr, "lr"),
            momentum=_unit_interval(momentum, "momentum"),
            betas=_betas(betas),
            eps=non_negative(eps, "eps"),
            weight_decay=non_negative(weight_decay, "weight_decay"),
            ns_steps=positive_int(ns_steps, "ns_steps"),
            nesterov=nesterov,
            amsgrad=False,
            use_muon=False,
            splits=None,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            if group["use_muon"]:
                _check_muon_group(group)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter once; ``closure`` (optional) recomputes and returns the loss."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            if group["use_muon"]:
                self._muon_group(group)
            else:
                adam_update_group(self, group, decoupled=True)
        return loss

    def _muon_group(self, group: dict[str, Any]) -> None:
        live = [(i, p) for i, p in enumerate(group["params"]) if p.grad is not None]
        for _, p in live:
            if "momentum_buffer" not in self.state[p]:
                self.state[p]["momentum_buffer"] = torch.zeros_like(p)
        splits = group["splits"] or [None] * len(group["params"])
        muon_update(
            [p for _, p in live],
            [p.grad for _, p in live],
            [self.state[p]["momentum_buffer"] for _, p in live],
            lr=group["lr"],
            momentum=group["momentum"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            ns_steps=group["ns_steps"],
            splits=[splits[i] for i, _ in live],
        )


@torch.no_grad()
def muon_update(
    params: list[torch.Tensor],
    grads: list[torch.Tensor],
    buffers: list[torch.Tensor],
    *,
    lr: float,
    momentum: float = 0.95,
    weight_decay: float = 0.0,
    nesterov: bool = True,
    ns_steps: int = 5,
    splits: list[list[int] | None] | None = None,
) -> None:
    """One Muon step, in place, for matrices ``params`` with gradients ``grads`` and momentum
    ``buffers``; ``splits[i]`` lists the row counts of the parts of ``params[i]`` (None: one)."""
    splits = splits or [None] * len(params)
    by_shape = {}  # parts of the same shape are orthogonalised together, as one batch
    for p, g, buf, rows in zip(params, grads, buffers, splits):
        buf.lerp_(g, 1 - momentum)  # B = mu B + (1 - mu) G
        update = g.lerp(buf, momentum) if nesterov else buf  # Nesterov: look one step ahead
        p.mul_(1 - lr * weight_decay)  # decoupled weight decay, as AdamW's
        rows = rows or [p.size(0)]
        for part, piece in zip(p.split(rows), update.split(rows)):
            by_shape.setdefault(tuple(piece.shape), []).append((part, piece))
    for (n_rows, n_cols), pairs in by_shape.items():
        ortho = newton_schulz(torch.stack([piece for _, piece in pairs]), ns_steps)
        scale = 0.2 * math.sqrt(max(n_rows, n_cols))  # AdamW's update size
        for (part, _), o in zip(pairs, ortho):
            part.add_(o, alpha=-lr * scale)


def _check_muon_group(group: dict[str, Any]) -> None:
    for p in group["params"]:
        if p.dim() != 2:
            raise ValueError(
                f"Muon updates matrices; a use_muon group holds a parameter of shape "
                f"{tuple(p.shape)}. Put vectors (biases, norm gains) in an AdamW group."
            )
    splits = group["splits"]
    if splits is None:
        return
    if len(splits) != len(group["params"]):
        raise ValueError(
            f"splits must give one entry per parameter: {len(splits)} for "
            f"{len(group['params'])} parameters."
        )
    for p, rows in zip(group["params"], splits):
        if rows is not None and sum(rows) != p.size(0):
            raise ValueError(
                f"The parts {list(rows)} of a parameter with {p.size(0)} rows must add up to it."
            )


def _row_splits(model: nn.Module, name: str, p: torch.Tensor) -> list[int] | None:
    """The row counts of the matrices a fused weight holds side by side (None: one matrix)."""
    module = model.get_submodule(name.rsplit(".", 2)[0])  # "blocks.0.attn" for its qkv
    if isinstance(module, CausalSelfAttention) and name.endswith(".qkv.weight"):
        kv_rows = module.n_kv_head * module.head_size
        return [module.n_head * module.head_size, kv_rows, kv_rows]  # queries, keys, values
    if isinstance(module, SwiGLU) and name.endswith(".fc.weight"):
        return [p.size(0) // 2, p.size(0) // 2]  # gate, up-projection
    return None


def muon_param_groups(model: nn.Module, weight_decay: float = 0.1) -> list[dict[str, Any]]:
    """Parameter groups of a course :class:`~course_utils.gpt.model.GPT` for :class:`Muon`.

    Muon for the matrices inside the blocks (with the parts of ``qkv`` and SwiGLU's ``fc``);
    AdamW with weight decay for the embedding and the head, without it for the norms' gains.
    """
    model = getattr(model, "_orig_mod", model)  # the module behind torch.compile
    if not hasattr(model, "blocks"):
        raise TypeError(
            f"muon_param_groups expects the course GPT (a model with .blocks), got "
            f"{type(model).__name__}."
        )
    muon, splits, decay, no_decay = [], [], [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.dim() == 2 and name.startswith("blocks."):
            muon.append(p)
            splits.append(_row_splits(model, name, p))
        elif p.dim() >= 2:
            decay.append(p)
        else:
            no_decay.append(p)
    groups = [
        {"params": muon, "use_muon": True, "splits": splits, "weight_decay": weight_decay},
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]
