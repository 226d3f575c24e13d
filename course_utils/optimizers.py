"""Optimizers written from scratch, and the 2-D loss surfaces notebook 07 races them on.

Every optimizer here is a :class:`torch.optim.Optimizer` subclass that updates each parameter with
the textbook formulas, one tensor at a time, so the code reads like the math. The tests prove each
one equal, step for step, to its ``torch.optim`` counterpart.

- :class:`SGD`: plain gradient descent, optionally with momentum (heavy ball or Nesterov).
- :class:`Adagrad`: divides by the root of the *sum* of all squared gradients so far.
- :class:`RMSProp`: divides by the root of a *moving average* of squared gradients.
- :class:`Adam`: momentum on the gradient plus RMSProp's scaling, both bias-corrected.
- :class:`AdamW`: Adam with weight decay applied to the weights directly ("decoupled").

For pictures: :data:`SURFACES` (an elongated bowl and Rosenbrock's valley), :func:`optimize_path`
(follow one optimizer across a surface), :func:`race` (all of them at once) (the
picture behind the notebook's widget is :func:`course_utils.plotting.ch07.plot_race`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from course_utils.validation import as_number, non_negative, positive

__all__ = [
    "SGD",
    "Adagrad",
    "RMSProp",
    "Adam",
    "AdamW",
    "adam_update_group",
    "Surface",
    "SURFACES",
    "DEFAULT_LRS",
    "make_optimizer",
    "optimize_path",
    "race",
]


# --------------------------------------------------------------------------- argument checks


def _unit_interval(value: Any, name: str) -> float:
    """A number in [0, 1): a decay rate such as beta1, beta2, alpha or momentum."""
    value = as_number(value, name)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}.")
    return value


def _run_closure(closure: Callable[[], Any] | None) -> Any:
    """Re-evaluate the loss with gradients on, as ``torch.optim`` does; None without a closure."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


def _betas(betas: Any) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}.")
    return _unit_interval(betas[0], "beta1 (betas[0])"), _unit_interval(
        betas[1], "beta2 (betas[1])"
    )


def _dense_grad(p: torch.Tensor, name: str) -> torch.Tensor:
    grad = p.grad
    if grad.is_sparse:
        raise RuntimeError(f"{name} here handles dense gradients only; use torch.optim for sparse.")
    return grad


# --------------------------------------------------------------------------- optimizers


class SGD(torch.optim.Optimizer):
    r"""Stochastic gradient descent with optional momentum and weight decay.

    With ``momentum`` :math:`\mu`, a velocity collects past gradients:

    .. math:: b_t = \mu\, b_{t-1} + g_t,\qquad \theta_t = \theta_{t-1} - \eta\, b_t

    (``nesterov=True`` steps with :math:`g_t + \mu b_t` instead of :math:`b_t`: it "looks ahead").
    ``weight_decay`` :math:`\lambda` adds :math:`\lambda\theta` to the gradient (L2 regularisation).
    Matches ``torch.optim.SGD`` with ``dampening=0``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        lr = non_negative(lr, "lr")
        momentum = _unit_interval(momentum, "momentum")
        weight_decay = non_negative(weight_decay, "weight_decay")
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}.")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs a momentum above 0.")
        super().__init__(
            params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
        )

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter once; ``closure`` (optional) recomputes and returns the loss."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = _dense_grad(p, "SGD")
                if wd != 0:
                    grad = grad.add(p, alpha=wd)  # g + λθ
                if mu != 0:
                    state = self.state[p]
                    if "velocity" not in state:
                        state["velocity"] = grad.clone()  # b_1 = g_1
                    else:
                        state["velocity"].mul_(mu).add_(grad)  # b_t = μ b_{t-1} + g_t
                    velocity = state["velocity"]
                    grad = grad.add(velocity, alpha=mu) if group["nesterov"] else velocity
                p.add_(grad, alpha=-lr)  # θ ← θ − η · step
        return loss


class Adagrad(torch.optim.Optimizer):
    r"""Adagrad: every weight gets its own rate, which shrinks as its squared gradients pile up.

    .. math:: s_t = s_{t-1} + g_t^2,\qquad
              \theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{s_t} + \epsilon}

    :math:`s_t` only grows, so the effective rate :math:`\eta/\sqrt{s_t}` only falls. Matches
    ``torch.optim.Adagrad`` (with ``lr_decay=0``).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
    ) -> None:
        lr = non_negative(lr, "lr")
        eps = non_negative(eps, "eps")
        weight_decay = non_negative(weight_decay, "weight_decay")
        initial = non_negative(initial_accumulator_value, "initial_accumulator_value")
        super().__init__(
            params,
            dict(lr=lr, eps=eps, weight_decay=weight_decay, initial_accumulator_value=initial),
        )

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter once; ``closure`` (optional) recomputes and returns the loss."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = _dense_grad(p, "Adagrad")
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if "sum_sq" not in state:
                    state["sum_sq"] = torch.full_like(p, group["initial_accumulator_value"])
                sum_sq = state["sum_sq"]
                sum_sq.addcmul_(grad, grad)  # s_t = s_{t-1} + g²
                denom = sum_sq.sqrt().add_(group["eps"])  # √s_t + ε
                p.addcdiv_(grad, denom, value=-group["lr"])  # θ ← θ − η g / (√s_t + ε)
        return loss


