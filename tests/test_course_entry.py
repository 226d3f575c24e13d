"""The stdlib-only entry point course.py: argument handling and when it reinstalls."""

from pathlib import Path

import pytest
from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]
course = load_script("course.py")


def test_help_and_unknown_command(capsys):
    assert course.main(["--help"]) == 0
    assert "python3 course.py lab" in capsys.readouterr().out
    assert course.main(["launch-rockets"]) == 2
    assert course.main([]) == 2


@pytest.mark.parametrize(
    ("env", "args", "locked"),
    [
        ({}, [], False),
        ({"CI": "true"}, [], True),
        ({"CI": "0"}, [], False),
        ({"COURSE_LOCKED": "1"}, [], True),
        ({}, ["--locked", "-k", "x"], True),
    ],
)
def test_lock_choice(monkeypatch, env, args, locked):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("COURSE_LOCKED", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert course._wants_lock(args) is locked
    assert "--locked" not in args  # consumed, never passed on to pytest


def test_fingerprint_changes_with_lock_mode():
    assert course._fingerprint(True) != course._fingerprint(False)
    assert course._fingerprint(True) == course._fingerprint(True)


def test_ci_script_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "python3 course.py test" in ci
    first_block = readme.split("```")[1]
    assert "python3 course.py lab" in first_block and "python3 course.py test" in first_block
    assert "COURSE_DATA_DIR" in ci


def test_test_command_lints_then_checks_formatting_then_tests(monkeypatch, tmp_path):
    ran = []

    def record(cmd, env=None):
        ran.append(cmd[1:4])
        return 0

    monkeypatch.setattr(course, "_run", record)
    assert course.cmd_test(tmp_path / "python", ["-k", "x"]) == 0
    assert ran[:2] == [["-m", "ruff", "check"], ["-m", "ruff", "format"]]
    assert ran[2][:2] == ["-m", "pytest"]


def test_unformatted_code_stops_the_test_command(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(course, "_run", lambda cmd, env=None: 1 if "format" in cmd else 0)
    assert course.cmd_test(tmp_path / "python", []) == 1
    assert "ruff format" in capsys.readouterr().out


def test_pre_commit_uses_the_pinned_ruff():
    import re

    pinned = re.search(r"^ruff==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M).group(1)
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    rev = re.search(r"ruff-pre-commit\s*\n\s*rev:\s*v?(\S+)", config).group(1)
    assert rev == pinned, f"pre-commit runs ruff {rev}, the test command ruff {pinned}"
    assert "id: ruff-format" in config


def _git(*args):
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout


def test_git_treats_notebooks_and_generated_folders_sensibly():
    attrs = _git("check-attr", "eol", "diff", "merge", "--", "notebooks/00_welcome.ipynb")
    assert "eol: lf" in attrs and "diff: jupyternotebook" in attrs
    ignored = _git(
        "check-ignore",
        "student/00_welcome.ipynb",
        "_build/html/index.html",
        "site/index.html",
        "notebooks/00_welcome.ipynb",
    ).split()
    assert ignored == ["student/00_welcome.ipynb", "_build/html/index.html", "site/index.html"]
