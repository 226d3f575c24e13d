"""A small GPT: a decoder-only transformer trained on characters (notebooks 10 and 11).

What lives here, in the order notebook 10 builds it:

- :class:`GPTConfig` holds the model's shape (vocabulary, context, width, heads, layers, dropout,
  bias, weight tying) and checks it; :class:`TrainConfig` holds the optimiser and schedule.
- :class:`CausalSelfAttention`, :class:`MLP`, :class:`Block` and :class:`GPT` are the model.
  Attention runs through PyTorch's fused ``scaled_dot_product_attention`` (FlashAttention on
  recent NVIDIA GPUs) or, with ``fused=False``, through the explicit masked
  ``softmax(QK^T / sqrt(d)) V`` that the notebook teaches. Both give the same numbers.
- :class:`TokenWindowDataset` turns a token stream into (input, target shifted by one) windows;
  :func:`random_batches` draws random mini-batches through a ``DataLoader`` and a ``RandomSampler``.
- :func:`estimate_loss`, :func:`lr_at` (warm-up then cosine decay), :func:`configure_optimizer`
  (AdamW) and :func:`train` (the training loop with a progress bar and a callback at every
  evaluation).
- :func:`save_checkpoint` / :func:`load_checkpoint` store weights, configuration and tokenizer as
  plain data and read them back with ``torch.load(..., weights_only=True)``.
- :func:`gpu_preset`, :func:`cpu_preset`, :func:`fast_preset` and :func:`preset_for_device`: the
  sizes used on a GPU (nanoGPT's Shakespeare model), on a CPU, and in fast mode.

On CUDA the training loop uses bfloat16 autocast (float16 with a gradient scaler on GPUs older
than Ampere), TF32 matrix multiplications, fused AdamW and, optionally, ``torch.compile``. On
Apple's MPS it stays in float32 without compilation, which is what works reliably there. On the
CPU it stays in float32 and nothing CUDA-specific runs.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset, RandomSampler

from course_utils.runtime import is_fast, progress
from course_utils.tokenizers import CharTokenizer
from course_utils.validation import as_number, non_negative_int, positive_int

__all__ = [
    "GPTConfig",
    "TrainConfig",
    "Preset",
    "gpu_preset",
    "cpu_preset",
    "fast_preset",
    "preset_for_device",
    "CausalSelfAttention",
    "MLP",
    "Block",
    "GPT",
    "causal_mask",
    "count_parameters",
    "parameter_count",
    "TokenWindowDataset",
    "split_tokens",
    "random_batches",
    "CharCorpus",
    "load_char_corpus",
    "setup_device",
    "autocast_dtype",
    "autocast_context",
    "grad_scaler",
    "speed_features",
    "lr_at",
    "configure_optimizer",
    "estimate_loss",
    "EvalEvent",
    "TrainResult",
    "train",
    "Checkpoint",
    "save_checkpoint",
    "load_checkpoint",
    "default_checkpoint_path",
]


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def _check_positive_int(name: str, value: Any) -> int:
    """An integer of at least 1 (NumPy integers accepted), returned as a plain ``int``."""
    return positive_int(value, name)


def _check_number(name: str, value: Any, *, low: float, high: float | None = None,
                  low_inclusive: bool = True, high_inclusive: bool = False) -> float:
    """A finite number in the given interval, returned as a plain ``float``."""
    number = as_number(value, name)
    too_low = number < low if low_inclusive else number <= low
    too_high = high is not None and (number > high if high_inclusive else number >= high)
    if too_low or too_high:
        left = "[" if low_inclusive else "("
        right = "infinity)" if high is None else (f"{high}]" if high_inclusive else f"{high})")
        raise ValueError(f"{name} must lie in {left}{low}, {right}, got {number}.")
    return number


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}.")


@dataclass(frozen=True)
class GPTConfig:
    """The shape of a GPT. Checked on creation; change a field with ``dataclasses.replace``.

    - ``vocab_size``: how many distinct tokens (65 characters for tiny Shakespeare);
    - ``block_size``: the context, the most tokens the model sees at once;
    - ``n_layer``: how many transformer blocks are stacked;
    - ``n_head``: attention heads per block; each gets ``n_embd // n_head`` dimensions;
    - ``n_embd``: the width of every token's vector (the embedding dimension);
    - ``dropout``: the probability of zeroing an activation while training (0 turns it off);
    - ``bias``: whether linear layers and layer norms have a bias (GPT-2 did; without is a bit
      faster and just as good here);
    - ``tie_weights``: share one matrix between the token embedding and the output head (fewer
      parameters, usually slightly better; GPT-2 does it).
    """

    vocab_size: int = 65
    block_size: int = 256
    n_layer: int = 6
    n_head: int = 6
    n_embd: int = 384
    dropout: float = 0.2
    bias: bool = False
    tie_weights: bool = True

    def __post_init__(self) -> None:
        # Checked values are stored back as plain int/float, so a checkpoint holds plain data.
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            object.__setattr__(self, name, _check_positive_int(name, getattr(self, name)))
        if self.n_embd % self.n_head != 0:
            lower = self.n_embd - self.n_embd % self.n_head
            suggestion = f"n_embd={lower}" if lower > 0 else f"n_embd={self.n_head}"
            raise ValueError(
                f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head}): the "
                f"embedding is split evenly between the heads. Try {suggestion}, or a number of "
                f"heads that divides {self.n_embd}."
            )
        object.__setattr__(self, "dropout", _check_number("dropout", self.dropout, low=0.0,
                                                          high=1.0))
        _check_bool("bias", self.bias)
        _check_bool("tie_weights", self.tie_weights)

    @property
    def head_size(self) -> int:
        """Dimensions per attention head, ``n_embd // n_head``."""
        return self.n_embd // self.n_head

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (safe to store in a checkpoint)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GPTConfig:
        """Rebuild a configuration from :meth:`to_dict`'s output; unknown keys are an error."""
        if not isinstance(data, Mapping):
            raise TypeError(f"from_dict() needs a dict, got {type(data).__name__}.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown GPTConfig field(s) {unknown}; known fields: {sorted(known)}.")
        return cls(**dict(data))