class RMSProp(torch.optim.Optimizer):
    r"""RMSProp: divide by the root of a *moving average* of squared gradients.

    .. math:: v_t = \alpha\, v_{t-1} + (1-\alpha)\, g_t^2,\qquad
              \theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{v_t} + \epsilon}

    Old gradients fade (by a factor ``alpha`` per step), so the rate can grow again when gradients
    get small, unlike Adagrad's. ``momentum`` adds a velocity on top of the scaled step;
    ``centered=True`` divides by an estimate of the gradient's *variance* instead. Matches
    ``torch.optim.RMSprop``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        lr = non_negative(lr, "lr")
        alpha = _unit_interval(alpha, "alpha")
        eps = non_negative(eps, "eps")
        weight_decay = non_negative(weight_decay, "weight_decay")
        momentum = _unit_interval(momentum, "momentum")
        if not isinstance(centered, bool):
            raise TypeError(f"centered must be True or False, got {centered!r}.")
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
            ),
        )

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter once; ``closure`` (optional) recomputes and returns the loss."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            alpha = group["alpha"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = _dense_grad(p, "RMSProp")
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if "mean_sq" not in state:
                    state["mean_sq"] = torch.zeros_like(p)
                    if group["momentum"] > 0:
                        state["velocity"] = torch.zeros_like(p)
                    if group["centered"]:
                        state["mean_grad"] = torch.zeros_like(p)
                mean_sq = state["mean_sq"]
                mean_sq.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)  # v = αv + (1−α)g²
                if group["centered"]:
                    mean_grad = state["mean_grad"]
                    mean_grad.mul_(alpha).add_(grad, alpha=1 - alpha)
                    denom = mean_sq.addcmul(mean_grad, mean_grad, value=-1).sqrt_()
                else:
                    denom = mean_sq.sqrt()
                denom = denom.add_(group["eps"])  # √v + ε
                if group["momentum"] > 0:
                    velocity = state["velocity"]
                    velocity.mul_(group["momentum"]).addcdiv_(grad, denom)
                    p.add_(velocity, alpha=-group["lr"])
                else:
                    p.addcdiv_(grad, denom, value=-group["lr"])  # θ ← θ − η g/(√v+ε)
        return loss


class Adam(torch.optim.Optimizer):
    r"""Adam: a moving average of gradients (momentum) scaled by one of squared gradients (RMSProp).

    .. math::
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
        \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    ``weight_decay`` :math:`\lambda` adds :math:`\lambda\theta` to the gradient *before* the moments
    (L2 regularisation, which Adam then rescales; see :class:`AdamW` for the decoupled kind).
    ``amsgrad=True`` divides by the largest :math:`v_t` seen so far. Matches ``torch.optim.Adam``.
    """

    decoupled: bool = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        lr = non_negative(lr, "lr")
        betas = _betas(betas)
        eps = non_negative(eps, "eps")
        weight_decay = non_negative(weight_decay, "weight_decay")
        if not isinstance(amsgrad, bool):
            raise TypeError(f"amsgrad must be True or False, got {amsgrad!r}.")
        super().__init__(
            params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        )

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter once; ``closure`` (optional) recomputes and returns the loss."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            adam_update_group(self, group, decoupled=self.decoupled)
        return loss


def adam_update_group(
    optimizer: torch.optim.Optimizer, group: dict[str, Any], *, decoupled: bool
) -> None:
    """One Adam step (AdamW's if ``decoupled``) for every parameter of one parameter group, with
    its state kept in ``optimizer.state``. :class:`Adam` and :class:`AdamW` run it on every group;
    :class:`course_utils.gpt.muon.Muon` on the groups it leaves to AdamW."""
    name = type(optimizer).__name__
    lr, wd = group["lr"], group["weight_decay"]
    beta1, beta2 = group["betas"]
    for p in group["params"]:
        if p.grad is None:
            continue
        grad = _dense_grad(p, name)
        if wd != 0:
            if decoupled:
                p.mul_(1 - lr * wd)  # AdamW: shrink the weight itself
            else:
                grad = grad.add(p, alpha=wd)  # Adam + L2: decay goes through m and v
        state = optimizer.state[p]
        if "step" not in state:
            state["step"] = 0
            state["m"] = torch.zeros_like(p)
            state["v"] = torch.zeros_like(p)
            if group["amsgrad"]:
                state["v_max"] = torch.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        m, v = state["m"], state["v"]
        m.mul_(beta1).add_(grad, alpha=1 - beta1)  # m = β1 m + (1−β1) g
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v = β2 v + (1−β2) g²
        if group["amsgrad"]:
            torch.maximum(state["v_max"], v, out=state["v_max"])
            v = state["v_max"]
        correction1 = 1 - beta1**t  # divides m: m̂ = m / (1−β1^t)
        correction2 = 1 - beta2**t  # divides v: v̂ = v / (1−β2^t)
        denom = (v.sqrt() / math.sqrt(correction2)).add_(group["eps"])  # √v̂ + ε
        p.addcdiv_(m, denom, value=-lr / correction1)  # θ ← θ − η m̂ / (√v̂ + ε)


class AdamW(Adam):
    r"""Adam with *decoupled* weight decay (Loshchilov and Hutter).

    Before the Adam step every weight shrinks by a fixed fraction,
    :math:`\theta \leftarrow (1 - \eta\lambda)\,\theta`; the decay never enters :math:`m` or
    :math:`v`, so every weight is pulled towards zero at the same relative speed, whatever the
    size of its gradients. Matches ``torch.optim.AdamW`` (whose default ``weight_decay`` is 0.01).
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )


