"""Training the GPT: configuration, presets, learning-rate schedule, device features, the loop.

- :class:`TrainConfig` holds the optimiser and schedule; :func:`gpu_preset`, :func:`cpu_preset`,
  :func:`fast_preset` and :func:`preset_for_device` give the sizes used on a GPU (nanoGPT's
  Shakespeare model), on a CPU, and in fast mode.
- :func:`setup_device`, :func:`autocast_dtype`, :func:`autocast_context`, :func:`grad_scaler` and
  :func:`speed_features`: mixed precision and the other speed features of each device.
- :func:`estimate_loss`, :func:`lr_at` (warm-up then cosine decay), :func:`configure_optimizer`
  (AdamW) and :func:`train` (the training loop with a progress bar and a callback at every
  evaluation).

On CUDA the training loop uses bfloat16 autocast (float16 with a gradient scaler on GPUs older
than Ampere), TF32 matrix multiplications, fused AdamW and, optionally, ``torch.compile``. On
Apple's MPS it stays in float32 without compilation, which is what works reliably there. On the
CPU it stays in float32 and nothing CUDA-specific runs.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset

from course_utils.gpt.data import random_batches
from course_utils.gpt.distributed import mean_over_processes, shard_batch
from course_utils.gpt.model import GPT, GPTConfig, _check_bools, _number_in
from course_utils.gpt.muon import Muon, muon_param_groups
from course_utils.runtime import is_fast, progress
from course_utils.validation import (
    as_number,
    non_negative,
    non_negative_int,
    positive,
    positive_int,
)

__all__ = [
    "TrainConfig",
    "Preset",
    "gpu_preset",
    "cpu_preset",
    "fast_preset",
    "cpu_modern_preset",
    "gpu_short_preset",
    "gpu_modern_preset",
    "preset_for_device",
    "setup_device",
    "autocast_dtype",
    "autocast_context",
    "grad_scaler",
    "speed_features",
    "lr_at",
    "configure_optimizer",
    "estimate_loss",
    "train_step",
    "EvalEvent",
    "TrainResult",
    "train",
]


# --------------------------------------------------------------------------------------------
# Configuration and presets
# --------------------------------------------------------------------------------------------


OPTIMIZERS = ("adamw", "muon")


@dataclass(frozen=True)
class TrainConfig:
    """How to train: batch size, steps, AdamW settings, learning-rate schedule, evaluation.

    The learning rate rises linearly for ``warmup_steps`` steps to ``learning_rate``, then follows
    half a cosine down to ``min_lr`` at ``max_steps`` (see :func:`lr_at`). Every
    ``eval_interval`` steps (and at the end) the mean loss over ``eval_iters`` random batches of
    each split is measured. ``compile`` asks for ``torch.compile`` (used on CUDA; on the CPU only
    when :func:`train` is told ``compile=True``, as ``benchmarks/train_gpt.py`` does; ignored on
    MPS).
    ``keep_best`` makes :func:`train` end with the weights of the evaluation that had the lowest
    validation loss (early stopping after the fact): a model big enough to memorise its data
    starts to overfit, and then the last weights are not the best ones.

    ``optimizer="muon"`` trains the matrices inside the blocks with :class:`~course_utils.gpt.muon.Muon`
    (notebook 12) and the rest with AdamW, all at the same learning rate and schedule.

    ``batch_size`` is the *global* batch of one optimiser step. ``grad_accum`` cuts it into that
    many micro-batches whose gradients add up before the step (the batch a small GPU cannot hold
    at once); under torchrun it is first split across the processes (see
    :func:`course_utils.gpt.distributed.shard_batch`), so the same settings train the same model
    on any number of processes.
    """

    batch_size: int = 64
    max_steps: int = 5000
    learning_rate: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.99
    grad_clip: float = 1.0
    eval_interval: int = 250
    eval_iters: int = 200
    compile: bool = False
    seed: int = 1337
    keep_best: bool = True
    grad_accum: int = 1
    optimizer: str = "adamw"

    def __post_init__(self) -> None:
        checks = {
            positive_int: ("batch_size", "max_steps", "eval_interval", "eval_iters", "grad_accum"),
            non_negative_int: ("warmup_steps", "seed"),
            positive: ("learning_rate",),
            non_negative: ("min_lr", "weight_decay", "grad_clip"),
        }
        for check, names in checks.items():
            for name in names:
                object.__setattr__(self, name, check(getattr(self, name), name))
        for name in ("beta1", "beta2"):
            object.__setattr__(self, name, _number_in(getattr(self, name), name, 0.0, 1.0))
        _check_bools(self, "compile", "keep_best")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}.")
        if self.warmup_steps > self.max_steps:
            raise ValueError(
                f"warmup_steps ({self.warmup_steps}) must not exceed max_steps "
                f"({self.max_steps}); shorten the warm-up for a short run."
            )
        if self.batch_size % self.grad_accum:
            raise ValueError(
                f"batch_size ({self.batch_size}) must be a multiple of grad_accum "
                f"({self.grad_accum}): every micro-batch has the same size."
            )
        if self.min_lr > self.learning_rate:
            raise ValueError(
                f"min_lr ({self.min_lr}) must not exceed learning_rate ({self.learning_rate})."
            )

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class Preset:
    """A named pair of model and training configurations."""

    name: str
    model: GPTConfig
    train: TrainConfig
    description: str = ""

    @property
    def tokens_per_step(self) -> int:
        """Tokens processed by one training step: batch size times context."""
        return self.train.batch_size * self.model.block_size


def gpu_preset(vocab_size: int = 65) -> Preset:
    """nanoGPT's character-level Shakespeare model: 6 layers, 6 heads, 384 dims, context 256.

    Dropout 0.2, batch 64, AdamW at 1e-3 decaying to 1e-4 over 5000 steps, compiled on CUDA.
    10.75 million parameters (10.65 million without the position embedding); nanoGPT reports a
    validation loss of about 1.47 for it.
    """
    model = GPTConfig(
        vocab_size=vocab_size,
        block_size=256,
        n_layer=6,
        n_head=6,
        n_embd=384,
        dropout=0.2,
        bias=False,
    )
    train_cfg = TrainConfig(
        batch_size=64,
        max_steps=5000,
        learning_rate=1e-3,
        min_lr=1e-4,
        warmup_steps=100,
        eval_interval=250,
        eval_iters=200,
        compile=True,
    )
    return Preset(
        "gpu",
        model,
        train_cfg,
        "GPU: 6 layers x 6 heads x 384 dims, context 256, batch 64, 5000 steps",
    )


def cpu_preset(vocab_size: int = 65) -> Preset:
    """nanoGPT's CPU recipe: 4 layers, 4 heads, 128 dims, context 64, batch 12, 2000 steps.

    No dropout (a small model trained briefly does not overfit), AdamW at 1e-3 decaying to 1e-4.
    nanoGPT reports a validation loss of about 1.88 for it. One change: the output head has its
    own matrix (``tie_weights=False``, 0.81 million parameters instead of 0.80). At this small
    width that is measurably better: validation loss 1.868, 1.867 and 1.886 untied against 1.900,
    1.911 and 1.896 tied (three seeds each, 12,000 validation windows).
    """
    model = GPTConfig(
        vocab_size=vocab_size,
        block_size=64,
        n_layer=4,
        n_head=4,
        n_embd=128,
        dropout=0.0,
        bias=False,
        tie_weights=False,
    )
    train_cfg = TrainConfig(
        batch_size=12,
        max_steps=2000,
        learning_rate=1e-3,
        min_lr=1e-4,
        warmup_steps=100,
        eval_interval=250,
        eval_iters=50,
        compile=False,
    )
    return Preset(
        "cpu",
        model,
        train_cfg,
        "CPU: 4 layers x 4 heads x 128 dims, context 64, batch 12, 2000 steps",
    )


MODERN = {"position": "rope", "norm": "rmsnorm", "mlp": "swiglu"}


def cpu_modern_preset(vocab_size: int = 65) -> Preset:
    """The CPU recipe for a learner without a GPU: the CPU model with notebook 12's changes, a
    longer context, Muon for the matrices, compiled.

    Rotary positions, RMSNorm and a SwiGLU feed-forward (``8 n_embd / 3 = 344`` wide, the same
    parameter count as GELU's ``4 n_embd``), untied head, the :func:`cpu_preset` sizes with a
    context of 128 instead of 64 (RoPE has no position table, so the parameters stay 808,320).
    :class:`~course_utils.gpt.muon.Muon` trains the matrices inside the blocks (AdamW the rest),
    3,200 steps of 12 windows at a learning rate of 4e-3. Muon's orthogonalisation costs the same
    for any batch, so a batch of 12 (1,536 tokens) pays it half as often per token as one of 6.
    ``compile=True``: ``benchmarks/train_gpt.py`` compiles it on the CPU as well (RoPE, RMSNorm
    and SwiGLU are chains of small element-wise operations that ``torch.compile`` fuses; a step
    is about 1.4x faster), and trains uncompiled, saying so, where no C++ compiler is installed.
    ``benchmarks/README.md`` gives its measured loss and time, and the machine.
    """
    p = cpu_preset(vocab_size)
    train_cfg = replace(
        p.train,
        batch_size=12,
        max_steps=3200,
        learning_rate=4e-3,
        min_lr=4e-4,
        warmup_steps=100,
        eval_interval=400,
        compile=True,
        optimizer="muon",
    )
    return Preset(
        "cpu-modern",
        replace(p.model, block_size=128, **MODERN),
        train_cfg,
        "CPU, modern: RoPE, RMSNorm, SwiGLU, Muon; 4 layers x 4 heads x 128 dims, context 128,"
        " batch 12, 3200 steps, compiled",
    )


def gpu_short_preset(vocab_size: int = 65) -> Preset:
    """:func:`gpu_preset` with a schedule that ends where the model stops improving.

    With 5000 steps the validation loss is lowest at step 1500 to 1750 and then rises
    (overfitting); here the cosine decay reaches ``min_lr`` at step 2000 instead.
    """
    p = gpu_preset(vocab_size)
    train_cfg = replace(p.train, max_steps=2000)
    return Preset(
        "gpu-short", p.model, train_cfg, "GPU: the gpu preset with its schedule ending at step 2000"
    )


def gpu_modern_preset(vocab_size: int = 65) -> Preset:
    """The GPU model with notebook 12's changes (RoPE, RMSNorm, SwiGLU) and the short schedule.

    10.65 million parameters (no position table; SwiGLU 1024 wide has GELU's 1536-wide count).
    """
    p = gpu_short_preset(vocab_size)
    model = replace(p.model, **MODERN)
    return Preset(
        "gpu-modern",
        model,
        p.train,
        "GPU, modern: RoPE, RMSNorm, SwiGLU; 6 layers x 6 heads x 384 dims, 2000 steps",
    )


def fast_preset(vocab_size: int = 65) -> Preset:
    """A tiny model for fast mode: 2 layers, 2 heads, 64 dims, context 32, 300 steps.

    Runs in a few seconds on two CPU cores; its text is gibberish with Shakespeare's shape.
    Untied head, like the CPU preset.
    """
    model = GPTConfig(
        vocab_size=vocab_size,
        block_size=32,
        n_layer=2,
        n_head=2,
        n_embd=64,
        dropout=0.0,
        bias=False,
        tie_weights=False,
    )
    train_cfg = TrainConfig(
        batch_size=16,
        max_steps=300,
        learning_rate=2e-3,
        min_lr=2e-4,
        warmup_steps=20,
        eval_interval=100,
        eval_iters=10,
        compile=False,
    )
    return Preset(
        "fast",
        model,
        train_cfg,
        "fast mode: 2 layers x 2 heads x 64 dims, context 32, batch 16, 300 steps",
    )


def preset_for_device(
    device: torch.device | str, *, fast: bool | None = None, vocab_size: int = 65
) -> Preset:
    """The preset to use on ``device``: fast mode first, then GPU (CUDA or MPS), else CPU.

    ``fast=None`` reads ``COURSE_FAST``. On MPS the GPU sizes are used without ``torch.compile``.
    """
    device = torch.device(device)
    if fast is None:
        fast = is_fast()
    if fast:
        return fast_preset(vocab_size)
    if device.type == "cuda":
        return gpu_preset(vocab_size)
    if device.type == "mps":
        p = gpu_preset(vocab_size)
        train_cfg = TrainConfig(**{**p.train.to_dict(), "compile": False})
        return Preset(
            "mps", p.model, train_cfg, "Apple GPU: the GPU sizes in float32, without torch.compile"
        )
    return cpu_preset(vocab_size)


# --------------------------------------------------------------------------------------------
# Device features
# --------------------------------------------------------------------------------------------


def setup_device(device: torch.device | str) -> None:
    """Switch on TF32 matrix multiplications on CUDA (a no-op elsewhere).

    TF32 keeps float32's range but rounds the mantissa inside the tensor cores of Ampere and newer
    GPUs: matrix products in float32 run several times faster at a precision training does not
    notice. Mixed-precision autocast covers most of the model; TF32 speeds up what stays float32.
    """
    device = torch.device(device)
    if device.type != "cuda":
        return
    if hasattr(torch._C, "_set_fp32_precision_setter"):  # PyTorch 2.9 and later
        torch.backends.cuda.matmul.fp32_precision = "tf32"
        torch.backends.cudnn.conv.fp32_precision = "tf32"
    else:  # older releases
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.set_float32_matmul_precision("high")


def autocast_dtype(device: torch.device | str) -> torch.dtype | None:
    """The mixed-precision type for ``device``: bfloat16 on Ampere+ GPUs, float16 on older ones.

    None (plain float32) on CPU and MPS.
    """
    device = torch.device(device)
    if device.type != "cuda":
        return None
    index = device.index if device.index is not None else torch.cuda.current_device()
    major, _ = torch.cuda.get_device_capability(index)
    return torch.bfloat16 if major >= 8 else torch.float16


def autocast_context(device: torch.device | str) -> contextlib.AbstractContextManager[Any]:
    """``torch.autocast`` on CUDA (see :func:`autocast_dtype`); a do-nothing context elsewhere."""
    device = torch.device(device)
    dtype = autocast_dtype(device)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=dtype)


def grad_scaler(device: torch.device | str) -> torch.amp.GradScaler:
    """A gradient scaler that is active only for float16 autocast (GPUs older than Ampere).

    float16 cannot hold gradients much smaller than ``6e-8``; the scaler multiplies the loss
    before ``backward`` and divides the gradients again before the step, so none underflow to 0.
    With bfloat16 or float32 it is disabled and every call passes straight through, so one
    training loop serves all devices.
    """
    device = torch.device(device)
    enabled = autocast_dtype(device) == torch.float16
    return torch.amp.GradScaler("cuda" if enabled else "cpu", enabled=enabled)


def speed_features(
    device: torch.device | str, *, compile: bool = False, optimizer: str = "adamw"
) -> dict[str, str]:
    """Say which speed features training on ``device`` uses (for printing); ``optimizer`` is
    :attr:`TrainConfig.optimizer`."""
    device = torch.device(device)
    dtype = autocast_dtype(device)
    feats = {"device": device.type}
    if device.type == "cuda":
        feats["gpu"] = torch.cuda.get_device_name(device)
        feats["mixed precision"] = f"torch.autocast({str(dtype).replace('torch.', '')})"
        feats["matmul"] = "TF32 tensor cores"
        feats["attention"] = "fused scaled_dot_product_attention (FlashAttention when possible)"
        feats["optimizer"] = "fused AdamW"
        feats["torch.compile"] = "on" if compile else "off"
    else:
        feats["precision"] = "float32"
        feats["attention"] = "fused scaled_dot_product_attention"
        feats["optimizer"] = "fused AdamW" if _fused_adamw_available(device) else "AdamW"
        feats["torch.compile"] = "off" if device.type == "mps" or not compile else "on"
    if optimizer == "muon":
        feats["optimizer"] = "Muon (matrices in the blocks) + AdamW (the rest)"
    return feats


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def lr_at(
    step: int, *, learning_rate: float, min_lr: float, warmup_steps: int, decay_steps: int
) -> float:
    """Learning rate at ``step``: linear warm-up, then half a cosine from ``learning_rate`` down to
    ``min_lr`` at ``decay_steps``, then ``min_lr``.

    .. math:: \\eta_t = \\eta_{min} + \\tfrac12 (1 + \\cos(\\pi p)) (\\eta_{max} - \\eta_{min}),
              \\quad p = (t - t_{warm}) / (t_{decay} - t_{warm})
    """
    non_negative_int(step, "step")
    learning_rate, min_lr = positive(learning_rate, "learning_rate"), non_negative(min_lr, "min_lr")
    warmup_steps = non_negative_int(warmup_steps, "warmup_steps")
    decay_steps = non_negative_int(decay_steps, "decay_steps")
    if min_lr > learning_rate or not 0 <= warmup_steps <= decay_steps:
        raise ValueError(
            f"Need min_lr <= learning_rate and 0 <= warmup_steps <= decay_steps, got "
            f"{min_lr}, {learning_rate}, {warmup_steps} and {decay_steps}."
        )
    if step < warmup_steps:
        return learning_rate * (step + 1) / warmup_steps
    if step >= decay_steps:
        return min_lr
    frac = (step - warmup_steps) / max(1, decay_steps - warmup_steps)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * frac)) * (learning_rate - min_lr)


def configure_optimizer(
    model: nn.Module, config: TrainConfig, device: torch.device | str | None = None
) -> torch.optim.Optimizer:
    """AdamW with weight decay on matrices (weights, embeddings) only, not on biases and norms.

    With a ``device`` given, uses PyTorch's fused implementation where it exists (CUDA, and the
    CPU from PyTorch 2.4): one kernel updates every parameter instead of a Python loop over them.
    ``config.optimizer == "muon"``: :class:`~course_utils.gpt.muon.Muon` for the matrices inside
    the blocks, AdamW (the course's own) for the rest, with the same weight decay rule.
    """
    if config.optimizer == "muon":
        return Muon(
            muon_param_groups(model, config.weight_decay),
            lr=config.learning_rate,
            betas=(config.beta1, config.beta2),
            weight_decay=config.weight_decay,
        )
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    extra: dict[str, Any] = {}
    if device is not None and _fused_adamw_available(torch.device(device)):
        extra["fused"] = True
    return torch.optim.AdamW(
        groups, lr=config.learning_rate, betas=(config.beta1, config.beta2), **extra
    )


def _fused_adamw_available(device: torch.device) -> bool:
    """Fused AdamW: on CUDA always; on the CPU from PyTorch 2.4 (about 5x faster than the loop)."""
    if device.type == "cuda":
        return True
    if device.type == "cpu":
        from packaging.version import Version

        return Version(torch.__version__.split("+")[0]) >= Version("2.4")
    return False


def _unwrap(model: nn.Module) -> nn.Module:
    """The original module behind a ``torch.compile`` wrapper."""
    return getattr(model, "_orig_mod", model)


def _model_device(model: nn.Module) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


@torch.no_grad()
def estimate_loss(
    model: nn.Module,
    datasets: Mapping[str, Dataset],
    *,
    batch_size: int,
    eval_iters: int,
    device: torch.device | str | None = None,
    seed: int = 2024,
) -> dict[str, float]:
    """Mean loss over ``eval_iters`` random batches of each dataset, in eval mode, without grads.

    ``datasets`` maps a name (e.g. ``"train"``, ``"val"``) to a dataset. The same ``seed`` draws
    the same batches every time, so successive estimates differ only because the model changed.
    The model's train/eval mode is restored afterwards.
    """
    if not isinstance(datasets, Mapping):
        raise TypeError(
            f"datasets must map names to datasets, e.g. {{'val': val_ds}}; got "
            f"{type(datasets).__name__}."
        )
    batch_size = positive_int(batch_size, "batch_size")
    eval_iters = positive_int(eval_iters, "eval_iters")
    device = torch.device(device) if device is not None else _model_device(model)
    was_training = model.training
    model.eval()
    out: dict[str, float] = {}
    try:
        for name, dataset in datasets.items():
            total = torch.zeros((), device=device)
            for xb, yb in random_batches(dataset, batch_size, eval_iters, seed=seed):
                xb, yb = xb.to(device), yb.to(device)
                with autocast_context(device):
                    _, loss = model(xb, yb)
                total += loss.float()
            out[name] = total.item() / eval_iters
    finally:
        model.train(was_training)
    return out


@dataclass
class EvalEvent:
    """What :func:`train` passes to its callback at each evaluation."""

    step: int
    max_steps: int
    train_loss: float
    val_loss: float | None
    lr: float
    elapsed: float
    model: nn.Module


@dataclass
class TrainResult:
    """The history of a :func:`train` run.

    ``losses`` holds the training loss of every step; ``evals`` one dict per evaluation
    (``step``, ``train``, ``val``, ``elapsed``: seconds since the start, ``train_seconds``: time
    spent in training steps so far). ``train_seconds`` counts only training steps (evaluations
    excluded), so ``ms_per_step`` and ``tokens_per_second`` measure training speed, including any
    one-off cost of the first steps (such as ``torch.compile``); :meth:`steady_ms_per_step`
    leaves the steps before the first evaluation after step 0 out.

    ``best_step`` and ``best_val_loss`` name the evaluation with the lowest validation loss;
    ``restored_best`` says whether the model was set back to those weights at the end (see
    ``TrainConfig.keep_best``).
    """

    losses: list[float] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)
    steps: int = 0
    tokens_per_step: int = 0
    train_seconds: float = 0.0
    total_seconds: float = 0.0
    best_step: int | None = None
    best_val_loss: float | None = None
    restored_best: bool = False

    @property
    def ms_per_step(self) -> float:
        return 1000.0 * self.train_seconds / max(1, self.steps)

    @property
    def tokens_per_second(self) -> float:
        return self.steps * self.tokens_per_step / max(self.train_seconds, 1e-9)

    def steady_ms_per_step(self) -> float:
        """Milliseconds per step after the first evaluation interval (warm-up and compilation
        excluded); the overall figure if there is only one interval."""
        later = [e for e in self.evals if 0 < e["step"] < self.steps]
        if not later:
            return self.ms_per_step
        first = later[0]
        return 1000.0 * (self.train_seconds - first["train_seconds"]) / (self.steps - first["step"])

    @property
    def final_val_loss(self) -> float | None:
        return self.evals[-1].get("val") if self.evals else None

    def first_reaching(self, target: float) -> dict[str, float] | None:
        """The first evaluation whose validation loss is at or below ``target`` (None if none)."""
        target = as_number(target, "target")
        for record in self.evals:
            if record.get("val") is not None and record["val"] <= target:
                return record
        return None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _seconds_since(tick: float, device: torch.device) -> float:
    """Seconds since ``tick``, after the GPU has finished the work queued so far."""
    _sync(device)
    return time.perf_counter() - tick


@dataclass
class _Run:
    """What one call of :func:`train` works with, shared by its steps and evaluations."""

    model: nn.Module
    step_model: nn.Module  # the model, or its torch.compile and/or DistributedDataParallel wrapper
    config: TrainConfig
    device: torch.device
    splits: dict[str, Dataset]
    callback: Callable[[EvalEvent], None] | None
    result: TrainResult
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    params: list[nn.Parameter]
    rank: int = 0
    world_size: int = 1
    start: float = field(default_factory=time.perf_counter)
    best_state: dict[str, torch.Tensor] | None = None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def eval_model(self) -> nn.Module:
        """The model evaluations run (inside any DistributedDataParallel wrapper: only rank 0
        evaluates, so no other process takes part)."""
        return getattr(self.step_model, "module", self.step_model)

    def lr(self, step: int) -> float:
        return lr_at(
            step,
            learning_rate=self.config.learning_rate,
            min_lr=self.config.min_lr,
            warmup_steps=self.config.warmup_steps,
            decay_steps=self.config.max_steps,
        )


def _check_train_args(
    model: nn.Module, train_data: Dataset, val_data: Dataset | None, config: TrainConfig
) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"train() needs a model (nn.Module), got {type(model).__name__}.")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}.")
    for name, data in (("train_data", train_data), ("val_data", val_data)):
        if not isinstance(data, Dataset) and (name == "train_data" or data is not None):
            raise TypeError(
                f"{name} must be a Dataset{'' if name == 'train_data' else ' or None'}"
                f", got {type(data).__name__}."
            )
        _check_ids_fit(model, data, name)


def _check_ids_fit(model: nn.Module, data: Dataset | None, name: str) -> None:
    """A token stream's ids must be valid rows of the model's embedding (checked once, here,
    because a compiled training step skips the check in ``GPT.forward``)."""
    tokens = getattr(data, "tokens", None)
    vocab = getattr(getattr(model, "config", None), "vocab_size", None)
    if not isinstance(tokens, torch.Tensor) or vocab is None or tokens.numel() == 0:
        return
    lo, hi = int(tokens.min()), int(tokens.max())
    if lo < 0 or hi >= vocab:
        raise ValueError(
            f"{name} holds ids from {lo} to {hi}, but the model's vocabulary has ids "
            f"0 to {vocab - 1}."
        )


def _compiled(
    model: nn.Module, config: TrainConfig, device: torch.device, compile: bool | None
) -> nn.Module:
    """``torch.compile(model)`` when asked for and sensible on ``device``; else ``model``."""
    want = config.compile if compile is None else compile
    if device.type == "mps" or (device.type == "cpu" and compile is not True):
        want = False
    return torch.compile(model) if want else model


def _distributed(model: nn.Module, device: torch.device) -> tuple[nn.Module, int, int]:
    """Wrap ``model`` in DistributedDataParallel when torchrun started several processes."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return model, 0, 1
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids), dist.get_rank(), dist.get_world_size()


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    xb: torch.Tensor,
    yb: torch.Tensor,
    *,
    lr: float,
    grad_clip: float,
    device: torch.device,
) -> torch.Tensor:
    """One optimisation step on one device and one batch; returns the batch loss (detached).

    Set the learning rate, move the batch to ``device``, forward under autocast (CUDA only) to
    the loss, ``zero_grad``, ``backward`` (through the scaler, which passes straight through
    unless float16), clip the gradient norm to ``grad_clip`` when it is positive (after
    unscaling), step and update the scaler. Notebook 10 writes this function out in a cell;
    :func:`train` runs it whenever one process trains without gradient accumulation.
    """
    for group in optimizer.param_groups:
        group["lr"] = lr
    xb = xb.to(device, non_blocking=True)
    yb = yb.to(device, non_blocking=True)
    with autocast_context(device):
        _, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    if grad_clip > 0:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def _train_step(run: _Run, xb: torch.Tensor, yb: torch.Tensor, lr: float) -> torch.Tensor:
    """One optimisation step on a global batch at learning rate ``lr``; returns its mean loss.

    This process takes its share of the batch in ``grad_accum`` micro-batches. Each backward adds
    the micro-batch's gradient (its loss divided by ``grad_accum``) into ``.grad``; under
    DistributedDataParallel only the last one all-reduces (``no_sync`` skips the others), which
    averages the gradients of all processes. Then one clip and one optimiser step, as for a single
    batch.
    """
    if run.world_size == 1 and run.config.grad_accum == 1:  # one device, one batch
        return train_step(
            run.step_model,
            run.optimizer,
            run.scaler,
            xb,
            yb,
            lr=lr,
            grad_clip=run.config.grad_clip,
            device=run.device,
        )
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    run.optimizer.zero_grad(set_to_none=True)
    accum = run.config.grad_accum
    total = torch.zeros((), device=run.device)
    for i, (mx, my) in enumerate(shard_batch(xb, yb, run.rank, run.world_size, accum)):
        mx = mx.to(run.device, non_blocking=True)
        my = my.to(run.device, non_blocking=True)
        last = i == accum - 1
        sync = contextlib.nullcontext() if last or run.world_size == 1 else run.step_model.no_sync()
        with sync:
            with autocast_context(run.device):
                _, loss = run.step_model(mx, my)
            loss = loss / accum
            run.scaler.scale(loss).backward()  # the scaler passes through unless float16
        total += loss.detach().float()
    if run.config.grad_clip > 0:
        run.scaler.unscale_(run.optimizer)
        nn.utils.clip_grad_norm_(run.params, run.config.grad_clip)
    run.scaler.step(run.optimizer)
    run.scaler.update()
    return mean_over_processes(total)


