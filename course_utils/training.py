"""Training neural networks well: the experiments of notebook 06 as reusable pieces.

- Data: :func:`make_noisy_curve` (a 1-D regression problem), :func:`train_val_split`,
  :func:`moons_split`, :func:`make_sparse_regression`.
- Model complexity: :func:`polynomial_features`, :func:`fit_polynomial` (least squares with an
  optional L2 penalty), :func:`complexity_curve`, :func:`mse`.
- Regularisation written out: :func:`l1_penalty`, :func:`l2_penalty` and their gradients,
  :func:`weight_decay_step`, :func:`dropout`.
- PyTorch: :func:`make_mlp` (choice of activation and dropout) and :func:`train_model`
  (L1/L2 penalty, weight decay, mini-batches, early stopping; returns the histories).
- Activations and their derivatives in NumPy: :data:`ACTIVATION_NAMES`, :func:`activation`,
  :func:`activation_derivative`; :func:`depth_gradient_norms` measures vanishing gradients.
- Optimisation: :func:`descend` (plain gradient descent on any function), :func:`bumpy`,
  :func:`saddle`, :func:`minibatch_gd` (batch, stochastic and mini-batch gradient descent on
  linear regression), learning-rate schedules, and momentum written recursively
  (:func:`momentum_recursive`) and as an explicit weighted sum (:func:`momentum_explicit`).

Conventions: the L2 penalty is ``lam * sum(w**2)`` (gradient ``2 * lam * w``) and the L1 penalty
``lam * sum(|w|)`` (gradient ``lam * sign(w)``). Weight decay with rate ``wd`` adds ``wd * w`` to the
gradient, so it equals an L2 penalty with ``lam = wd / 2``. Penalties apply to weight matrices only,
never to biases.
"""

from __future__ import annotations

import copy
import math
import numbers
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.special import erf, expit

from course_utils.linear import mse, train_val_split
from course_utils.validation import (
    as_float_array,
    as_matrix,
    as_vector,
    non_negative,
    non_negative_int,
    positive,
    positive_int,
)

__all__ = [
    "ACTIVATION_NAMES",
    "make_noisy_curve",
    "true_curve",
    "train_val_split",
    "moons_split",
    "make_sparse_regression",
    "polynomial_features",
    "fit_polynomial",
    "predict_polynomial",
    "mse",
    "complexity_curve",
    "l1_penalty",
    "l1_penalty_gradient",
    "l2_penalty",
    "l2_penalty_gradient",
    "weight_decay_step",
    "dropout",
    "activation",
    "activation_derivative",
    "make_mlp",
    "train_model",
    "depth_gradient_norms",
    "descend",
    "bumpy",
    "bumpy_grad",
    "saddle",
    "saddle_grad",
    "minibatch_gd",
    "step_decay",
    "exponential_decay",
    "inverse_time_decay",
    "momentum_recursive",
    "momentum_explicit",
    "first_upturn",
]

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu")
"""The activations of notebook 06, in the order it draws them."""

LEAKY_SLOPE = 0.01
"""Slope of leaky ReLU for negative inputs (PyTorch's default)."""

ELU_ALPHA = 1.0
"""ELU's saturation value for very negative inputs is ``-ELU_ALPHA`` (PyTorch's default)."""


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer or a numpy Generator, got {type(seed).__name__}.")
    return np.random.default_rng(int(seed))


def _fraction(value: Any, name: str, *, allow_zero: bool = True) -> float:
    number = non_negative(value, name)
    if number >= 1 or (not allow_zero and number == 0):
        low = "0 <=" if allow_zero else "0 <"
        raise ValueError(f"{name} must satisfy {low} {name} < 1, got {number}.")
    return number


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def true_curve(x: Any) -> np.ndarray:
    """The noise-free function behind :func:`make_noisy_curve`: ``sin(3x) + 0.5x``."""
    x = as_float_array(x, "x")
    return np.sin(3.0 * x) + 0.5 * x


