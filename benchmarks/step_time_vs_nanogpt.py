"""Time a training step of the course GPT and of nanoGPT's model side by side, in one run.

    git clone https://github.com/karpathy/nanoGPT /tmp/nanoGPT     # nanoGPT is not shipped
    python benchmarks/step_time_vs_nanogpt.py --nanogpt /tmp/nanoGPT
    python benchmarks/step_time_vs_nanogpt.py --nanogpt /tmp/nanoGPT --config cpu-modern --steps 300
    python benchmarks/step_time_vs_nanogpt.py --nanogpt /tmp/nanoGPT --config cpu-modern --no-compile

nanoGPT's ``model.py`` is imported from the checkout given and built with the preset's sizes
(layers, heads, width, context, no dropout, no biases); nanoGPT always ties its output head.
Both models train on the same tiny-Shakespeare batches: each step runs nanoGPT's step (its own
``configure_optimizers``, forward with targets, backward, clip at 1.0, AdamW step) and the
course's ``train_step`` with ``gpt.configure_optimizer``, in alternating order, so a machine
whose speed drifts slows both alike. Prints the median milliseconds per step of each, and their
ratio. Both models are wrapped in ``torch.compile`` when the preset compiles (``cpu-modern``,
``gpu``; ``--compile``/``--no-compile`` decide otherwise), as nanoGPT's ``train.py`` does with
``--compile=True``; the untimed warm-up steps include the compilation. A measurement, not a
test.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from course_utils import gpt
from course_utils.data import load_tiny_shakespeare
from course_utils.gpt.train import train_step
from course_utils.tokenizers import CharTokenizer

PRESETS = {"cpu": gpt.cpu_preset, "cpu-modern": gpt.cpu_modern_preset, "gpu": gpt.gpu_preset}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nanogpt", type=Path, required=True, help="a nanoGPT checkout")
    parser.add_argument("--config", choices=list(PRESETS), default="cpu")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for PyTorch")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="torch.compile both models (default: the preset's choice; a CPU needs a C++ compiler)",
    )
    return parser.parse_args(argv)


def load_nanogpt(checkout: Path):
    """nanoGPT's ``model`` module, imported from a checkout (its file is read, not copied)."""
    path = checkout / "model.py"
    if not path.is_file():
        sys.exit(f"{path} not found: pass --nanogpt the folder of a nanoGPT checkout")
    spec = importlib.util.spec_from_file_location("nanogpt_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    nano = load_nanogpt(args.nanogpt)
    text = load_tiny_shakespeare()
    tok = CharTokenizer.from_text(text)
    preset = PRESETS[args.config](tok.vocab_size)
    # nanoGPT trains with AdamW: time the model's step with the same optimizer on both sides
    cfg, tcfg = preset.model, replace(preset.train, optimizer="adamw")
    data = torch.tensor(tok.encode(text), dtype=torch.long)
    train_tokens, _ = gpt.split_tokens(data, train_fraction=0.9)
    windows = gpt.TokenWindowDataset(train_tokens, cfg.block_size)

    torch.manual_seed(tcfg.seed)
    ours = gpt.GPT(cfg).to(device)
    our_opt = gpt.configure_optimizer(ours, tcfg, device)
    our_scaler = gpt.grad_scaler(device)
    theirs = nano.GPT(
        nano.GPTConfig(
            block_size=cfg.block_size,
            vocab_size=cfg.vocab_size,
            n_layer=cfg.n_layer,
            n_head=cfg.n_head,
            n_embd=cfg.n_embd,
            dropout=cfg.dropout,
            bias=cfg.bias,
        )
    ).to(device)
    their_opt = theirs.configure_optimizers(
        tcfg.weight_decay, tcfg.learning_rate, (tcfg.beta1, tcfg.beta2), device.type
    )
    their_scaler = torch.amp.GradScaler(device.type, enabled=False)
    # The optimisers hold the parameters themselves, so only the forward passes are swapped.
    compiled = tcfg.compile if args.compile is None else args.compile
    our_model = torch.compile(ours) if compiled else ours
    their_model = torch.compile(theirs) if compiled else theirs

    def our_step(xb, yb):
        train_step(
            our_model,
            our_opt,
            our_scaler,
            xb,
            yb,
            lr=tcfg.learning_rate,
            grad_clip=1.0,
            device=device,
        )

    def their_step(xb, yb):  # nanoGPT's train.py, one micro-step per iteration
        with gpt.autocast_context(device):
            _, loss = their_model(xb.to(device), yb.to(device))
        their_scaler.scale(loss).backward()
        their_scaler.unscale_(their_opt)
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
        their_scaler.step(their_opt)
        their_scaler.update()
        their_opt.zero_grad(set_to_none=True)

    steps = {"course": our_step, "nanoGPT": their_step}
    times: dict[str, list[float]] = {name: [] for name in steps}
    batches = gpt.random_batches(windows, tcfg.batch_size, args.warmup + args.steps, seed=0)
    for i, (xb, yb) in enumerate(batches):
        order = list(steps) if i % 2 == 0 else list(reversed(steps))
        for name in order:
            _sync(device)
            tick = time.perf_counter()
            steps[name](xb, yb)
            _sync(device)
            if i >= args.warmup:
                times[name].append(time.perf_counter() - tick)

    print(
        f"{args.config}: {preset.description}; {torch.get_num_threads()} CPU threads, "
        f"device {device}, PyTorch {torch.__version__}, "
        f"torch.compile {'on' if compiled else 'off'}"
    )
    print(
        f"parameters: course {gpt.count_parameters(ours):,}, "
        f"nanoGPT {sum(p.numel() for p in theirs.parameters()):,} (tied head)"
    )
    median = {name: 1e3 * statistics.median(t) for name, t in times.items()}
    for name, ms in median.items():
        print(f"{name:8}: median {ms:7.2f} ms per step over {len(times[name])} steps")
    print(f"course / nanoGPT: {median['course'] / median['nanoGPT']:.2f}x")


if __name__ == "__main__":
    main()
