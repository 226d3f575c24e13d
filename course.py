#!/usr/bin/env python3
"""One entry point for learners, teachers and CI. Needs only Python 3.10+ (standard library).

    python3 course.py lab      # set up (first run only) and open the course in JupyterLab
    python3 course.py test     # set up (first run only) and run every test (lint, unit, notebooks)

Other commands:
    python3 course.py check-env            # report each package: OK / missing / wrong version
    python3 course.py execute [NB ...]     # re-run notebooks in full mode and save their outputs
    python3 course.py execute --metadata-only [NB ...]  # only fix notebook metadata, run nothing
    python3 course.py lock                 # rewrite constraints.txt from the current environment
    python3 course.py student [--out DIR]  # teachers: nbgrader student edition (docs/TEACHING.md)
    python3 course.py site [--out DIR]     # the course as a static website, in build/site/html

Set-up creates a virtual environment in `.venv` (or the folder named by COURSE_VENV), installs
requirements.txt and this repository's `course_utils` package into it, and remembers what it
installed so later runs start at once. With `--locked`, or when CI or COURSE_LOCKED=1 is set, the
exact versions in constraints.txt are used. `student`, `site` and `test` also install the
teaching tools of requirements-teach.txt (nbgrader, Sphinx with MyST-NB).

On Linux without an NVIDIA GPU, the default PyTorch build carries CUDA libraries (about 6 GB of
environment in all). For the CPU-only build (a few hundred MB), create `.venv` yourself first:

    python3 -m venv .venv
    .venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
    python3 course.py lab      # keeps that torch and installs the rest
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REQUIREMENTS = ROOT / "requirements.txt"
CONSTRAINTS = ROOT / "constraints.txt"
TEACH_REQUIREMENTS = ROOT / "requirements-teach.txt"


def _venv_dir() -> Path:
    return Path(os.environ.get("COURSE_VENV", ROOT / ".venv")).resolve()


def _venv_python(vdir: Path) -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return vdir / sub


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() not in {"", "0", "false", "no", "off"}


def _wants_lock(args: list[str]) -> bool:
    if "--locked" in args:
        args.remove("--locked")
        return True
    return _truthy(os.environ.get("CI")) or _truthy(os.environ.get("COURSE_LOCKED"))


def _fingerprint(locked: bool) -> str:
    digest = hashlib.sha256()
    for path in (REQUIREMENTS, CONSTRAINTS, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    digest.update(f"locked={locked};py={sys.version_info[:2]}".encode())
    return digest.hexdigest()


def ensure_environment(locked: bool) -> Path:
    """Create the virtual environment and install the course into it, if not done already."""
    if sys.version_info < (3, 10):  # noqa: UP036 - a clear message for learners on old Pythons
        sys.exit(f"The course needs Python 3.10 or newer; this is {sys.version.split()[0]}.")
    vdir = _venv_dir()
    python = _venv_python(vdir)
    stamp = vdir / ".course-installed"
    wanted = _fingerprint(locked)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    if not python.exists():
        print(f"[course] creating a virtual environment in {vdir}", flush=True)
        _cpu_torch_tip(vdir)
        venv.EnvBuilder(with_pip=True, clear=False).create(vdir)
    print("[course] installing the course's packages (first run only; a few minutes)", flush=True)
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    cmd += ["-r", str(REQUIREMENTS), "-e", str(ROOT)]
    if locked:
        cmd += ["-c", str(CONSTRAINTS)]
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(
            "[course] installing packages failed (see pip's message above). Check your network "
            "connection, or delete the .venv folder and try again."
        )
    stamp.write_text(wanted)
    return python


def _cpu_torch_tip(vdir: Path) -> None:
    """On Linux without an NVIDIA GPU, say how to get the much smaller CPU-only PyTorch."""
    if not sys.platform.startswith("linux") or Path("/proc/driver/nvidia").exists():
        return
    pip = _venv_python(vdir).parent / "pip"
    print(
        "[course] No NVIDIA GPU here: the default PyTorch build brings CUDA libraries (about "
        "6 GB of environment in all). For the CPU-only build (a few hundred MB) stop now "
        f"(Ctrl+C) and run:\n    {pip} install torch --index-url "
        "https://download.pytorch.org/whl/cpu\nthen this command again.",
        flush=True,
    )


def ensure_teach_tools(python: Path, locked: bool) -> None:
    """Install requirements-teach.txt (nbgrader, Sphinx, MyST-NB) once into the environment."""
    stamp = python.parent.parent / ".course-teach-installed"
    digest = hashlib.sha256(TEACH_REQUIREMENTS.read_bytes() + CONSTRAINTS.read_bytes())
    wanted = f"{digest.hexdigest()};locked={locked}"
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return
    print("[course] installing the teaching tools (nbgrader, Sphinx; first run only)", flush=True)
    cmd = [
        str(python),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-q",
        "-r",
        str(TEACH_REQUIREMENTS),
    ]
    if locked:
        cmd += ["-c", str(CONSTRAINTS)]
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        sys.exit("[course] installing the teaching tools failed (see pip's message above).")
    stamp.write_text(wanted)


def _run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    print("[course] $", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


def cmd_test(python: Path, extra: list[str]) -> int:
    env = dict(os.environ)
    env.setdefault("COURSE_FAST", "1")  # notebooks shrink epochs and model sizes, skip no topic
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning:jupyter_client")
    rc = _run([str(python), "-m", "ruff", "check", "."], env)
    if rc != 0:
        print("[course] ruff found problems: fix them (or run `ruff check --fix`).")
        return rc
    rc = _run([str(python), "-m", "ruff", "format", "--check", "."], env)
    if rc != 0:
        print("[course] some files are not formatted: run `python -m ruff format .`.")
        return rc
    workers = ["-n", "2", "--dist", "loadscope"] if (os.cpu_count() or 1) >= 2 else []
    pytest = [
        str(python),
        "-m",
        "pytest",
        *workers,
        "--nbval-lax",
        "--nbval-current-env",
        "--nbval-cell-timeout",
        "900",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        "-o",
        "console_output_style=classic",
        *extra,
    ]
    return _run(pytest, env)


def cmd_lab(python: Path, extra: list[str]) -> int:
    cmd = [str(python), "-m", "jupyter", "lab", "--notebook-dir", str(ROOT / "notebooks")]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root; JupyterLab refuses otherwise
    return _run(cmd + extra)


def cmd_check_env(python: Path, extra: list[str]) -> int:
    return _run([str(python), "-m", "course_utils.envcheck", *extra])


def cmd_execute(python: Path, extra: list[str]) -> int:
    return _run([str(python), str(ROOT / "tools" / "execute_notebooks.py"), *extra])


def cmd_lock(python: Path, extra: list[str]) -> int:
    frozen = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    # Drop local build labels (+cpu, +cu124) so the pins resolve on every platform.
    pins = [line.split("+")[0] if "==" in line else line for line in frozen]
    header = [
        "# Exact versions CI installs (pip install -c constraints.txt -r requirements.txt).",
        "# A library release cannot change the course under CI. Refresh: python3 course.py lock",
    ]
    CONSTRAINTS.write_text("\n".join(header + pins) + "\n")
    print(f"[course] wrote {len(pins)} pins to {CONSTRAINTS.name}")
    return 0


def cmd_student(python: Path, extra: list[str]) -> int:
    return _run([str(python), str(ROOT / "tools" / "student_edition.py"), *extra])


def cmd_site(python: Path, extra: list[str]) -> int:
    return _run([str(python), str(ROOT / "tools" / "build_site.py"), *extra])


COMMANDS = {
    "test": cmd_test,
    "lab": cmd_lab,
    "check-env": cmd_check_env,
    "execute": cmd_execute,
    "lock": cmd_lock,
    "student": cmd_student,
    "site": cmd_site,
}
NEEDS_TEACH_TOOLS = {"test", "student", "site"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"} or argv[0] not in COMMANDS:
        print(__doc__)
        return 0 if argv and argv[0] in {"-h", "--help", "help"} else 2
    command, extra = argv[0], list(argv[1:])
    locked = _wants_lock(extra)
    python = ensure_environment(locked)
    if command in NEEDS_TEACH_TOOLS:
        ensure_teach_tools(python, locked)
    return COMMANDS[command](python, extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
