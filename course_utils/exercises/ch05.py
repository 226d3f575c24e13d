"""Exercises of notebook 05: from NumPy to PyTorch.

- :data:`linear_from_numpy`: copy NumPy weights into an ``nn.Linear`` (mind the transpose).
- :data:`autograd_gradient`: let autograd compute a gradient you know by hand.
- :data:`two_layer_net`: write an ``nn.Module`` with two ``nn.Linear`` layers.
- :data:`train_step`: one step of the standard PyTorch training loop.
- :data:`topological_sort`: order a computation graph so that backward() can walk it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks import Exercise, Feedback, compare

__all__ = [
    "linear_from_numpy",
    "autograd_gradient",
    "two_layer_net",
    "train_step",
    "topological_sort",
]


def _fail(message: str) -> Feedback:
    return Feedback(False, message)


# --------------------------------------------------------------------------- linear_from_numpy


def _check_linear_from_numpy(fn: Any) -> Feedback:
    import torch
    from torch import nn

    if not callable(fn):
        return _fail("Pass your function itself, e.g. check(linear_from_numpy).")
    rng = np.random.default_rng(5)
    for n_in, n_out in [(2, 3), (4, 1), (3, 5)]:
        W = rng.normal(size=(n_in, n_out))
        b = rng.normal(size=n_out)
        try:
            layer = fn(W.copy(), b.copy())
        except Exception as exc:  # noqa: BLE001 - a learner's error becomes feedback
            return _fail(
                f"linear_from_numpy(W of shape {W.shape}, b) raised {type(exc).__name__}: {exc}"
            )
        if not isinstance(layer, nn.Linear):
            return _fail(
                f"linear_from_numpy should return an nn.Linear, got {type(layer).__name__}."
            )
        if tuple(layer.weight.shape) != (n_out, n_in):
            return _fail(
                f"for W of shape {W.shape} the layer's weight has shape "
                f"{tuple(layer.weight.shape)}; nn.Linear stores (n_out, n_in) = "
                f"{(n_out, n_in)}. Did you forget to transpose?"
            )
        X = rng.normal(size=(6, n_in))
        with torch.no_grad():
            out = layer(torch.as_tensor(X, dtype=layer.weight.dtype))
        fb = compare(out, X @ W + b, rtol=1e-5, atol=1e-5, name="the layer's output")
        if not fb.ok:
            return _fail(fb.message + " It should equal X @ W + b.")
    return Feedback(True, "your layer computes X @ W + b for every shape tried.")


linear_from_numpy = Exercise(
    "NumPy weights into nn.Linear",
    validator=_check_linear_from_numpy,
    hints=[
        "Create the layer with nn.Linear(n_in, n_out), where (n_in, n_out) = W.shape.",
        "nn.Linear keeps its weight as (n_out, n_in): copy W.T, not W.",
        "Copy inside `with torch.no_grad():` using layer.weight.copy_(torch.as_tensor(W.T)).",
    ],
    solution="""
import torch
from torch import nn

def linear_from_numpy(W, b):
    n_in, n_out = W.shape
    layer = nn.Linear(n_in, n_out)
    with torch.no_grad():                     # copying is not part of any computation graph
        layer.weight.copy_(torch.as_tensor(W.T, dtype=layer.weight.dtype))
        layer.bias.copy_(torch.as_tensor(b, dtype=layer.bias.dtype))
    return layer
""",
    answer_name="linear_from_numpy",
)


# --------------------------------------------------------------------------- autograd_gradient


def _autograd_gradient_ref(X: Any, y: Any, w: Any) -> Any:
    import torch

    X, y, w = (torch.as_tensor(t).detach().double() for t in (X, y, w))
    return (X.T @ (X @ w - y)) * (2.0 / X.shape[0])


def _autograd_cases() -> list[tuple[Any, Any, Any]]:
    import torch

    g = torch.Generator().manual_seed(0)
    cases = []
    for m, n in [(5, 2), (8, 3), (1, 4)]:
        X = torch.randn(m, n, generator=g, dtype=torch.float64)
        y = torch.randn(m, generator=g, dtype=torch.float64)
        w = torch.randn(n, generator=g, dtype=torch.float64)
        cases.append((X, y, w))
    return cases


autograd_gradient = Exercise(
    "A gradient from autograd",
    reference=_autograd_gradient_ref,
    cases=_autograd_cases,
    rtol=1e-6,
    atol=1e-9,
    hints=[
        "Make a copy of w that records operations: w = w.detach().clone().requires_grad_(True).",
        "Compute loss = ((X @ w - y) ** 2).mean(), then call loss.backward().",
        "The gradient is now in w.grad; return it.",
    ],
    solution="""