@dataclass(frozen=True)
class TrainConfig:
    """How to train: batch size, steps, AdamW settings, learning-rate schedule, evaluation.

    The learning rate rises linearly for ``warmup_steps`` steps to ``learning_rate``, then follows
    half a cosine down to ``min_lr`` at ``max_steps`` (see :func:`lr_at`). Every
    ``eval_interval`` steps (and at the end) the mean loss over ``eval_iters`` random batches of
    each split is measured. ``compile`` asks for ``torch.compile`` (used on CUDA; ignored on MPS).
    ``keep_best`` makes :func:`train` end with the weights of the evaluation that had the lowest
    validation loss (early stopping after the fact): a model big enough to memorise its data
    starts to overfit, and then the last weights are not the best ones.
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

    def __post_init__(self) -> None:
        def store(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        for name in ("batch_size", "max_steps", "eval_interval", "eval_iters"):
            store(name, _check_positive_int(name, getattr(self, name)))
        store("warmup_steps", non_negative_int(self.warmup_steps, "warmup_steps"))
        if self.warmup_steps > self.max_steps:
            raise ValueError(f"warmup_steps ({self.warmup_steps}) must not exceed max_steps "
                             f"({self.max_steps}); shorten the warm-up for a short run.")
        store("learning_rate", _check_number("learning_rate", self.learning_rate, low=0.0,
                                             low_inclusive=False))
        store("min_lr", _check_number("min_lr", self.min_lr, low=0.0))
        if self.min_lr > self.learning_rate:
            raise ValueError(f"min_lr ({self.min_lr}) must not exceed learning_rate "
                             f"({self.learning_rate}).")
        store("weight_decay", _check_number("weight_decay", self.weight_decay, low=0.0))
        store("beta1", _check_number("beta1", self.beta1, low=0.0, high=1.0))
        store("beta2", _check_number("beta2", self.beta2, low=0.0, high=1.0))
        store("grad_clip", _check_number("grad_clip", self.grad_clip, low=0.0))
        _check_bool("compile", self.compile)
        _check_bool("keep_best", self.keep_best)
        store("seed", non_negative_int(self.seed, "seed"))

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
    model = GPTConfig(vocab_size=vocab_size, block_size=256, n_layer=6, n_head=6, n_embd=384,
                      dropout=0.2, bias=False)
    train_cfg = TrainConfig(batch_size=64, max_steps=5000, learning_rate=1e-3, min_lr=1e-4,
                            warmup_steps=100, eval_interval=250, eval_iters=200, compile=True)
    return Preset("gpu", model, train_cfg,
                  "GPU: 6 layers x 6 heads x 384 dims, context 256, batch 64, 5000 steps")


def cpu_preset(vocab_size: int = 65) -> Preset:
    """nanoGPT's CPU recipe: 4 layers, 4 heads, 128 dims, context 64, batch 12, 2000 steps.

    No dropout (a small model trained briefly does not overfit), AdamW at 1e-3 decaying to 1e-4.
    nanoGPT reports a validation loss of about 1.88 for it. One change: the output head has its
    own matrix (``tie_weights=False``, 0.81 million parameters instead of 0.80). At this small
    width that is measurably better: validation loss 1.868, 1.867 and 1.886 untied against 1.900,
    1.911 and 1.896 tied (three seeds each, 12,000 validation windows).
    """
    model = GPTConfig(vocab_size=vocab_size, block_size=64, n_layer=4, n_head=4, n_embd=128,
                      dropout=0.0, bias=False, tie_weights=False)
    train_cfg = TrainConfig(batch_size=12, max_steps=2000, learning_rate=1e-3, min_lr=1e-4,
                            warmup_steps=100, eval_interval=250, eval_iters=50, compile=False)
    return Preset("cpu", model, train_cfg,
                  "CPU: 4 layers x 4 heads x 128 dims, context 64, batch 12, 2000 steps")


def fast_preset(vocab_size: int = 65) -> Preset:
    """A tiny model for fast mode: 2 layers, 2 heads, 64 dims, context 32, 300 steps.

    Runs in a few seconds on two CPU cores; its text is gibberish with Shakespeare's shape.
    Untied head, like the CPU preset.
    """
    model = GPTConfig(vocab_size=vocab_size, block_size=32, n_layer=2, n_head=2, n_embd=64,
                      dropout=0.0, bias=False, tie_weights=False)
    train_cfg = TrainConfig(batch_size=16, max_steps=300, learning_rate=2e-3, min_lr=2e-4,
                            warmup_steps=20, eval_interval=100, eval_iters=10, compile=False)
    return Preset("fast", model, train_cfg,
                  "fast mode: 2 layers x 2 heads x 64 dims, context 32, batch 16, 300 steps")


def preset_for_device(device: torch.device | str, *, fast: bool | None = None,
                      vocab_size: int = 65) -> Preset:
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
        return Preset("mps", p.model, train_cfg,
                      "Apple GPU: the GPU sizes in float32, without torch.compile")
    return cpu_preset(vocab_size)


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


def causal_mask(size: int, device: torch.device | str | None = None) -> torch.Tensor:
    """A ``(size, size)`` boolean matrix, True where position ``i`` may look at ``j`` (``j <= i``)."""
    _check_positive_int("size", size)
    return torch.tril(torch.ones(size, size, dtype=torch.bool, device=device))


class CausalSelfAttention(nn.Module):
    """Masked multi-head self-attention.

    ``fused=True`` (the default) calls ``F.scaled_dot_product_attention(..., is_causal=True)``,
    which picks the fastest kernel the hardware offers (FlashAttention or memory-efficient
    attention on CUDA). ``fused=False`` computes ``softmax(mask(QK^T / sqrt(d))) V`` explicitly,
    step by step, as taught in notebook 10; :meth:`attention_weights` returns those weights.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.head_size = config.head_size
        self.dropout = config.dropout
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.fused = True
        mask = causal_mask(config.block_size).view(1, 1, config.block_size, config.block_size)
        self.register_buffer("mask", mask, persistent=False)

    def _heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Project ``x`` (B, T, C) to queries, keys and values of shape (B, n_head, T, head_size)."""
        b, t, c = x.shape
        if c != self.n_embd:
            raise ValueError(f"Attention expects inputs of width {self.n_embd}, got shape "
                             f"{tuple(x.shape)}.")
        q, k, v = self.qkv(x).split(self.n_embd, dim=2)
        shape = (b, t, self.n_head, self.head_size)
        return (q.view(shape).transpose(1, 2), k.view(shape).transpose(1, 2),
                v.view(shape).transpose(1, 2))

    def _explicit_weights(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        t = q.size(-2)
        if t > self.mask.size(-1):
            raise ValueError(f"Sequence length {t} exceeds the context {self.mask.size(-1)}.")
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.size(-1)))
        scores = scores.masked_fill(~self.mask[:, :, :t, :t], float("-inf"))
        return F.softmax(scores, dim=-1)

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """The attention weights (B, n_head, T, T) for input ``x``, without dropout."""
        q, k, _ = self._heads(x)
        return self._explicit_weights(q, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, T, C) to (B, T, C): every position mixes the values of itself and its past."""
        b, t, c = x.shape
        q, k, v = self._heads(x)
        if self.fused:
            y = F.scaled_dot_product_attention(
                q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True
            )
        else:
            y = self.attn_dropout(self._explicit_weights(q, k)) @ v
        y = y.transpose(1, 2).contiguous().view(b, t, c)  # put the heads side by side again
        return self.resid_dropout(self.proj(y))


