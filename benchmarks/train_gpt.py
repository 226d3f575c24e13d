"""Train the course GPT on tiny Shakespeare and report speed and quality.

    python benchmarks/train_gpt.py --config cpu               # nanoGPT's CPU recipe, 2000 steps
    python benchmarks/train_gpt.py --config cpu-modern        # the CPU recipe (compiled)
    python benchmarks/train_gpt.py --config gpu               # the 10.7M-parameter GPU model
    python benchmarks/train_gpt.py --config gpu-short         # the same, schedule ending at 2000
    python benchmarks/train_gpt.py --config gpu-modern        # RoPE, RMSNorm, SwiGLU, 2000 steps
    python benchmarks/train_gpt.py --config cpu --position rope --mlp swiglu --norm rmsnorm
    python benchmarks/train_gpt.py --config fast --out fast.json
    torchrun --standalone --nproc_per_node=4 benchmarks/train_gpt.py --config gpu   # 4 GPUs, DDP
    torchrun --standalone --nproc_per_node=2 benchmarks/train_gpt.py --config fast --device cpu

Under torchrun every process runs this script: DistributedDataParallel over NCCL (CUDA, one GPU
per process) or gloo (CPU). The global batch of each step is the same on any number of processes
(``--grad-accum K`` splits it further into K micro-batches per process), so the runs agree. Only
rank 0 evaluates, prints, and writes ``--out`` and ``--save``.

The model switches of notebook 12 (``--position``, ``--norm``, ``--mlp``, ``--n-kv-head``,
``--ffn-hidden``, ``--tie``/``--no-tie``, ``--block-size``, ``--dropout``) and the schedule
(``--steps``, ``--lr``, ``--min-lr``, ``--warmup``, ``--weight-decay``, ``--optimizer``) change any preset, so
every recipe is one command. ``torch.compile`` follows the preset (on for ``cpu-modern`` and the
GPU presets) unless ``--compile``/``--no-compile`` say otherwise; on a CPU without a C++ compiler
the run says so and trains uncompiled.

Prints the device, the configuration, training speed (milliseconds per step and tokens per
second, evaluations excluded), the validation loss against wall time, the best evaluation (whose
weights the model keeps; see ``TrainConfig.keep_best``), when the reference loss was first
reached, and a final validation loss of the kept weights measured on more batches. ``--out``
also writes all of it as JSON. This is a measurement, not a test: nothing here fails when a
machine is slow.

References (nanoGPT, character-level Shakespeare): the CPU recipe reaches a validation loss of
about 1.88 after 2000 steps. The GPU model overfits after about 2000 of its 5000 steps; nanoGPT
keeps the checkpoint with the best validation loss, about 1.47.
"""

from __future__ import annotations

import argparse
import builtins
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from course_utils import gpt
from course_utils.gpt.distributed import close_distributed, init_distributed
from course_utils.runtime import get_device, seed_everything

PRESETS = {
    "cpu": gpt.cpu_preset,
    "cpu-modern": gpt.cpu_modern_preset,
    "gpu": gpt.gpu_preset,
    "gpu-short": gpt.gpu_short_preset,
    "gpu-modern": gpt.gpu_modern_preset,
    "fast": gpt.fast_preset,
}
# nanoGPT's figures for the same configurations; the course's goals for the others
REFERENCE_LOSS = {
    "cpu": 1.88,
    "cpu-modern": 1.50,
    "gpu": 1.47,
    "gpu-short": 1.47,
    "gpu-modern": 1.45,
}


