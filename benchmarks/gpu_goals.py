"""Every GPU measurement of notebook 12's goals in one run: the two GPU recipes over three seeds
each, and the training step against nanoGPT's.

    python benchmarks/gpu_goals.py --out-dir gpu_goals                      # on one CUDA GPU
    python benchmarks/gpu_goals.py --out-dir gpu_goals --nanogpt /tmp/nanoGPT
    python benchmarks/gpu_goals.py --smoke --out-dir /tmp/gpu_goals_smoke   # the same, on a CPU

The goals (one H100 or H200; nanoGPT's model reaches a best validation loss of 1.466 to 1.475):

- ``gpu-short`` (nanoGPT's model, its schedule ending at step 2,000): a best validation loss of
  1.470 or less as the mean of three seeds, each best point within 20 s of training;
- ``gpu-modern`` (the same budget with RoPE, RMSNorm and SwiGLU): 1.45 or less, within 30 s.

Each run is ``benchmarks/train_gpt.py`` in its own process (a fresh GPU and a fresh compilation
each time); its JSON report lands in ``--out-dir``. With ``--nanogpt`` the compiled training step
of the GPU model is also timed side by side with nanoGPT's (``step_time_vs_nanogpt.py``). The
summary table is printed and written to ``summary.md`` there, with the GPU's name.

``--smoke`` runs the same code path on a CPU in seconds (tiny batches, a few steps, no
compilation) to check the script before GPU time is spent; its figures mean nothing.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# preset, best validation loss (mean of the seeds) at or below, best point within (s of training)
GOALS = {"gpu-short": (1.470, 20.0), "gpu-modern": (1.45, 30.0)}
SMOKE = ["--device", "cpu", "--no-compile", "--steps", "4", "--eval-interval", "2"]
SMOKE += ["--eval-iters", "1", "--final-eval-iters", "1", "--batch-size", "2", "--block-size", "16"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=Path("gpu_goals"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--presets", nargs="+", choices=list(GOALS), default=list(GOALS))
    parser.add_argument("--nanogpt", type=Path, default=None, help="a nanoGPT checkout")
    parser.add_argument("--smoke", action="store_true", help="a few CPU steps: check the script")
    return parser.parse_args(argv)


def _run(cmd: list[str], log: Path) -> str:
    """Run a command, keep its output in ``log``, stop with its tail if it fails."""
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


def train(preset: str, seed: int, out_dir: Path, smoke: bool) -> dict:
    """One ``train_gpt.py`` run; its JSON report."""
    out = out_dir / f"{preset}_seed{seed}.json"
    cmd = [sys.executable, str(HERE / "train_gpt.py"), "--config", preset, "--seed", str(seed)]
    cmd += ["--no-progress", "--out", str(out), *(SMOKE if smoke else [])]
    _run(cmd, out.with_suffix(".log"))
    return json.loads(out.read_text(encoding="utf-8"))


def seconds_to_best(report: dict) -> float:
    """Seconds of training (evaluations excluded) until the evaluation with the best loss."""
    return next(e["train_seconds"] for e in report["evals"] if e["step"] == report["best_step"])


def summarise(preset: str, reports: list[dict]) -> dict:
    """Mean best validation loss, the time to each best point, and whether the goal is met."""
    target, limit = GOALS[preset]
    best = [r["best_val_loss"] for r in reports]
    times = [seconds_to_best(r) for r in reports]
    return {
        "preset": preset,
        "seeds": [r["train_config"]["seed"] for r in reports],
        "best_val": best,
        "best_step": [r["best_step"] for r in reports],
        "seconds_to_best": times,
        "final_val": [r["final_val_loss"] for r in reports],
        "mean_best_val": statistics.fmean(best),
        "ms_per_step": statistics.fmean(r["steady_ms_per_step"] for r in reports),
        "goal": f"mean best val <= {target}, each within {limit:g} s",
        "met": statistics.fmean(best) <= target and max(times) <= limit,
    }


def table(rows: list[dict], machine: str) -> str:
    lines = [
        f"Machine: {machine}",
        "",
        "| preset | seeds | best val per seed (step) | mean best val | s of training to best "
        "| final val (kept weights) | ms/step | goal | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        per_seed = ", ".join(f"{v:.4f} ({s})" for v, s in zip(r["best_val"], r["best_step"]))
        lines.append(
            f"| `{r['preset']}` | {', '.join(map(str, r['seeds']))} | {per_seed} "
            f"| **{r['mean_best_val']:.4f}** | {', '.join(f'{t:.1f}' for t in r['seconds_to_best'])} "
            f"| {', '.join(f'{v:.4f}' for v in r['final_val'])} | {r['ms_per_step']:.1f} "
            f"| {r['goal']} | {'yes' if r['met'] else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows, machine = [], None
    for preset in args.presets:
        reports = []
        for seed in args.seeds:
            report = train(preset, seed, args.out_dir, args.smoke)
            print(
                f"{preset} seed {seed}: best val {report['best_val_loss']:.4f} at step "
                f"{report['best_step']}, {seconds_to_best(report):.1f} s of training",
                flush=True,
            )
            reports.append(report)
            machine = machine or (
                f"{report['gpu'] or report['device']}, PyTorch {report['torch']}, "
                f"Python {report['python']}"
            )
        rows.append(summarise(preset, reports))
    text = table(rows, machine)
    if args.nanogpt is not None:
        bench = str(HERE / "step_time_vs_nanogpt.py")
        cmd = [sys.executable, bench, "--nanogpt", str(args.nanogpt)]
        if args.smoke:  # the small CPU sizes: the GPU model takes seconds per step on a CPU
            cmd += ["--config", "cpu", "--device", "cpu", "--steps", "2", "--warmup", "1"]
        else:
            cmd += ["--config", "gpu", "--device", "cuda", "--compile"]
        timing = _run(cmd, args.out_dir / "step_time_vs_nanogpt.log")
        text += "\n\nThe training step against nanoGPT's (`step_time_vs_nanogpt.py`):\n\n"
        text += "\n".join("    " + line for line in timing.strip().splitlines())
    if args.smoke:
        text = "SMOKE RUN on a CPU: these figures check the script and mean nothing.\n\n" + text
    print("\n" + text)
    (args.out_dir / "summary.md").write_text(text + "\n", encoding="utf-8")
    (args.out_dir / "summary.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