class MLP(nn.Module):
    """The feed-forward part of a block: widen 4x, GELU, project back, dropout."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, T, C) to (B, T, C), each position on its own."""
        return self.dropout(self.proj(self.gelu(self.fc(x))))


class Block(nn.Module):
    """One transformer block with pre-layer-norm and residual connections.

    ``x = x + attn(ln1(x))`` (tokens talk to each other), then ``x = x + mlp(ln2(x))`` (each token
    thinks on its own).
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, T, C) to (B, T, C)."""
        x = x + self.attn(self.ln1(x))
        x = x + self.mlp(self.ln2(x))
        return x


class GPT(nn.Module):
    """A decoder-only transformer language model.

    Token embedding plus learned position embedding, ``n_layer`` :class:`Block` s, a final layer
    norm and a linear head that gives one logit per vocabulary entry at every position. With
    ``config.tie_weights`` (the default) the head reuses the token-embedding matrix, which saves
    ``vocab_size * n_embd`` parameters; ``state_dict`` then lists the shared matrix under both
    names (``tok_emb.weight`` and ``head.weight``).

    Weights start from a normal distribution with standard deviation 0.02; the projections that
    write into the residual stream use ``0.02 / sqrt(2 * n_layer)`` so the stream's variance does
    not grow with depth (as in GPT-2).
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"GPT needs a GPTConfig, got {type(config).__name__}.")
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            self.head.weight = self.tok_emb.weight
        self.apply(self._init_weights)
        residual_std = 0.02 / math.sqrt(2 * config.n_layer)
        for name, param in self.named_parameters():
            if name.endswith("attn.proj.weight") or name.endswith("mlp.proj.weight"):
                nn.init.normal_(param, mean=0.0, std=residual_std)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def set_fused_attention(self, fused: bool) -> GPT:
        """Use the fused kernel (True) or the explicit masked softmax (False) in every block."""
        _check_bool("fused", fused)
        for block in self.blocks:
            block.attn.fused = fused
        return self

    def _check_idx(self, idx: Any, name: str = "idx") -> None:
        if not isinstance(idx, torch.Tensor):
            raise TypeError(f"{name} must be a tensor of token ids, got {type(idx).__name__}.")
        if idx.dim() != 2:
            hint = " For a single sequence use idx.unsqueeze(0)." if idx.dim() == 1 else ""
            raise ValueError(f"{name} must have shape (batch, time), got shape "
                             f"{tuple(idx.shape)}.{hint}")
        if idx.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"{name} must hold integer token ids (torch.long), got {idx.dtype}.")
        if idx.size(1) == 0:
            raise ValueError(f"{name} must hold at least one token per sequence.")

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return ``(logits, loss)``.

        ``idx`` holds token ids of shape (B, T) with ``T <= block_size``; ``logits`` has shape
        (B, T, vocab_size): at every position, a score for each possible next token. With
        ``targets`` (same shape as ``idx``) ``loss`` is the mean cross-entropy; otherwise None.
        """
        self._check_idx(idx)
        b, t = idx.shape
        if t > self.config.block_size:
            raise ValueError(
                f"The sequence has {t} tokens but the context is {self.config.block_size}. "
                f"Keep the last {self.config.block_size}: idx[:, -{self.config.block_size}:]."
            )
        pos = torch.arange(t, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))  # (B, T, C) + (T, C) broadcasts
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        loss = None
        if targets is not None:
            if not isinstance(targets, torch.Tensor) or targets.shape != idx.shape:
                shape = tuple(targets.shape) if isinstance(targets, torch.Tensor) else targets
                raise ValueError(f"targets must have the same shape as idx {tuple(idx.shape)}, "
                                 f"got {shape}.")
            loss = F.cross_entropy(logits.view(b * t, -1), targets.reshape(b * t))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, *, temperature: float = 1.0,
                 top_k: int | None = None, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
        """Append ``max_new_tokens`` sampled tokens to every row of ``idx`` (B, T) and return it.

        Each step feeds the last ``block_size`` tokens (longer prompts are cropped), divides the
        last position's logits by ``temperature`` (below 1: safer, above 1: wilder), keeps only the
        ``top_k`` most likely tokens if given, and samples from the softmax. The model is put in
        eval mode while generating and restored afterwards.

        ``generator`` (for repeatable samples) may live on the CPU whatever the model's device:
        the draw then happens on the CPU. Without one, an Apple-GPU model also draws on the CPU.
        """
        self._check_idx(idx)
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int):
            raise TypeError(f"max_new_tokens must be an integer, got {max_new_tokens!r}.")
        if max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be 0 or more, got {max_new_tokens}.")
        _check_number("temperature", temperature, low=0.0, low_inclusive=False)
        if top_k is not None:
            if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
                raise ValueError(f"top_k must be None or a positive integer, got {top_k!r}.")
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= self.config.vocab_size:
            raise ValueError(f"idx holds ids from {lo} to {hi}, but the vocabulary has ids 0 to "
                             f"{self.config.vocab_size - 1}.")
        was_training = self.training
        self.eval()
        try:
            for _ in range(max_new_tokens):
                context = idx[:, -self.config.block_size:]
                logits, _ = self(context)
                logits = logits[:, -1, :].float() / temperature
                if top_k is not None and top_k < logits.size(-1):
                    kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = F.softmax(logits, dim=-1)
                if generator is not None:
                    probs = probs.to(generator.device)
                elif probs.device.type == "mps":  # sample on the CPU, which is reliable everywhere
                    probs = probs.cpu()
                nxt = torch.multinomial(probs, num_samples=1, generator=generator)
                idx = torch.cat([idx, nxt.to(idx.device)], dim=1)
        finally:
            self.train(was_training)
        return idx


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Count a model's parameters (a tied matrix counts once)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"count_parameters() needs an nn.Module, got {type(model).__name__}.")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def parameter_count(config: GPTConfig, *, include_position: bool = True) -> int:
    """The parameter count of ``GPT(config)`` from the formula, without building the model.

    Per block: ``12 n_embd^2`` weights (``3`` for Q, K, V, ``1`` for the attention projection,
    ``4 + 4`` for the MLP) plus two layer-norm scales (``2 n_embd``) and, with ``bias``, ``11
    n_embd`` biases. Embeddings: ``vocab_size * n_embd`` and ``block_size * n_embd``; a final
    layer norm; an untied head adds ``vocab_size * n_embd``. ``include_position=False`` leaves the
    position embedding out (nanoGPT reports that number).
    """
    if not isinstance(config, GPTConfig):
        raise TypeError(f"parameter_count() needs a GPTConfig, got {type(config).__name__}.")
    c, v = config.n_embd, config.vocab_size
    per_block = 12 * c * c + 2 * c + (11 * c if config.bias else 0)
    total = v * c + config.n_layer * per_block + c + (c if config.bias else 0)
    if include_position:
        total += config.block_size * c
    if not config.tie_weights:
        total += v * c
    return total


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def _check_tokens(tokens: Any, name: str = "tokens") -> None:
    if not isinstance(tokens, torch.Tensor):
        raise TypeError(f"{name} must be a 1-D tensor of token ids, got {type(tokens).__name__}.")
    if tokens.dim() != 1:
        raise ValueError(f"{name} must be 1-D (one long stream), got shape {tuple(tokens.shape)}.")
    if tokens.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise TypeError(f"{name} must hold integer ids, got {tokens.dtype}.")


