"""Notebook 14: cutting a global batch, the ring all-reduce, training memory per strategy."""

from __future__ import annotations

import numpy as np
import torch

from tests.mirror_cases.compare import assert_same


def _shard_batch(ours, theirs):
    xb = torch.arange(48 * 3).reshape(48, 3)
    yb = -xb
    for world_size, grad_accum in [(1, 1), (1, 3), (2, 1), (2, 4), (3, 2), (4, 3)]:
        for rank in range(world_size):
            assert_same(
                ours(xb, yb, rank, world_size, grad_accum),
                theirs(xb, yb, rank, world_size, grad_accum),
            )


def _ring_all_reduce(ours, theirs):
    rng = np.random.default_rng(0)
    for n, shape in [(1, (5,)), (2, (7,)), (3, (2, 5)), (4, (9,)), (5, (3, 4))]:
        arrays = [rng.normal(size=shape) for _ in range(n)]
        assert_same(ours(arrays), theirs(arrays))
        assert_same(ours(arrays), [np.sum(arrays, axis=0)] * n)


def _training_memory(ours, theirs):
    from course_utils.gpt.distributed import STRATEGIES

    for strategy in STRATEGIES:
        for n_params, n_gpus, acts in [(10_750_000, 4, 1.9e9), (7e9, 8, 0.0), (1e9, 3, 5e8)]:
            assert_same(
                ours(n_params, n_gpus, strategy, activation_bytes=acts),
                theirs(n_params, n_gpus, strategy, activation_bytes=acts),
            )


CASES = {
    "course_utils.gpt.distributed.shard_batch": _shard_batch,
    "course_utils.gpt.distributed.ring_all_reduce": _ring_all_reduce,
    "course_utils.gpt.distributed.training_memory": _training_memory,
}