def autograd_gradient(X, y, w):
    w = w.detach().clone().requires_grad_(True)   # a fresh leaf that tracks operations
    loss = ((X @ w - y) ** 2).mean()
    loss.backward()
    return w.grad
""",
    answer_name="autograd_gradient",
)


# --------------------------------------------------------------------------- two_layer_net


def _check_two_layer_net(cls: Any) -> Feedback:
    import torch
    from torch import nn

    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        return _fail(
            "Pass the class itself (TwoLayerNet, without brackets); it must subclass nn.Module."
        )
    try:
        torch.manual_seed(0)
        net = cls()
    except Exception as exc:  # noqa: BLE001
        return _fail(
            f"TwoLayerNet() raised {type(exc).__name__}: {exc}. Did __init__ call "
            "super().__init__()?"
        )
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    linears.sort(key=lambda m: m.in_features != 2)  # the 2 -> 16 layer first, whatever the order
    shapes = [tuple(m.weight.shape) for m in linears]
    if shapes != [(16, 2), (1, 16)]:
        return _fail(
            f"expected two nn.Linear layers, 2 -> 16 and 16 -> 1 (weights of shape "
            f"(16, 2) and (1, 16)); found weight shapes {shapes}."
        )
    n_params = sum(p.numel() for p in net.parameters())
    if n_params != 65:
        return _fail(f"the network has {n_params} parameters; 2*16 + 16 + 16*1 + 1 = 65 expected.")
    X = torch.randn(7, 2, generator=torch.Generator().manual_seed(1))
    try:
        out = net(X)
    except Exception as exc:  # noqa: BLE001
        return _fail(f"net(X) raised {type(exc).__name__}: {exc}")
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (7, 1):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        return _fail(f"for X of shape (7, 2) the output should have shape (7, 1), got {got}.")
    first, second = linears
    with torch.no_grad():
        expected = torch.sigmoid(second(torch.relu(first(X))))
    fb = compare(out, expected, rtol=1e-5, atol=1e-6, name="the output")
    if not fb.ok:
        return _fail(fb.message + " forward should be sigmoid(fc2(relu(fc1(x)))).")
    return Feedback(True, "the module has the right layers, 65 parameters, and the right forward.")


two_layer_net = Exercise(
    "Your own nn.Module",
    validator=_check_two_layer_net,
    hints=[
        "class TwoLayerNet(nn.Module): with __init__(self) calling super().__init__() first.",
        "In __init__: self.fc1 = nn.Linear(2, 16) and self.fc2 = nn.Linear(16, 1).",
        "forward(self, x) returns torch.sigmoid(self.fc2(torch.relu(self.fc1(x)))).",
    ],
    solution="""
import torch
from torch import nn

class TwoLayerNet(nn.Module):
    def __init__(self):
        super().__init__()                # registers the parameters of the layers below
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(x))))
""",
    answer_name="TwoLayerNet",
)


# --------------------------------------------------------------------------- train_step


def _reference_train_step(model: Any, optimizer: Any, loss_fn: Any, X: Any, y: Any) -> float:
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return float(loss.item())


def _check_train_step(fn: Any) -> Feedback:
    import torch
    from torch import nn

    if not callable(fn):
        return _fail("Pass your function itself, e.g. check(train_step).")

    def setup() -> tuple[Any, Any, Any]:
        torch.manual_seed(3)
        model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
        return model, torch.optim.SGD(model.parameters(), lr=0.5), nn.BCELoss()

    g = torch.Generator().manual_seed(4)
    X = torch.randn(10, 2, generator=g)
    y = (X[:, :1] > 0).float()
    mine, opt_mine, loss_mine = setup()
    ref, opt_ref, loss_ref = setup()
    for step in (1, 2, 3):
        expected = _reference_train_step(ref, opt_ref, loss_ref, X, y)
        try:
            got = fn(mine, opt_mine, loss_mine, X, y)
        except Exception as exc:  # noqa: BLE001
            return _fail(f"train_step raised {type(exc).__name__}: {exc}")
        if isinstance(got, torch.Tensor):
            if got.numel() != 1:
                return _fail(
                    f"train_step should return the loss as a number, got a tensor of "
                    f"shape {tuple(got.shape)}."
                )
            got = got.item()
        fb = compare(got, expected, rtol=1e-5, atol=1e-7, name=f"the loss returned at step {step}")
        if not fb.ok:
            return _fail(
                fb.message + " Compute loss = loss_fn(model(X), y) (prediction first, then the "
                "target), and return loss.item(), computed before optimizer.step()."
            )
        for p_mine, p_ref in zip(mine.parameters(), ref.parameters()):
            if not torch.allclose(p_mine, p_ref, rtol=1e-5, atol=1e-7):
                tip = (
                    " The first step was right, so the gradients are probably piling up: "
                    "call optimizer.zero_grad() every step."
                    if step > 1
                    else " Did you call loss.backward() and optimizer.step()?"
                )
                return _fail(f"after step {step} the weights differ from one SGD step.{tip}")
    return Feedback(True, "three steps in a row match the standard training loop.")


train_step = Exercise(
    "One training step",
    validator=_check_train_step,
    hints=[
        "Four lines: clear old gradients, compute the loss, backpropagate, step.",
        "optimizer.zero_grad(); loss = loss_fn(model(X), y); loss.backward(); optimizer.step()",
        "Return loss.item() so the caller gets a plain Python float.",
    ],
    solution="""
