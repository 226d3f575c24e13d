"""The NumPy MLP of notebook 04: its backward pass against finite differences and torch autograd,
its training, the worked example of the syllabus, and its errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import make_moons

from course_utils.mlp import (
    MLP,
    gradient_check,
    layer_gradient_norms,
    numerical_gradients,
    relative_error,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    softmax,
    to_torch,
    torch_gradients,
    torch_loss,
)

# (layer sizes, hidden activation, output activation, loss)
ARCHITECTURES = [
    ([2, 1, 1], "sigmoid", "sigmoid", "mse"),
    ([2, 3, 1], "sigmoid", "sigmoid", "mse"),
    ([2, 5, 4, 1], "relu", "sigmoid", "bce"),
    ([3, 6, 2], "tanh", "sigmoid", "bce"),
    ([4, 5, 5, 5, 3], "relu", "softmax", "cross_entropy"),
    ([3, 4, 3], "sigmoid", "softmax", "mse"),
    ([4, 6, 2], "identity", "identity", "mse"),
    ([2, 7, 1], "relu", "identity", "mse"),
]
IDS = [f"{'-'.join(map(str, s))}-{a}-{o}-{loss}" for s, a, o, loss in ARCHITECTURES]


def make_batch(net: MLP, m: int = 9, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random inputs and targets that suit the network's output layer."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, net.layer_sizes[0]))
    k = net.layer_sizes[-1]
    if net.output_activation == "softmax":
        y = rng.integers(0, k, size=m)
    elif net.loss == "bce":
        y = rng.integers(0, 2, size=(m, k)).astype(float)
    elif net.output_activation == "sigmoid":
        y = rng.uniform(size=(m, k))
    else:
        y = rng.normal(size=(m, k))
    return X, y


def build(spec, reduction: str = "mean", seed: int = 1) -> MLP:
    sizes, act, out, loss = spec
    net = MLP(
        sizes, activation=act, output_activation=out, loss=loss, reduction=reduction, seed=seed
    )
    # Non-zero biases, so their gradients are tested at a generic point too.
    rng = np.random.default_rng(seed + 100)
    net.set_parameters(net.weights, [rng.normal(0, 0.3, size=b.shape) for b in net.biases])
    return net


# ------------------------------------------------------------------ gradients


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("spec", ARCHITECTURES, ids=IDS)
def test_backprop_matches_finite_differences(spec, reduction):
    net = build(spec, reduction)
    X, y = make_batch(net)
    errors = gradient_check(net, X, y)
    assert set(errors) == {f"{k}{i}" for i in range(1, net.n_layers + 1) for k in "Wb"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("spec", ARCHITECTURES, ids=IDS)
def test_backprop_matches_torch_autograd(spec, reduction):
    net = build(spec, reduction)
    X, y = make_batch(net, m=11, seed=3)
    loss, gW, gb = net.gradients(X, y)

    torch_net = to_torch(net)
    out = torch_net(torch.as_tensor(X))
    target = torch.as_tensor(net.prepare_targets(y))
    torch_value = torch_loss(net)(out, target)
    torch_value.backward()
    tW, tb = torch_gradients(torch_net)

    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), net.forward(X), rtol=1e-12, atol=1e-14)
    assert torch_value.item() == pytest.approx(loss, rel=1e-12, abs=1e-14)
    for mine, ref in zip(gW + gb, tW + tb):
        assert mine.shape == ref.shape
        np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-13)


def test_mse_and_bce_match_torch_builtin_losses():
    """The loss definitions equal torch's own MSELoss (times 1/2) and BCELoss."""
    X, y = make_moons(64, noise=0.2, random_state=0)
    for loss, ref in [
        ("mse", lambda p, t: 0.5 * torch.nn.MSELoss()(p, t)),
        ("bce", torch.nn.BCELoss()),
    ]:
        net = MLP([2, 8, 1], activation="relu", loss=loss, seed=0)
        p = torch.as_tensor(net.forward(X))
        t = torch.as_tensor(y, dtype=torch.float64)[:, None]
        assert net.loss_value(X, y) == pytest.approx(ref(p, t).item(), rel=1e-12)


