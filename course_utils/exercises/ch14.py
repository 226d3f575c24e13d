"""Exercises of notebook 14: training on many GPUs."""

from __future__ import annotations

import numpy as np
import torch

from course_utils.checks import Exercise

__all__ = ["effective_batch", "shard", "ring", "zero_memory"]


# --- 1. The effective batch --------------------------------------------------------------------

effective_batch = Exercise(
    "The effective batch",
    expected=8 * 4 * 4 * 256,
    hints=[
        "One optimiser step sees the micro-batches of every GPU and every accumulation step.",
        "Sequences per step: 8 per micro-batch x 4 micro-batches x 4 GPUs. Each has 256 tokens.",
    ],
    solution="""
# 8 sequences per micro-batch, 4 micro-batches per GPU, 4 GPUs, 256 tokens per sequence
tokens_per_step = 8 * 4 * 4 * 256

answer = tokens_per_step
""",
)


# --- 2. This process's micro-batches ------------------------------------------------------------


def _shard_reference(xb: torch.Tensor, rank: int, world_size: int, grad_accum: int):
    per_rank = xb.shape[0] // world_size
    mine = xb[rank * per_rank : (rank + 1) * per_rank]
    return list(mine.split(per_rank // grad_accum))


def _shard_cases():
    xb = torch.arange(24 * 2).reshape(24, 2)
    return [(xb, 0, 1, 1), (xb, 1, 2, 1), (xb, 0, 2, 3), (xb, 2, 3, 2), (xb, 3, 4, 6)]


shard = Exercise(
    "Cut a global batch into this process's micro-batches",
    reference=_shard_reference,
    cases=_shard_cases,
    hints=[
        "First the process's slice: world_size equal parts of the batch's rows, the rank-th one.",
        "Then cut that slice into grad_accum equal micro-batches and return them as a list.",
    ],
    solution="""
def my_micro_batches(xb, rank, world_size, grad_accum):
    # The process's slice: rows [rank * per_rank, (rank + 1) * per_rank) of the global batch.
    per_rank = xb.shape[0] // world_size
    mine = xb[rank * per_rank:(rank + 1) * per_rank]
    # Then grad_accum equal micro-batches of that slice, in order.
    micro = per_rank // grad_accum
    return [mine[i * micro:(i + 1) * micro] for i in range(grad_accum)]

answer = my_micro_batches
""",
)


# --- 3. Ring all-reduce -------------------------------------------------------------------------


def _ring_reference(arrays: list[np.ndarray]) -> list[np.ndarray]:
    total = np.sum([np.asarray(a, dtype=float) for a in arrays], axis=0)
    return [total.copy() for _ in arrays]


def _ring_cases():
    rng = np.random.default_rng(14)
    return [([rng.normal(size=6) for _ in range(n)],) for n in (2, 3, 4)] + [
        ([rng.normal(size=10) for _ in range(5)],)
    ]


ring = Exercise(
    "Ring all-reduce, written out",
    reference=_ring_reference,
    cases=_ring_cases,
    hints=[
        "Cut every process's vector into N chunks (np.array_split). Process i talks only to "
        "process (i + 1) % N.",
        "Reduce-scatter, N - 1 steps: at step s, process i sends chunk (i - s) % N to its "
        "neighbour, which adds it to its own copy of that chunk. Take copies of what is sent "
        "before anyone adds, as all processes send at the same time.",
        "All-gather, N - 1 steps: at step s, process i sends chunk (i + 1 - s) % N (now complete) "
        "and the neighbour overwrites its copy. Concatenate each process's chunks at the end.",
    ],
    solution="""
import numpy as np

def ring_all_reduce_mine(arrays):
    n = len(arrays)
    chunks = [np.array_split(np.asarray(a, dtype=float).copy(), n) for a in arrays]
    # Reduce-scatter: after n - 1 steps process i holds the sum of chunk (i + 1) % n.
    for step in range(n - 1):
        sent = [chunks[i][(i - step) % n].copy() for i in range(n)]
        for i in range(n):
            chunks[(i + 1) % n][(i - step) % n] += sent[i]
    # All-gather: the finished chunks travel once more around the ring.
    for step in range(n - 1):
        sent = [chunks[i][(i + 1 - step) % n].copy() for i in range(n)]
        for i in range(n):
            chunks[(i + 1) % n][(i + 1 - step) % n] = sent[i]
    return [np.concatenate(c) for c in chunks]

answer = ring_all_reduce_mine
""",
)


# --- 4. Memory under ZeRO-2 ---------------------------------------------------------------------

zero_memory = Exercise(
    "Memory per GPU under ZeRO-2",
    expected=(4 * 1e9 + (4 + 8) * 1e9 / 8) / 2**30,
    rtol=1e-3,
    hints=[
        "Per parameter: float32 weights 4 bytes, gradients 4 bytes, AdamW's two moments 8 bytes.",
        "ZeRO-2 shards the gradients and the optimiser state over the 8 GPUs; every GPU keeps all "
        "the weights. Divide bytes by 2**30 for GiB.",
    ],
    solution="""
n_params, n_gpus = 1e9, 8
weights = 4 * n_params                 # every GPU keeps all of them
gradients = 4 * n_params / n_gpus      # sharded
optimizer = 8 * n_params / n_gpus      # AdamW's m and v, sharded
gib_per_gpu = (weights + gradients + optimizer) / 2**30

answer = gib_per_gpu
""",
)