def train_step(model, optimizer, loss_fn, X, y):
    optimizer.zero_grad()          # gradients add up unless cleared
    loss = loss_fn(model(X), y)    # forward pass and loss
    loss.backward()                # autograd fills p.grad for every parameter
    optimizer.step()               # p <- p - lr * p.grad
    return loss.item()
""",
    answer_name="train_step",
)


# --------------------------------------------------------------------------- topological_sort


def _graphs() -> list[tuple[str, Any]]:
    from course_utils.autograd import Value

    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    chain = ((a * b + c).tanh() * 2).relu()
    x = Value(1.5)
    shared = x * x + x  # x is used three times, x * x feeds the sum
    w1, w2, bias = Value(0.5), Value(-1.0), Value(0.1)
    neuron = (w1 * 2.0 + w2 * 3.0 + bias).tanh()
    return [
        ("a single value", Value(4.0)),
        ("a chain of operations", chain),
        ("a value used several times", shared),
        ("a neuron", neuron),
    ]


def _reachable(root: Any) -> set[int]:
    seen, todo = set(), [root]
    while todo:
        node = todo.pop()
        if id(node) not in seen:
            seen.add(id(node))
            todo.extend(node._prev)
    return seen


def _check_topological_sort(fn: Any) -> Feedback:
    if not callable(fn):
        return _fail("Pass your function itself, e.g. check(topological_sort).")
    for name, root in _graphs():
        try:
            order = fn(root)
        except Exception as exc:  # noqa: BLE001 - a learner's error becomes feedback
            return _fail(f"on {name}, topological_sort raised {type(exc).__name__}: {exc}")
        if not isinstance(order, list):
            return _fail(
                f"on {name}, topological_sort returned {type(order).__name__}; return "
                "a list of Values."
            )
        ids = [id(node) for node in order]
        if len(ids) != len(set(ids)):
            return _fail(
                f"on {name}, a value appears more than once: remember the values you "
                "have visited already (a set of them)."
            )
        if set(ids) != _reachable(root):
            return _fail(
                f"on {name}, the list should hold every value the result depends on "
                f"(and the result itself): {len(_reachable(root))} values, got "
                f"{len(ids)}."
            )
        where = {node_id: i for i, node_id in enumerate(ids)}
        for node in order:
            if any(where[id(child)] > where[id(node)] for child in node._prev):
                return _fail(
                    f"on {name}, a value comes before one it was computed from: append "
                    "a value only after visiting all of its children (node._prev)."
                )
    return Feedback(True, "every value comes after the values it was computed from, once each.")


topological_sort = Exercise(
    "Sort a computation graph",
    validator=_check_topological_sort,
    hints=[
        "Write a helper visit(node) that first visits every child in node._prev, then appends "
        "node to the list.",
        "Keep a set of the values already visited, so a value used twice is listed once.",
        "Call visit(root) and return the list: the root comes last, the inputs first.",
    ],
    solution="""
def topological_sort(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:  # a value used twice is listed once
            visited.add(node)
            for child in node._prev:  # everything it was computed from comes first
                visit(child)
            order.append(node)

    visit(root)
    return order  # inputs first, root last: backward() walks it in reverse
""",
    answer_name="topological_sort",
)