class TokenWindowDataset(Dataset):
    """Every window of ``block_size`` tokens of a stream, with its targets shifted by one.

    Item ``i`` is ``(tokens[i : i+T], tokens[i+1 : i+T+1])``: at each position the target is the
    token that comes next. A stream of ``n`` tokens gives ``n - T`` windows.
    """

    def __init__(self, tokens: torch.Tensor, block_size: int) -> None:
        _check_tokens(tokens)
        _check_positive_int("block_size", block_size)
        if tokens.numel() <= block_size:
            raise ValueError(f"The stream has {tokens.numel()} tokens; it needs more than "
                             f"block_size={block_size} to form one (input, target) window.")
        self.tokens = tokens.long()
        self.block_size = block_size

    def __len__(self) -> int:
        return self.tokens.numel() - self.block_size

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"window {i} is out of range for {n} windows.")
        chunk = self.tokens[i: i + self.block_size + 1]
        return chunk[:-1], chunk[1:]


def split_tokens(tokens: torch.Tensor, train_fraction: float = 0.9
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a stream into its first ``train_fraction`` (training) and the rest (validation).

    The split is by position, not at random, so no validation text leaks into training windows.
    """
    _check_tokens(tokens)
    _check_number("train_fraction", train_fraction, low=0.0, high=1.0, low_inclusive=False)
    n = int(train_fraction * tokens.numel())
    return tokens[:n], tokens[n:]


def random_batches(dataset: Dataset, batch_size: int, num_batches: int, *,
                   seed: int | None = None, pin_memory: bool = False) -> DataLoader:
    """A ``DataLoader`` yielding ``num_batches`` random mini-batches drawn with replacement.

    A ``RandomSampler(replacement=True, num_samples=batch_size * num_batches)`` picks window
    indices at random, so every batch is an independent sample of the text. ``seed`` fixes the
    draw. Loading stays in the main process (``num_workers=0``): slicing a tensor is cheaper than
    sending it between processes.
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"random_batches() needs a torch Dataset, got {type(dataset).__name__}.")
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("num_batches", num_batches)
    generator = None
    if seed is not None:
        generator = torch.Generator()
        generator.manual_seed(seed)
    sampler = RandomSampler(dataset, replacement=True, num_samples=batch_size * num_batches,
                            generator=generator)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=0,
                      pin_memory=pin_memory)