def _evaluate(run: _Run, step: int, train_seconds: float) -> None:
    """Estimate both losses, record them, keep the best weights, call the callback."""
    cfg = run.config
    losses = estimate_loss(
        run.eval_model,
        run.splits,
        batch_size=cfg.batch_size,
        eval_iters=cfg.eval_iters,
        device=run.device,
    )
    record = {
        "step": step,
        "train": losses["train"],
        "val": losses.get("val"),
        "elapsed": time.perf_counter() - run.start,
        "train_seconds": train_seconds,
    }
    run.result.evals.append(record)
    _keep_best(run, step, losses.get("val"))
    if run.callback is not None:
        run.callback(
            EvalEvent(
                step=step,
                max_steps=cfg.max_steps,
                train_loss=losses["train"],
                val_loss=losses.get("val"),
                lr=run.lr(min(step, cfg.max_steps)),
                elapsed=record["elapsed"],
                model=run.model,
            )
        )


def _keep_best(run: _Run, step: int, val: float | None) -> None:
    """Remember the step (and, with ``keep_best``, a copy of the weights) of the lowest val loss."""
    result = run.result
    if val is None or (result.best_val_loss is not None and val >= result.best_val_loss):
        return
    result.best_step, result.best_val_loss = step, val
    if run.config.keep_best:
        run.best_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}