def make_noisy_curve(n: int, *, noise: float = 0.3, seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points ``x`` uniform on ``[-1, 1]`` and ``y = sin(3x) + 0.5x + noise``.

    ``noise`` is the standard deviation of the Gaussian noise. Returns ``(x, y)``, both 1-D.
    """
    n = positive_int(n, "n")
    noise = non_negative(noise, "noise")
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, size=n)
    return x, true_curve(x) + noise * rng.normal(size=n)


def moons_split(
    n: int, *, noise: float = 0.3, val_fraction: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's two moons (``n`` points), split into ``(X_train, X_val, y_train, y_val)``."""
    from sklearn.datasets import make_moons

    n = positive_int(n, "n")
    noise = non_negative(noise, "noise")
    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return train_val_split(X, y.astype(float), val_fraction=val_fraction, seed=seed)


def make_sparse_regression(
    n: int, n_features: int, n_useful: int, *, noise: float = 0.5, seed: Any = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A linear problem where only the first ``n_useful`` of ``n_features`` inputs matter.

    Returns ``(X, y, w_true)``; ``w_true`` is zero after its first ``n_useful`` entries.
    """
    n = positive_int(n, "n")
    n_features = positive_int(n_features, "n_features")
    n_useful = positive_int(n_useful, "n_useful")
    if n_useful > n_features:
        raise ValueError(f"n_useful ({n_useful}) cannot exceed n_features ({n_features}).")
    noise = non_negative(noise, "noise")
    rng = _rng(seed)
    X = rng.normal(size=(n, n_features))
    w_true = np.zeros(n_features)
    w_true[:n_useful] = rng.choice([-1.0, 1.0], size=n_useful) * rng.uniform(1.0, 2.0, n_useful)
    return X, X @ w_true + noise * rng.normal(size=n), w_true


# --------------------------------------------------------------------------------------------
# Model complexity with polynomials
# --------------------------------------------------------------------------------------------


def polynomial_features(x: Any, degree: int) -> np.ndarray:
    """The columns ``1, x, x**2, ..., x**degree`` of a 1-D input, shape ``(n, degree + 1)``."""
    x = as_vector(x, "x")
    degree = non_negative_int(degree, "degree")
    return x[:, None] ** np.arange(degree + 1)


def fit_polynomial(x: Any, y: Any, degree: int, lam: float = 0.0) -> np.ndarray:
    """Coefficients ``c_0..c_degree`` minimising ``sum (y - poly(x))**2 + lam * sum_{j>=1} c_j**2``.

    The constant ``c_0`` is not penalised (as scikit-learn's ``Ridge`` leaves its intercept alone).
    Solved as a stacked least-squares problem, which stays accurate for high degrees.
    """
    X = polynomial_features(x, degree)
    y = as_vector(y, "y", length=X.shape[0])
    lam = non_negative(lam, "lam")
    if lam == 0:
        return np.linalg.lstsq(X, y, rcond=None)[0]
    penalty_rows = math.sqrt(lam) * np.eye(degree + 1)[1:]
    A = np.vstack([X, penalty_rows])
    b = np.concatenate([y, np.zeros(degree)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def predict_polynomial(coefficients: Any, x: Any) -> np.ndarray:
    """Evaluate the polynomial with ``coefficients`` (constant first) at ``x``."""
    c = as_vector(coefficients, "coefficients")
    return polynomial_features(x, len(c) - 1) @ c


def complexity_curve(
    x_train: Any, y_train: Any, x_val: Any, y_val: Any, degrees: Sequence[int], lam: float = 0.0
) -> dict[str, np.ndarray]:
    """Fit one polynomial per degree; return ``{"degree", "train", "validation"}`` MSE arrays."""
    degrees = [non_negative_int(d, "degree") for d in degrees]
    if not degrees:
        raise ValueError("degrees must hold at least one degree.")
    train, val = [], []
    for d in degrees:
        c = fit_polynomial(x_train, y_train, d, lam)
        train.append(mse(predict_polynomial(c, x_train), y_train))
        val.append(mse(predict_polynomial(c, x_val), as_vector(y_val, "y_val")))
    return {"degree": np.array(degrees), "train": np.array(train), "validation": np.array(val)}


def first_upturn(values: Any, patience: int = 1) -> int:
    """Index of the lowest value seen before ``patience`` values in a row fail to beat it.

    This is where early stopping with that patience stops and which epoch it keeps (0-based).
    """
    v = as_vector(values, "values")
    patience = positive_int(patience, "patience")
    best, since = 0, 0
    for i in range(1, len(v)):
        if v[i] < v[best]:
            best, since = i, 0
        else:
            since += 1
            if since >= patience:
                break
    return best


# --------------------------------------------------------------------------------------------
# Penalties, weight decay, dropout (NumPy, written out)
# --------------------------------------------------------------------------------------------


def l1_penalty(w: Any, lam: float) -> float:
    """``lam * sum(|w|)``."""
    return non_negative(lam, "lam") * float(np.abs(as_float_array(w, "w")).sum())


def l1_penalty_gradient(w: Any, lam: float) -> np.ndarray:
    """``lam * sign(w)`` (zero where ``w == 0``, as PyTorch's ``abs`` gradient)."""
    return non_negative(lam, "lam") * np.sign(as_float_array(w, "w"))


def l2_penalty(w: Any, lam: float) -> float:
    """``lam * sum(w**2)``."""
    return non_negative(lam, "lam") * float((as_float_array(w, "w") ** 2).sum())


def l2_penalty_gradient(w: Any, lam: float) -> np.ndarray:
    """``2 * lam * w``."""
    return 2.0 * non_negative(lam, "lam") * as_float_array(w, "w")


def weight_decay_step(w: Any, grad: Any, lr: float, weight_decay: float) -> np.ndarray:
    """One gradient-descent step with weight decay: ``w - lr * (grad + weight_decay * w)``.

    The same as ``w * (1 - lr * weight_decay) - lr * grad``: every step first shrinks the weights.
    """
    w = as_float_array(w, "w")
    grad = as_float_array(grad, "grad")
    if w.shape != grad.shape:
        raise ValueError(f"w has shape {w.shape} but grad has shape {grad.shape}.")
    lr = positive(lr, "lr")
    weight_decay = non_negative(weight_decay, "weight_decay")
    return w - lr * (grad + weight_decay * w)


def dropout(
    x: Any, p: float, *, rng: Any = 0, training: bool = True, return_mask: bool = False
) -> Any:
    """Inverted dropout: zero each entry with probability ``p``, scale the rest by ``1/(1-p)``.

    With ``training=False`` the input comes back unchanged (dropout is off at inference). The
    scaling keeps the expected value of every entry equal to the input. ``return_mask=True`` also
    returns the boolean mask of kept entries.
    """
    x = as_float_array(x, "x")
    p = _fraction(p, "p")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be True or False, got {type(training).__name__}.")
    if not training or p == 0:
        mask = np.ones(x.shape, dtype=bool)
        return (x.copy(), mask) if return_mask else x.copy()
    mask = _rng(rng).random(x.shape) >= p
    out = np.where(mask, x / (1.0 - p), 0.0)
    return (out, mask) if return_mask else out


# --------------------------------------------------------------------------------------------
# Activations and their derivatives (NumPy)
# --------------------------------------------------------------------------------------------


def _check_activation(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"activation name must be a string, got {type(name).__name__}.")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in ACTIVATION_NAMES:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATION_NAMES)}.")
    return key


def activation(name: str, z: Any) -> np.ndarray:
    """Apply the activation ``name`` (see :data:`ACTIVATION_NAMES`) to ``z``.

    GELU is the exact one, ``z * Phi(z)`` with ``Phi`` the standard normal CDF.
    """
    key = _check_activation(name)
    z = as_float_array(z, "z")
    if key == "sigmoid":
        return expit(z)
    if key == "tanh":
        return np.tanh(z)
    if key == "relu":
        return np.maximum(z, 0.0)
    if key == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    if key == "elu":
        return np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0)))
    return z * 0.5 * (1.0 + erf(z / math.sqrt(2.0)))