# --------------------------------------------------------------------------- 2-D loss surfaces


@dataclass(frozen=True)
class Surface:
    """A 2-D loss function with a sensible window, start and minimum for pictures."""

    name: str
    fn: Callable[[Any, Any], Any]
    start: tuple[float, float]
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    log_levels: bool

    def __call__(self, x: Any, y: Any) -> Any:
        """The loss at ``(x, y)``: numbers, NumPy arrays (a grid) or torch tensors."""
        return self.fn(x, y)


def _bowl(x: Any, y: Any) -> Any:
    return x**2 / 20 + y**2


def _rosenbrock(x: Any, y: Any) -> Any:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


SURFACES: dict[str, Surface] = {
    "bowl": Surface(
        "elongated bowl  x²/20 + y²",
        _bowl,
        start=(-8.0, 2.0),
        minimum=(0.0, 0.0),
        xlim=(-9.0, 2.0),
        ylim=(-2.5, 2.5),
        log_levels=False,
    ),
    "rosenbrock": Surface(
        "Rosenbrock  (1−x)² + 100(y−x²)²",
        _rosenbrock,
        start=(-1.2, 1.0),
        minimum=(1.0, 1.0),
        xlim=(-1.6, 1.6),
        ylim=(-0.6, 1.8),
        log_levels=True,
    ),
}
"""The surfaces of the notebook's race: ``"bowl"`` (20 times steeper across than along) and
``"rosenbrock"`` (a curved, nearly flat valley)."""

