"""benchmarks/gpu_goals.py, the one script for every GPU figure, runs end to end in smoke mode.

GPU time is scarce, so the script is checked on the CPU: the same runs, reports, summary and
nanoGPT timing (on a stand-in ``model.py``), with tiny sizes.
"""

from __future__ import annotations

import json

from conftest import load_script

from tests.test_step_time_vs_nanogpt import STAND_IN


def _script():
    return load_script("benchmarks/gpu_goals.py")


def test_smoke_run_writes_every_figure(tmp_path, capsys):
    (tmp_path / "nano").mkdir()
    (tmp_path / "nano" / "model.py").write_text(STAND_IN)
    out = tmp_path / "out"
    args = ["--smoke", "--seeds", "1", "--out-dir", str(out), "--nanogpt", str(tmp_path / "nano")]
    assert _script().main(args) == 0
    rows = json.loads((out / "summary.json").read_text())
    assert [r["preset"] for r in rows] == ["gpu-short", "gpu-modern"]
    for row in rows:
        report = json.loads((out / f"{row['preset']}_seed1.json").read_text())
        assert report["preset"] == row["preset"] and report["compiled"] is False
        assert row["best_val"] == [report["best_val_loss"]]
        assert row["met"] is False  # four steps on a CPU reach no goal
    summary = (out / "summary.md").read_text()
    assert summary.startswith("SMOKE RUN")
    assert "course / nanoGPT:" in summary and "| `gpu-modern` |" in summary
    assert "mean best val <= 1.45" in capsys.readouterr().out


def test_time_to_best_is_read_at_the_best_step():
    report = {
        "best_step": 2,
        "evals": [{"step": 0, "train_seconds": 0.0}, {"step": 2, "train_seconds": 1.5}],
    }
    assert _script().seconds_to_best(report) == 1.5