def activation_derivative(name: str, z: Any) -> np.ndarray:
    """The derivative of :func:`activation` ``name`` at ``z``.

    At ``z = 0`` the kinked functions use their left-hand slope, as PyTorch does (ReLU: 0).
    """
    key = _check_activation(name)
    z = as_float_array(z, "z")
    if key == "sigmoid":
        s = expit(z)
        return s * (1.0 - s)
    if key == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if key == "relu":
        return (z > 0).astype(float)
    if key == "leaky_relu":
        return np.where(z > 0, 1.0, LEAKY_SLOPE)
    if key == "elu":
        return np.where(z > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0.0)))
    cdf = 0.5 * (1.0 + erf(z / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi)
    return cdf + z * pdf


# --------------------------------------------------------------------------------------------
# PyTorch: models and a training loop
# --------------------------------------------------------------------------------------------


def _torch_activation(name: str) -> Any:
    from torch import nn

    key = _check_activation(name)
    return {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE),
        "elu": lambda: nn.ELU(ELU_ALPHA),
        "gelu": nn.GELU,
    }[key]()


def make_mlp(
    n_in: int,
    hidden: Sequence[int],
    n_out: int = 1,
    *,
    activation: str = "relu",
    dropout: float = 0.0,
) -> Any:
    """A PyTorch ``nn.Sequential``: ``Linear -> activation -> Dropout(p)`` per hidden layer, then
    a final ``Linear`` (no activation: the loss adds the sigmoid or softmax).

    ``dropout=0`` leaves the dropout layers out.
    """
    from torch import nn

    n_in = positive_int(n_in, "n_in")
    n_out = positive_int(n_out, "n_out")
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError("hidden must be a list of layer widths, e.g. [64, 64].")
    widths = [positive_int(h, "hidden width") for h in hidden]
    p = _fraction(dropout, "dropout")
    _check_activation(activation)
    layers: list[Any] = []
    previous = n_in
    for width in widths:
        layers += [nn.Linear(previous, width), _torch_activation(activation)]
        if p > 0:
            layers.append(nn.Dropout(p))
        previous = width
    layers.append(nn.Linear(previous, n_out))
    return nn.Sequential(*layers)


