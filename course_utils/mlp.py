"""A multi-layer perceptron written with NumPy only, and its bridge to PyTorch.

Notebook 04 derives backpropagation and builds this network; notebook 05 rebuilds it in PyTorch
and proves that autograd computes the same gradients.

Conventions
-----------
- A batch ``X`` has shape ``(m, n_features)``: one row per record.
- Layer ``l`` holds a weight matrix ``weights[l]`` of shape ``(n_in, n_out)`` and a bias vector
  ``biases[l]`` of shape ``(n_out,)``, so a layer computes ``Z = A @ W + b``. PyTorch's
  ``nn.Linear`` stores the transpose, ``(n_out, n_in)``; :func:`to_torch` handles that.
- Losses are averaged over the batch (``reduction="mean"``) unless ``reduction="sum"``:

  * ``"mse"``: half the squared error, ``C = 1/(2m) * sum_i sum_k (y_ik - yhat_ik)**2``;
    the ``1/2`` cancels the ``2`` of the derivative, as in the worked example of notebook 04.
  * ``"bce"``: binary cross-entropy on sigmoid outputs.
  * ``"cross_entropy"``: multi-class cross-entropy on softmax outputs.

- :meth:`MLP.backward` returns the *gradients* ``dC/dW`` and ``dC/db``; gradient descent moves
  against them (``W -= lr * dC/dW``). The "error terms" of the notebook are ``-dC/dz``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# The sigmoid, its slope, the softmax and the cross-entropies are the ones notebook 03 derives.
from course_utils.logistic import binary_cross_entropy, cross_entropy, sigmoid, softmax
from course_utils.logistic import sigmoid_derivative as sigmoid_prime
from course_utils.validation import non_negative_int, positive_int

__all__ = [
    "ACTIVATIONS",
    "OUTPUT_ACTIVATIONS",
    "LOSSES",
    "sigmoid",
    "sigmoid_prime",
    "relu",
    "relu_prime",
    "softmax",
    "MLP",
    "NumpyMLP",
    "numerical_gradients",
    "relative_error",
    "gradient_check",
    "layer_gradient_norms",
    "to_torch",
    "torch_loss",
    "torch_gradients",
]


# --------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(0, z)``."""
    z = np.asarray(z, dtype=float)
    return np.maximum(z, 0.0)


