"""Environment report: Python, packages (OK / missing / wrong version), device, datasets.

Run ``python3 course.py check-env`` or ``python -m course_utils.envcheck``; notebook 00 calls
:func:`report`.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

__all__ = ["REQUIRED", "package_status", "report", "main"]

# What the notebooks import, with the lowest versions the course is tested against.
REQUIRED: dict[str, str] = {
    "numpy": ">=1.26",
    "scipy": ">=1.11",
    "pandas": ">=2.0",
    "scikit-learn": ">=1.3",
    "matplotlib": ">=3.8",
    "seaborn": ">=0.13.2",
    "torch": ">=2.2",
    "ipywidgets": ">=8.1",
    "tqdm": ">=4.66",
}
MIN_PYTHON = (3, 10)


def package_status(name: str, spec: str = "") -> tuple[str, str | None]:
    """Return ``(status, installed_version)`` with status ``OK``, ``missing`` or ``wrong version``."""
    if not isinstance(name, str) or not name:
        raise ValueError("name must be a package name such as 'numpy'.")
    try:
        requirement = Requirement(f"{name}{spec}")
    except InvalidRequirement as exc:
        raise ValueError(f"{name}{spec!s} is not a valid requirement: {exc}") from exc
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing", None
    local_free = Version(installed).public
    ok = requirement.specifier.contains(local_free, prereleases=True)
    return ("OK" if ok else "wrong version"), installed


def report(print_it: bool = True) -> dict[str, tuple[str, str | None]]:
    """Print (and return) the status of Python and every required package."""
    rows: dict[str, tuple[str, str | None]] = {}
    py_ok = sys.version_info[:2] >= MIN_PYTHON
    rows["python"] = ("OK" if py_ok else "wrong version", platform.python_version())
    for name, spec in REQUIRED.items():
        rows[name] = package_status(name, spec)
    if print_it:
        print(f"{'package':<14}{'status':<16}{'installed':<14}needs")
        for name, (status, version) in rows.items():
            needs = ">=" + ".".join(map(str, MIN_PYTHON)) if name == "python" else REQUIRED[name]
            print(f"{name:<14}{status:<16}{version or '-':<14}{needs}")
    return rows


def torch_build() -> str:
    """Which PyTorch build is installed: its version and what it can run on."""
    try:
        import torch
    except ImportError:
        return "not installed"
    if torch.version.cuda:
        return (
            f"{torch.__version__}, with CUDA {torch.version.cuda} libraries (several GB; "
            "without an NVIDIA GPU the CPU-only build is a few hundred MB: see the README)"
        )
    if getattr(torch.version, "hip", None):
        return f"{torch.__version__}, with ROCm {torch.version.hip}"
    if torch.backends.mps.is_built():
        return f"{torch.__version__}, CPU and Apple-silicon GPU (MPS)"
    return f"{torch.__version__}, CPU only"


def main() -> int:
    rows = report()
    print(f"\ntorch build: {torch_build()}")
    bad = [n for n, (s, _) in rows.items() if s != "OK"]
    from course_utils.runtime import switch_problems

    switches = switch_problems()
    for line in switches:
        print(f"\nswitch: {line}")
    bad += [line.split("=")[0] for line in switches]
    try:
        from course_utils.runtime import device_report

        device, why = device_report()
        print(f"\ndevice: {device} ({why})")
    except Exception as exc:  # noqa: BLE001 - the report must finish even when torch is broken
        print(f"\ndevice: unknown ({exc})")
    from course_utils.data import dataset_status

    for name, where in dataset_status().items():
        print(f"{name}: {where}")
    if bad:
        print(f"\nProblems: {', '.join(bad)}. Re-run `python3 course.py check-env` after fixing.")
        return 1
    print("\nEverything the course needs is installed.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
