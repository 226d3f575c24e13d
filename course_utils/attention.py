"""Attention and positional encoding, written out step by step (notebook 09).

NumPy first, the way notebook 09 derives it:

- :func:`softmax` with a temperature, and :func:`causal_mask`;
- :func:`scaled_dot_product_attention`: ``softmax(Q K^T / (sqrt(d_k) * temperature)) V`` with an
  optional causal or boolean mask, returning the output and the attention weights;
- :func:`softmax_saturation`: what happens to the softmax of unscaled scores as ``d_k`` grows.

Then PyTorch:

- :func:`attention`: the same computation on tensors (plus dropout on the weights);
- :class:`MultiHeadAttention`: project to queries, keys and values, split into heads, attend,
  concatenate, project, with dropout; it can copy the weights of ``torch.nn.MultiheadAttention``.

Positions:

- :func:`sinusoidal_positional_encoding`: ``PE(pos, 2i) = sin(pos / 10000^(2i/d))``,
  ``PE(pos, 2i+1) = cos(pos / 10000^(2i/d))``;
- :func:`positional_metrics`: how bounded, distinct and offset-only a table of encodings is;
- rotary position embedding (RoPE) in two forms that give the same numbers:
  :func:`rope_matrix` / :func:`apply_rope_matrix` (block-diagonal rotation matrices) and
  :func:`apply_rope` (``x * cos + rotate_half(x) * sin``, for NumPy arrays and torch tensors).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.logistic import softmax
from course_utils.validation import as_float_array, as_number, positive, positive_int

__all__ = [
    "causal_mask",
    "scaled_dot_product_attention",
    "softmax_saturation",
    "attention",
    "MultiHeadAttention",
    "sinusoidal_positional_encoding",
    "positional_metrics",
    "rope_frequencies",
    "rope_matrix",
    "apply_rope_matrix",
    "rope_cos_sin",
    "rotate_half",
    "apply_rope",
]

_PAIRINGS = ("adjacent", "halves")
_NO_KEY = (
    "a query has no key it may attend to (its whole row is masked); every query needs at "
    "least one allowed key."
)


# --- NumPy: masks and attention (softmax comes from notebook 03's course_utils.logistic) --------


def causal_mask(n_queries: int, n_keys: int | None = None) -> np.ndarray:
    """Boolean ``(n_queries, n_keys)`` mask, True where query ``i`` may look at key ``j <= i``.

    With ``n_keys`` different from ``n_queries`` the triangle starts at the top-left corner, the
    same convention as ``torch.nn.functional.scaled_dot_product_attention(..., is_causal=True)``.
    """
    n_q = positive_int(n_queries, "n_queries")
    n_k = n_q if n_keys is None else positive_int(n_keys, "n_keys")
    return np.tril(np.ones((n_q, n_k), dtype=bool))


def _check_qkv(q: Any, k: Any, v: Any) -> None:
    if min(q.ndim, k.ndim, v.ndim) < 2 or q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"need q (..., T_q, d_k), k (..., T_k, d_k) and v (..., T_k, d_v), got "
            f"{tuple(q.shape)}, {tuple(k.shape)} and {tuple(v.shape)}."
        )


def scaled_dot_product_attention(
    q: Any,
    k: Any,
    v: Any,
    *,
    causal: bool = False,
    mask: Any = None,
    temperature: float = 1.0,
    scale: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Attention in NumPy: ``softmax(q k^T / (sqrt(d_k) * temperature)) v``.

    Shapes: ``q`` is ``(..., T_q, d_k)``, ``k`` is ``(..., T_k, d_k)``, ``v`` is
    ``(..., T_k, d_v)``; leading (batch, head) dimensions must broadcast. ``causal=True`` lets
    query ``i`` see keys ``j <= i`` only; ``mask`` (boolean, broadcastable to
    ``(..., T_q, T_k)``, True = may attend) restricts further. ``scale=False`` drops the
    ``1/sqrt(d_k)`` (to show why it is there). A temperature towards 0 gives the limit, one-hot
    weights on the largest score (ties share).

    Returns ``(output, weights)`` with shapes ``(..., T_q, d_v)`` and ``(..., T_q, T_k)``.
    """
    q, k, v = (as_float_array(a, n) for a, n in ((q, "q"), (k, "k"), (v, "v")))
    _check_qkv(q, k, v)
    t = positive(temperature, "temperature")
    scores = q @ np.swapaxes(k, -1, -2)
    if scale:
        scores = scores / math.sqrt(q.shape[-1])
    if causal:
        scores = np.where(causal_mask(q.shape[-2], k.shape[-2]), scores, -np.inf)
    if mask is not None:
        scores = np.where(np.asarray(mask, dtype=bool), scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True)
    if np.isneginf(top).any():
        raise ValueError(_NO_KEY)
    with np.errstate(over="ignore"):  # a tiny temperature sends the non-largest scores to -inf
        scores = np.where(scores == top, 0.0, (scores - top) / t)
    weights = softmax(scores, axis=-1)
    return weights @ v, weights


