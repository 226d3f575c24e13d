"""Exercises of notebook 12: a modern GPT."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from course_utils.checks import Exercise

__all__ = ["rms_norm", "swiglu", "kv_cache_bytes", "cached_attention_step"]


# --- 1. RMSNorm as a function -------------------------------------------------------------------


def _rms_norm_reference(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    return F.rms_norm(x, (x.size(-1),), weight, eps)


def _rms_norm_cases() -> list[tuple[torch.Tensor, torch.Tensor, float]]:
    g = torch.Generator().manual_seed(12)
    return [
        (torch.tensor([[3.0, 4.0]]), torch.ones(2), 0.0),
        (torch.randn(4, 8, generator=g) * 5 + 2, torch.randn(8, generator=g), 1e-6),
        (torch.randn(2, 3, 16, generator=g), torch.rand(16, generator=g), 1e-2),
    ]


rms_norm = Exercise(
    "RMSNorm",
    reference=_rms_norm_reference,
    cases=_rms_norm_cases,
    rtol=1e-4,
    atol=1e-6,
    hints=[
        "Over the last dimension: the root mean square is sqrt(mean(x ** 2) + eps).",
        "Keep the dimension (keepdim=True) so the division broadcasts, then multiply by weight.",
        "No mean is subtracted and there is no bias: that is the difference from LayerNorm.",
    ],
    solution="""
import torch

def rms_norm(x, weight, eps):
    # Divide every vector by its root mean square, then scale each feature by its weight.
    rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
    return x / rms * weight

answer = rms_norm
""",
)


# --- 2. A SwiGLU feed-forward -------------------------------------------------------------------


def _swiglu_reference(
    x: torch.Tensor, w_gate: torch.Tensor, w_up: torch.Tensor, w_down: torch.Tensor
) -> torch.Tensor:
    return (F.silu(x @ w_gate) * (x @ w_up)) @ w_down


def _swiglu_cases() -> list[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(13)
    cases = []
    for b, c, h in ((1, 2, 3), (5, 8, 12), (3, 16, 40)):
        cases.append(
            (
                torch.randn(b, c, generator=g),
                torch.randn(c, h, generator=g),
                torch.randn(c, h, generator=g),
                torch.randn(h, c, generator=g),
            )
        )
    return cases


swiglu = Exercise(
    "A SwiGLU feed-forward",
    reference=_swiglu_reference,
    cases=_swiglu_cases,
    rtol=1e-4,
    atol=1e-5,
    hints=[
        "Two projections of the same input: x @ w_gate and x @ w_up, both of width h.",
        "SiLU(z) = z * sigmoid(z) (F.silu). Multiply SiLU of the gate by the up-projection, "
        "element by element.",
        "Finally project back with @ w_down.",
    ],
    solution="""
import torch

def swiglu(x, w_gate, w_up, w_down):
    # The gate decides, per hidden unit, how much of the up-projection passes.
    gate = x @ w_gate
    hidden = gate * torch.sigmoid(gate) * (x @ w_up)   # SiLU(gate) * up
    return hidden @ w_down

answer = swiglu
""",
)


# --- 3. KV-cache memory -------------------------------------------------------------------------


def _cache_bytes_reference(
    n_layer: int, n_kv_head: int, head_size: int, tokens: int, bytes_per_number: int
) -> int:
    return 2 * n_layer * n_kv_head * head_size * tokens * bytes_per_number


kv_cache_bytes = Exercise(
    "The size of a KV cache",
    reference=_cache_bytes_reference,
    cases=[
        (6, 6, 64, 256, 4),
        (6, 2, 64, 256, 4),
        (32, 8, 128, 4096, 2),
        (80, 8, 128, 4096, 2),
        (1, 1, 1, 1, 1),
    ],
    hints=[
        "Every layer stores a key AND a value vector for every cached token.",
        "Each of those vectors has n_kv_head heads of head_size numbers.",
        "Multiply it all together with the bytes per number (4 for float32, 2 for bfloat16).",
    ],
    solution="""
def kv_cache_bytes(n_layer, n_kv_head, head_size, tokens, bytes_per_number):
    # keys and values (2) x layers x heads x head size x tokens x bytes
    return 2 * n_layer * n_kv_head * head_size * tokens * bytes_per_number

answer = kv_cache_bytes
""",
)


# --- 4. One step of cached attention (a whole algorithm) ----------------------------------------


def _cached_step_reference(
    q: torch.Tensor,
    k_cache: torch.Tensor,
    v_cache: torch.Tensor,
    k_new: torch.Tensor,
    v_new: torch.Tensor,
) -> torch.Tensor:
    k = torch.cat([k_cache, k_new], dim=-2)
    v = torch.cat([v_cache, v_new], dim=-2)
    return F.scaled_dot_product_attention(q, k, v)


def _cached_step_cases() -> list[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(14)
    cases = []
    for b, h, past, d in ((1, 1, 1, 2), (2, 3, 5, 4), (1, 4, 12, 8)):
        cases.append(
            (
                torch.randn(b, h, 1, d, generator=g),
                torch.randn(b, h, past, d, generator=g),
                torch.randn(b, h, past, d, generator=g),
                torch.randn(b, h, 1, d, generator=g),
                torch.randn(b, h, 1, d, generator=g),
            )
        )
    return cases


cached_attention_step = Exercise(
    "One step of attention with a KV cache",
    reference=_cached_step_reference,
    cases=_cached_step_cases,
    rtol=1e-4,
    atol=1e-5,
    hints=[
        "First append the new key and value to the cache along the time axis (dim=-2) with "
        "torch.cat.",
        "The new token is the last one, so it may look at every cached key: no mask is needed.",
        "scores = q @ k^T / sqrt(d); softmax over the keys; multiply by v.",
    ],
    solution="""
import math
import torch

def cached_attention_step(q, k_cache, v_cache, k_new, v_new):
    # 1. the cache grows by one position
    k = torch.cat([k_cache, k_new], dim=-2)
    v = torch.cat([v_cache, v_new], dim=-2)
    # 2. the newest query attends to every key (all are in its past): no mask
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v

answer = cached_attention_step
""",
)
