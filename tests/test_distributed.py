"""Data-parallel training: the pieces, and torchrun on 2 CPU processes equal to one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils import gpt
from course_utils.gpt.distributed import (
    STRATEGIES,
    ring_all_reduce,
    shard_batch,
    training_memory,
)

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "train_gpt.py"


@pytest.mark.parametrize("world_size,grad_accum", [(1, 1), (1, 4), (2, 1), (2, 2), (4, 2)])
def test_shards_cover_the_global_batch_once_in_order(world_size, grad_accum):
    xb = torch.arange(16 * 3).reshape(16, 3)
    yb = xb + 1000
    pieces = [shard_batch(xb, yb, r, world_size, grad_accum) for r in range(world_size)]
    assert all(len(p) == grad_accum for p in pieces)
    xs = torch.cat([mx for p in pieces for mx, _ in p])
    ys = torch.cat([my for p in pieces for _, my in p])
    assert torch.equal(xs, xb) and torch.equal(ys, yb)
    assert {mx.shape[0] for p in pieces for mx, _ in p} == {16 // (world_size * grad_accum)}


def test_mean_of_micro_batch_losses_gives_the_full_batch_gradient():
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 3)
    x, y = torch.randn(12, 5), torch.randint(0, 3, (12,))
    loss_fn = torch.nn.functional.cross_entropy
    full = torch.autograd.grad(loss_fn(model(x), y), list(model.parameters()))
    model.zero_grad()
    for mx, my in shard_batch(x, y, 0, 1, 3):
        (loss_fn(model(mx), my) / 3).backward()
    for g, p in zip(full, model.parameters()):
        torch.testing.assert_close(p.grad, g)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_ring_all_reduce_equals_the_sum(n):
    rng = np.random.default_rng(n)
    arrays = [rng.normal(size=(4, 7)) for _ in range(n)]
    out = ring_all_reduce(arrays)
    assert len(out) == n
    for a in out:
        np.testing.assert_allclose(a, np.sum(arrays, axis=0), rtol=1e-12, atol=1e-12)
    assert np.all(arrays[0] == np.random.default_rng(n).normal(size=(4, 7))), "inputs untouched"


def test_training_memory_shards_what_each_strategy_says():
    n = 10_000_000
    ddp = training_memory(n, 4, "data parallel (DDP)", activation_bytes=1e9)
    assert ddp["weights"] == 4 * n and ddp["optimizer"] == 8 * n and ddp["activations"] == 1e9
    zero3 = training_memory(n, 4, "ZeRO-3 / FSDP (+ weights sharded)", activation_bytes=1e9)
    assert zero3["weights"] == n and zero3["gradients"] == n and zero3["optimizer"] == 2 * n
    assert zero3["activations"] == 1e9
    tp = training_memory(n, 4, "tensor + sequence parallel", activation_bytes=1e9)
    assert tp["activations"] == 2.5e8
    totals = [training_memory(n, 4, s, activation_bytes=1e9)["total"] for s in STRATEGIES]
    assert totals == sorted(totals, reverse=True)


def test_batch_must_split_evenly():
    with pytest.raises(ValueError, match="multiple of grad_accum"):
        gpt.TrainConfig(batch_size=10, grad_accum=3)


def _train(tmp_path: Path, tag: str, init: Path, *, procs: int = 1, accum: int = 1) -> dict:
    out, ckpt = tmp_path / f"{tag}.json", tmp_path / f"{tag}.pt"
    args = [
        str(SCRIPT),
        "--config",
        "fast",
        "--device",
        "cpu",
        "--steps",
        "4",
        "--threads",
        "1",
        "--eval-interval",
        "100",
        "--eval-iters",
        "2",
        "--final-eval-iters",
        "3",
        "--no-progress",
        "--grad-accum",
        str(accum),
        "--init",
        str(init),
        "--out",
        str(out),
        "--save",
        str(ckpt),
    ]
    launcher = [sys.executable]
    if procs > 1:
        launcher += ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        launcher + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    report["state"] = gpt.load_checkpoint(ckpt).model.state_dict()
    return report


def test_two_processes_and_accumulation_equal_one_process(tmp_path):
    """torchrun with 2 gloo processes, and 1 process with 2 micro-batches, train the same model.

    All three start from one checkpoint saved by a single process; the checkpoint the
    two-process run saves loads in this single process.
    """
    config = gpt.fast_preset(vocab_size=65).model
    torch.manual_seed(0)
    init = gpt.save_checkpoint(tmp_path / "init.pt", gpt.GPT(config))
    one = _train(tmp_path, "one", init)
    two = _train(tmp_path, "two", init, procs=2)
    accum = _train(tmp_path, "accum", init, accum=2)
    assert (one["processes"], two["processes"], accum["processes"]) == (1, 2, 1)
    assert (one["grad_accum"], two["grad_accum"], accum["grad_accum"]) == (1, 1, 2)
    assert one["global_batch"] == two["global_batch"] == accum["global_batch"] == 16
    start = gpt.load_checkpoint(init).model.state_dict()
    moved = max((one["state"][k] - start[k]).abs().max().item() for k in start)
    assert moved > 1e-3, "training changed the weights"
    for other in (two, accum):
        worst = max((other["state"][k] - one["state"][k]).abs().max().item() for k in start)
        assert worst < 1e-5, f"parameters differ by {worst:.2e}"
        assert other["final_val_loss"] == pytest.approx(one["final_val_loss"], abs=1e-5)
