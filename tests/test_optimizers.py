"""The from-scratch optimizers equal torch.optim step for step; the race helpers behave."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import optimizers as opt

STEPS = 60


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """The models here are tiny: one thread is much faster than coordinating several."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# (name, ours, reference, keyword arguments): several settings each, weight decay included.
CASES = [
    ("sgd", opt.SGD, torch.optim.SGD, dict(lr=0.05)),
    ("sgd-wd", opt.SGD, torch.optim.SGD, dict(lr=0.05, weight_decay=0.01)),
    ("momentum", opt.SGD, torch.optim.SGD, dict(lr=0.02, momentum=0.9)),
    ("momentum-wd", opt.SGD, torch.optim.SGD, dict(lr=0.02, momentum=0.5, weight_decay=0.05)),
    ("nesterov", opt.SGD, torch.optim.SGD, dict(lr=0.02, momentum=0.9, nesterov=True)),
    ("adagrad", opt.Adagrad, torch.optim.Adagrad, dict(lr=0.1)),
    (
        "adagrad-wd",
        opt.Adagrad,
        torch.optim.Adagrad,
        dict(lr=0.05, weight_decay=0.02, initial_accumulator_value=0.1, eps=1e-6),
    ),
    ("rmsprop", opt.RMSProp, torch.optim.RMSprop, dict(lr=0.01)),
    (
        "rmsprop-alpha-wd",
        opt.RMSProp,
        torch.optim.RMSprop,
        dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.01),
    ),
    ("rmsprop-momentum", opt.RMSProp, torch.optim.RMSprop, dict(lr=0.002, momentum=0.9)),
    (
        "rmsprop-centered",
        opt.RMSProp,
        torch.optim.RMSprop,
        dict(lr=0.002, centered=True, momentum=0.5),
    ),
    ("adam", opt.Adam, torch.optim.Adam, dict(lr=0.01)),
    ("adam-betas", opt.Adam, torch.optim.Adam, dict(lr=0.003, betas=(0.8, 0.99), eps=1e-6)),
    ("adam-l2", opt.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    ("adam-amsgrad", opt.Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    ("adamw", opt.AdamW, torch.optim.AdamW, dict(lr=0.01)),
    (
        "adamw-strong",
        opt.AdamW,
        torch.optim.AdamW,
        dict(lr=0.01, weight_decay=0.5, betas=(0.85, 0.995)),
    ),
    ("adamw-amsgrad", opt.AdamW, torch.optim.AdamW, dict(lr=0.005, weight_decay=0.1, amsgrad=True)),
]


def _model(dtype: torch.dtype) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3)
    ).to(dtype)


def _batches(dtype: torch.dtype, steps: int = STEPS) -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(1)
    return [
        (torch.randn(32, 5, generator=gen, dtype=dtype), torch.randint(0, 3, (32,), generator=gen))
        for _ in range(steps)
    ]


def _train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: list[tuple[torch.Tensor, torch.Tensor]],
) -> list[list[torch.Tensor]]:
    """Train on the batches; return a snapshot of every parameter after each step."""
    snapshots = []
    for x, y in batches:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        snapshots.append([p.detach().clone() for p in model.parameters()])
    return snapshots