def test_numerical_gradients_layout_and_restores_parameters():
    net = build(ARCHITECTURES[2])
    X, y = make_batch(net)
    before = [p.copy() for p in net.parameters()]
    numeric = numerical_gradients(net, X, y)
    assert [g.shape for g in numeric] == [p.shape for p in net.parameters()]
    for p, q in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, q)


def test_gradient_check_catches_a_wrong_backward():
    net = build(ARCHITECTURES[1])
    X, y = make_batch(net)

    class Buggy(MLP):
        def backward(self, y):
            gW, gb = super().backward(y)
            gW[0] = gW[0] * 1.5  # a wrong first-layer gradient
            return gW, gb

    buggy = Buggy([2, 3, 1], seed=1).set_parameters(net.weights, net.biases)
    errors = gradient_check(buggy, X, y)
    assert errors["W1"] > 0.1
    assert errors["W2"] < 1e-7


def test_relative_error():
    a = np.array([1.0, 2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(3), np.zeros(4))


# ------------------------------------------------------------------ the worked example


def test_worked_example_of_the_syllabus():
    """x = (0.1, 0.3), w = (0.4, -0.2), W = 0.1, y = 1, lr = 0.5, sigmoid everywhere."""
    net = MLP([2, 1, 1], activation="sigmoid", output_activation="sigmoid", loss="mse")
    net.set_parameters([[[0.4], [-0.2]], [[0.1]]])
    X = np.array([[0.1, 0.3]])
    y_hat = net.forward(X)
    h = net._cache["sums"][0]
    a = net._cache["activations"][1]
    assert h.item() == pytest.approx(-0.02)
    assert round(a.item(), 3) == 0.495
    assert round(y_hat.item(), 3) == 0.512
    _, gW, _ = net.gradients(X, [1.0])
    delta_out = (1 - y_hat.item()) * y_hat.item() * (1 - y_hat.item())
    delta_hidden = 0.1 * delta_out * a.item() * (1 - a.item())
    assert round(delta_out, 3) == 0.122
    assert round(delta_hidden, 3) == 0.003
    lr = 0.5
    step_W = -lr * gW[1]
    step_w = -lr * gW[0]
    assert round(step_W.item(), 4) == 0.0302
    np.testing.assert_allclose(step_w.ravel(), lr * delta_hidden * np.array([0.1, 0.3]))
    # The syllabus' (0.00015, 0.00045) is computed with delta_hidden rounded to 0.003.
    np.testing.assert_allclose(step_w.ravel(), [0.00015, 0.00045], atol=1e-5)
    np.testing.assert_allclose(
        lr * round(delta_hidden, 3) * np.array([0.1, 0.3]), [0.00015, 0.00045]
    )


# ------------------------------------------------------------------ training


def test_training_lowers_the_loss_on_moons():
    X, y = make_moons(300, noise=0.2, random_state=0)
    for act, lr in [("sigmoid", 2.0), ("relu", 0.5)]:
        net = MLP([2, 16, 16, 1], activation=act, loss="bce", seed=0)
        start = net.loss_value(X, y)
        history = net.fit(X, y, epochs=400, lr=lr)
        assert len(history) == 400
        assert history[-1] < 0.5 * start
        assert net.accuracy(X, y) > 0.9


def test_minibatch_training_learns_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    net = MLP([2, 4, 1], activation="sigmoid", loss="mse", seed=0)
    history = net.fit(X, y, epochs=3000, lr=2.0, batch_size=2, seed=0)
    assert history[-1] < 0.01
    np.testing.assert_array_equal(net.predict(X), y)


def test_softmax_network_learns_three_blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    y = np.repeat(np.arange(3), 40)
    X = centres[y] + rng.normal(0, 0.5, size=(120, 2))
    net = MLP([2, 8, 3], activation="relu", output_activation="softmax", loss="cross_entropy")
    history = net.fit(X, y, epochs=200, lr=0.5)
    assert history[-1] < 0.2 < history[0]
    assert net.accuracy(X, y) > 0.95
    np.testing.assert_allclose(net.forward(X).sum(axis=1), 1.0)


def test_one_update_equals_torch_sgd_step():
    net = build(ARCHITECTURES[2])
    X, y = make_batch(net)
    torch_net = to_torch(net)
    opt = torch.optim.SGD(torch_net.parameters(), lr=0.3)
    opt.zero_grad()
    torch_loss(net)(torch_net(torch.as_tensor(X)), torch.as_tensor(y)).backward()
    opt.step()
    net.train_step(X, y, lr=0.3)
    stepped = to_torch(net)
    for p, q in zip(torch_net.parameters(), stepped.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)


def test_sum_reduction_is_m_times_mean():
    net_mean = build(ARCHITECTURES[1], "mean")
    net_sum = build(ARCHITECTURES[1], "sum")
    X, y = make_batch(net_mean, m=13)
    lm, gWm, _ = net_mean.gradients(X, y)
    ls, gWs, _ = net_sum.gradients(X, y)
    assert ls == pytest.approx(13 * lm)
    for a, b in zip(gWm, gWs):
        np.testing.assert_allclose(b, 13 * a)


def test_copy_is_independent():
    net = build(ARCHITECTURES[2])
    twin = net.copy()
    X, y = make_batch(net)
    twin.train_step(X, y, lr=0.5)
    assert not np.allclose(twin.weights[0], net.weights[0])
    assert repr(net).startswith("MLP([2, 5, 4, 1]")
    assert net.n_parameters() == 2 * 5 + 5 + 5 * 4 + 4 + 4 + 1


# ------------------------------------------------------------------ activations and diagnostics


def test_activations():
    z = np.linspace(-50, 50, 2001)
    np.testing.assert_allclose(sigmoid(z), torch.sigmoid(torch.as_tensor(z)).numpy(), rtol=1e-12)
    assert sigmoid_prime(z).max() == pytest.approx(0.25)
    assert sigmoid_prime(np.array([0.0]))[0] == 0.25
    with np.errstate(over="raise"):
        assert sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    np.testing.assert_array_equal(relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(relu_prime(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 1.0])
    s = softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]]))
    np.testing.assert_allclose(s.sum(axis=1), 1.0)
    np.testing.assert_allclose(s[1], 1 / 3)
    np.testing.assert_allclose(softmax(np.array([1.0, 2.0, 3.0])), s[0])  # one row on its own