_LOSSES = ("mse", "bce", "cross_entropy")


def _as_tensor(value: Any, name: str, *, long: bool = False) -> Any:
    import torch

    arr = as_float_array(value, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty.")
    if long:
        return torch.as_tensor(arr, dtype=torch.long)
    t = torch.as_tensor(arr, dtype=torch.float32)
    return t[:, None] if t.ndim == 1 else t


def _data_loss(loss: str) -> Callable[[Any, Any], Any]:
    from torch.nn import functional as F

    if loss == "mse":
        return F.mse_loss
    if loss == "bce":
        return F.binary_cross_entropy_with_logits
    return F.cross_entropy


def _weight_matrices(model: Any) -> list[Any]:
    return [p for p in model.parameters() if p.ndim >= 2]


def train_model(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_val: Any,
    y_val: Any,
    *,
    loss: str = "mse",
    epochs: int = 100,
    lr: float = 0.01,
    optimizer: str = "adam",
    batch_size: int | None = None,
    l1: float = 0.0,
    l2: float = 0.0,
    weight_decay: float = 0.0,
    patience: int | None = None,
    restore_best: bool = True,
    seed: int = 0,
    live: Any = None,
    live_every: int = 10,
) -> dict[str, Any]:
    """Train a PyTorch ``model``; return its train/validation loss histories.

    - ``loss``: ``"mse"`` (regression), ``"bce"`` (one logit per example, targets 0/1) or
      ``"cross_entropy"`` (one logit per class, integer targets).
    - ``optimizer``: ``"sgd"`` or ``"adam"`` (notebook 07 explains Adam); ``weight_decay`` is
      handed to ``torch.optim.SGD`` or, for Adam, to the decoupled ``torch.optim.AdamW``.
    - ``l1``, ``l2``: penalties ``l1 * sum|w|`` and ``l2 * sum w**2`` over the weight matrices,
      added to the training loss (the histories record the data loss alone).
    - ``batch_size``: ``None`` for full-batch steps, else shuffled mini-batches each epoch.
    - ``patience``: stop after this many epochs without a new best validation loss (early
      stopping); with ``restore_best`` the model ends with the weights of the best epoch.
    - ``live``: an optional :class:`course_utils.plotting.LiveLossPlot` with curves
      ``"train"`` and ``"validation"``, updated every ``live_every`` epochs.

    Losses are measured in evaluation mode (dropout off) after every epoch. Returns a dict with
    ``train``, ``validation`` and ``weight_norm`` (one value per epoch run), ``best_epoch`` and
    ``stopped_epoch`` (1-based), and ``seconds``.
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {', '.join(_LOSSES)}, got {loss!r}.")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}.")
    epochs = positive_int(epochs, "epochs")
    lr = positive(lr, "lr")
    l1 = non_negative(l1, "l1")
    l2 = non_negative(l2, "l2")
    weight_decay = non_negative(weight_decay, "weight_decay")
    if patience is not None:
        patience = positive_int(patience, "patience")
    live_every = positive_int(live_every, "live_every")
    long = loss == "cross_entropy"
    Xt, Xv = _as_tensor(X_train, "X_train"), _as_tensor(X_val, "X_val")
    yt, yv = _as_tensor(y_train, "y_train", long=long), _as_tensor(y_val, "y_val", long=long)
    if Xt.shape[0] != yt.shape[0] or Xv.shape[0] != yv.shape[0]:
        raise ValueError(f"X and y disagree on the number of examples: train {Xt.shape[0]} vs "
                         f"{yt.shape[0]}, validation {Xv.shape[0]} vs {yv.shape[0]}.")
    n = Xt.shape[0]
    if batch_size is not None:
        batch_size = min(positive_int(batch_size, "batch_size"), n)
    criterion = _data_loss(loss)
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(int(seed))
    weights = _weight_matrices(model)

    history: dict[str, Any] = {"train": [], "validation": [], "weight_norm": []}
    best_val, best_epoch, best_state = math.inf, 0, None
    start = time.perf_counter()
    epoch = 0
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator) if batch_size else None
        for first in range(0, n, batch_size or n):
            idx = order[first:first + batch_size] if order is not None else slice(None)
            opt.zero_grad()
            objective = criterion(model(Xt[idx]), yt[idx])
            if l1:
                objective = objective + l1 * sum(w.abs().sum() for w in weights)
            if l2:
                objective = objective + l2 * sum((w**2).sum() for w in weights)
            objective.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            train_loss = float(criterion(model(Xt), yt))
            val_loss = float(criterion(model(Xv), yv))
            norm = float(torch.sqrt(sum((w**2).sum() for w in weights)))
        history["train"].append(train_loss)
        history["validation"].append(val_loss)
        history["weight_norm"].append(norm)
        if live is not None and (epoch % live_every == 0 or epoch == epochs):
            live.update(epoch, train=train_loss, validation=val_loss)
        if val_loss < best_val:
            best_val, best_epoch = val_loss, epoch
            if patience is not None and restore_best:
                best_state = copy.deepcopy(model.state_dict())
        elif patience is not None and epoch - best_epoch >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    history["best_epoch"] = best_epoch
    history["stopped_epoch"] = epoch
    history["seconds"] = time.perf_counter() - start
    return history


def depth_gradient_norms(
    activation: str, *, depth: int = 20, width: int = 64, n: int = 256, seed: int = 0
) -> np.ndarray:
    """Gradient norm of every layer's weights in a deep ``make_mlp`` stack, first layer first.

    The stack has ``depth`` hidden layers of ``width`` units, weights drawn with He (Kaiming)
    initialisation, standard deviation ``sqrt(2 / fan_in)``, and zero biases; the loss is the mean squared error against random targets on random standard-normal inputs.
    When the first layers' norms are far below the last ones', the gradients vanish.
    """
    import torch

    depth = positive_int(depth, "depth")
    width = positive_int(width, "width")
    n = positive_int(n, "n")
    torch.manual_seed(int(seed))
    model = make_mlp(width, [width] * depth, 1, activation=activation)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                layer.bias.zero_()
    X = torch.randn(n, width)
    y = torch.randn(n, 1)
    torch.nn.functional.mse_loss(model(X), y).backward()
    return np.array([float(w.grad.norm()) for w in _weight_matrices(model)])


# --------------------------------------------------------------------------------------------
# Landscapes: local minima and saddle points
# --------------------------------------------------------------------------------------------


def bumpy(x: Any) -> np.ndarray:
    """A 1-D loss with several local minima: ``0.05 * x**2 + sin(2x) + 1``."""
    x = as_float_array(x, "x")
    return 0.05 * x**2 + np.sin(2.0 * x) + 1.0


def bumpy_grad(x: Any) -> np.ndarray:
    """Derivative of :func:`bumpy`: ``0.1x + 2cos(2x)``."""
    x = as_float_array(x, "x")
    return 0.1 * x + 2.0 * np.cos(2.0 * x)


def saddle(p: Any) -> np.ndarray:
    """``x**2 + y**4/4 - y**2/2``: a saddle point at (0, 0), minima at (0, +-1).

    ``p`` has shape ``(..., 2)``.
    """
    p = as_float_array(p, "p")
    if p.shape[-1:] != (2,):
        raise ValueError(f"p must have a last axis of length 2 (x, y), got shape {p.shape}.")
    x, y = p[..., 0], p[..., 1]
    return x**2 + y**4 / 4.0 - y**2 / 2.0


def saddle_grad(p: Any) -> np.ndarray:
    """Gradient of :func:`saddle`: ``(2x, y**3 - y)``."""
    p = as_float_array(p, "p")
    if p.shape[-1:] != (2,):
        raise ValueError(f"p must have a last axis of length 2 (x, y), got shape {p.shape}.")
    return np.stack([2.0 * p[..., 0], p[..., 1] ** 3 - p[..., 1]], axis=-1)


def descend(grad: Callable[[np.ndarray], Any], start: Any, *, lr: float, steps: int) -> np.ndarray:
    """Plain gradient descent ``w <- w - lr * grad(w)``; returns the path, shape ``(steps+1, ...)``."""
    if not callable(grad):
        raise TypeError("grad must be a function returning the gradient at a point.")
    w = as_float_array(start, "start").copy()
    lr = positive(lr, "lr")
    steps = non_negative_int(steps, "steps")
    path = [w.copy()]
    for _ in range(steps):
        g = np.asarray(grad(w), dtype=float)
        if g.shape != w.shape:
            raise ValueError(f"grad returned shape {g.shape} for a point of shape {w.shape}.")
        w = w - lr * g
        path.append(w.copy())
    return np.array(path)


# --------------------------------------------------------------------------------------------
# Batch, stochastic and mini-batch gradient descent; learning-rate decay
# --------------------------------------------------------------------------------------------


def step_decay(lr0: float, epoch: int, *, drop: float = 0.5, every: int = 10) -> float:
    """``lr0 * drop ** (epoch // every)``: the rate falls by a factor every few epochs (StepLR)."""
    lr0 = positive(lr0, "lr0")
    epoch = non_negative_int(epoch, "epoch")
    drop = positive(drop, "drop")
    every = positive_int(every, "every")
    return lr0 * drop ** (epoch // every)


def exponential_decay(lr0: float, epoch: int, *, gamma: float = 0.9) -> float:
    """``lr0 * gamma ** epoch`` (PyTorch's ExponentialLR)."""
    lr0 = positive(lr0, "lr0")
    epoch = non_negative_int(epoch, "epoch")
    gamma = positive(gamma, "gamma")
    return lr0 * gamma**epoch


def inverse_time_decay(lr0: float, epoch: int, *, k: float = 0.1) -> float:
    """``lr0 / (1 + k * epoch)``: a slow decay that never stops learning entirely."""
    lr0 = positive(lr0, "lr0")
    epoch = non_negative_int(epoch, "epoch")
    k = non_negative(k, "k")
    return lr0 / (1.0 + k * epoch)


def minibatch_gd(
    X: Any,
    y: Any,
    *,
    batch_size: int,
    epochs: int,
    lr: float,
    schedule: Callable[[int], float] | None = None,
    seed: Any = 0,
) -> dict[str, np.ndarray]:
    """Linear regression ``y ~ X @ w + b`` by gradient descent on the mean squared error.

    ``batch_size = len(X)`` gives batch gradient descent, ``1`` stochastic gradient descent,
    anything between mini-batch gradient descent. Examples are shuffled every epoch.
    ``schedule(epoch)`` (epoch from 0) overrides ``lr`` with a decayed rate.

    Returns ``loss`` (full-data MSE before training and after each epoch, length ``epochs+1``),
    ``seconds`` (training time used up to each of those points, excluding the loss evaluation),
    ``steps`` (updates done up to each point), ``lr`` (rate used in each epoch) and ``w``, ``b``.
    """
    X = as_matrix(X, "X")
    y = as_vector(y, "y", length=X.shape[0])
    n, d = X.shape
    batch_size = positive_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size ({batch_size}) is larger than the data set ({n}).")
    epochs = positive_int(epochs, "epochs")
    lr = positive(lr, "lr")
    if schedule is not None and not callable(schedule):
        raise TypeError("schedule must be a function epoch -> learning rate, or None.")
    rng = _rng(seed)
    w, b = np.zeros(d), 0.0

    def full_loss() -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.mean((X @ w + b - y) ** 2))

    losses, seconds, steps, rates = [full_loss()], [0.0], [0], []
    elapsed, n_steps = 0.0, 0
    for epoch in range(epochs):
        rate = positive(schedule(epoch), "schedule(epoch)") if schedule else lr
        rates.append(rate)
        start = time.perf_counter()
        order = rng.permutation(n)
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            for first in range(0, n, batch_size):
                idx = order[first:first + batch_size]
                error = X[idx] @ w + b - y[idx]
                w = w - rate * (2.0 / len(idx)) * (X[idx].T @ error)
                b = b - rate * 2.0 * float(error.mean())
                n_steps += 1
        elapsed += time.perf_counter() - start
        loss = full_loss()
        if not (np.isfinite(w).all() and np.isfinite(b) and np.isfinite(loss)):
            raise FloatingPointError(f"training diverged in epoch {epoch + 1}: lower lr ({rate}).")
        losses.append(loss)
        seconds.append(elapsed)
        steps.append(n_steps)
    return {"loss": np.array(losses), "seconds": np.array(seconds), "steps": np.array(steps),
            "lr": np.array(rates), "w": w, "b": np.float64(b)}


# --------------------------------------------------------------------------------------------
# Momentum, two ways
# --------------------------------------------------------------------------------------------


def _gradient_sequence(grads: Any) -> np.ndarray:
    g = as_float_array(grads, "grads")
    if g.ndim == 0 or g.shape[0] == 0:
        raise ValueError("grads must be a non-empty sequence of gradients (one per step).")
    return g


def _beta(beta: Any) -> float:
    return _fraction(beta, "beta")


def momentum_recursive(grads: Any, beta: float) -> np.ndarray:
    """Velocities ``v_t = beta * v_{t-1} + g_t`` (``v_0 = 0``) for a sequence of gradients.

    ``grads`` has shape ``(T, ...)``; the result has the same shape, one velocity per step. A
    momentum step moves by ``-lr * v_t``, as ``torch.optim.SGD(momentum=beta)`` does.
    """
    g = _gradient_sequence(grads)
    beta = _beta(beta)
    v = np.zeros_like(g)
    current = np.zeros_like(g[0])
    for t in range(g.shape[0]):
        current = beta * current + g[t]
        v[t] = current
    return v


def momentum_explicit(grads: Any, beta: float) -> np.ndarray:
    """The same velocities as an explicit sum: ``v_t = sum_{k=0}^{t} beta**k * g_{t-k}``.

    The gradient from ``k`` steps ago weighs ``beta**k``: an exponentially weighted sum.
    """
    g = _gradient_sequence(grads)
    beta = _beta(beta)
    v = np.zeros_like(g)
    for t in range(g.shape[0]):
        k = np.arange(t + 1)
        weights = (beta**k).reshape((-1,) + (1,) * (g.ndim - 1))
        v[t] = (weights * g[t - k]).sum(axis=0)
    return v