def softmax_saturation(
    d_k: int,
    *,
    n_keys: int = 16,
    n_trials: int = 500,
    scaled: bool = True,
    rng: np.random.Generator | None = None,
) -> dict[str, float]:
    """Measure how peaked the attention softmax is for random unit-variance queries and keys.

    Draws ``n_trials`` query vectors and ``n_keys`` keys with independent N(0, 1) entries of width
    ``d_k``, and returns the averages of: the standard deviation of the scores (``score_std``), the
    largest weight of each softmax row (``max_weight``, 1 = one-hot), and the Frobenius norm of the
    softmax Jacobian (``jacobian_norm``, the size of the gradient that flows back through it).
    """
    d, n, trials = (
        positive_int(x, name)
        for x, name in ((d_k, "d_k"), (n_keys, "n_keys"), (n_trials, "n_trials"))
    )
    rng = np.random.default_rng(0) if rng is None else rng
    q = rng.standard_normal((trials, 1, d))
    keys = rng.standard_normal((trials, n, d))
    scores = (q @ np.swapaxes(keys, -1, -2))[:, 0, :]
    if scaled:
        scores = scores / math.sqrt(d)
    p = softmax(scores)
    # Jacobian of softmax: diag(p) - p p^T, for each trial.
    jac = np.einsum("ti,ij->tij", p, np.eye(n)) - p[:, :, None] * p[:, None, :]
    return {
        "score_std": float(scores.std()),
        "max_weight": float(p.max(axis=-1).mean()),
        "jacobian_norm": float(np.linalg.norm(jac, axis=(1, 2)).mean()),
    }