def relu_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (the value at exactly 0 is taken as 0)."""
    z = np.asarray(z, dtype=float)
    return (z > 0).astype(z.dtype)


def _tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(np.asarray(z, dtype=float))


def _tanh_prime(z: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2


def _identity(z: np.ndarray) -> np.ndarray:
    return np.asarray(z, dtype=float)


def _identity_prime(z: np.ndarray) -> np.ndarray:
    return np.ones_like(np.asarray(z, dtype=float))


ACTIVATIONS: dict[
    str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]
] = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "relu": (relu, relu_prime),
    "tanh": (_tanh, _tanh_prime),
    "identity": (_identity, _identity_prime),
}
"""Hidden-layer activations: name -> (function, derivative)."""

OUTPUT_ACTIVATIONS = ("sigmoid", "softmax", "identity")
"""Activations allowed on the output layer."""

LOSSES = ("mse", "bce", "cross_entropy")
"""Loss functions the network can train with."""

_LOSS_NEEDS = {"bce": "sigmoid", "cross_entropy": "softmax"}
_REDUCTIONS = ("mean", "sum")


def _check_choice(value: Any, allowed: Sequence[str], what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(
            f"{what} must be a string, one of {list(allowed)}; got {type(value).__name__}."
        )
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; choose one of {list(allowed)}.")
    return value


# --------------------------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------------------------


class MLP:
    """A fully connected feed-forward network trained by backpropagation, in NumPy.

    Parameters
    ----------
    layer_sizes:
        Units per layer, input first and output last, e.g. ``[2, 16, 16, 1]`` for two inputs,
        two hidden layers of 16 units and one output. At least two entries.
    activation:
        Hidden-layer activation: ``"sigmoid"``, ``"relu"``, ``"tanh"`` or ``"identity"``.
    output_activation:
        ``"sigmoid"`` (one probability per output), ``"softmax"`` (a distribution over classes)
        or ``"identity"`` (regression).
    loss:
        ``"mse"`` (half squared error), ``"bce"`` (needs a sigmoid output) or
        ``"cross_entropy"`` (needs a softmax output).
    reduction:
        ``"mean"`` averages the loss over the ``m`` records of a batch (MSE-style), ``"sum"``
        adds them up (SSE-style).
    init:
        ``"auto"`` draws weights from a normal distribution with standard deviation
        ``sqrt(2 / n_in)`` for ReLU and ``sqrt(1 / n_in)`` otherwise; a number uses that standard
        deviation for every layer. Biases start at zero.
    seed:
        Seed (or ``np.random.Generator``) for the initial weights.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        *,
        activation: str = "sigmoid",
        output_activation: str = "sigmoid",
        loss: str = "mse",
        reduction: str = "mean",
        init: str | float = "auto",
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
            raise TypeError("layer_sizes must be a list of integers such as [2, 8, 1].")
        sizes = list(layer_sizes)
        if len(sizes) < 2:
            raise ValueError(
                f"layer_sizes needs at least an input and an output size, got {sizes}."
            )
        self.layer_sizes = [positive_int(n, "every layer size") for n in sizes]
        self.activation = _check_choice(activation, list(ACTIVATIONS), "activation")
        self.output_activation = _check_choice(
            output_activation, OUTPUT_ACTIVATIONS, "output_activation"
        )
        self.loss = _check_choice(loss, LOSSES, "loss")
        self.reduction = _check_choice(reduction, _REDUCTIONS, "reduction")
        needed = _LOSS_NEEDS.get(self.loss)
        if needed is not None and self.output_activation != needed:
            raise ValueError(f"loss={self.loss!r} needs output_activation={needed!r}.")
        if self.output_activation == "softmax" and self.layer_sizes[-1] < 2:
            raise ValueError("a softmax output needs at least 2 output units.")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if isinstance(init, str):
            _check_choice(init, ["auto"], "init")
            gain = 2.0 if self.activation == "relu" else 1.0
            stds = [math.sqrt(gain / n_in) for n_in in self.layer_sizes[:-1]]
        elif isinstance(init, numbers.Real) and not isinstance(init, bool) and init >= 0:
            stds = [float(init)] * (len(self.layer_sizes) - 1)
        else:
            raise ValueError(
                f"init must be 'auto' or a non-negative standard deviation, got {init!r}."
            )
        self.weights: list[np.ndarray] = [
            rng.normal(0.0, std, size=(n_in, n_out))
            for std, n_in, n_out in zip(stds, self.layer_sizes[:-1], self.layer_sizes[1:])
        ]
        self.biases: list[np.ndarray] = [np.zeros(n_out) for n_out in self.layer_sizes[1:]]
        self._cache: dict[str, Any] | None = None

    # ---------------------------------------------------------------- bookkeeping

    def __repr__(self) -> str:
        return (
            f"MLP({self.layer_sizes}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}, loss={self.loss!r}, "
            f"reduction={self.reduction!r})"
        )

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + 1)."""
        return len(self.weights)

    def parameters(self) -> list[np.ndarray]:
        """The parameter arrays in order ``[W1, b1, W2, b2, ...]`` (live references)."""
        out: list[np.ndarray] = []
        for W, b in zip(self.weights, self.biases):
            out += [W, b]
        return out

    def n_parameters(self) -> int:
        """Total number of trainable numbers."""
        return int(sum(p.size for p in self.parameters()))

    def set_parameters(self, weights: Sequence[Any], biases: Sequence[Any] | None = None) -> MLP:
        """Replace the weights (and biases; zeros when ``None``) with copies of the given arrays.

        Shapes must match the architecture exactly. Returns the network itself.
        """
        if len(weights) != self.n_layers:
            raise ValueError(f"expected {self.n_layers} weight matrices, got {len(weights)}.")
        if biases is None:
            biases = [np.zeros(n) for n in self.layer_sizes[1:]]
        if len(biases) != self.n_layers:
            raise ValueError(f"expected {self.n_layers} bias vectors, got {len(biases)}.")
        new_w, new_b = [], []
        for i, (W, b, W_old, b_old) in enumerate(zip(weights, biases, self.weights, self.biases)):
            W = np.array(W, dtype=float)
            b = np.array(b, dtype=float)
            if W.shape != W_old.shape:
                raise ValueError(f"weights[{i}] must have shape {W_old.shape}, got {W.shape}.")
            if b.shape != b_old.shape:
                raise ValueError(f"biases[{i}] must have shape {b_old.shape}, got {b.shape}.")
            new_w.append(W)
            new_b.append(b)
        self.weights, self.biases = new_w, new_b
        self._cache = None
        return self

    def copy(self) -> MLP:
        """An independent copy with the same settings and parameters."""
        twin = MLP(
            self.layer_sizes,
            activation=self.activation,
            output_activation=self.output_activation,
            loss=self.loss,
            reduction=self.reduction,
            seed=0,
        )
        return twin.set_parameters(self.weights, self.biases)

    # ---------------------------------------------------------------- input checks

    def _check_X(self, X: Any) -> np.ndarray:
        if X is None:
            raise TypeError("X is None; pass an array of shape (m, n_features).")
        X = np.asarray(X, dtype=float)
        if X.ndim == 1 and self.layer_sizes[0] == X.shape[0]:
            X = X[None, :]
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array (m, {self.layer_sizes[0]}), got {X.shape}.")
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"X has {X.shape[1]} features per record, but the network's input "
                f"layer has {self.layer_sizes[0]} units."
            )
        if X.shape[0] == 0:
            raise ValueError("X is empty: it needs at least one record.")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinity; clean or impute the data first.")
        return X

    def _check_y(self, y: Any, m: int) -> np.ndarray:
        """Return targets as an ``(m, k)`` float array (one-hot for integer class labels)."""
        if y is None:
            raise TypeError("y is None; pass the targets of the batch.")
        y = np.asarray(y)
        k = self.layer_sizes[-1]
        if self.output_activation == "softmax" and y.ndim == 1:
            if y.shape[0] != m:
                raise ValueError(f"y has {y.shape[0]} labels but X has {m} records.")
            if not np.all(np.equal(np.mod(y, 1), 0)) or y.min() < 0 or y.max() >= k:
                raise ValueError(f"class labels must be integers in 0..{k - 1}.")
            onehot = np.zeros((m, k))
            onehot[np.arange(m), y.astype(int)] = 1.0
            return onehot
        y = y.astype(float)
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity.")
        if y.ndim == 1 and k == 1:
            y = y[:, None]
        if y.shape != (m, k):
            raise ValueError(
                f"y must have shape ({m}, {k}) to match X and the output layer"
                f"{' (or (m,) for one output)' if k == 1 else ''}, got {y.shape}."
            )
        return y

    def prepare_targets(self, y: Any) -> np.ndarray:
        """Return targets as the ``(m, n_out)`` float array the loss compares outputs with.

        Integer class labels become one-hot rows when the output is a softmax, and a 1-D ``y``
        becomes a column for a single output unit. This is the ``target`` that
        :func:`torch_loss` expects.
        """
        arr = np.asarray(y) if y is not None else self._check_y(y, 0)  # None: a clear TypeError
        if arr.ndim == 0:
            raise ValueError("y must hold one target per record, got a single number.")
        return self._check_y(arr, arr.shape[0])

    # ---------------------------------------------------------------- forward and loss

    def forward(self, X: Any) -> np.ndarray:
        """Run the network on a batch ``X`` of shape ``(m, n_in)``; return ``(m, n_out)`` outputs.

        Keeps every layer's weighted sums ``z`` and activations ``a`` for :meth:`backward`.
        """
        X = self._check_X(X)
        act, _ = ACTIVATIONS[self.activation]
        a = X
        activations, sums = [a], []
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ W + b
            sums.append(z)
            if i < self.n_layers - 1:
                a = act(z)
            elif self.output_activation == "softmax":
                a = softmax(z)
            else:
                a = ACTIVATIONS[self.output_activation][0](z)
            activations.append(a)
        self._cache = {"activations": activations, "sums": sums}
        return a

    __call__ = forward

    def loss_value(self, X: Any, y: Any) -> float:
        """The loss of the network on ``(X, y)`` (runs a forward pass)."""
        y_hat = self.forward(X)
        return self._loss_from_output(y_hat, self._check_y(y, y_hat.shape[0]))

    def _loss_from_output(self, y_hat: np.ndarray, y: np.ndarray) -> float:
        m = y.shape[0]
        eps = 1e-12  # a saturated output costs about 27.6 instead of infinity
        if self.loss == "mse":
            per_record = 0.5 * np.sum((y - y_hat) ** 2, axis=1)
        elif self.loss == "bce":  # averaged over the output units
            p = np.clip(y_hat, eps, 1 - eps)
            per_record = binary_cross_entropy(y, p, reduction="none").mean(axis=1)
        else:
            per_record = cross_entropy(y, np.clip(y_hat, eps, 1.0), reduction="none")
        total = float(np.sum(per_record))
        return total / m if self.reduction == "mean" else total

    def predict(self, X: Any) -> np.ndarray:
        """Class labels: ``argmax`` for softmax outputs, ``output >= 0.5`` for one sigmoid output."""
        out = self.forward(X)
        if self.output_activation == "softmax" or out.shape[1] > 1:
            return out.argmax(axis=1)
        return (out[:, 0] >= 0.5).astype(int)

    def accuracy(self, X: Any, y: Any) -> float:
        """Fraction of records whose predicted class equals ``y``.

        ``y`` holds one integer label per record, shape ``(m,)`` or ``(m, 1)``, or one-hot rows
        of shape ``(m, n_out)``.
        """
        predicted = self.predict(X)
        m = predicted.shape[0]
        if y is None:
            raise TypeError("y is None; pass the labels of the records.")
        y = np.asarray(y)
        if y.shape == (m, self.layer_sizes[-1]) and y.shape[1] > 1:
            y = y.argmax(axis=1)
        elif y.shape in ((m,), (m, 1)):
            y = y.reshape(-1)
        else:
            raise ValueError(
                f"y must hold one label per record, shape ({m},), or one-hot rows of "
                f"shape ({m}, {self.layer_sizes[-1]}); got {y.shape}."
            )
        return float(np.mean(predicted == y))

    # ---------------------------------------------------------------- backward and update

    def backward(self, y: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Backpropagate from the last :meth:`forward` call; return ``(dC/dW list, dC/db list)``.

        The output layer's ``delta = dC/dz`` is ``(yhat - y) * f'(z)`` for ``"mse"`` and
        simplifies to ``yhat - y`` for ``"bce"`` and ``"cross_entropy"``; every earlier layer
        gets ``delta = (delta_next @ W_next.T) * f'(z)``, and ``dC/dW = a_prev.T @ delta``.
        """
        if self._cache is None:
            raise RuntimeError("call forward(X) before backward(y), which needs its stored values.")
        activations, sums = self._cache["activations"], self._cache["sums"]
        y_hat = activations[-1]
        m = y_hat.shape[0]
        y = self._check_y(y, m)
        scale = 1.0 / m if self.reduction == "mean" else 1.0
        if self.loss == "mse":
            if self.output_activation == "softmax":
                # Jacobian-vector product of softmax: s * (g - sum(g * s)).
                g = y_hat - y
                delta = y_hat * (g - np.sum(g * y_hat, axis=1, keepdims=True))
            else:
                delta = (y_hat - y) * ACTIVATIONS[self.output_activation][1](sums[-1])
        else:  # bce with sigmoid, cross_entropy with softmax: the derivative cancels
            delta = y_hat - y
            if self.loss == "bce" and self.layer_sizes[-1] > 1:
                delta = delta / self.layer_sizes[-1]
        delta = delta * scale
        _, act_prime = ACTIVATIONS[self.activation]
        grads_W: list[np.ndarray] = [np.empty(0)] * self.n_layers
        grads_b: list[np.ndarray] = [np.empty(0)] * self.n_layers
        for i in range(self.n_layers - 1, -1, -1):
            grads_W[i] = activations[i].T @ delta
            grads_b[i] = delta.sum(axis=0)
            if i > 0:
                delta = (delta @ self.weights[i].T) * act_prime(sums[i - 1])
        return grads_W, grads_b

    def gradients(self, X: Any, y: Any) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Forward and backward on one batch: ``(loss, dC/dW list, dC/db list)``."""
        y_hat = self.forward(X)
        loss = self._loss_from_output(y_hat, self._check_y(y, y_hat.shape[0]))
        grads_W, grads_b = self.backward(y)
        return loss, grads_W, grads_b

    def update(
        self, grads_W: Sequence[np.ndarray], grads_b: Sequence[np.ndarray], lr: float
    ) -> None:
        """One gradient-descent step: ``W -= lr * dC/dW`` and ``b -= lr * dC/db``."""
        _check_lr(lr)
        for i in range(self.n_layers):  # the gradients come from backward(), shaped like W and b
            self.weights[i] = self.weights[i] - lr * grads_W[i]
            self.biases[i] = self.biases[i] - lr * grads_b[i]

    def train_step(self, X: Any, y: Any, lr: float) -> float:
        """Forward, backward and update on one batch; return the loss before the update."""
        loss, gW, gb = self.gradients(X, y)
        self.update(gW, gb, lr)
        return loss

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        epochs: int,
        lr: float,
        batch_size: int | None = None,
        seed: int | None = 0,
        callback: Callable[[int, float], Any] | None = None,
    ) -> list[float]:
        """Train by (mini-batch) gradient descent; return the loss on all of ``(X, y)`` per epoch.

        ``batch_size=None`` uses the whole data set each step (full-batch gradient descent);
        otherwise the records are shuffled every epoch (with ``seed``) and cut into batches.
        ``callback(epoch, loss)`` is called after every epoch.
        """
        X = self._check_X(X)
        y_arr = np.asarray(y)
        self._check_y(y_arr, X.shape[0])  # validate once, early
        epochs = non_negative_int(epochs, "epochs")
        _check_lr(lr)
        m = X.shape[0]
        batch_size = None if batch_size is None else positive_int(batch_size, "batch_size")
        rng = np.random.default_rng(seed)
        history = []
        for epoch in range(int(epochs)):
            if batch_size is None or batch_size >= m:
                self.train_step(X, y_arr, lr)
            else:
                order = rng.permutation(m)
                for start in range(0, m, batch_size):
                    idx = order[start : start + batch_size]
                    self.train_step(X[idx], y_arr[idx], lr)
            history.append(self.loss_value(X, y_arr))
            if callback is not None:
                callback(epoch, history[-1])
        return history


def _check_lr(lr: Any) -> None:
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr < 0:
        raise ValueError(f"the learning rate must be a finite non-negative number, got {lr!r}.")


# --------------------------------------------------------------------------------------------
# Gradient checking and diagnostics
# --------------------------------------------------------------------------------------------


def numerical_gradients(model: MLP, X: Any, y: Any, eps: float = 1e-5) -> list[np.ndarray]:
    """Central finite differences ``(C(p + eps) - C(p - eps)) / (2 eps)`` for every parameter.

    Returns a list shaped like :meth:`MLP.parameters` (``[dW1, db1, dW2, db2, ...]``). Every
    entry costs two forward passes, so keep the network and the batch small. In float64,
    ``eps = 1e-5`` balances the ``eps**2`` truncation error against rounding error.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an MLP, got {type(model).__name__}.")
    if not (isinstance(eps, numbers.Real) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}.")
    grads = []
    for p in model.parameters():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            plus = model.loss_value(X, y)
            p[idx] = old - eps
            minus = model.loss_value(X, y)
            p[idx] = old
            g[idx] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def relative_error(a: Any, b: Any) -> float:
    """``||a - b|| / max(||a|| + ||b||, tiny)``: 0 for equal arrays, about 1 for unrelated ones."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}.")
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(b)), 1e-300)
    return float(np.linalg.norm(a - b) / denom)


def gradient_check(model: MLP, X: Any, y: Any, eps: float = 1e-5) -> dict[str, float]:
    """Relative error between backprop and finite differences for each parameter array.

    Returns ``{"W1": err, "b1": err, "W2": err, ...}``. Values around 1e-7 or smaller mean the
    backward pass is right (in float64); values near 1 mean a bug.
    """
    _, gW, gb = model.gradients(X, y)
    numeric = numerical_gradients(model, X, y, eps=eps)
    out = {}
    for i in range(model.n_layers):
        out[f"W{i + 1}"] = relative_error(gW[i], numeric[2 * i])
        out[f"b{i + 1}"] = relative_error(gb[i], numeric[2 * i + 1])
    return out


def layer_gradient_norms(model: MLP, X: Any, y: Any) -> np.ndarray:
    """Frobenius norm of ``dC/dW`` for each layer, input side first."""
    _, gW, _ = model.gradients(X, y)
    return np.array([float(np.linalg.norm(g)) for g in gW])


# --------------------------------------------------------------------------------------------
# Bridge to PyTorch
# --------------------------------------------------------------------------------------------


def to_torch(model: MLP, *, dtype: Any = None, device: Any = None) -> Any:
    """Build the equivalent ``torch.nn.Sequential`` and copy ``model``'s parameters into it.

    Each layer becomes ``nn.Linear`` (weight transposed to PyTorch's ``(n_out, n_in)``) followed
    by the activation module; the output layer ends with ``nn.Sigmoid``, ``nn.Softmax(dim=1)`` or
    nothing. ``dtype`` defaults to ``torch.float64`` so gradients can be compared exactly.
    """
    import torch
    from torch import nn

    if not isinstance(model, MLP):
        raise TypeError(f"model must be an MLP, got {type(model).__name__}.")
    dtype = torch.float64 if dtype is None else dtype
    hidden = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh, "identity": nn.Identity}
    layers: list[Any] = []
    for i, (W, b) in enumerate(zip(model.weights, model.biases)):
        linear = nn.Linear(W.shape[0], W.shape[1], dtype=dtype)  # the dtype before the copy
        with torch.no_grad():
            linear.weight.copy_(torch.as_tensor(W.T, dtype=dtype))
            linear.bias.copy_(torch.as_tensor(b, dtype=dtype))
        layers.append(linear)
        if i < model.n_layers - 1:
            layers.append(hidden[model.activation]())
        elif model.output_activation == "sigmoid":
            layers.append(nn.Sigmoid())
        elif model.output_activation == "softmax":
            layers.append(nn.Softmax(dim=1))
    net = nn.Sequential(*layers)
    if device is not None:
        net = net.to(device)
    return net


def torch_loss(model: MLP) -> Callable[[Any, Any], Any]:
    """The PyTorch loss matching ``model.loss`` and ``model.reduction``, as ``f(output, target)``.

    ``output`` is what :func:`to_torch`'s network returns (probabilities, not logits) and
    ``target`` has the shape :meth:`MLP.forward` returns (one-hot for softmax outputs), as
    :meth:`MLP.prepare_targets` makes it.
    """
    import torch.nn.functional as F

    summed = model.reduction == "sum"
    k = model.layer_sizes[-1]

    def mse(output: Any, target: Any) -> Any:
        total = 0.5 * F.mse_loss(output, target, reduction="sum")
        return total if summed else total / output.shape[0]

    def bce(output: Any, target: Any) -> Any:
        total = F.binary_cross_entropy(output, target, reduction="sum") / k
        return total if summed else total / output.shape[0]

    def cross_entropy(output: Any, target: Any) -> Any:
        total = -(target * output.log()).sum()
        return total if summed else total / output.shape[0]

    return {"mse": mse, "bce": bce, "cross_entropy": cross_entropy}[model.loss]


def torch_gradients(net: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Read ``.grad`` of every ``nn.Linear`` in ``net`` back in :class:`MLP` layout.

    Returns ``(dC/dW list, dC/db list)`` as float64 NumPy arrays, weights transposed to
    ``(n_in, n_out)``, so they can be compared with :meth:`MLP.backward` directly.
    """
    from torch import nn

    linears = [mod for mod in net.modules() if isinstance(mod, nn.Linear)]
    if any(lin.weight.grad is None for lin in linears):
        raise RuntimeError("some gradients are missing: call loss.backward() first.")
    gW = [lin.weight.grad.detach().cpu().double().numpy().T.copy() for lin in linears]
    gb = [lin.bias.grad.detach().cpu().double().numpy().copy() for lin in linears]
    return gW, gb


# --------------------------------------------------------------------------------------------
# Notebook 04's own network, exactly as the learner writes it
# --------------------------------------------------------------------------------------------


class NumpyMLP:
    """The multi-layer perceptron of notebook 04: forward, backward (backpropagation), update.

    Hidden layers use ``"sigmoid"`` or ``"relu"``. The output is one sigmoid unit
    (``output="sigmoid"``) or a softmax over one unit per class (``output="softmax"``). Losses:
    ``"mse"`` (half the squared error, sigmoid output), ``"bce"`` (binary cross-entropy) and
    ``"cross_entropy"`` (softmax output, one-hot targets); ``reduction="mean"`` averages over the
    records, ``"sum"`` adds them up. Targets ``Y`` are 2-D: a column of 0/1 or one-hot rows.
    Weights start at ``N(0, gain / n_in)`` with gain 2 for ReLU (He) and 1 otherwise; biases at 0.
    There are no input checks: :class:`MLP` is the checked, general version.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "sigmoid",
        output: str = "sigmoid",
        loss: str = "mse",
        reduction: str = "mean",
        seed: int = 0,
    ) -> None:
        rng = np.random.default_rng(seed)
        gain = 2.0 if activation == "relu" else 1.0
        self.W = [
            rng.normal(0, np.sqrt(gain / n_in), size=(n_in, n_out))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])
        ]
        self.b = [np.zeros(n_out) for n_out in sizes[1:]]
        self.f, self.f_prime = {"sigmoid": (sigmoid, sigmoid_prime), "relu": (relu, relu_prime)}[
            activation
        ]
        self.output, self.loss, self.reduction = output, loss, reduction

    def forward(self, X: np.ndarray) -> np.ndarray:
        """The network's outputs for the rows of ``X``; keeps every Z and A for :meth:`backward`."""
        self.A, self.Z = [X], []
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            Z = self.A[-1] @ W + b
            self.Z.append(Z)
            if k < len(self.W) - 1:
                self.A.append(self.f(Z))
            elif self.output == "softmax":
                self.A.append(softmax(Z, axis=1))
            else:
                self.A.append(sigmoid(Z))
        return self.A[-1]

    def cost(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The loss of the network on ``(X, Y)`` (runs a forward pass)."""
        Y_hat = self.forward(X)
        m = len(X) if self.reduction == "mean" else 1
        if self.loss == "mse":
            return 0.5 * np.sum((Y - Y_hat) ** 2) / m
        Y_hat = np.clip(Y_hat, 1e-12, 1 - 1e-12)
        if self.loss == "cross_entropy":
            return -np.sum(Y * np.log(Y_hat)) / m
        return -np.sum(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)) / m

    def backward(self, Y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the cost of the last forward pass: ``(dC/dW list, dC/db list)``."""
        m = len(Y) if self.reduction == "mean" else 1
        if self.loss == "mse":
            delta = (self.A[-1] - Y) * sigmoid_prime(self.Z[-1]) / m
        else:
            delta = (self.A[-1] - Y) / m
        grads_W: list[Any] = [None] * len(self.W)
        grads_b: list[Any] = [None] * len(self.W)
        for k in reversed(range(len(self.W))):
            grads_W[k] = self.A[k].T @ delta
            grads_b[k] = delta.sum(axis=0)
            if k > 0:
                delta = (delta @ self.W[k].T) * self.f_prime(self.Z[k - 1])
        return grads_W, grads_b

    def update(
        self, grads_W: Sequence[np.ndarray], grads_b: Sequence[np.ndarray], lr: float
    ) -> None:
        """One gradient-descent step: ``W -= lr * dC/dW`` and ``b -= lr * dC/db`` for every layer."""
        for k in range(len(self.W)):
            self.W[k] -= lr * grads_W[k]
            self.b[k] -= lr * grads_b[k]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels: the most probable class (softmax) or ``output >= 0.5`` (sigmoid)."""
        P = self.forward(X)
        return P.argmax(axis=1) if self.output == "softmax" else (P[:, 0] >= 0.5).astype(int)
