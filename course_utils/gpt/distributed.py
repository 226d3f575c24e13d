"""Data-parallel training of the GPT on many processes (notebook 14).

``torchrun --standalone --nproc_per_node=N benchmarks/train_gpt.py ...`` starts N copies of the
script and tells each its place through environment variables (``RANK``, ``LOCAL_RANK``,
``WORLD_SIZE``). :func:`init_distributed` reads them, joins the process group (NCCL on CUDA, gloo
on the CPU) and picks this process's device; without torchrun it returns a one-process
:class:`DistInfo` and nothing else changes.

The pieces :func:`course_utils.gpt.train.train` uses:

- :func:`shard_batch` cuts one global batch into this process's micro-batches, so the batch of
  every step is the same whatever the number of processes and accumulation steps;
- :func:`mean_over_processes` averages a number over all processes (the logged loss).

And two pieces notebook 14 writes out to explain what DistributedDataParallel does inside:
:func:`ring_all_reduce` (the communication pattern that sums gradients across replicas) and
:func:`training_memory` (bytes per GPU of weights, gradients, optimiser state and activations
under data parallelism, ZeRO/FSDP sharding and tensor with sequence parallelism).
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

__all__ = [
    "DistInfo",
    "init_distributed",
    "close_distributed",
    "shard_batch",
    "mean_over_processes",
    "ring_all_reduce",
    "training_memory",
    "STRATEGIES",
]


@dataclass(frozen=True)
class DistInfo:
    """This process's place among ``world_size`` processes (rank 0 is the one that reports)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    backend: str | None = None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(device: torch.device | str) -> tuple[DistInfo, torch.device]:
    """Join the process group torchrun set up, if any; return this process's place and device.

    Under torchrun (``WORLD_SIZE`` > 1) each process takes the GPU ``cuda:LOCAL_RANK`` and NCCL, or
    stays on the CPU with gloo. Without torchrun: one process, ``device`` unchanged.
    """
    device = torch.device(device)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistInfo(), device
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
        backend = "nccl"
    elif device.type == "cpu":
        backend = "gloo"
        _gloo_interface()
    else:
        raise ValueError(
            f"Data-parallel training runs on CUDA (NCCL) or the CPU (gloo), not on "
            f"{device.type}. Start one process on {device.type}, or pick "
            "--device cpu."
        )
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return DistInfo(rank, local_rank, world_size, backend), device


def _gloo_interface() -> None:
    """gloo finds its network interface through the machine's host name; where that name does not
    resolve (some containers), use the loopback interface, enough for processes on one machine."""
    if "GLOO_SOCKET_IFNAME" in os.environ:
        return
    try:
        socket.gethostbyname(socket.gethostname())
    except OSError:
        os.environ["GLOO_SOCKET_IFNAME"] = "lo0" if sys.platform == "darwin" else "lo"


def close_distributed() -> None:
    """Leave the process group (a no-op without one)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard_batch(
    xb: torch.Tensor, yb: torch.Tensor, rank: int, world_size: int, grad_accum: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """This process's ``grad_accum`` micro-batches of one global batch.

    The global batch of B rows is cut into ``world_size`` equal slices, one per process, and each
    slice into ``grad_accum`` micro-batches. Each micro-batch's mean loss, divided by
    ``grad_accum`` and averaged over the processes by the all-reduce, adds up to the mean loss of
    the whole global batch, so the gradient is the one a single process would get.
    """
    per_rank = xb.shape[0] // world_size
    mine = slice(rank * per_rank, (rank + 1) * per_rank)
    micro = per_rank // grad_accum
    return [
        (xb[mine][i * micro : (i + 1) * micro], yb[mine][i * micro : (i + 1) * micro])
        for i in range(grad_accum)
    ]


def mean_over_processes(value: torch.Tensor) -> torch.Tensor:
    """The mean of a tensor over all processes (the tensor itself in a single process)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return value
    value = value.detach().clone()
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value / dist.get_world_size()


def ring_all_reduce(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Sum ``arrays`` (one per simulated process) the way a ring all-reduce does.

    Each array is cut into N chunks. In N - 1 *reduce-scatter* steps every process passes one
    chunk to its right-hand neighbour, which adds it to its own copy; afterwards process ``i``
    holds the full sum of chunk ``(i + 1) % N``. In N - 1 *all-gather* steps those finished
    chunks travel once more around the ring. Every process sends ``2 (N - 1) / N`` times the size
    of the array, however many processes there are: that is why the ring scales.
    """
    n = len(arrays)
    chunks = [np.array_split(np.asarray(a, dtype=float).ravel().copy(), n) for a in arrays]
    for step in range(n - 1):  # reduce-scatter
        sent = [chunks[i][(i - step) % n].copy() for i in range(n)]
        for i in range(n):
            chunks[(i + 1) % n][(i - step) % n] += sent[i]
    for step in range(n - 1):  # all-gather
        sent = [chunks[i][(i + 1 - step) % n].copy() for i in range(n)]
        for i in range(n):
            chunks[(i + 1) % n][(i + 1 - step) % n] = sent[i]
    return [np.concatenate(c).reshape(np.shape(a)) for c, a in zip(chunks, arrays)]


# Which of the four kinds of training state each strategy splits across the GPUs.
STRATEGIES = {
    "data parallel (DDP)": (),
    "ZeRO-1 (optimiser state sharded)": ("optimizer",),
    "ZeRO-2 (+ gradients sharded)": ("optimizer", "gradients"),
    "ZeRO-3 / FSDP (+ weights sharded)": ("optimizer", "gradients", "weights"),
    "tensor + sequence parallel": ("optimizer", "gradients", "weights", "activations"),
}


def training_memory(
    n_params: int, n_gpus: int, strategy: str, *, activation_bytes: float = 0.0
) -> dict[str, float]:
    """Bytes per GPU of each kind of training state, with float32 weights and AdamW.

    Weights 4 bytes per parameter, gradients 4, AdamW's two moments 8; ``activation_bytes`` is
    what one replica keeps for the backward pass. A strategy from :data:`STRATEGIES` divides the
    kinds it shards by ``n_gpus``; the rest stays whole on every GPU.
    """
    sharded = STRATEGIES[strategy]
    full = {
        "weights": 4.0 * n_params,
        "gradients": 4.0 * n_params,
        "optimizer": 8.0 * n_params,
        "activations": float(activation_bytes),
    }
    per_gpu = {k: v / n_gpus if k in sharded else v for k, v in full.items()}
    per_gpu["total"] = sum(per_gpu.values())
    return per_gpu