def test_deep_sigmoid_gradients_vanish_but_relu_gradients_do_not():
    X, y = make_moons(200, noise=0.2, random_state=0)
    sizes = [2] + [32] * 10 + [1]
    sig = layer_gradient_norms(MLP(sizes, activation="sigmoid", loss="bce", seed=0), X, y)
    rel = layer_gradient_norms(MLP(sizes, activation="relu", loss="bce", seed=0), X, y)
    assert sig.shape == rel.shape == (11,)
    assert sig[0] < 1e-4 * sig[-1]
    assert rel[0] > 0.05 * rel[-1]


def test_torch_net_on_a_device_and_dtype():
    net = build(ARCHITECTURES[4])
    tnet = to_torch(net, dtype=torch.float32, device="cpu")
    assert all(p.dtype == torch.float32 for p in tnet.parameters())
    assert isinstance(tnet[-1], torch.nn.Softmax)


# ------------------------------------------------------------------ bad input


def test_bad_architectures_are_rejected():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        MLP([2, 3, 1], activation="swish")
    with pytest.raises(ValueError, match="unknown output_activation"):
        MLP([2, 3, 1], output_activation="relu")
    with pytest.raises(ValueError, match="unknown loss"):
        MLP([2, 3, 1], loss="hinge")
    with pytest.raises(ValueError, match="unknown reduction"):
        MLP([2, 3, 1], reduction="max")
    with pytest.raises(TypeError, match="activation must be a string"):
        MLP([2, 3, 1], activation=None)
    with pytest.raises(ValueError, match="needs output_activation='softmax'"):
        MLP([2, 3, 2], loss="cross_entropy")
    with pytest.raises(ValueError, match="needs output_activation='sigmoid'"):
        MLP([2, 3, 1], output_activation="identity", loss="bce")
    with pytest.raises(ValueError, match="at least 2 output units"):
        MLP([2, 3, 1], output_activation="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match="at least an input and an output"):
        MLP([2])
    with pytest.raises(ValueError, match="at least 1"):
        MLP([2, 0, 1])
    with pytest.raises(TypeError, match="integer"):
        MLP([2, 3.5, 1])
    with pytest.raises(TypeError, match="list of integers"):
        MLP("2,3,1")
    with pytest.raises(ValueError, match="init"):
        MLP([2, 3, 1], init=-1.0)


def test_prepare_targets_gives_the_layout_of_the_outputs():
    soft = MLP([2, 3, 3], output_activation="softmax", loss="cross_entropy")
    np.testing.assert_array_equal(
        soft.prepare_targets([2, 0, 1]), [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    )
    one = MLP([2, 3, 1])
    targets = one.prepare_targets(np.array([1, 0, 1]))
    assert targets.shape == (3, 1) and targets.dtype == np.float64
    np.testing.assert_array_equal(targets[:, 0], [1.0, 0.0, 1.0])
    # the same targets the loss uses internally
    X = np.random.default_rng(0).normal(size=(3, 2))
    out = torch.as_tensor(one.forward(X))
    assert torch_loss(one)(out, torch.as_tensor(targets)).item() == pytest.approx(
        one.loss_value(X, [1, 0, 1]), rel=1e-12
    )
    with pytest.raises(TypeError, match="y is None"):
        one.prepare_targets(None)
    with pytest.raises(ValueError, match="one target per record"):
        one.prepare_targets(1.0)
    with pytest.raises(ValueError, match="class labels"):
        soft.prepare_targets([0, 3])


def test_bad_shapes_give_clear_errors():
    net = MLP([2, 3, 1])
    with pytest.raises(
        ValueError, match="3 features per record, but the network's input layer has 2 units"
    ):
        net.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="2-D array"):
        net.forward(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="X is None"):
        net.forward(None)
    with pytest.raises(ValueError, match=r"y must have shape \(5, 1\)"):
        net.gradients(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="empty"):
        net.forward(np.zeros((0, 2)))
    soft = MLP([2, 3, 3], output_activation="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match="class labels"):
        soft.gradients(np.zeros((2, 2)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(2, 3\)"):
        net.set_parameters([np.zeros((3, 2)), np.zeros((3, 1))])
    with pytest.raises(ValueError, match="expected 2 weight matrices"):
        net.set_parameters([np.zeros((2, 3))])


def test_bad_training_arguments():
    net = MLP([2, 3, 1])
    X, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(RuntimeError, match="call forward"):
        MLP([2, 3, 1]).backward(y)
    with pytest.raises(ValueError, match="learning rate"):
        net.fit(X, y, epochs=1, lr=float("nan"))
    with pytest.raises(ValueError, match="learning rate"):
        net.train_step(X, y, lr=-0.1)
    with pytest.raises(ValueError, match="epochs"):
        net.fit(X, y, epochs=-1, lr=0.1)
    with pytest.raises(ValueError, match="batch_size"):
        net.fit(X, y, epochs=1, lr=0.1, batch_size=0)
    with pytest.raises(TypeError, match="must be an MLP"):
        numerical_gradients("net", X, y)
    with pytest.raises(ValueError, match="eps"):
        numerical_gradients(net, X, y, eps=0.0)
    with pytest.raises(TypeError, match="must be an MLP"):
        to_torch(object())
    with pytest.raises(RuntimeError, match="backward"):
        torch_gradients(to_torch(net))


def test_fit_refuses_nan_inputs_and_targets():
    X, y = make_moons(40, noise=0.1, random_state=0)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    net = MLP([2, 4, 1], seed=0)
    with pytest.raises(ValueError, match="NaN"):
        net.fit(X_nan, y, epochs=2, lr=0.1)
    y_nan = y.astype(float)
    y_nan[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        net.fit(X, y_nan, epochs=2, lr=0.1)


def test_accuracy_refuses_labels_of_the_wrong_shape_or_none():
    X, y = make_moons(40, noise=0.1, random_state=0)
    net = MLP([2, 4, 1], seed=0)
    acc = net.accuracy(X, y)
    assert acc == net.accuracy(X, y[:, None]) == np.mean(net.predict(X) == y)
    with pytest.raises(ValueError, match="one label per record"):
        net.accuracy(X, y[None])
    with pytest.raises(TypeError, match="None"):
        net.accuracy(X, None)
    soft = MLP([2, 4, 2], output_activation="softmax", loss="cross_entropy", seed=0)
    assert soft.accuracy(X, np.eye(2)[y]) == soft.accuracy(X, y)
