"""The GPT model of notebooks 10 and 12: its configuration, attention, feed-forward, block and GPT.

- :class:`GPTConfig` holds the model's shape (vocabulary, context, width, heads, layers, dropout,
  bias, weight tying) and four switches from GPT-2 towards today's open models, whose defaults keep
  notebook 10's model exactly: ``position`` (learned or rotary), ``norm`` (LayerNorm or RMSNorm),
  ``mlp`` (GELU or SwiGLU) and ``n_kv_head`` (grouped-query attention).
- :class:`RMSNorm`, :class:`Rotary` (notebook 09's RoPE applied to queries and keys),
  :func:`repeat_kv`, :class:`KVCache`, :class:`CausalSelfAttention`, :class:`MLP`,
  :class:`SwiGLU`, :class:`Block` and :class:`GPT` are the model. Attention runs through
  PyTorch's fused ``scaled_dot_product_attention`` (FlashAttention on recent NVIDIA GPUs) or, with
  ``fused=False``, through the explicit masked ``softmax(QK^T / sqrt(d)) V`` that notebook 10
  teaches. Both give the same numbers. The causal mask is
  :func:`course_utils.attention.causal_mask` (notebook 09).
- :func:`generate_tokens` samples text, with a KV cache or recomputing the whole window.
- :func:`count_parameters` counts a model's parameters; :func:`parameter_count` gives the same
  number from the configuration's formula.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.attention import causal_mask, rope_cos_sin, rotate_half
from course_utils.validation import as_number, non_negative_int, positive, positive_int

__all__ = [
    "GPTConfig",
    "RMSNorm",
    "Rotary",
    "repeat_kv",
    "KVCache",
    "CausalSelfAttention",
    "MLP",
    "SwiGLU",
    "Block",
    "GPT",
    "sample_next",
    "generate_tokens",
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

    The switches of notebook 12 (the defaults are notebook 10's GPT-2-style model):

    - ``position``: ``"learned"`` (a trained vector per position, added to the token embedding)
      or ``"rope"`` (queries and keys rotated by their position inside attention; no parameters);
    - ``norm``: ``"layernorm"`` or ``"rmsnorm"`` (no centring, no bias: cheaper);
    - ``mlp``: ``"gelu"`` (widen, GELU, project) or ``"swiglu"`` (a gated SiLU unit);
    - ``n_kv_head``: key/value heads for grouped-query attention, a divisor of ``n_head``
      (``None``: one per query head, ordinary multi-head attention);
    - ``ffn_hidden``: the feed-forward width (``None``: ``4 n_embd`` for GELU and ``8 n_embd / 3``
      rounded to a multiple of 8 for SwiGLU, which has three matrices instead of two).
    """

    vocab_size: int = 65
    block_size: int = 256
    n_layer: int = 6
    n_head: int = 6
    n_embd: int = 384
    dropout: float = 0.2
    bias: bool = False
    tie_weights: bool = True
    position: str = "learned"
    norm: str = "layernorm"
    mlp: str = "gelu"
    n_kv_head: int | None = None
    ffn_hidden: int | None = None

    def __post_init__(self) -> None:
        # Checked values are stored back as plain int/float, so a checkpoint holds plain data.
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            object.__setattr__(self, name, positive_int(getattr(self, name), name))
        if self.n_embd % self.n_head != 0:
            raise ValueError(
                f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head}):"
                " the embedding is split evenly between the heads."
            )
        object.__setattr__(self, "dropout", _number_in(self.dropout, "dropout", 0.0, 1.0))
        _check_bools(self, "bias", "tie_weights")
        for name, options in (
            ("position", ("learned", "rope")),
            ("norm", ("layernorm", "rmsnorm")),
            ("mlp", ("gelu", "swiglu")),
        ):
            if getattr(self, name) not in options:
                raise ValueError(f"{name} must be one of {options}, got {getattr(self, name)!r}.")
        for name in ("n_kv_head", "ffn_hidden"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, positive_int(getattr(self, name), name))
        if self.n_head % self.kv_heads:
            raise ValueError(
                f"n_kv_head ({self.kv_heads}) must divide n_head ({self.n_head}): each key/value "
                "head serves the same number of query heads."
            )
        if self.position == "rope" and self.head_size % 2:
            raise ValueError(
                f"RoPE turns pairs of dimensions, so it needs an even head size, got "
                f"{self.head_size} (n_embd / n_head)."
            )

    @property
    def head_size(self) -> int:
        """Dimensions per attention head, ``n_embd // n_head``."""
        return self.n_embd // self.n_head

    @property
    def kv_heads(self) -> int:
        """Key/value heads: ``n_kv_head``, or ``n_head`` when it is None."""
        return self.n_head if self.n_kv_head is None else self.n_kv_head

    @property
    def ffn_width(self) -> int:
        """The feed-forward hidden width (see ``ffn_hidden``)."""
        if self.ffn_hidden is not None:
            return self.ffn_hidden
        return 4 * self.n_embd if self.mlp == "gelu" else 8 * round(self.n_embd / 3)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (safe to store in a checkpoint)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GPTConfig:
        """Rebuild a configuration from :meth:`to_dict`'s output; unknown keys are an error."""
        if not isinstance(data, Mapping):
            raise TypeError(f"GPTConfig.from_dict needs a dict, got {type(data).__name__}.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"Unknown GPTConfig field(s) {unknown}; known fields: {sorted(known)}."
            )
        return cls(**dict(data))


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


