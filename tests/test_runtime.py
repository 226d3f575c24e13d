import random

import numpy as np
import pytest
import torch

from course_utils import runtime


def test_pick_follows_fast_switch(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert runtime.pick(full=1000, fast=10) == 10
    monkeypatch.setenv("COURSE_FAST", "0")
    assert runtime.pick(full=1000, fast=10) == 1000
    monkeypatch.delenv("COURSE_FAST")
    assert runtime.pick(full=(6, 384), fast=(2, 32)) == (6, 384)


def test_pick_rejects_bad_input(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    with pytest.raises(ValueError, match="None"):
        runtime.pick(full=None, fast=1)
    with pytest.raises(TypeError, match="same kind"):
        runtime.pick(full="big", fast=3)
    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="COURSE_FAST"):
        runtime.is_fast()


def test_pick_allows_int_and_float_mix(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert runtime.pick(full=0.1, fast=1) == 1


def test_seed_everything_makes_all_generators_repeat():
    runtime.seed_everything(123)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    runtime.seed_everything(123)
    second = (random.random(), np.random.rand(), torch.rand(1).item())
    assert first == second
    runtime.seed_everything(124)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) != first


@pytest.mark.parametrize("bad", [1.5, "42", None, True])
def test_seed_everything_rejects_non_integers(bad):
    with pytest.raises(TypeError):
        runtime.seed_everything(bad)


def test_seed_everything_rejects_out_of_range():
    with pytest.raises(ValueError):
        runtime.seed_everything(-1)
    with pytest.raises(ValueError):
        runtime.seed_everything(2**32)


def test_get_device_picks_cpu_without_gpu(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: False)
    assert runtime.get_device() == torch.device("cpu")
    name, reason = runtime.device_report()
    assert name == "cpu" and "no CUDA or MPS" in reason


def test_get_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "Test GPU")
    assert runtime.device_report() == ("cuda", "an NVIDIA GPU was found (Test GPU)")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(runtime, "_mps_available", lambda: True)
    assert runtime.device_report()[0] == "mps"


def test_device_override(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "CPU")
    assert runtime.get_device() == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="not a device"):
        runtime.get_device()
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA"):
        runtime.get_device()


def test_progress_wraps_and_can_be_hidden(monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    bar = runtime.progress(range(3))
    assert bar.disable and list(bar) == [0, 1, 2]
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    bar = runtime.progress(range(2), disable=False)
    assert list(bar) == [0, 1]


def test_progress_text_mode_writes_a_finished_bar_to_stdout(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROGRESS", "text")
    assert list(runtime.progress(range(4), desc="steps")) == [0, 1, 2, 3]
    out = capsys.readouterr().out
    assert "steps" in out and "4/4" in out
    monkeypatch.setenv("COURSE_PROGRESS", "loud")
    with pytest.raises(ValueError, match="COURSE_PROGRESS"):
        runtime.progress(range(2))


def test_bad_fast_switch_stops_a_notebook_import_clearly(monkeypatch):
    import course_utils

    monkeypatch.setenv("COURSE_FAST", "maybe")
    with pytest.raises(ValueError, match="COURSE_FAST='maybe'"):
        course_utils.FAST  # noqa: B018 - what `from course_utils import FAST` reads
    with pytest.raises(ValueError, match="COURSE_FAST='maybe'"):
        runtime.FAST  # noqa: B018
    with pytest.raises(ValueError, match="COURSE_FAST"):
        runtime.pick(full=1, fast=2)
    assert runtime.switch_problems() == [
        "COURSE_FAST='maybe' is not understood; allowed: 1, true, yes, on, 0, false, no, off "
        "(or unset)"
    ]
    monkeypatch.setenv("COURSE_FAST", "Yes")
    assert course_utils.FAST is True and runtime.switch_problems() == []


def test_package_imports_with_a_bad_switch():
    import os
    import subprocess
    import sys

    env = dict(os.environ, COURSE_FAST="maybe", COURSE_PROGRESS="loud")
    code = "import course_utils.envcheck, course_utils.runtime as r; print(r.switch_problems())"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "COURSE_FAST='maybe'" in result.stdout and "COURSE_PROGRESS='loud'" in result.stdout
