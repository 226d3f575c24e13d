"""What each GPU speed feature buys: training-step time of the course GPT with one switched off.

    python benchmarks/gpu_features.py                 # the GPU model, 200 timed steps per variant
    python benchmarks/gpu_features.py --steps 50 --config cpu --device cpu   # a quick trial run

Every variant trains the same model (default: the GPU preset, 10.7 M parameters, batch 64 x 256
tokens) on random token ids for ``--warmup`` untimed steps (compilation happens there), then
times ``--steps`` steps with the device synchronised around them. It prints milliseconds per
step, tokens per second, the speed-up of the full set of features over each variant, and the
peak device memory. The variants:

- ``all on``: bfloat16 autocast, fused attention (``scaled_dot_product_attention``), TF32,
  ``torch.compile``, fused AdamW: what ``course_utils.gpt.train`` uses on a CUDA GPU
- ``no compile``, ``no bf16 autocast`` (float32 with TF32), ``plain float32`` (no autocast, no
  TF32), ``explicit attention`` (the softmax(QK^T) V of notebook 10), ``AdamW without fusing``

A measurement, not a test. Off CUDA the autocast and TF32 variants measure nothing new.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from course_utils import gpt
from course_utils.runtime import get_device, seed_everything


@dataclass(frozen=True)
class Variant:
    name: str
    compile: bool = True
    autocast: bool = True
    tf32: bool = True
    fused_attention: bool = True
    fused_adamw: bool = True


VARIANTS = [
    Variant("all on"),
    Variant("no compile", compile=False),
    Variant("no bf16 autocast", autocast=False),
    Variant("plain float32", autocast=False, tf32=False),
    Variant("explicit attention", fused_attention=False),
    Variant("AdamW without fusing", fused_adamw=False),
]


def set_tf32(on: bool) -> None:
    """Switch TF32 matrix products on or off (PyTorch 2.9+ and older spellings)."""
    if hasattr(torch._C, "_set_fp32_precision_setter"):
        torch.backends.cuda.matmul.fp32_precision = "tf32" if on else "ieee"
        torch.backends.cudnn.conv.fp32_precision = "tf32" if on else "ieee"
    else:
        torch.backends.cuda.matmul.allow_tf32 = on
        torch.backends.cudnn.allow_tf32 = on


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure(
    variant: Variant, preset: gpt.Preset, device: torch.device, *, warmup: int, steps: int
) -> dict[str, Any]:
    """Train ``warmup + steps`` steps of a fresh model and time the last ``steps``."""
    seed_everything(0)
    torch._dynamo.reset()  # every compiled variant pays its own compilation in the warm-up
    model = gpt.GPT(preset.model).to(device).set_fused_attention(variant.fused_attention)
    model.train()
    tcfg = preset.train
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": tcfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    fused = variant.fused_adamw and device.type in ("cuda", "cpu")
    optimizer = torch.optim.AdamW(
        groups, lr=tcfg.learning_rate, betas=(tcfg.beta1, tcfg.beta2), fused=fused
    )
    if device.type == "cuda":
        set_tf32(variant.tf32)
    step_model = torch.compile(model) if variant.compile and device.type != "mps" else model
    amp = gpt.autocast_context(device) if variant.autocast else contextlib.nullcontext()
    scaler = gpt.grad_scaler(device) if variant.autocast else gpt.grad_scaler("cpu")
    shape = (tcfg.batch_size, preset.model.block_size)
    gen = torch.Generator().manual_seed(1)
    batches = [
        (
            torch.randint(0, preset.model.vocab_size, shape, generator=gen).to(device),
            torch.randint(0, preset.model.vocab_size, shape, generator=gen).to(device),
        )
        for _ in range(8)
    ]  # a few distinct batches, reused in turn

    def step(i: int) -> torch.Tensor:
        xb, yb = batches[i % len(batches)]
        with amp:
            _, loss = step_model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(params, tcfg.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        return loss.detach()

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    for i in range(warmup):
        loss = step(i)
    sync(device)
    warm_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(steps):
        loss = step(warmup + i)
    sync(device)
    seconds = time.perf_counter() - t0
    if not torch.isfinite(loss):
        raise RuntimeError(f"variant {variant.name!r} produced a non-finite loss")
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    if device.type == "cuda":
        set_tf32(True)
    tokens = tcfg.batch_size * preset.model.block_size
    return {
        "variant": variant.name,
        "ms_per_step": 1000 * seconds / steps,
        "tokens_per_second": steps * tokens / seconds,
        "warmup_seconds": warm_seconds,
        "peak_memory_gib": peak,
        "final_loss": loss.item(),
        **variant.__dict__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=["gpu", "cpu", "fast"], default="gpu")
    parser.add_argument("--device", choices=["cuda", "mps", "cpu"], default=None)
    parser.add_argument("--warmup", type=int, default=30, help="untimed steps (default 30)")
    parser.add_argument("--steps", type=int, default=200, help="timed steps (default 200)")
    parser.add_argument("--only", nargs="*", default=None, help="names of variants to run")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    if args.warmup < 1 or args.steps < 1:
        parser.error("--warmup and --steps must be at least 1")
    device = torch.device(args.device) if args.device else get_device()
    preset = {"gpu": gpt.gpu_preset, "cpu": gpt.cpu_preset, "fast": gpt.fast_preset}[args.config]()
    variants = VARIANTS if not args.only else [v for v in VARIANTS if v.name in args.only]
    if not variants:
        parser.error(f"--only matched no variant; names: {[v.name for v in VARIANTS]}")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    print(f"device: {name}; torch {torch.__version__}; preset {preset.name}: {preset.description}")
    rows = []
    for variant in variants:
        row = measure(variant, preset, device, warmup=args.warmup, steps=args.steps)
        rows.append(row)
        print(f"  measured {variant.name}: {row['ms_per_step']:.1f} ms/step", flush=True)
    base = rows[0]["ms_per_step"] if rows[0]["variant"] == "all on" else None
    print(
        f"\n{'variant':<22} {'ms/step':>8} {'tokens/s':>11} {'all on is':>10} "
        f"{'peak GiB':>9} {'warm-up s':>10}"
    )
    for row in rows:
        speedup = f"{row['ms_per_step'] / base:.2f}x" if base else "-"
        peak = f"{row['peak_memory_gib']:.2f}" if row["peak_memory_gib"] is not None else "-"
        print(
            f"{row['variant']:<22} {row['ms_per_step']:>8.1f} {row['tokens_per_second']:>11,.0f} "
            f"{speedup:>10} {peak:>9} {row['warmup_seconds']:>10.1f}"
        )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "device": name,
                    "torch": torch.__version__,
                    "preset": preset.name,
                    "steps": args.steps,
                    "rows": rows,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