class RMSNorm(nn.Module):
    """Root-mean-square normalisation: ``x / sqrt(mean(x^2) + eps) * weight``.

    LayerNorm without subtracting the mean and without a bias (Zhang and Sennrich, 2019; used by
    Llama and most open models since). ``eps=None`` uses the machine epsilon of the input's dtype,
    as ``torch.nn.RMSNorm`` does.
    """

    def __init__(self, dim: int, eps: float | None = None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        eps = torch.finfo(x.dtype).eps if self.eps is None else self.eps
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.weight


class Rotary(nn.Module):
    """Rotary position embedding inside attention (notebook 09's RoPE, Su et al. 2021).

    The ``cos`` and ``sin`` tables of positions ``0 .. block_size-1`` come from
    :func:`course_utils.attention.rope_cos_sin` in the ``"halves"`` pairing (dimension ``i`` turns
    with ``i + head_size/2``, the Llama layout); ``forward(x, start)`` turns the rows of ``x``
    (B, heads, T, head_size) by the angles of positions ``start .. start+T-1``.
    """

    def __init__(self, head_size: int, block_size: int, base: float = 10000.0) -> None:
        super().__init__()
        cos, sin = rope_cos_sin(np.arange(block_size), head_size, base, pairing="halves")
        self.register_buffer("cos", torch.tensor(cos, dtype=torch.float32), persistent=False)
        self.register_buffer("sin", torch.tensor(sin, dtype=torch.float32), persistent=False)

    def forward(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        cos = self.cos[start : start + x.size(-2)].to(x.dtype)
        sin = self.sin[start : start + x.size(-2)].to(x.dtype)
        return x * cos + rotate_half(x, "halves") * sin


def repeat_kv(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Grouped-query attention: repeat each key/value head for ``groups`` query heads.

    (B, n_kv_head, T, hs) becomes (B, n_kv_head * groups, T, hs); query heads ``g * groups`` to
    ``g * groups + groups - 1`` share key/value head ``g`` (Ainslie et al., 2023).
    """
    return x if groups == 1 else x.repeat_interleave(groups, dim=1)


class KVCache:
    """The keys and values every block has computed so far, for generation one token at a time.

    ``update(layer, k, v)`` appends a block's new keys and values (B, n_kv_head, T, hs) along the
    time axis and returns all of them; :class:`GPT` moves ``length`` on after the last block.
    With grouped-query attention the cache holds ``n_kv_head`` heads, not ``n_head``: that is the
    memory it saves.
    """

    def __init__(self, n_layer: int) -> None:
        self.keys: list[torch.Tensor | None] = [None] * n_layer
        self.values: list[torch.Tensor | None] = [None] * n_layer
        self.length = 0

    def update(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.keys[layer] is not None:
            k = torch.cat([self.keys[layer], k], dim=-2)
            v = torch.cat([self.values[layer], v], dim=-2)
        self.keys[layer], self.values[layer] = k, v
        return k, v

    @property
    def nbytes(self) -> int:
        """Bytes held by the cached keys and values."""
        return sum(t.numel() * t.element_size() for t in self.keys + self.values if t is not None)


class CausalSelfAttention(nn.Module):
    """Masked multi-head self-attention, with optional RoPE, grouped-query heads and a KV cache.

    ``fused=True`` (the default) calls ``F.scaled_dot_product_attention``, which picks the fastest
    kernel the hardware offers (FlashAttention or memory-efficient attention on CUDA).
    ``fused=False`` computes ``softmax(mask(QK^T / sqrt(d))) V`` explicitly, step by step, as
    taught in notebook 10; :meth:`attention_weights` returns those weights. With a
    :class:`KVCache` the new tokens sit at positions ``cache.length`` onwards and attend to every
    cached key as well as to each other (causally).
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head, self.n_kv_head = config.n_head, config.kv_heads
        self.head_size = config.head_size
        self.dropout = config.dropout
        kv_width = self.n_kv_head * self.head_size
        self.qkv = nn.Linear(config.n_embd, config.n_embd + 2 * kv_width, bias=config.bias)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.rotary = (
            Rotary(self.head_size, config.block_size) if config.position == "rope" else None
        )
        self.fused = True
        mask = torch.from_numpy(causal_mask(config.block_size))  # notebook 09's mask, as a tensor
        self.register_buffer("mask", mask.view(1, 1, *mask.shape), persistent=False)

    def _heads(
        self, x: torch.Tensor, start: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Queries (B, n_head, T, hs), keys and values (B, n_kv_head, T, hs) of ``x`` (B, T, C);
        with RoPE, queries and keys turned by the angles of positions ``start`` onwards."""
        b, t, _ = x.shape
        kv_width = self.n_kv_head * self.head_size
        q, k, v = self.qkv(x).split([self.n_head * self.head_size, kv_width, kv_width], dim=2)
        q = q.view(b, t, self.n_head, self.head_size).transpose(1, 2)
        k = k.view(b, t, self.n_kv_head, self.head_size).transpose(1, 2)
        v = v.view(b, t, self.n_kv_head, self.head_size).transpose(1, 2)
        if self.rotary is not None:
            q, k = self.rotary(q, start), self.rotary(k, start)
        return q, k, v

    def _explicit_weights(self, q: torch.Tensor, k: torch.Tensor, start: int = 0) -> torch.Tensor:
        t, total = q.size(-2), k.size(-2)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.size(-1)))
        scores = scores.masked_fill(~self.mask[:, :, start : start + t, :total], float("-inf"))
        return F.softmax(scores, dim=-1)

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """The attention weights (B, n_head, T, T) for input ``x``, without dropout."""
        q, k, _ = self._heads(x)
        return self._explicit_weights(q, repeat_kv(k, self.n_head // self.n_kv_head))

    def forward(
        self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0
    ) -> torch.Tensor:
        """Map (B, T, C) to (B, T, C): every position mixes the values of itself and its past."""
        b, t, c = x.shape
        start = 0 if cache is None else cache.length
        q, k, v = self._heads(x, start)
        if cache is not None:
            k, v = cache.update(layer, k, v)
        groups = self.n_head // self.n_kv_head
        k, v = repeat_kv(k, groups), repeat_kv(v, groups)
        if self.fused:
            mask = None if start == 0 else self.mask[:, :, start : start + t, : start + t]
            y = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=mask,
                dropout_p=self.dropout if self.training else 0.0,
                is_causal=start == 0,
            )
        else:
            y = self.attn_dropout(self._explicit_weights(q, k, start)) @ v
        y = y.transpose(1, 2).contiguous().view(b, t, c)  # put the heads side by side again
        return self.resid_dropout(self.proj(y))


class MLP(nn.Module):
    """The feed-forward part of a block: widen 4x, GELU, project back, dropout."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(config.n_embd, config.ffn_width, bias=config.bias)
        self.gelu = nn.GELU()
        self.proj = nn.Linear(config.ffn_width, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (B, T, C) to (B, T, C), each position on its own."""
        return self.dropout(self.proj(self.gelu(self.fc(x))))


class SwiGLU(nn.Module):
    """A gated feed-forward layer: ``proj(silu(x W_gate) * (x W_up))`` (Shazeer, 2020).

    One linear layer ``fc`` computes the gate and the up-projection side by side (one matrix
    product instead of two); SiLU of the gate decides, per hidden unit, how much of the
    up-projection passes.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 2 * config.ffn_width, bias=config.bias)
        self.proj = nn.Linear(config.ffn_width, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.fc(x).chunk(2, dim=-1)
        return self.dropout(self.proj(F.silu(gate) * up))


def _norm(config: GPTConfig) -> nn.Module:
    if config.norm == "rmsnorm":
        return RMSNorm(config.n_embd)
    return nn.LayerNorm(config.n_embd, bias=config.bias)


class Block(nn.Module):
    """One transformer block with pre-normalisation and residual connections.

    ``x = x + attn(ln1(x))`` (tokens talk to each other), then ``x = x + mlp(ln2(x))`` (each token
    thinks on its own). ``ln1``/``ln2`` are LayerNorm or RMSNorm, ``mlp`` is :class:`MLP` or
    :class:`SwiGLU`, as the configuration says.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln1 = _norm(config)
        self.attn = CausalSelfAttention(config)
        self.ln2 = _norm(config)
        self.mlp = SwiGLU(config) if config.mlp == "swiglu" else MLP(config)

    def forward(
        self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0
    ) -> torch.Tensor:
        """Map (B, T, C) to (B, T, C)."""
        x = x + self.attn(self.ln1(x), cache, layer)
        x = x + self.mlp(self.ln2(x))
        return x


class GPT(nn.Module):
    """A decoder-only transformer language model.

    Token embedding plus learned position embedding (or, with ``position="rope"``, rotary
    positions inside attention), ``n_layer`` :class:`Block` s, a final norm and a linear head that gives one logit per vocabulary entry at every position. With
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
        self.pos_emb = (
            nn.Embedding(config.block_size, config.n_embd) if config.position == "learned" else None
        )
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = _norm(config)
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
            raise TypeError(
                f"{name} must be a tensor of integer token ids (torch.long), got {got}."
            )
        if idx.dim() != 2 or idx.size(1) == 0:
            raise ValueError(
                f"{name} must have shape (batch, time) with time >= 1, got shape "
                f"{tuple(idx.shape)}. For a single sequence use idx.unsqueeze(0)."
            )
        if torch.compiler.is_compiling():  # a compiled training step: train() checked the data
            return
        if ((idx < 0) | (idx >= self.config.vocab_size)).any():
            raise ValueError(
                f"{name} holds ids from {int(idx.min())} to {int(idx.max())}, but the "
                f"vocabulary has ids 0 to {self.config.vocab_size - 1}."
            )

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        *,
        cache: KVCache | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return ``(logits, loss)``.

        ``idx`` holds token ids of shape (B, T) with ``T <= block_size``; ``logits`` has shape
        (B, T, vocab_size): at every position, a score for each possible next token. With
        ``targets`` (same shape as ``idx``) ``loss`` is the mean cross-entropy; otherwise None.
        With a :class:`KVCache`, ``idx`` continues the tokens the cache has seen: they take the
        positions from ``cache.length`` on, and their keys and values are added to the cache.
        """
        self._check_idx(idx)
        b, t = idx.shape
        start = 0 if cache is None else cache.length
        if start + t > self.config.block_size:
            raise ValueError(
                f"The sequence has {start + t} tokens but the context is {self.config.block_size}."
                f" Keep the last {self.config.block_size}: idx[:, -{self.config.block_size}:]."
            )
        x = self.tok_emb(idx)
        if self.pos_emb is not None:  # (B, T, C) + (T, C) broadcasts
            x = x + self.pos_emb(torch.arange(start, start + t, device=idx.device))
        x = self.drop(x)
        for i, block in enumerate(self.blocks):
            x = block(x, cache, i)
        if cache is not None:
            cache.length += t
        logits = self.head(self.ln_f(x))
        loss = None
        if targets is not None:
            self._check_targets(targets, idx)
            loss = F.cross_entropy(logits.view(b * t, -1), targets.reshape(b * t).long())
        return logits, loss

    def _check_targets(self, targets: Any, idx: torch.Tensor) -> None:
        """``targets``: integer ids of ``idx``'s shape, each in ``[0, vocab_size)`` or -100
        (PyTorch's ``ignore_index``: the loss skips that position)."""
        if not isinstance(targets, torch.Tensor) or targets.shape != idx.shape:
            shape = tuple(targets.shape) if isinstance(targets, torch.Tensor) else targets
            raise ValueError(
                f"targets must have the same shape as idx {tuple(idx.shape)}, got {shape}."
            )
        if targets.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"targets must hold integer token ids, got {targets.dtype}.")
        if torch.compiler.is_compiling():
            return
        if ((targets != -100) & ((targets < 0) | (targets >= self.config.vocab_size))).any():
            raise ValueError(
                f"targets holds ids from {int(targets.min())} to {int(targets.max())}; each must "
                f"be in 0 to {self.config.vocab_size - 1}, or -100 for a position the loss skips."
            )

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
        use_cache: bool = True,
    ) -> torch.Tensor:
        """Append ``max_new_tokens`` sampled tokens to every row of ``idx`` (B, T) and return it.

        See :func:`generate_tokens`: ``use_cache=True`` keeps a :class:`KVCache`,
        ``use_cache=False`` feeds the whole window at every step; both give the same tokens. The
        model is put in eval mode while generating and restored afterwards.
        """
        was_training = self.training
        self.eval()
        try:
            return generate_tokens(
                self,
                idx,
                max_new_tokens,
                temperature=temperature,
                top_k=top_k,
                generator=generator,
                use_cache=use_cache,
            )
        finally:
            self.train(was_training)


def sample_next(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw one token id per row from the last position's ``logits`` (B, vocab): divide by
    ``temperature``, keep the ``top_k`` largest if given, sample from the softmax. Returns (B, 1).

    ``generator`` (for repeatable samples) may live on the CPU whatever the model's device: the
    draw then happens on the CPU. Without one, an Apple-GPU model also draws on the CPU.
    """
    logits = logits.float() / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = F.softmax(logits, dim=-1)
    if generator is not None:
        probs = probs.to(generator.device)
    elif probs.device.type == "mps":  # sample on the CPU, which is reliable everywhere
        probs = probs.cpu()
    return torch.multinomial(probs, num_samples=1, generator=generator)


@torch.no_grad()
def generate_tokens(
    model: GPT,
    idx: torch.Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
    use_cache: bool = True,
) -> torch.Tensor:
    """Append ``max_new_tokens`` tokens to ``idx`` (B, T), one :func:`sample_next` at a time.

    Without a cache every step feeds the window (the last ``block_size`` tokens) through the
    model again. With one, the window is fed once and then only the newest token, whose keys and
    values join the cache. Once the window is full, every new token shifts it: each position
    changes, so every cached key and value would change too, and the cache is rebuilt from the
    shifted window at each step (the same work as without a cache). Both ways give the same tokens.

    ``idx`` must hold valid ids, ``max_new_tokens`` be 0 or more, ``temperature`` at least 1e-6,
    ``top_k`` None or at least 1 and ``use_cache`` True or False; anything else is an error.
    """
    model._check_idx(idx)
    non_negative_int(max_new_tokens, "max_new_tokens")
    if positive(temperature, "temperature") < 1e-6:  # logits / temperature would overflow
        raise ValueError(
            f"temperature must be at least 1e-6, got {temperature}; for greedy decoding (the "
            "limit of a temperature towards 0) use top_k=1."
        )
    if top_k is not None:
        positive_int(top_k, "top_k")
    if not isinstance(use_cache, bool):
        raise TypeError(f"use_cache must be True or False, got {use_cache!r}.")
    block = model.config.block_size
    cache = None
    for _ in range(max_new_tokens):
        if use_cache and cache is not None and cache.length < block:
            logits, _ = model(idx[:, -1:], cache=cache)  # only the newest token
        else:
            cache = KVCache(model.config.n_layer) if use_cache else None
            logits, _ = model(idx[:, -block:], cache=cache)  # the whole window
        nxt = sample_next(logits[:, -1, :], temperature, top_k, generator)
        idx = torch.cat([idx, nxt.to(idx.device)], dim=1)
    return idx


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Count a model's parameters (a tied matrix counts once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def parameter_count(config: GPTConfig, *, include_position: bool = True) -> int:
    """The parameter count of ``GPT(config)`` from the formula, without building the model.

    Per block, with ``C = n_embd``, ``H = ffn_width`` and ``K = kv_heads * head_size`` (``K = C``
    without grouped-query attention): attention ``C (C + 2K)`` for Q, K, V plus ``C^2`` for its
    projection; feed-forward ``2 C H`` (GELU) or ``3 C H`` (SwiGLU); two norm scales ``2 C``. With
    ``bias``: ``C + 2K + C`` attention biases, ``H + C`` (GELU) or ``2H + C`` (SwiGLU), and ``2C``
    for two LayerNorms (RMSNorm has none). The defaults give ``12 C^2 + 2C`` (``+ 11C`` with
    bias). Embeddings: ``vocab_size * C``, and ``block_size * C`` for learned positions (none with
    RoPE); a final norm; an untied head adds ``vocab_size * C``. ``include_position=False`` leaves
    the position embedding out (nanoGPT reports that number).
    """
    c, v, h = config.n_embd, config.vocab_size, config.ffn_width
    k = config.kv_heads * config.head_size
    gates = 2 if config.mlp == "swiglu" else 1
    norm = c + (c if config.bias and config.norm == "layernorm" else 0)
    per_block = c * (c + 2 * k) + c * c + (gates + 1) * c * h + 2 * norm
    if config.bias:
        per_block += (c + 2 * k) + c + gates * h + c
    total = v * c + config.n_layer * per_block + norm
    if include_position and config.position == "learned":
        total += config.block_size * c
    if not config.tie_weights:
        total += v * c
    return total