# --- PyTorch: attention and multi-head attention ------------------------------------------------


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    causal: bool = False,
    mask: torch.Tensor | None = None,
    temperature: float = 1.0,
    dropout_p: float = 0.0,
    training: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention on tensors, written out (no fused kernel).

    Same shapes and meaning as :func:`scaled_dot_product_attention`. When ``training`` is True and
    ``dropout_p > 0``, dropout zeroes attention weights with probability ``dropout_p`` and scales
    the survivors by ``1 / (1 - dropout_p)``. Returns ``(output, weights)``; the weights are those
    after dropout, i.e. the ones that multiplied ``v``. A query whose every key is masked raises
    ``ValueError`` (PyTorch's softmax would return NaN).
    """
    _check_qkv(q, k, v)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if causal:
        allowed = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool, device=q.device).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    if mask is not None:
        scores = scores.masked_fill(~mask.bool(), float("-inf"))
    top = scores.amax(dim=-1, keepdim=True)
    if torch.isneginf(top).any():
        raise ValueError(_NO_KEY)
    if temperature != 1.0:  # shift first, so a tiny temperature gives its limit, not inf - inf
        scores = ((scores - top) / positive(temperature, "temperature")).masked_fill(
            scores == top, 0.0
        )
    weights = torch.softmax(scores, dim=-1)
    if training and dropout_p > 0:
        weights = F.dropout(weights, p=dropout_p, training=True)
    return weights @ v, weights


class MultiHeadAttention(nn.Module):
    """Multi-head attention, every step written out.

    1. project the inputs to queries, keys and values (three ``d_model x d_model`` layers);
    2. split each into ``n_heads`` heads of width ``d_model // n_heads``;
    3. attend in every head at once (:func:`attention`, with dropout on the weights);
    4. concatenate the heads back to width ``d_model``;
    5. project with a last ``d_model x d_model`` layer.

    Inputs are batch-first, ``(batch, length, d_model)``. With ``key``/``value`` from another
    sequence it is cross-attention (notebook 11's encoder-decoder). :meth:`load_torch_weights`
    copies the weights of a ``torch.nn.MultiheadAttention`` so the two can be compared number for
    number.
    """

    def __init__(
        self, d_model: int, n_heads: int, *, dropout: float = 0.0, bias: bool = True
    ) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads}).")
        self.d_model, self.n_heads = d_model, n_heads
        self.head_dim = d_model // n_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, d_model)`` to ``(B, n_heads, T, head_dim)``: each head gets its own slice."""
        b, t, _ = x.shape
        return x.view(b, t, self.n_heads, self.head_dim).transpose(1, 2)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, n_heads, T, head_dim)`` back to ``(B, T, d_model)``: the heads side by side."""
        b, h, t, d = x.shape
        return x.transpose(1, 2).reshape(b, t, h * d)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor | None = None,
        value: torch.Tensor | None = None,
        *,
        causal: bool = False,
        mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``query`` to ``key``/``value`` (both default to ``query``: self-attention).

        ``mask`` (boolean, True = may attend) broadcasts to ``(B, n_heads, T_q, T_k)``. Returns
        the output ``(B, T_q, d_model)``, and with ``need_weights=True`` also the weights of every
        head, ``(B, n_heads, T_q, T_k)``.
        """
        key = query if key is None else key
        value = key if value is None else value
        if query.size(-1) != self.d_model or key.shape[:2] != value.shape[:2]:
            raise ValueError(
                f"query {tuple(query.shape)}, key {tuple(key.shape)} and value "
                f"{tuple(value.shape)} must be (batch, length, {self.d_model}), key "
                "and value of the same length."
            )
        q = self.split_heads(self.q_proj(query))
        k = self.split_heads(self.k_proj(key))
        v = self.split_heads(self.v_proj(value))
        heads, weights = attention(
            q, k, v, causal=causal, mask=mask, dropout_p=self.dropout, training=self.training
        )
        out = self.out_proj(self.merge_heads(heads))
        return (out, weights) if need_weights else out

    @torch.no_grad()
    def load_torch_weights(self, mha: nn.MultiheadAttention) -> MultiHeadAttention:
        """Copy the weights of a ``torch.nn.MultiheadAttention`` of the same size into this one.

        PyTorch stores the three input projections stacked in one ``in_proj_weight`` of shape
        ``(3 d_model, d_model)``: rows for queries, then keys, then values.
        """
        if (mha.embed_dim, mha.num_heads) != (self.d_model, self.n_heads):
            raise ValueError(
                f"size mismatch: this module has d_model={self.d_model}, "
                f"n_heads={self.n_heads}; the torch one has "
                f"embed_dim={mha.embed_dim}, num_heads={mha.num_heads}."
            )
        for i, layer in enumerate((self.q_proj, self.k_proj, self.v_proj)):
            rows = slice(i * self.d_model, (i + 1) * self.d_model)
            layer.weight.copy_(mha.in_proj_weight[rows])
            if layer.bias is not None:
                layer.bias.copy_(mha.in_proj_bias[rows])
        self.out_proj.weight.copy_(mha.out_proj.weight)
        if self.out_proj.bias is not None:
            self.out_proj.bias.copy_(mha.out_proj.bias)
        return self


# --- Positions: sinusoidal encoding -------------------------------------------------------------


def _even_dim(d: Any, name: str) -> int:
    d = positive_int(d, name)
    if d % 2:
        raise ValueError(
            f"{name} must be even (dimensions come in sin/cos or rotation pairs), got {d}."
        )
    return d


def sinusoidal_positional_encoding(
    n_positions: int, d_model: int, base: float = 10000.0
) -> np.ndarray:
    """The transformer's position table, shape ``(n_positions, d_model)``.

    ``PE[pos, 2i] = sin(pos / base^(2i/d_model))`` and ``PE[pos, 2i+1] = cos(pos / base^(2i/d_model))``
    for ``pos = 0 .. n_positions-1``: each pair of columns is a sine and cosine of one frequency,
    from one radian per position (columns 0, 1) down to about ``1/base`` radian per position.
    """
    d = _even_dim(d_model, "d_model")
    angles = np.outer(
        np.arange(positive_int(n_positions, "n_positions")), rope_frequencies(d, base)
    )  # one frequency per pair
    pe = np.empty((len(angles), d))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def positional_metrics(pe: Any) -> dict[str, float]:
    """Three numbers that test a table of position encodings, shape ``(n_positions, d)``.

    - ``max_abs``: the largest entry in absolute value (bounded encodings stay near 1);
    - ``min_distance``: the smallest Euclidean distance between the encodings of two different
      positions (near 0 means two positions look almost the same);
    - ``offset_dependence``: how much the dot product ``PE[p] . PE[p+k]`` varies with ``p`` at a
      fixed offset ``k`` (its standard deviation along each diagonal, averaged over offsets and
      divided by the mean squared norm). 0 means the dot product depends on the offset only.
    """
    table = as_float_array(pe, "pe")
    if table.ndim != 2 or table.shape[0] < 3 or table.shape[1] < 1:
        raise ValueError(f"pe must have shape (n_positions >= 3, d), got {table.shape}.")
    n = table.shape[0]
    diff = table[:, None, :] - table[None, :, :]
    dist = np.sqrt((diff**2).sum(-1))
    dist[np.diag_indices(n)] = np.inf
    gram = table @ table.T
    norm2 = float(np.mean(np.diag(gram)))
    spreads = [np.diagonal(gram, offset=k).std() for k in range(1, n - 1)]
    return {
        "max_abs": float(np.abs(table).max()),
        "min_distance": float(dist.min()),
        "offset_dependence": float(np.mean(spreads) / norm2) if norm2 > 0 else 0.0,
    }


# --- Positions: rotary position embedding (RoPE) ------------------------------------------------


def _check_pairing(pairing: str) -> str:
    if pairing not in _PAIRINGS:
        raise ValueError(
            f"pairing must be 'adjacent' (pairs 2i, 2i+1) or 'halves' (pairs i, "
            f"i + d/2), got {pairing!r}."
        )
    return pairing


def rope_frequencies(d: int, base: float = 10000.0) -> np.ndarray:
    """The ``d/2`` rotation speeds ``theta_i = base^(-2i/d)``, in radians per position."""
    d = _even_dim(d, "d")
    return positive(base, "base") ** (-np.arange(0, d, 2, dtype=float) / d)


def _pair_indices(d: int, pairing: str) -> tuple[np.ndarray, np.ndarray]:
    """The first and second dimension of each rotated pair."""
    if pairing == "adjacent":
        return np.arange(0, d, 2), np.arange(1, d, 2)
    return np.arange(d // 2), np.arange(d // 2, d)


def rope_matrix(
    position: float, d: int, base: float = 10000.0, pairing: str = "adjacent"
) -> np.ndarray:
    """The ``(d, d)`` rotation ``R(position)``: pair ``i`` turns by ``position * theta_i``.

    With ``pairing="adjacent"`` (the RoPE paper) the pairs are dimensions ``(2i, 2i+1)`` and the
    matrix is block-diagonal with 2x2 blocks ``[[cos, -sin], [sin, cos]]``. With
    ``pairing="halves"`` (the layout of GPT-NeoX and of the Hugging Face Llama code) pair ``i``
    is ``(i, i + d/2)``: the same blocks, with rows and columns reordered.
    """
    pos = as_number(position, "position")
    d = _even_dim(d, "d")
    first, second = _pair_indices(d, _check_pairing(pairing))
    angles = pos * rope_frequencies(d, base)
    r = np.zeros((d, d))
    r[first, first] = np.cos(angles)
    r[first, second] = -np.sin(angles)
    r[second, first] = np.sin(angles)
    r[second, second] = np.cos(angles)
    return r


def apply_rope_matrix(
    x: Any, positions: Any = None, base: float = 10000.0, pairing: str = "adjacent"
) -> np.ndarray:
    """Rotate each row ``x[..., t, :]`` by the matrix ``R(positions[t])`` (slow, for teaching).

    ``x`` has shape ``(..., T, d)``; ``positions`` defaults to ``0 .. T-1``.
    """
    arr = as_float_array(x, "x")
    pos = np.arange(arr.shape[-2]) if positions is None else as_float_array(positions, "positions")
    mats = np.stack([rope_matrix(p, arr.shape[-1], base, pairing) for p in pos])  # (T, d, d)
    return np.einsum("tij,...tj->...ti", mats, arr)


def rope_cos_sin(
    positions: Any, d: int, base: float = 10000.0, pairing: str = "adjacent"
) -> tuple[np.ndarray, np.ndarray]:
    """The ``cos`` and ``sin`` tables of shape ``(T, d)`` used by :func:`apply_rope`.

    Both dimensions of a pair share one angle, so each angle appears twice in a row: side by side
    for ``"adjacent"``, in both halves for ``"halves"``.
    """
    angles = np.outer(as_float_array(positions, "positions"), rope_frequencies(d, base))
    if _check_pairing(pairing) == "adjacent":
        angles = np.repeat(angles, 2, axis=1)
    else:
        angles = np.concatenate([angles, angles], axis=1)
    return np.cos(angles), np.sin(angles)


def rotate_half(x: Any, pairing: str = "adjacent") -> Any:
    """Map every pair ``(a, b)`` to ``(-b, a)``: a quarter turn (works on arrays and tensors).

    ``"adjacent"``: ``(x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)``.
    ``"halves"``: ``[x_first_half, x_second_half] -> [-x_second_half, x_first_half]``.
    """
    _even_dim(x.shape[-1], "the last dimension of x")
    if pairing == "halves":
        half = x.shape[-1] // 2
        parts = (-x[..., half:], x[..., :half])
        return (
            torch.cat(parts, dim=-1) if isinstance(x, torch.Tensor) else np.concatenate(parts, -1)
        )
    out = x.clone() if isinstance(x, torch.Tensor) else np.array(x, dtype=float)
    out[..., 0::2] = -x[..., 1::2]
    out[..., 1::2] = x[..., 0::2]
    return out


def apply_rope(
    x: Any, positions: Any = None, base: float = 10000.0, pairing: str = "adjacent"
) -> Any:
    """Rotary position embedding, the fast way: ``x * cos + rotate_half(x) * sin``.

    ``x`` is a NumPy array or a torch tensor of shape ``(..., T, d)``; row ``t`` is turned by the
    angles of position ``positions[t]`` (default ``0 .. T-1``). Gives the same numbers as
    :func:`apply_rope_matrix` without building any ``d x d`` matrix. Returns the kind of object it
    was given (a tensor keeps its dtype and device).
    """
    if not isinstance(x, torch.Tensor):
        x = as_float_array(x, "x")
    pos = np.arange(x.shape[-2]) if positions is None else positions
    cos, sin = rope_cos_sin(pos, x.shape[-1], base, pairing)
    if isinstance(x, torch.Tensor):
        cos, sin = (torch.as_tensor(a, dtype=x.dtype, device=x.device) for a in (cos, sin))
    return x * cos + rotate_half(x, pairing) * sin