@pytest.mark.parametrize("name, ours, reference, kwargs", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
def test_matches_torch_optim_step_for_step(name, ours, reference, kwargs, dtype):
    model_a = _model(dtype)
    model_b = copy.deepcopy(model_a)
    batches = _batches(dtype)
    got = _train(model_a, ours(model_a.parameters(), **kwargs), batches)
    want = _train(model_b, reference(model_b.parameters(), **kwargs), batches)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == torch.float64 else dict(rtol=2e-5, atol=2e-6)
    for step, (ps_got, ps_want) in enumerate(zip(got, want), start=1):
        for p_got, p_want in zip(ps_got, ps_want):
            torch.testing.assert_close(
                p_got, p_want, **tol, msg=lambda m, s=step: f"{name}, step {s}: {m}"
            )
    # and training moved the weights: the comparison is not of two frozen models
    start = [p.detach() for p in _model(dtype).parameters()]
    assert max((a - b).abs().max().item() for a, b in zip(got[-1], start)) > 1e-3


@pytest.mark.parametrize(
    "ours, reference, kwargs",
    [
        (opt.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
        (opt.Adam, torch.optim.Adam, dict(lr=0.01)),
        (opt.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
        (opt.RMSProp, torch.optim.RMSprop, dict(lr=0.01)),
        (opt.Adagrad, torch.optim.Adagrad, dict(lr=0.1)),
    ],
)
def test_param_groups_and_frozen_parameters_match(ours, reference, kwargs):
    """Two groups with their own learning rates, and a layer without gradients, as in torch."""
    results = []
    for cls in (ours, reference):
        model = _model(torch.float64)
        model[0].requires_grad_(False)  # frozen layer: its grad stays None
        groups = [
            {"params": model[2].parameters()},
            {"params": model[4].parameters(), "lr": kwargs["lr"] / 3},
        ]
        results.append(_train(model, cls(groups, **kwargs), _batches(torch.float64, 20))[-1])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    frozen = _model(torch.float64)[0].weight
    torch.testing.assert_close(results[0][0], frozen, rtol=0, atol=0)


def test_state_dict_round_trip_continues_identically():
    batches = _batches(torch.float64, 20)
    model = _model(torch.float64)
    optimizer = opt.Adam(model.parameters(), lr=0.01)
    _train(model, optimizer, batches[:10])
    clone = copy.deepcopy(model)
    clone_opt = opt.Adam(clone.parameters(), lr=0.01)
    clone_opt.load_state_dict(copy.deepcopy(optimizer.state_dict()))
    a = _train(model, optimizer, batches[10:])[-1]
    b = _train(clone, clone_opt, batches[10:])[-1]
    for p, q in zip(a, b):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_closure_is_called_and_its_loss_returned():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    for cls in (opt.SGD, opt.Adagrad, opt.RMSProp, opt.Adam, opt.AdamW):
        optimizer = cls([w], lr=0.1)

        def closure(optimizer=optimizer):
            optimizer.zero_grad()
            loss = (w**2).sum()
            loss.backward()
            return loss

        before = w.detach().clone()
        loss = optimizer.step(closure)
        assert torch.isclose(loss, (before**2).sum())
        assert not torch.equal(w.detach(), before)


def test_adamw_decay_is_decoupled_from_adam_l2():
    """Same weight decay, different result: AdamW shrinks weights, Adam + L2 rescales the decay."""
    model_l2 = _model(torch.float64)
    model_w = copy.deepcopy(model_l2)
    batches = _batches(torch.float64, 30)
    l2 = _train(model_l2, opt.Adam(model_l2.parameters(), lr=0.01, weight_decay=0.1), batches)[-1]
    dw = _train(model_w, opt.AdamW(model_w.parameters(), lr=0.01, weight_decay=0.1), batches)[-1]
    assert max((a - b).abs().max().item() for a, b in zip(l2, dw)) > 1e-3

    # With a zero loss gradient the difference is exact: AdamW shrinks each weight by the factor
    # (1 - lr * wd) per step; Adam + L2 normalises the decay gradient and moves every weight by
    # about lr per step, whatever its size.
    lr, wd, steps = 0.01, 0.1, 50
    start = torch.tensor([8.0, 3.0, -5.0], dtype=torch.float64)
    w_adamw = start.clone().requires_grad_(True)
    w_l2 = start.clone().requires_grad_(True)
    o_adamw = opt.AdamW([w_adamw], lr=lr, weight_decay=wd)
    o_l2 = opt.Adam([w_l2], lr=lr, weight_decay=wd)
    for _ in range(steps):
        for w, o in ((w_adamw, o_adamw), (w_l2, o_l2)):
            o.zero_grad()
            (0 * w).sum().backward()
            o.step()
    torch.testing.assert_close(w_adamw.detach(), start * (1 - lr * wd) ** steps)
    moved = (start - w_l2.detach()).abs()
    assert torch.all((moved > 0.85 * lr * steps) & (moved <= lr * steps * 1.0001))
    assert (start - w_adamw.detach()).abs()[0] > 2 * (start - w_adamw.detach()).abs()[1]


def test_adamw_without_decay_is_adam():
    a, b = _model(torch.float64), _model(torch.float64)
    batches = _batches(torch.float64, 20)
    pa = _train(a, opt.Adam(a.parameters(), lr=0.01), batches)[-1]
    pb = _train(b, opt.AdamW(b.parameters(), lr=0.01, weight_decay=0.0), batches)[-1]
    for p, q in zip(pa, pb):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_adam_first_steps_by_hand():
    """One weight, gradients 1.5 then 1.4 (the notebook's worked example)."""
    w = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    o = opt.Adam([w], lr=0.1, betas=(0.9, 0.999), eps=0.0)
    for g in (1.5, 1.4):
        w.grad = torch.tensor([g], dtype=torch.float64)
        o.step()
    m = o.state[w]["m"].item()
    v = o.state[w]["v"].item()
    assert np.isclose(m, 0.275) and np.isclose(v, 0.001 * 0.999 * 1.5**2 + 0.001 * 1.4**2)
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    # the first step is exactly lr (m̂ / √v̂ = g / |g|); the second uses the corrected moments
    assert np.isclose(w.item(), -0.1 - 0.1 * m_hat / np.sqrt(v_hat))


def test_adagrad_rate_shrinks_like_one_over_sqrt_t():
    w = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    o = opt.Adagrad([w], lr=1.0, eps=0.0)
    moves = []
    for _ in range(100):
        before = w.item()
        w.grad = torch.tensor([3.0], dtype=torch.float64)
        o.step()
        moves.append(before - w.item())
    np.testing.assert_allclose(moves, 1 / np.sqrt(np.arange(1, 101)), rtol=1e-12)


@pytest.mark.parametrize(
    "cls, kwargs, error",
    [
        (opt.SGD, dict(lr=-0.1), ValueError),
        (opt.SGD, dict(lr="0.1"), TypeError),
        (opt.SGD, dict(lr=0.1, momentum=1.0), ValueError),
        (opt.SGD, dict(lr=0.1, momentum=-0.5), ValueError),
        (opt.SGD, dict(lr=0.1, nesterov=True), ValueError),
        (opt.SGD, dict(lr=0.1, nesterov="yes"), TypeError),
        (opt.SGD, dict(lr=float("nan")), ValueError),
        (opt.SGD, dict(lr=0.1, weight_decay=-1e-4), ValueError),
        (opt.Adagrad, dict(lr=0.1, eps=-1e-10), ValueError),
        (opt.Adagrad, dict(lr=0.1, initial_accumulator_value=-1.0), ValueError),
        (opt.RMSProp, dict(lr=0.1, alpha=1.0), ValueError),
        (opt.RMSProp, dict(lr=0.1, centered=1), TypeError),
        (opt.Adam, dict(lr=0.1, betas=(0.9, 1.0)), ValueError),
        (opt.Adam, dict(lr=0.1, betas=(1.1, 0.999)), ValueError),
        (opt.Adam, dict(lr=0.1, betas=0.9), TypeError),
        (opt.Adam, dict(lr=0.1, betas=(0.9, None)), TypeError),
        (opt.Adam, dict(lr=None), TypeError),
        (opt.Adam, dict(lr=0.1, amsgrad="no"), TypeError),
        (opt.AdamW, dict(lr=0.1, weight_decay=float("inf")), ValueError),
        (opt.AdamW, dict(lr=0.1, eps=-1.0), ValueError),
    ],
)
def test_bad_hyper_parameters_are_refused_clearly(cls, kwargs, error):
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(error) as info:
        cls([w], **kwargs)
    assert str(info.value)


def test_error_messages_name_the_argument():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="beta2"):
        opt.Adam([w], betas=(0.9, 1.5))
    with pytest.raises(ValueError, match="momentum"):
        opt.SGD([w], lr=0.1, momentum=2)


# --------------------------------------------------------------------------- surfaces and race


def test_surfaces_have_their_minimum_where_they_say():
    for surface in opt.SURFACES.values():
        point = torch.tensor(surface.minimum, dtype=torch.float64, requires_grad=True)
        loss = surface(point[0], point[1])
        loss.backward()
        assert loss.item() == 0.0
        assert torch.allclose(point.grad, torch.zeros(2, dtype=torch.float64))
        # the same function works on NumPy grids
        grid = surface(np.zeros((3, 4)), np.ones((3, 4)))
        assert grid.shape == (3, 4)


def test_optimize_path_equals_hand_written_gradient_descent():
    lr, steps = 0.1, 25
    path = opt.optimize_path("bowl", lambda ps: opt.SGD(ps, lr=lr), steps)
    assert path.shape == (steps + 1, 2)
    xy = np.array(opt.SURFACES["bowl"].start)
    expected = [xy.copy()]
    for _ in range(steps):
        xy = xy - lr * np.array([xy[0] / 10, 2 * xy[1]])  # gradient of x²/20 + y²
        expected.append(xy.copy())
    np.testing.assert_allclose(path, np.array(expected), rtol=1e-12)


def test_optimize_path_stops_when_it_diverges():
    path = opt.optimize_path("rosenbrock", lambda ps: opt.SGD(ps, lr=0.1), 200)
    assert len(path) < 201 and np.isfinite(path).all()


def test_race_runs_every_optimizer_and_adam_beats_sgd_on_rosenbrock():
    paths = opt.race("rosenbrock", 150)
    assert set(paths) == set(opt.DEFAULT_LRS["rosenbrock"])
    loss = {name: float(opt.SURFACES["rosenbrock"](*p[-1])) for name, p in paths.items()}
    assert all(len(p) == 151 for p in paths.values())
    assert loss["Adam"] < loss["SGD"] and loss["momentum"] < loss["SGD"]
    scaled = opt.race("bowl", 10, lr_scale=0.5)
    assert not np.allclose(scaled["SGD"], opt.race("bowl", 10)["SGD"])


def test_race_helpers_refuse_bad_input():
    with pytest.raises(ValueError, match="unknown surface"):
        opt.race("saddle", 10)
    with pytest.raises(ValueError, match="unknown optimizer"):
        opt.make_optimizer("LBFGS", [torch.zeros(1, requires_grad=True)], 0.1)
    with pytest.raises(TypeError):
        opt.optimize_path("bowl", lambda ps: opt.SGD(ps, lr=0.1), 2.5)
    with pytest.raises(ValueError):
        opt.optimize_path("bowl", lambda ps: opt.SGD(ps, lr=0.1), 5, start=(1.0, 2.0, 3.0))
    with pytest.raises(TypeError):
        opt.optimize_path("bowl", "adam", 5)
    with pytest.raises(ValueError):
        opt.race("bowl", 5, lr_scale=0)
