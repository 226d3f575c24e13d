"""The stdlib-only entry point course.py: argument handling and when it reinstalls."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("course_entry", ROOT / "course.py")
course = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course)


def test_help_and_unknown_command(capsys):
    assert course.main(["--help"]) == 0
    assert "python3 course.py lab" in capsys.readouterr().out
    assert course.main(["launch-rockets"]) == 2
    assert course.main([]) == 2


@pytest.mark.parametrize(("env", "args", "locked"), [
    ({}, [], False),
    ({"CI": "true"}, [], True),
    ({"CI": "0"}, [], False),
    ({"COURSE_LOCKED": "1"}, [], True),
    ({}, ["--locked", "-k", "x"], True),
])
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