def cpp_compiler() -> str | None:
    """The C++ compiler ``torch.compile`` would use on the CPU (``$CXX`` first), or None."""
    for name in (os.environ.get("CXX"), "g++", "clang++", "c++", "cl"):
        if name and shutil.which(name):
            return name
    return None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        choices=["auto", *PRESETS],
        default="auto",
        help="model and training sizes (auto: gpu on CUDA/MPS, else cpu)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="training steps (default: the preset's; the schedule follows)",
    )
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="torch.compile the model (default: the preset's choice: on for the gpu presets and "
        "cpu-modern; on a CPU it needs a C++ compiler)",
    )
    parser.add_argument(
        "--device",
        choices=["cuda", "mps", "cpu"],
        default=None,
        help="device (default: CUDA, then MPS, then CPU)",
    )
    parser.add_argument(
        "--eval-interval",
        type=int,
        default=None,
        help="evaluate every N steps (default: the preset's)",
    )
    parser.add_argument(
        "--eval-iters",
        type=int,
        default=None,
        help="batches per evaluation during training (default: the preset's)",
    )
    parser.add_argument(
        "--final-eval-iters",
        type=int,
        default=200,
        help="batches for the final validation loss (default 200)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for PyTorch (default: PyTorch's choice)",
    )
    parser.add_argument("--seed", type=int, default=1337)
    model = parser.add_argument_group("model switches (default: the preset's)")
    model.add_argument("--position", choices=["learned", "rope"], default=None)
    model.add_argument("--norm", choices=["layernorm", "rmsnorm"], default=None)
    model.add_argument("--mlp", choices=["gelu", "swiglu"], default=None)
    model.add_argument(
        "--n-kv-head", type=int, default=None, help="key/value heads (grouped-query attention)"
    )
    model.add_argument("--ffn-hidden", type=int, default=None, help="feed-forward width")
    model.add_argument("--block-size", type=int, default=None, help="context length")
    model.add_argument("--dropout", type=float, default=None, help="dropout probability")
    model.add_argument(
        "--tie",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="tie the output head to the token embedding",
    )
    sched = parser.add_argument_group("schedule (default: the preset's)")
    sched.add_argument("--lr", type=float, default=None, help="peak learning rate")
    sched.add_argument("--min-lr", type=float, default=None, help="learning rate at the end")
    sched.add_argument("--warmup", type=int, default=None, help="warm-up steps")
    sched.add_argument(
        "--weight-decay", type=float, default=None, help="weight decay of the matrices"
    )
    sched.add_argument(
        "--optimizer",
        choices=gpt.OPTIMIZERS,
        default=None,
        help="adamw, or muon for the matrices in the blocks (notebook 12)",
    )
    parser.add_argument(
        "--grad-accum", type=int, default=1, help="micro-batches per process and step (default 1)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="global batch per step (default: the preset's)"
    )
    parser.add_argument(
        "--init", type=Path, default=None, help="start from the weights of this checkpoint"
    )
    parser.add_argument(
        "--save",
        type=Path,
        default=None,
        help="save the trained model (kept weights) as a checkpoint here",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.device:
        os.environ["COURSE_DEVICE"] = args.device
    info, device = init_distributed(get_device())
    try:
        return _run(args, info, device)
    finally:
        close_distributed()


def _run(args: argparse.Namespace, info, device: torch.device) -> int:  # noqa: C901 - a report
    print = builtins.print if info.is_main else (lambda *a, **k: None)  # noqa: A001 - rank 0 speaks
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    name = args.config
    if name == "auto":
        name = "gpu" if device.type in ("cuda", "mps") else "cpu"
    preset = PRESETS[name]()
    tcfg = preset.train
    changes: dict[str, object] = {"seed": args.seed, "grad_accum": args.grad_accum}
    if args.batch_size is not None:
        changes["batch_size"] = args.batch_size
    if args.steps is not None:
        changes["max_steps"] = args.steps
        changes["warmup_steps"] = min(tcfg.warmup_steps, args.steps)
    if args.compile is not None:
        changes["compile"] = args.compile
    if args.eval_interval is not None:
        changes["eval_interval"] = args.eval_interval
    if args.eval_iters is not None:
        changes["eval_iters"] = args.eval_iters
    for arg, key in (
        ("lr", "learning_rate"),
        ("min_lr", "min_lr"),
        ("warmup", "warmup_steps"),
        ("weight_decay", "weight_decay"),
        ("optimizer", "optimizer"),
    ):
        if getattr(args, arg) is not None:
            changes[key] = getattr(args, arg)
    tcfg = replace(tcfg, **changes)
    switches = {
        "position": args.position,
        "norm": args.norm,
        "mlp": args.mlp,
        "n_kv_head": args.n_kv_head,
        "ffn_hidden": args.ffn_hidden,
        "tie_weights": args.tie,
        "block_size": args.block_size,
        "dropout": args.dropout,
    }
    mcfg = replace(preset.model, **{k: v for k, v in switches.items() if v is not None})
    use_compile = tcfg.compile and device.type != "mps"
    compiler_note = None
    if use_compile and device.type == "cpu" and cpp_compiler() is None:
        use_compile = False  # said below, and the run goes on about 1.4x slower per step
        compiler_note = (
            "torch.compile on the CPU needs a C++ compiler (g++, clang++ or cl) and none was "
            "found on PATH: training without compilation. Install one (Linux: g++; macOS: "
            "xcode-select --install) for about 1.4x faster steps."
        )

    gpu_name = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    print(f"device      : {device.type}" + (f" ({gpu_name})" if gpu_name else ""))
    print(
        f"torch       : {torch.__version__}, python {platform.python_version()}, "
        f"{torch.get_num_threads()} CPU threads"
    )
    print(
        f"processes   : {info.world_size}"
        + (f" ({info.backend})" if info.distributed else "")
        + f", {tcfg.grad_accum} micro-batch(es) each, global batch {tcfg.batch_size}"
    )
    print(f"preset      : {name} - {preset.description}")
    print(f"model       : {mcfg}")
    print(f"training    : {tcfg}")
    feats = gpt.speed_features(device, compile=use_compile, optimizer=tcfg.optimizer)
    print("features    : " + ", ".join(f"{k}: {v}" for k, v in feats.items() if k != "device"))
    if compiler_note:
        print(f"note        : {compiler_note}")

    seed_everything(args.seed)
    t_data = time.perf_counter()
    corpus = gpt.load_char_corpus(mcfg.block_size)
    t_data = time.perf_counter() - t_data
    mcfg = replace(mcfg, vocab_size=corpus.tokenizer.vocab_size)
    model = gpt.GPT(mcfg)
    if args.init is not None:
        start = gpt.load_checkpoint(args.init)
        if start.config != mcfg:
            raise SystemExit(
                f"{args.init} holds a model of another configuration: "
                f"{start.config} (this run: {mcfg})."
            )
        model.load_state_dict(start.model.state_dict())
        print(f"initial weights from {args.init}")
    model = model.to(device)
    n_params = gpt.count_parameters(model)
    print(f"parameters  : {n_params:,} ({n_params / 1e6:.2f} M)")
    print(
        f"data        : {len(corpus.train_tokens):,} train / {len(corpus.val_tokens):,} val "
        f"tokens (loaded and encoded in {t_data:.1f} s)"
    )
    print(f"tokens/step : {tcfg.batch_size * mcfg.block_size:,}")
    print(flush=True)

    result = gpt.train(
        model,
        corpus.train_dataset,
        corpus.val_dataset,
        tcfg,
        device=device,
        show_progress=not args.no_progress,
        compile=use_compile,
    )

    if not info.is_main:
        return 0
    final_val = gpt.estimate_loss(
        model,
        {"val": corpus.val_dataset},
        batch_size=tcfg.batch_size,
        eval_iters=args.final_eval_iters,
        device=device,
        seed=args.seed + 1,
    )["val"]
    if args.save is not None:
        gpt.save_checkpoint(args.save, model, tokenizer=corpus.tokenizer, train_config=tcfg)
        print(f"saved {args.save}")

    print("\nvalidation loss against wall time")
    print(f"{'step':>6} {'wall s':>8} {'train':>7} {'val':>7}")
    for rec in result.evals:
        print(f"{rec['step']:>6} {rec['elapsed']:>8.1f} {rec['train']:>7.4f} {rec['val']:>7.4f}")
    print()
    print(
        f"ms/step     : {result.ms_per_step:.1f} (training only, evaluations excluded); "
        f"{result.steady_ms_per_step():.1f} after the first {result.evals[1]['step']} steps"
        if len(result.evals) > 2
        else f"ms/step     : {result.ms_per_step:.1f} (training only, evaluations excluded)"
    )
    print(f"tokens/s    : {result.tokens_per_second:,.0f}")
    print(
        f"train time  : {result.train_seconds:.1f} s for {result.steps} steps; total with "
        f"evaluations {result.total_seconds:.1f} s"
    )
    if result.best_step is not None:
        best = next(e for e in result.evals if e["step"] == result.best_step)
        print(
            f"best eval   : val {result.best_val_loss:.4f} at step {result.best_step}, after "
            f"{best['train_seconds']:.1f} s of training"
            + (" (these weights were kept)" if result.restored_best else "")
        )
    reference = REFERENCE_LOSS.get(name)
    reached = result.first_reaching(reference) if reference is not None else None
    if reference is not None:
        print(
            f"reference   : val <= {reference} "
            + (
                f"first reached at step {reached['step']}, after {reached['train_seconds']:.1f} s of "
                f"training ({reached['elapsed']:.1f} s with evaluations)"
                if reached
                else "not reached"
            )
        )
    print(
        f"final val loss ({args.final_eval_iters} batches of {tcfg.batch_size}, kept weights): "
        f"{final_val:.4f}"
    )

    if args.out is not None:
        report = {
            "device": device.type,
            "gpu": gpu_name,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "processes": info.world_size,
            "backend": info.backend,
            "grad_accum": tcfg.grad_accum,
            "global_batch": tcfg.batch_size,
            "threads": torch.get_num_threads(),
            "preset": name,
            "model_config": mcfg.to_dict(),
            "train_config": tcfg.to_dict(),
            "compiled": use_compile,
            "parameters": n_params,
            "steps": result.steps,
            "ms_per_step": result.ms_per_step,
            "steady_ms_per_step": result.steady_ms_per_step(),
            "tokens_per_second": result.tokens_per_second,
            "train_seconds": result.train_seconds,
            "total_seconds": result.total_seconds,
            "evals": result.evals,
            "best_step": result.best_step,
            "best_val_loss": result.best_val_loss,
            "restored_best": result.restored_best,
            "reference_loss": reference,
            "reference_reached": reached,
            "final_val_loss": final_val,
            "final_val_batches": args.final_eval_iters,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
