"""The GPT model of notebook 10: its configuration, attention, feed-forward, block and the GPT.

- :class:`GPTConfig` holds the model's shape (vocabulary, context, width, heads, layers, dropout,
  bias, weight tying) and checks it.
- :class:`CausalSelfAttention`, :class:`MLP`, :class:`Block` and :class:`GPT` are the model.
  Attention runs through PyTorch's fused ``scaled_dot_product_attention`` (FlashAttention on
  recent NVIDIA GPUs) or, with ``fused=False``, through the explicit masked
  ``softmax(QK^T / sqrt(d)) V`` that the notebook teaches. Both give the same numbers. The causal
  mask is :func:`course_utils.attention.causal_mask` (notebook 09).
- :func:`count_parameters` counts a model's parameters; :func:`parameter_count` gives the same
  number from the configuration's formula.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.attention import causal_mask
from course_utils.validation import as_number, non_negative_int, positive, positive_int

__all__ = [
    "GPTConfig",
    "CausalSelfAttention",
    "MLP",
    "Block",
    "GPT",
    "causal_mask",
    "count_parameters",
    "parameter_count",
]


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def _number_in(value: Any, name: str, low: float, high: float) -> float:
    """A finite number with ``low <= value < high``, as a plain ``float``."""
    number = as_number(value, name)
    if not low <= number < high:
        raise ValueError(f"{name} must lie in [{low}, {high}), got {number}.")
    return number


def _check_bools(owner: Any, *names: str) -> None:
    for name in names:
        if not isinstance(getattr(owner, name), bool):
            raise TypeError(f"{name} must be True or False, got {getattr(owner, name)!r}.")


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
            object.__setattr__(self, name, positive_int(getattr(self, name), name))
        if self.n_embd % self.n_head != 0:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head}):"
                             " the embedding is split evenly between the heads.")
        object.__setattr__(self, "dropout", _number_in(self.dropout, "dropout", 0.0, 1.0))
        _check_bools(self, "bias", "tie_weights")

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
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown GPTConfig field(s) {unknown}; known fields: {sorted(known)}.")
        return cls(**dict(data))


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


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
        mask = torch.from_numpy(causal_mask(config.block_size))  # notebook 09's mask, as a tensor
        self.register_buffer("mask", mask.view(1, 1, *mask.shape), persistent=False)

    def _heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Project ``x`` (B, T, C) to queries, keys and values of shape (B, n_head, T, head_size)."""
        b, t, _ = x.shape
        q, k, v = self.qkv(x).split(self.n_embd, dim=2)
        shape = (b, t, self.n_head, self.head_size)
        return (q.view(shape).transpose(1, 2), k.view(shape).transpose(1, 2),
                v.view(shape).transpose(1, 2))

    def _explicit_weights(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        t = q.size(-2)
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
        for block in self.blocks:
            block.attn.fused = fused
        return self

    def _check_idx(self, idx: Any, name: str = "idx") -> None:
        """``idx`` must be a (batch, time) tensor of ids in ``[0, vocab_size)``."""
        if not isinstance(idx, torch.Tensor) or idx.dtype not in (torch.int64, torch.int32):
            got = idx.dtype if isinstance(idx, torch.Tensor) else type(idx).__name__
            raise TypeError(f"{name} must be a tensor of integer token ids (torch.long), got {got}.")
        if idx.dim() != 2 or idx.size(1) == 0:
            raise ValueError(f"{name} must have shape (batch, time) with time >= 1, got shape "
                             f"{tuple(idx.shape)}. For a single sequence use idx.unsqueeze(0).")
        if torch.compiler.is_compiling():  # a compiled training step: train() checked the data
            return
        if ((idx < 0) | (idx >= self.config.vocab_size)).any():
            raise ValueError(f"{name} holds ids from {int(idx.min())} to {int(idx.max())}, but the "
                             f"vocabulary has ids 0 to {self.config.vocab_size - 1}.")

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
        non_negative_int(max_new_tokens, "max_new_tokens")
        positive(temperature, "temperature")
        if top_k is not None:
            positive_int(top_k, "top_k")
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
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def parameter_count(config: GPTConfig, *, include_position: bool = True) -> int:
    """The parameter count of ``GPT(config)`` from the formula, without building the model.

    Per block: ``12 n_embd^2`` weights (``3`` for Q, K, V, ``1`` for the attention projection,
    ``4 + 4`` for the MLP) plus two layer-norm scales (``2 n_embd``) and, with ``bias``, ``11
    n_embd`` biases. Embeddings: ``vocab_size * n_embd`` and ``block_size * n_embd``; a final
    layer norm; an untied head adds ``vocab_size * n_embd``. ``include_position=False`` leaves the
    position embedding out (nanoGPT reports that number).
    """
    c, v = config.n_embd, config.vocab_size
    per_block = 12 * c * c + 2 * c + (11 * c if config.bias else 0)
    total = v * c + config.n_layer * per_block + c + (c if config.bias else 0)
    if include_position:
        total += config.block_size * c
    if not config.tie_weights:
        total += v * c
    return total