@dataclass
class CharCorpus:
    """A text encoded with a :class:`CharTokenizer` and split 90/10 into windows."""

    tokenizer: CharTokenizer
    train_tokens: torch.Tensor
    val_tokens: torch.Tensor
    train_dataset: TokenWindowDataset
    val_dataset: TokenWindowDataset


def load_char_corpus(block_size: int, *, text: str | None = None,
                     tokenizer: CharTokenizer | None = None,
                     train_fraction: float = 0.9) -> CharCorpus:
    """Encode ``text`` (default: tiny Shakespeare) and split it into train/validation windows.

    ``tokenizer`` defaults to a :class:`CharTokenizer` built from the text itself.
    """
    if text is None:
        from course_utils.data import load_tiny_shakespeare

        text = load_tiny_shakespeare()
    if tokenizer is None:
        tokenizer = CharTokenizer.from_text(text)
    tokens = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    train_tokens, val_tokens = split_tokens(tokens, train_fraction)
    return CharCorpus(tokenizer, train_tokens, val_tokens,
                      TokenWindowDataset(train_tokens, block_size),
                      TokenWindowDataset(val_tokens, block_size))


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


def speed_features(device: torch.device | str, *, compile: bool = False) -> dict[str, str]:
    """Say which speed features training on ``device`` uses (for printing)."""
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
    return feats


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def lr_at(step: int, *, learning_rate: float, min_lr: float, warmup_steps: int,
          decay_steps: int) -> float:
    """Learning rate at ``step``: linear warm-up, then half a cosine from ``learning_rate`` down to
    ``min_lr`` at ``decay_steps``, then ``min_lr``.

    .. math:: \\eta_t = \\eta_{min} + \\tfrac12 (1 + \\cos(\\pi p)) (\\eta_{max} - \\eta_{min}),
              \\quad p = (t - t_{warm}) / (t_{decay} - t_{warm})
    """
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be a non-negative integer, got {step!r}.")
    if min_lr > learning_rate:
        raise ValueError(f"min_lr ({min_lr}) must not exceed learning_rate ({learning_rate}).")
    if warmup_steps < 0 or decay_steps < warmup_steps:
        raise ValueError(f"Need 0 <= warmup_steps <= decay_steps, got {warmup_steps} and "
                         f"{decay_steps}.")
    if step < warmup_steps:
        return learning_rate * (step + 1) / warmup_steps
    if step >= decay_steps:
        return min_lr
    frac = (step - warmup_steps) / max(1, decay_steps - warmup_steps)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * frac)) * (learning_rate - min_lr)