DEFAULT_LRS: dict[str, dict[str, float]] = {
    "bowl": {"SGD": 0.9, "momentum": 0.1, "Adagrad": 1.0, "RMSProp": 0.1, "Adam": 0.3},
    "rosenbrock": {"SGD": 1e-3, "momentum": 1e-3, "Adagrad": 1.0, "RMSProp": 0.01, "Adam": 0.1},
}
"""A learning rate per optimizer and surface that shows each one at its typical best."""

_FACTORIES: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "SGD": lambda params, lr: SGD(params, lr=lr),
    "momentum": lambda params, lr: SGD(params, lr=lr, momentum=0.9),
    "Adagrad": lambda params, lr: Adagrad(params, lr=lr),
    "RMSProp": lambda params, lr: RMSProp(params, lr=lr, alpha=0.9),
    "Adam": lambda params, lr: Adam(params, lr=lr),
}


def make_optimizer(name: str, params: Iterable[Any], lr: float) -> torch.optim.Optimizer:
    """Build one of the race's optimizers by name: SGD, momentum (0.9), Adagrad, RMSProp, Adam."""
    if name not in _FACTORIES:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(_FACTORIES)}.")
    return _FACTORIES[name](params, lr)


def _surface(surface: str | Surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; choose from {sorted(SURFACES)}.")
    return SURFACES[surface]


def optimize_path(
    surface: str | Surface,
    optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    steps: int,
    start: Sequence[float] | None = None,
) -> np.ndarray:
    """Follow ``optimizer`` for ``steps`` steps on a 2-D surface; return the ``(steps + 1, 2)`` path.

    ``optimizer`` builds an optimizer from a parameter list, e.g.
    ``lambda params: Adam(params, lr=0.1)``. The path starts at ``start`` (default: the surface's
    own start). A path that leaves the finite numbers is cut where it does.
    """
    surf = _surface(surface)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be an integer, got {type(steps).__name__}.")
    if steps < 0:
        raise ValueError(f"steps must be 0 or more, got {steps}.")
    if not callable(optimizer):
        raise TypeError(
            "optimizer must be a function that builds an optimizer from a parameter "
            "list, e.g. lambda params: Adam(params, lr=0.1)."
        )
    xy0 = np.asarray(surf.start if start is None else start, dtype=float)
    if xy0.shape != (2,) or not np.isfinite(xy0).all():
        raise ValueError(f"start must be two finite numbers, got {start!r}.")
    point = torch.tensor(xy0, dtype=torch.float64, requires_grad=True)
    opt = optimizer([point])
    path = [xy0.copy()]
    for _ in range(int(steps)):
        opt.zero_grad()
        loss = surf(point[0], point[1])
        loss.backward()
        opt.step()
        now = point.detach().numpy().copy()
        if not np.isfinite(now).all() or np.abs(now).max() > 1e6:
            break
        path.append(now)
    return np.array(path)


def race(
    surface: str | Surface,
    steps: int,
    lrs: Mapping[str, float] | None = None,
    lr_scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """Run every optimizer of the race on ``surface``; return ``{name: path}``.

    ``lrs`` maps optimizer names to learning rates (default: :data:`DEFAULT_LRS` of the surface),
    and ``lr_scale`` multiplies all of them.
    """
    surf_key = surface if isinstance(surface, str) else None
    _surface(surface)
    if lrs is None:
        if surf_key is None:
            raise ValueError("give lrs for a custom Surface.")
        lrs = DEFAULT_LRS[surf_key]
    scale = positive(lr_scale, "lr_scale")
    return {
        name: optimize_path(
            surface, lambda params, n=name, lr=lr: make_optimizer(n, params, lr * scale), steps
        )
        for name, lr in lrs.items()
    }
