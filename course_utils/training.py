"""A small PyTorch training loop (notebook 06): penalties, weight decay, mini-batches, early stop.

- :func:`make_mlp`: a multi-layer perceptron with a chosen activation and optional dropout.
- :func:`fit`: the loop itself, on tensors; notebook 06 writes it out in a cell.
- :func:`train_model`: the checked entry point; it turns arrays into tensors, refuses targets that
  do not fit the loss or the model, and calls :func:`fit`.

Penalties and weight decay act on the weight matrices only, never on biases
(:mod:`course_utils.regularization` has the conventions): ``l1 * sum|w| + l2 * sum w**2`` is added
to the training loss, and weight decay shrinks every weight matrix by ``(1 - lr * weight_decay)``
before each optimizer step. With ``optimizer="sgd"`` that is exactly the L2 step with
``lam = weight_decay / 2``; with ``"adam"`` it is AdamW's decoupled decay (notebook 07).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

__all__ = ["LOSSES", "make_mlp", "weight_matrices", "train_epoch", "fit", "train_model"]

LOSSES = {
    "mse": F.mse_loss,  # regression: one output per target column
    "bce": F.binary_cross_entropy_with_logits,  # one logit per example, targets in [0, 1]
    "cross_entropy": F.cross_entropy,  # one logit per class, integer class labels
}

_ACTIVATION_MODULES = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}


def make_mlp(
    n_in: int,
    hidden: Sequence[int],
    n_out: int = 1,
    *,
    activation: str = "relu",
    dropout: float = 0.0,
) -> nn.Sequential:
    """``Linear -> activation [-> Dropout]`` for each hidden width, then a final ``Linear``."""
    if activation not in _ACTIVATION_MODULES or not 0 <= dropout < 1:
        raise ValueError(
            f"activation must be one of {', '.join(_ACTIVATION_MODULES)} and "
            f"0 <= dropout < 1; got {activation!r} and {dropout}."
        )
    layers: list[nn.Module] = []
    previous = n_in
    for width in hidden:
        layers += [nn.Linear(previous, width), _ACTIVATION_MODULES[activation]()]
        layers += [nn.Dropout(dropout)] if dropout else []
        previous = width
    layers.append(nn.Linear(previous, n_out))
    return nn.Sequential(*layers)


def weight_matrices(model: nn.Module) -> list[torch.Tensor]:
    """The parameters that penalties and weight decay act on: matrices, not bias vectors."""
    return [p for p in model.parameters() if p.ndim >= 2]


def train_epoch(
    model, optimizer, loss_fn, X, y, *, batch_size, generator, lr, l1=0.0, l2=0.0, weight_decay=0.0
):
    """One pass over shuffled mini-batches: loss + penalty, backward, weight decay, step."""
    model.train()
    weights = weight_matrices(model)
    order = torch.randperm(len(X), generator=generator)
    for first in range(0, len(X), batch_size):
        idx = order[first : first + batch_size]
        penalty = sum(l1 * w.abs().sum() + l2 * (w**2).sum() for w in weights)
        objective = loss_fn(model(X[idx]), y[idx]) + penalty
        optimizer.zero_grad()
        objective.backward()
        with torch.no_grad():
            for w in weights:
                w.mul_(1 - lr * weight_decay)  # decay the weight matrices, never the biases
        optimizer.step()


def fit(
    model,
    X_train,
    y_train,
    X_val,
    y_val,
    *,
    loss="mse",
    epochs=100,
    lr=0.01,
    optimizer="adam",
    batch_size=None,
    l1=0.0,
    l2=0.0,
    weight_decay=0.0,
    patience=None,
    seed=0,
    live=None,
):
    """Train ``model`` on tensors; record the losses after every epoch; stop early if asked.

    Losses are measured in evaluation mode (dropout off). With ``patience``, training stops once
    the validation loss has not improved for that many epochs, and the model gets back the
    weights of its best epoch. Returns ``train``, ``validation`` and ``weight_norm`` (one value
    per epoch run), ``best_epoch`` and ``stopped_epoch`` (counted from 1).
    """
    loss_fn = LOSSES[loss]
    make = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    opt = make(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    history = {"train": [], "validation": [], "weight_norm": []}
    best_val, best_epoch, best_state = math.inf, None, None
    for epoch in range(1, epochs + 1):
        train_epoch(
            model,
            opt,
            loss_fn,
            X_train,
            y_train,
            batch_size=batch_size or len(X_train),
            generator=generator,
            lr=lr,
            l1=l1,
            l2=l2,
            weight_decay=weight_decay,
        )
        model.eval()
        with torch.no_grad():
            history["train"].append(loss_fn(model(X_train), y_train).item())
            history["validation"].append(loss_fn(model(X_val), y_val).item())
            history["weight_norm"].append(
                math.sqrt(sum((w**2).sum().item() for w in weight_matrices(model)))
            )
        if live is not None:
            live.update(epoch, train=history["train"][-1], validation=history["validation"][-1])
        if history["validation"][-1] < best_val:
            best_val, best_epoch = history["validation"][-1], epoch
            best_state = copy.deepcopy(model.state_dict())
        elif patience is not None and epoch - best_epoch >= patience:
            break
    if patience is not None:
        model.load_state_dict(best_state)
    return {**history, "best_epoch": best_epoch, "stopped_epoch": epoch}


def _tensors(X: Any, y: Any, loss: str, n_out: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs as a float matrix and targets in the form ``loss`` needs, or a clear error."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    y = y[:, None] if y.ndim == 1 and loss != "cross_entropy" else y
    problem = (
        "X must be a finite 2-D array (examples, features) with one target row per example"
        if X.ndim != 2 or len(y) != len(X) or not (np.isfinite(X).all() and np.isfinite(y).all())
        else f"loss='mse' needs one target column per model output ({n_out}), got {y.shape[1:]}"
        if loss == "mse" and y.shape[1:] != (n_out,)
        else f"loss='bce' needs one model output ({n_out} here) and targets between 0 and 1"
        if loss == "bce" and (n_out != 1 or y.shape[1:] != (1,) or y.min() < 0 or y.max() > 1)
        else f"loss='cross_entropy' needs integer class labels 0 to {n_out - 1}, got values "
        f"such as {y.ravel()[:3]}"
        if loss == "cross_entropy"
        and (y.ndim != 1 or (y != np.round(y)).any() or y.min() < 0 or y.max() >= n_out)
        else None
    )
    if problem:
        raise ValueError(problem + ".")
    X_t = torch.as_tensor(X, dtype=torch.float32)
    return X_t, torch.as_tensor(y, dtype=torch.long if loss == "cross_entropy" else torch.float32)


def train_model(
    model: nn.Module,
    X_train: Any,
    y_train: Any,
    X_val: Any,
    y_val: Any,
    *,
    loss: str = "mse",
    optimizer: str = "adam",
    **settings: Any,
) -> dict[str, Any]:
    """Check the data against ``loss`` and ``model``, then :func:`fit` (same settings).

    - ``loss``: ``"mse"`` (targets: one column per output), ``"bce"`` (one logit, targets in
      [0, 1]) or ``"cross_entropy"`` (one logit per class, integer labels);
    - ``optimizer``: ``"sgd"`` or ``"adam"``; ``epochs``, ``lr``, ``batch_size`` (``None``: full
      batch), ``l1``, ``l2``, ``weight_decay``, ``patience``, ``seed`` and ``live`` go to
      :func:`fit`.

    Float labels for cross-entropy (such as 0.5) and targets that do not match the number of
    outputs are refused rather than truncated or broadcast.
    """
    if not isinstance(model, nn.Module) or loss not in LOSSES or optimizer not in ("sgd", "adam"):
        raise ValueError(
            f"train_model() needs a torch.nn.Module, loss in {list(LOSSES)} and "
            f"optimizer 'sgd' or 'adam'; got {type(model).__name__}, {loss!r}, "
            f"{optimizer!r}."
        )
    n_out = [p for p in model.parameters() if p.ndim >= 1][-1].shape[0]
    train, val = _tensors(X_train, y_train, loss, n_out), _tensors(X_val, y_val, loss, n_out)
    return fit(model, *train, *val, loss=loss, optimizer=optimizer, **settings)