def _schedule(config: TrainConfig) -> Callable[[int], float]:
    return lambda step: lr_at(step, learning_rate=config.learning_rate, min_lr=config.min_lr,
                              warmup_steps=config.warmup_steps, decay_steps=config.max_steps)


def configure_optimizer(model: nn.Module, config: TrainConfig,
                        device: torch.device | str | None = None) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices (weights, embeddings) only, not on biases and norms.

    With a ``device`` given, uses PyTorch's fused implementation where it exists (CUDA, and the
    CPU from PyTorch 2.4): one kernel updates every parameter instead of a Python loop over them.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"configure_optimizer() needs an nn.Module, got {type(model).__name__}.")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}.")
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": config.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    extra: dict[str, Any] = {}
    if device is not None and _fused_adamw_available(torch.device(device)):
        extra["fused"] = True
    return torch.optim.AdamW(groups, lr=config.learning_rate,
                             betas=(config.beta1, config.beta2), **extra)


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
def estimate_loss(model: nn.Module, datasets: Mapping[str, Dataset], *, batch_size: int,
                  eval_iters: int, device: torch.device | str | None = None,
                  seed: int = 2024) -> dict[str, float]:
    """Mean loss over ``eval_iters`` random batches of each dataset, in eval mode, without grads.

    ``datasets`` maps a name (e.g. ``"train"``, ``"val"``) to a dataset. The same ``seed`` draws
    the same batches every time, so successive estimates differ only because the model changed.
    The model's train/eval mode is restored afterwards.
    """
    if not isinstance(datasets, Mapping) or not datasets:
        raise ValueError("datasets must be a non-empty dict of name -> Dataset.")
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


