"""GPT checkpoints: weights, configuration and tokenizer saved as plain data.

:func:`save_checkpoint` / :func:`load_checkpoint` store them and read them back with
``torch.load(..., weights_only=True)``; :func:`default_checkpoint_path` is where notebook 10 saves
its model and notebook 11 finds it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from course_utils.gpt.model import GPT, GPTConfig
from course_utils.gpt.train import TrainConfig, _unwrap
from course_utils.runtime import is_fast
from course_utils.tokenizers import CharTokenizer

__all__ = [
    "CHECKPOINT_FORMAT",
    "Checkpoint",
    "save_checkpoint",
    "load_checkpoint",
    "default_checkpoint_path",
]


CHECKPOINT_FORMAT = "gradient-to-gpt/gpt-checkpoint-v1"


def default_checkpoint_path(*, fast: bool | None = None) -> Path:
    """Where notebook 10 saves its model and notebook 11 finds it.

    In the course cache (``COURSE_CACHE_DIR`` or ``~/.cache/gradient-to-gpt``), under
    ``checkpoints/``. Fast mode (``fast=None`` reads ``COURSE_FAST``) uses a separate file, so a
    test run never overwrites the fully trained model.
    """
    from course_utils.data import cache_dir

    if fast is None:
        fast = is_fast()
    name = "gpt_shakespeare_char_fast.pt" if fast else "gpt_shakespeare_char.pt"
    return cache_dir() / "checkpoints" / name


_PLAIN = (str, int, float, bool, type(None))


def _check_plain(value: Any, where: str) -> None:
    """Only exact plain types (no subclasses), so ``torch.load(weights_only=True)`` reads them."""
    if type(value) in (list, tuple, dict):
        items = value.items() if type(value) is dict else enumerate(value)
        for key, item in items:
            if type(value) is dict and type(key) is not str:
                raise TypeError(f"{where} has a non-string key {key!r}.")
            _check_plain(item, f"{where}[{key!r}]")
    elif type(value) not in _PLAIN and not isinstance(value, torch.Tensor):
        raise TypeError(f"{where} is a {type(value).__name__}; a checkpoint stores only plain data "
                        "(numbers, strings, lists, dicts, tensors) so it can be loaded safely.")


def save_checkpoint(path: str | os.PathLike[str], model: nn.Module, *,
                    tokenizer: CharTokenizer | None = None,
                    train_config: TrainConfig | None = None,
                    extra: Mapping[str, Any] | None = None) -> Path:
    """Save weights, model configuration, tokenizer and optional extras as plain data.

    Nothing but tensors, numbers, strings, lists and dicts goes into the file, so
    :func:`load_checkpoint` can read it with ``torch.load(..., weights_only=True)``, which refuses
    to run code hidden in a file. The file is written next to ``path`` first and then moved into
    place, so an interrupted save never leaves half a checkpoint. Returns the path.
    """
    model = _unwrap(model)
    if not isinstance(model, GPT):
        raise TypeError(f"save_checkpoint() saves a GPT, got {type(model).__name__}.")
    extra = dict(extra or {})
    _check_plain(extra, "extra")
    payload = {
        "format": CHECKPOINT_FORMAT,
        "config": model.config.to_dict(),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "tokenizer": tokenizer.to_dict() if tokenizer is not None else None,
        "train_config": train_config.to_dict() if train_config is not None else None,
        "extra": extra,
        "torch_version": str(torch.__version__),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` returns."""

    model: GPT
    config: GPTConfig
    tokenizer: CharTokenizer | None
    train_config: TrainConfig | None
    extra: dict[str, Any]


def load_checkpoint(path: str | os.PathLike[str], *,
                    device: torch.device | str = "cpu") -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint` with ``weights_only=True``.

    Rebuilds the :class:`GPT` from the stored configuration, loads the weights (every key must
    match), moves it to ``device`` and returns it in eval mode together with its tokenizer.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}. Train and save a model first "
                                "(notebook 10 does), or pass the right path.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - say which file, and why, in one message
        raise ValueError(f"{path} could not be read as a checkpoint ({type(exc).__name__}: "
                         f"{exc}).") from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(f"{path} is not a GPT checkpoint of this course (format {found!r}, "
                         f"expected {CHECKPOINT_FORMAT!r}).")
    config = GPTConfig.from_dict(payload["config"])
    model = GPT(config)
    model.load_state_dict(payload["model"])
    model.to(device).eval()
    tok = payload.get("tokenizer")
    tcfg = payload.get("train_config")
    return Checkpoint(model=model, config=config,
                      tokenizer=CharTokenizer.from_dict(tok) if tok is not None else None,
                      train_config=TrainConfig(**tcfg) if tcfg is not None else None,
                      extra=dict(payload.get("extra") or {}))

