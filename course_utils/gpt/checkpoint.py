"""GPT checkpoints: weights, configuration and tokenizer saved as plain data.

:func:`save_checkpoint` / :func:`load_checkpoint` store them and read them back with
``torch.load(..., weights_only=True)``; :func:`default_checkpoint_path` is where notebook 10 saves
its model and notebook 11 finds it.

Every checkpoint carries a sha256 of its contents (weights, configurations, tokenizer, extras),
checked on load: a few flipped bytes inside a stored tensor would otherwise load as NaN or wrong
weights without a word. A checkpoint saved before checksums existed still loads, with a warning
that asks to re-save it, provided every weight is finite.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import re
import warnings
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
        raise TypeError(
            f"{where} is a {type(value).__name__}; a checkpoint stores only plain data "
            "(numbers, strings, lists, dicts, tensors) so it can be loaded safely."
        )


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    *,
    tokenizer: CharTokenizer | None = None,
    train_config: TrainConfig | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
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
    if tokenizer is not None and tokenizer.vocab_size != model.config.vocab_size:
        raise ValueError(
            f"The tokenizer has {tokenizer.vocab_size} symbols but the model's "
            f"vocabulary has {model.config.vocab_size}: they do not belong together."
        )
    payload: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "config": model.config.to_dict(),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "tokenizer": tokenizer.to_dict() if tokenizer is not None else None,
        "train_config": train_config.to_dict() if train_config is not None else None,
        "extra": extra,
        "torch_version": str(torch.__version__),
    }
    payload["sha256"] = content_sha256(payload)
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


def _tensors_out(value: Any, tensors: list[torch.Tensor]) -> Any:
    """``value`` with each tensor replaced by a placeholder; the tensors are appended to a list."""
    if isinstance(value, torch.Tensor):
        tensors.append(value)
        return f"<tensor {len(tensors) - 1}>"
    if isinstance(value, dict):
        return {str(k): _tensors_out(v, tensors) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tensors_out(v, tensors) for v in value]
    return value


def _hash_tensor(digest: Any, label: str, tensor: torch.Tensor) -> None:
    digest.update(f"{label}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
    digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())


def content_sha256(payload: Mapping[str, Any]) -> str:
    """sha256 of a checkpoint's contents: its plain fields as JSON, then every tensor's bytes.

    Independent of how ``torch.save`` lays out the file, so the same model always has the same
    checksum.
    """
    digest = hashlib.sha256()
    tensors: list[torch.Tensor] = []
    plain = {
        k: _tensors_out(v, tensors)
        for k, v in payload.items()
        if k not in ("model", "sha256", "torch_version")
    }
    digest.update(json.dumps(plain, sort_keys=True).encode())
    for i, tensor in enumerate(tensors):
        _hash_tensor(digest, f"<tensor {i}>", tensor)
    for name, tensor in sorted(payload["model"].items()):
        _hash_tensor(digest, name, tensor)
    return digest.hexdigest()


def _unreadable(path: Path, exc: Exception) -> str:
    """Why ``torch.load(weights_only=True)`` failed, without torch's advice to load unsafely.

    torch suggests retrying with ``weights_only=False`` or allow-listing the offending class,
    either of which lets the file run code: the course never does that, so it never says so.
    """
    text = str(exc)
    if isinstance(exc, pickle.UnpicklingError) and "weights_only" in text:
        found = re.search(r"GLOBAL (\S+) was not an allowed global", text)
        if found:
            return (
                f"{path} was refused: it refers to {found.group(1)}, not only to tensors "
                "and plain data, and the course loads only checkpoints that cannot run code. "
                "Use a checkpoint written by save_checkpoint() (train and save the model "
                "again if needed)."
            )
        detail = re.search(r"WeightsUnpickler error:\s*(.+?)\s*(?:\n|$)", text)
        text = detail.group(1) if detail else "not a file written by torch.save"
    return (
        f"{path} could not be read as a checkpoint ({text}). It is damaged or not a "
        "checkpoint: save the model again."
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - say which file, and why, in one message
        raise ValueError(_unreadable(path, exc)) from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(
            f"{path} is not a GPT checkpoint of this course (format {found!r}, "
            f"expected {CHECKPOINT_FORMAT!r})."
        )
    for key in ("config", "model"):
        if not isinstance(payload.get(key), dict):
            raise ValueError(f"{path} is damaged: its {key!r} entry is missing or not a dict.")
    if not all(isinstance(t, torch.Tensor) for t in payload["model"].values()):
        raise ValueError(f"{path} is damaged: its weights are not all tensors.")
    return payload


def _verify(path: Path, payload: dict[str, Any]) -> None:
    stored = payload.get("sha256")
    if stored is not None and stored != content_sha256(payload):
        raise ValueError(
            f"{path} is damaged: its contents do not match the checksum stored when "
            "it was saved. Train and save the model again, or restore a good copy."
        )
    bad = [
        k
        for k, t in payload["model"].items()
        if t.is_floating_point() and not torch.isfinite(t).all()
    ]
    if bad:  # a damaged file, or a training run that diverged before it was saved
        raise ValueError(
            f"{path} is unusable: weights {bad[:3]} hold NaN or infinity (the training that "
            "produced them diverged, or the file is damaged). Train again, for example with a "
            "lower learning rate."
        )
    if stored is None:
        warnings.warn(
            f"{path} has no checksum (it was saved by an older version of the course), "
            "so damage to it cannot be detected. Save it again with save_checkpoint() "
            "to add one.",
            stacklevel=3,
        )


def _train_config(path: Path, data: Any) -> TrainConfig | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: 'train_config' should be a dict, got {type(data).__name__}.")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(
            f"{path}: unknown training-configuration field(s) {unknown}; known "
            f"fields: {sorted(known)}."
        )
    return TrainConfig(**data)


def _tokenizer(path: Path, data: Any, config: GPTConfig) -> CharTokenizer | None:
    if data is None:
        return None
    tok = CharTokenizer.from_dict(data)
    if tok.vocab_size != config.vocab_size:
        raise ValueError(
            f"{path}: the stored tokenizer has {tok.vocab_size} symbols but the model "
            f"has a vocabulary of {config.vocab_size}: they do not belong together."
        )
    return tok


def load_checkpoint(
    path: str | os.PathLike[str], *, device: torch.device | str = "cpu"
) -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint` with ``weights_only=True``.

    Checks the stored checksum, rebuilds the :class:`GPT` from the stored configuration, loads
    the weights (every key must match), checks the tokenizer against the model's vocabulary,
    moves the model to ``device`` and returns it in eval mode together with its tokenizer.
    A damaged, incomplete or unsafe file raises ``ValueError`` saying what is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No checkpoint at {path}. Train and save a model first "
            "(notebook 10 does), or pass the right path."
        )
    payload = _read(path)
    _verify(path, payload)
    extra = payload.get("extra") or {}
    if not isinstance(extra, dict) or not all(isinstance(k, str) for k in extra):
        raise ValueError(
            f"{path}: 'extra' should be a dict with string keys, got {type(extra).__name__}."
        )
    config = GPTConfig.from_dict(payload["config"])
    tokenizer = _tokenizer(path, payload.get("tokenizer"), config)
    train_config = _train_config(path, payload.get("train_config"))
    model = GPT(config)
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as exc:  # names or shapes that do not fit the stored configuration
        first = str(exc).strip().splitlines()
        raise ValueError(
            f"{path}: its weights do not fit its configuration {config} "
            f"({' '.join(line.strip() for line in first[:3])})."
        ) from None
    model.to(device).eval()
    return Checkpoint(
        model=model,
        config=config,
        tokenizer=tokenizer,
        train_config=train_config,
        extra=dict(extra),
    )
