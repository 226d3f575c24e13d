import pytest

from course_utils import envcheck


def test_installed_package_is_ok():
    status, version = envcheck.package_status("numpy", ">=1.0")
    assert status == "OK" and version


def test_missing_and_wrong_version():
    assert envcheck.package_status("surely-not-a-real-package-xyz") == ("missing", None)
    status, version = envcheck.package_status("numpy", ">=999")
    assert status == "wrong version" and version


def test_bad_requirement():
    with pytest.raises(ValueError):
        envcheck.package_status("numpy", ">=>1")
    with pytest.raises(ValueError):
        envcheck.package_status("")


def test_report_covers_every_required_package(capsys):
    rows = envcheck.report()
    assert set(envcheck.REQUIRED) | {"python"} == set(rows)
    assert all(status == "OK" for status, _ in rows.values()), rows
    assert "torch" in capsys.readouterr().out


def test_main_prints_device_and_datasets(capsys):
    assert envcheck.main() == 0
    out = capsys.readouterr().out
    assert "device:" in out and "tiny Shakespeare" in out


def test_bad_switch_value_is_reported_not_fatal(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_FAST", "maybe")
    assert envcheck.main() == 1
    out = capsys.readouterr().out
    assert "COURSE_FAST='maybe'" in out and "allowed: 1, true, yes, on, 0, false, no, off" in out
    assert "Problems: COURSE_FAST" in out
    assert "device:" in out and "tiny Shakespeare" in out  # the rest of the report still ran


def test_check_env_command_runs_with_a_bad_switch(monkeypatch, capfd):
    """`python3 course.py check-env` (past its set-up) in a fresh process with COURSE_FAST=maybe."""
    import sys
    from pathlib import Path

    from conftest import ROOT as root
    from conftest import load_script

    course = load_script("course.py")
    monkeypatch.setenv("COURSE_FAST", "maybe")
    monkeypatch.setenv("PYTHONPATH", str(root))
    assert course.cmd_check_env(Path(sys.executable), []) == 1
    out = capfd.readouterr().out
    assert "COURSE_FAST='maybe' is not understood" in out and "numpy" in out


def test_torch_build_says_cuda_or_cpu_only(monkeypatch):
    import sys
    import types

    from course_utils.envcheck import torch_build

    def fake(version, cuda, mps=False):
        backends = types.SimpleNamespace(mps=types.SimpleNamespace(is_built=lambda: mps))
        return types.SimpleNamespace(
            __version__=version,
            backends=backends,
            version=types.SimpleNamespace(cuda=cuda, hip=None),
        )

    monkeypatch.setitem(sys.modules, "torch", fake("2.14.1+cu130", "13.0"))
    assert torch_build().startswith("2.14.1+cu130, with CUDA 13.0") and "CPU-only" in torch_build()
    monkeypatch.setitem(sys.modules, "torch", fake("2.13.0+cpu", None))
    assert torch_build() == "2.13.0+cpu, CPU only"
    monkeypatch.setitem(sys.modules, "torch", fake("2.13.0", None, mps=True))
    assert "MPS" in torch_build()
