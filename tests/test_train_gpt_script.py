"""benchmarks/train_gpt.py: a CPU without a C++ compiler, and the flags that change a preset.

``torch.compile`` on the CPU generates C++ and needs a compiler; a learner without one running a
compiled preset (``cpu-modern``) gets a clear note instead of a compiler traceback mid-training.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import load_script


@pytest.fixture(scope="module")
def script():
    return load_script("benchmarks/train_gpt.py")


def test_compiler_lookup_prefers_cxx_and_reports_none(script, monkeypatch):
    found = {"clang++": "/usr/bin/clang++", "my-c++": "/opt/bin/my-c++"}
    monkeypatch.setattr(shutil, "which", found.get)
    monkeypatch.delenv("CXX", raising=False)
    assert script.cpp_compiler() == "clang++"
    monkeypatch.setenv("CXX", "my-c++")
    assert script.cpp_compiler() == "my-c++"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert script.cpp_compiler() is None


def test_compiled_preset_without_compiler_trains_uncompiled(script, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(script, "cpp_compiler", lambda: None)
    out = tmp_path / "run.json"
    args = ["--config", "fast", "--device", "cpu", "--compile", "--steps", "4", "--dropout", "0.05"]
    args += ["--weight-decay", "0.3"]
    args += ["--eval-interval", "4", "--eval-iters", "1", "--final-eval-iters", "1"]
    assert script.main([*args, "--no-progress", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "needs a C++ compiler" in printed and "torch.compile: off" in printed
    report = json.loads(out.read_text())
    assert report["compiled"] is False and report["steps"] == 4
    assert report["model_config"]["dropout"] == 0.05  # the flags reached model and optimiser
    assert report["train_config"]["weight_decay"] == 0.3
