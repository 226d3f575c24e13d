"""course_utils.autograd.Value gives the values and gradients that torch autograd gives."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils.autograd import Value, topological_order


def both(*numbers):
    """The same inputs as Values and as float64 leaf tensors."""
    ours = [Value(x) for x in numbers]
    theirs = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in numbers]
    return ours, theirs


def assert_matches(build, *numbers):
    ours, theirs = both(*numbers)
    out_ours, out_theirs = build(*ours), build(*theirs)
    out_ours.backward()
    out_theirs.backward()
    assert out_ours.data == pytest.approx(out_theirs.item(), rel=1e-12, abs=1e-12)
    for v, t in zip(ours, theirs):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-10, abs=1e-12)


def tanh(x):
    return x.tanh() if isinstance(x, Value) else torch.tanh(x)


def relu(x):
    return x.relu() if isinstance(x, Value) else torch.relu(x)


def exp(x):
    return x.exp() if isinstance(x, Value) else torch.exp(x)


# Every binary operator, with a Value or a plain number on either side.
BINARY = {
    "add": (lambda a, b: a + b, lambda a: a + 2.5, lambda a: 2.5 + a),
    "sub": (lambda a, b: a - b, lambda a: a - 2.5, lambda a: 2.5 - a),
    "mul": (lambda a, b: a * b, lambda a: a * 2.5, lambda a: 2.5 * a),
    "div": (lambda a, b: a / b, lambda a: a / 2.5, lambda a: 2.5 / a),
    "pow": (lambda a, b: a**b, lambda a: a**3, lambda a: 2.5**a),
}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("a, b", [(1.7, 0.6), (0.3, -1.2), (2.0, 3.0)])
def test_every_operator_with_numbers_on_either_side(name, a, b):
    both_values, right_number, left_number = BINARY[name]
    if name == "pow":
        b = abs(b)  # a real power of a positive base
    assert_matches(both_values, a, b)
    assert_matches(right_number, a)
    assert_matches(left_number, a)


UNARY = {
    "neg": lambda a: -a,
    "tanh": tanh,
    "relu": relu,
    "exp": exp,
    "reciprocal": lambda a: a**-1,
    "square root": lambda a: a**0.5,
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("a", [-1.3, 0.4, 2.2])
def test_unary_operations(name, a):
    if name == "square root" and a < 0:
        a = -a  # a real square root needs a positive number
    assert_matches(UNARY[name], a)


def micrograd_example(a, b):
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + relu(b + a)
    d = d + 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


def neuron(x1, x2, w1, w2, b):
    return tanh(x1 * w1 + x2 * w2 + b)


COMPOSITE = {
    "micrograd's example": (micrograd_example, (-4.0, 2.0)),
    "a tanh neuron": (neuron, (2.0, 0.0, -3.0, 1.0, 6.881373587)),
    "a value used many times": (lambda a: a * a * a + 3 * a - a / (1 + a * a), (0.7,)),
    "exp, division and a shared subexpression": (
        lambda a, b: (lambda s: exp(s) / (1 + exp(s)) * s - relu(a - b) ** 2)(a * b - 1),
        (1.5, -0.4),
    ),
    "squared error of a softmax probability": (
        lambda a, b, c: (exp(a) / (exp(a) + exp(b) + exp(c)) - 1) ** 2,
        (0.3, -1.1, 2.0),
    ),
}


@pytest.mark.parametrize("name", COMPOSITE)
def test_composite_expressions_match_torch(name):
    build, numbers = COMPOSITE[name]
    assert_matches(build, *numbers)


def test_a_two_layer_network_matches_torch():
    torch.manual_seed(0)
    W1 = torch.randn(3, 4, dtype=torch.float64)
    W2 = torch.randn(4, dtype=torch.float64)
    x = [0.5, -1.0, 2.0]
    w1 = [[Value(W1[i, j].item()) for j in range(4)] for i in range(3)]
    w2 = [Value(W2[j].item()) for j in range(4)]
    hidden = [sum((x[i] * w1[i][j] for i in range(3)), Value(0.0)).tanh() for j in range(4)]
    out = sum((h * w for h, w in zip(hidden, w2)), Value(0.0))
    loss = (out - 1.0) ** 2
    loss.backward()

    W1t, W2t = W1.clone().requires_grad_(True), W2.clone().requires_grad_(True)
    loss_t = (torch.tanh(torch.tensor(x, dtype=torch.float64) @ W1t) @ W2t - 1.0) ** 2
    loss_t.backward()
    assert loss.data == pytest.approx(loss_t.item(), rel=1e-12)
    for i in range(3):
        for j in range(4):
            assert w1[i][j].grad == pytest.approx(W1t.grad[i, j].item(), rel=1e-10, abs=1e-12)
    for j in range(4):
        assert w2[j].grad == pytest.approx(W2t.grad[j].item(), rel=1e-10, abs=1e-12)


def test_backward_twice_gives_the_same_gradients():
    a = Value(1.5)
    out = a * a + a
    out.backward()
    first = a.grad
    out.backward()
    assert a.grad == first == pytest.approx(2 * 1.5 + 1)


def test_topological_order_puts_inputs_before_results():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = c + a
    order = topological_order(d)
    assert order.index(a) < order.index(c) < order.index(d)
    assert order.index(b) < order.index(c)
    assert len(order) == 4  # every node once, although a is used twice


def test_relu_has_slope_zero_below_zero_and_one_above():
    for x, slope in [(-2.0, 0.0), (3.0, 1.0)]:
        v = Value(x)
        v.relu().backward()
        assert v.grad == slope


def test_fresh_values_have_zero_gradient_and_plain_floats():
    v = Value(3)
    assert v.data == 3.0 and isinstance(v.data, float) and v.grad == 0.0
    assert "Value(data=3" in repr(v)
    assert math.isclose((Value(2.0) ** 10).data, 1024.0)