def _restore_best(run: _Run) -> None:
    if run.best_state is not None and run.result.best_step != run.result.steps:
        run.model.load_state_dict(run.best_state)
        run.result.restored_best = True


def _show_progress(
    bar: Any, run: _Run, step: int, loss: torch.Tensor, lr: float, train_seconds: float
) -> None:
    """Every 50 steps, put the loss, learning rate and tokens per second on the progress bar."""
    if (step + 1) % 50 != 0 or bar.disable:
        return
    tok_s = (step + 1) * run.result.tokens_per_step / max(train_seconds, 1e-9)
    bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{lr:.1e}", tok_s=f"{tok_s:,.0f}", refresh=False)


def train(
    model: GPT,
    train_data: Dataset,
    val_data: Dataset | None,
    config: TrainConfig,
    *,
    device: torch.device | str | None = None,
    callback: Callable[[EvalEvent], None] | None = None,
    show_progress: bool = True,
    compile: bool | None = None,
) -> TrainResult:
    """Train ``model`` with AdamW, warm-up + cosine decay, gradient clipping, periodic evaluation.

    Each step (:func:`_train_step`): set the scheduled learning rate (:func:`lr_at`), draw a random
    batch, forward (under autocast on CUDA) to the cross-entropy loss, ``zero_grad``,
    ``backward``, clip the gradient norm to ``config.grad_clip``, ``optimizer.step()``. At step 0,
    every ``eval_interval`` steps and at the end the loss on both splits is estimated
    (:func:`estimate_loss`) and ``callback`` is called with an :class:`EvalEvent` (to draw a
    chart, print a sample, ...). With ``config.keep_best`` and validation data, the weights of the
    evaluation with the lowest validation loss are kept (a copy on the same device) and put back
    at the end.

    ``compile`` (default: ``config.compile``) wraps the model in ``torch.compile`` on CUDA (or on
    the CPU when asked for explicitly with ``compile=True``; never on MPS). The model is trained in
    place and stays on ``device``.

    Started by torchrun (after :func:`course_utils.gpt.distributed.init_distributed`), every
    process runs this same function: the model is wrapped in DistributedDataParallel, each process
    trains on its share of every global batch, and only rank 0 evaluates, keeps the best weights,
    calls ``callback`` and shows progress.
    """
    _check_train_args(model, train_data, val_data, config)
    device = torch.device(device) if device is not None else _model_device(model)
    setup_device(device)
    model.to(device)
    model.train()
    splits = {"train": train_data} if val_data is None else {"train": train_data, "val": val_data}
    step_model, rank, world_size = _distributed(_compiled(model, config, device, compile), device)
    if config.batch_size % (world_size * config.grad_accum):
        raise ValueError(
            f"batch_size ({config.batch_size}) must be a multiple of the number of "
            f"processes times grad_accum ({world_size} x {config.grad_accum})."
        )
    run = _Run(
        model=model,
        step_model=step_model,
        config=config,
        device=device,
        splits=splits,
        callback=callback,
        result=TrainResult(
            tokens_per_step=config.batch_size * getattr(train_data, "block_size", 0)
        ),
        optimizer=configure_optimizer(model, config, device),
        scaler=grad_scaler(device),
        params=[p for p in model.parameters() if p.requires_grad],
        rank=rank,
        world_size=world_size,
    )
    loader = random_batches(
        train_data,
        config.batch_size,
        config.max_steps,
        seed=config.seed,
        pin_memory=device.type == "cuda",
    )
    step_losses: list[torch.Tensor] = []
    train_time = 0.0
    bar = progress(
        total=config.max_steps,
        unit="step",
        **({} if show_progress and run.is_main else {"disable": True}),
    )
    tick = time.perf_counter()
    try:
        for step, (xb, yb) in enumerate(loader):
            if step % config.eval_interval == 0 and run.is_main:
                train_time += _seconds_since(tick, device)
                _evaluate(run, step, train_time)
                tick = time.perf_counter()
            lr = run.lr(step)
            step_losses.append(_train_step(run, xb, yb, lr))
            bar.update(1)
            _show_progress(
                bar, run, step, step_losses[-1], lr, train_time + time.perf_counter() - tick
            )
        train_time += _seconds_since(tick, device)
        run.result.steps = len(step_losses)
        if run.is_main:
            _evaluate(run, run.result.steps, train_time)
            _restore_best(run)
    finally:
        bar.close()
    result = run.result
    result.losses = torch.stack(step_losses).float().cpu().tolist() if step_losses else []
    result.train_seconds = train_time
    result.total_seconds = time.perf_counter() - run.start
    return result