def train(model: GPT, train_data: Dataset, val_data: Dataset | None, config: TrainConfig, *,
          device: torch.device | str | None = None,
          callback: Callable[[EvalEvent], None] | None = None,
          show_progress: bool = True, compile: bool | None = None) -> TrainResult:
    """Train ``model`` with AdamW, warm-up + cosine decay, gradient clipping, periodic evaluation.

    Each step: set the scheduled learning rate (:func:`lr_at`), draw a random batch, forward
    (under autocast on CUDA) to the cross-entropy loss, ``zero_grad``, ``backward``, clip the
    gradient norm to ``config.grad_clip``, ``optimizer.step()``. At step 0, every
    ``eval_interval`` steps and at the end the loss on both splits is estimated
    (:func:`estimate_loss`) and ``callback`` is called with an :class:`EvalEvent` (to draw a
    chart, print a sample, ...). With ``config.keep_best`` and validation data, the weights of the
    evaluation with the lowest validation loss are kept (a copy on the same device) and put back
    at the end.

    ``compile`` (default: ``config.compile``) wraps the model in ``torch.compile`` on CUDA (or on
    the CPU when asked for explicitly with ``compile=True``; never on MPS). The model is trained in
    place and stays on ``device``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"train() needs a model (nn.Module), got {type(model).__name__}.")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}.")
    if not isinstance(train_data, Dataset):
        raise TypeError(f"train_data must be a Dataset, got {type(train_data).__name__}.")
    if val_data is not None and not isinstance(val_data, Dataset):
        raise TypeError(f"val_data must be a Dataset or None, got {type(val_data).__name__}.")
    device = torch.device(device) if device is not None else _model_device(model)
    setup_device(device)
    model.to(device)
    model.train()
    want_compile = config.compile if compile is None else compile
    if device.type == "mps" or (device.type == "cpu" and compile is not True):
        want_compile = False
    step_model = torch.compile(model) if want_compile else model

    optimizer = configure_optimizer(model, config, device)
    params = [p for p in model.parameters() if p.requires_grad]
    schedule = _schedule(config)
    scaler = grad_scaler(device)
    loader = random_batches(train_data, config.batch_size, config.max_steps, seed=config.seed,
                            pin_memory=device.type == "cuda")
    splits = {"train": train_data} if val_data is None else {"train": train_data, "val": val_data}
    block = getattr(train_data, "block_size", 0)
    result = TrainResult(tokens_per_step=config.batch_size * block)
    step_losses: list[torch.Tensor] = []

    start = time.perf_counter()
    train_time = 0.0
    best_state: dict[str, torch.Tensor] | None = None

    def evaluate(step: int) -> None:
        nonlocal best_state
        losses = estimate_loss(step_model, splits, batch_size=config.batch_size,
                               eval_iters=config.eval_iters, device=device)
        record = {"step": step, "train": losses["train"], "val": losses.get("val"),
                  "elapsed": time.perf_counter() - start, "train_seconds": train_time}
        result.evals.append(record)
        val = losses.get("val")
        if val is not None and (result.best_val_loss is None or val < result.best_val_loss):
            result.best_step, result.best_val_loss = step, val
            if config.keep_best:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if callback is not None:
            callback(EvalEvent(step=step, max_steps=config.max_steps, train_loss=losses["train"],
                               val_loss=losses.get("val"), lr=schedule(min(step, config.max_steps)),
                               elapsed=record["elapsed"], model=model))

    bar_options: dict[str, Any] = {"disable": True} if not show_progress else {}
    bar = progress(total=config.max_steps, unit="step", **bar_options)
    tick = time.perf_counter()
    try:
        for step, (xb, yb) in enumerate(loader):
            if step % config.eval_interval == 0:
                _sync(device)
                train_time += time.perf_counter() - tick
                evaluate(step)
                tick = time.perf_counter()
            lr = schedule(step)
            for group in optimizer.param_groups:
                group["lr"] = lr
            xb = xb.to(device, non_blocking=True)
            yb = yb.to(device, non_blocking=True)
            with autocast_context(device):
                _, loss = step_model(xb, yb)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()  # the scaler passes through unless float16
            if config.grad_clip > 0:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(params, config.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            step_losses.append(loss.detach())
            bar.update(1)
            if (step + 1) % 50 == 0 and not bar.disable:
                elapsed = train_time + time.perf_counter() - tick
                tok_s = (step + 1) * result.tokens_per_step / max(elapsed, 1e-9)
                bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{lr:.1e}",
                                tok_s=f"{tok_s:,.0f}", refresh=False)
        _sync(device)
        train_time += time.perf_counter() - tick
        result.steps = len(step_losses)
        evaluate(result.steps)
        if best_state is not None and result.best_step != result.steps:
            model.load_state_dict(best_state)
            result.restored_best = True
    finally:
        bar.close()
    result.losses = torch.stack(step_losses).float().cpu().tolist() if step_losses else []
    result.train_seconds = train_time
    result.total_seconds = time.perf_counter() - start
    return result


# --------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------

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
    if type(value) in _PLAIN or isinstance(value, torch.Tensor):  # exact types: no subclasses
        return
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"{where} has a non-string key {key!r}.")
            _check_plain(item, f"{where}[{key!r}]")
        return
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
    if tokenizer is not None and not isinstance(tokenizer, CharTokenizer):
        raise TypeError(f"tokenizer must be a CharTokenizer or None, got "
                        f"{type(tokenizer).__name__}.")
    if train_config is not None and not isinstance(train_config, TrainConfig):
        raise TypeError(f"train_config must be a TrainConfig or None, got "
                        f"{type(train_config).__name__}.")
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

