"""Dataset loaders: look locally first, download once, verify, cache.

Where a loader looks, in order:

1. an explicit ``path=`` argument (or the dataset's own environment variable);
2. the folder named by ``COURSE_DATA_DIR``, laid out as ``tinyshakespeare/input.txt`` and
   ``scikit_learn_data/`` (classrooms and CI point this at a shared copy);
3. the course cache, ``COURSE_CACHE_DIR`` or ``~/.cache/gradient-to-gpt``;
4. the internet: the file is downloaded once into the cache, its sha256 checked, then kept.

A file whose checksum is wrong is never used silently: a bad cache file is reported and
replaced, a bad file you named yourself is an error. Without a network and without a copy you
get :class:`DatasetUnavailableError` explaining what to do.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import Any

__all__ = [
    "DatasetUnavailableError",
    "ChecksumError",
    "TINY_SHAKESPEARE_URL",
    "TINY_SHAKESPEARE_SHA256",
    "CALIFORNIA_HOUSING_SHA256",
    "cache_dir",
    "sha256_of",
    "download_file",
    "load_tiny_shakespeare",
    "load_california_housing",
    "dataset_status",
]

TINY_SHAKESPEARE_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)
TINY_SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
TINY_SHAKESPEARE_CHARS = 1_115_394
CALIFORNIA_HOUSING_FILE = "cal_housing_py3.pkz"
# scikit-learn's cache file as shipped to classrooms; a file scikit-learn builds itself on another
# machine can differ byte for byte, so for the cache we check its contents instead.
CALIFORNIA_HOUSING_SHA256 = "740b911884b5405599c461cf5c9a620aad36c63a0d32494567de2ebee803a42f"

DATA_DIR_ENV = "COURSE_DATA_DIR"
CACHE_DIR_ENV = "COURSE_CACHE_DIR"
SHAKESPEARE_PATH_ENV = "COURSE_SHAKESPEARE_PATH"
SHAKESPEARE_URL_ENV = "COURSE_SHAKESPEARE_URL"


class DatasetUnavailableError(RuntimeError):
    """The dataset is not on this machine and could not be downloaded."""


class ChecksumError(ValueError):
    """A file's sha256 does not match the published one."""


def cache_dir() -> Path:
    """The folder downloads are kept in: ``COURSE_CACHE_DIR`` or ``~/.cache/gradient-to-gpt``."""
    override = os.environ.get(CACHE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "gradient-to-gpt"


def _shared_data_dir() -> Path | None:
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise DatasetUnavailableError(
            f"{DATA_DIR_ENV} is set to {value!r}, which is not a folder. Point it at a folder "
            "that holds tinyshakespeare/input.txt and scikit_learn_data/, or unset it."
        )
    return path


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file, read in chunks (works for large files)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No file at {path}.")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(url: str, dest: str | os.PathLike[str], sha256: str, *,
                  timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest``, verify its sha256, and only then move it into place.

    The download goes to a temporary file next to ``dest``, so an interrupted or corrupted
    transfer never leaves a half-written file where a loader would find it.

    Raises :class:`DatasetUnavailableError` when the server cannot be reached, and
    :class:`ChecksumError` when the bytes received are not the expected file (for example a
    truncated transfer or a proxy's error page).
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "file://")):
        raise ValueError(f"url must be an http(s) or file URL, got {url!r}.")
    if not isinstance(sha256, str) or len(sha256) != 64:
        raise ValueError("sha256 must be a 64-character hex string.")
    if timeout <= 0:
        raise ValueError("timeout must be positive.")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        received = 0
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, os.fdopen(fd, "wb") as out:
                expected_len = response.headers.get("Content-Length")
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise DatasetUnavailableError(
                f"Could not download {url}: {getattr(exc, 'reason', exc)}. You may be offline. "
                f"Connect to the internet once (the file is then cached in {dest.parent}), or "
                f"copy the file there yourself, or set {DATA_DIR_ENV} to a folder that has it."
            ) from exc
        if expected_len is not None and expected_len.isdigit() and received != int(expected_len):
            raise ChecksumError(
                f"The download of {url} was cut short: {received} of {expected_len} bytes "
                "arrived. Try again."
            )
        actual = digest.hexdigest()
        if actual != sha256:
            raise ChecksumError(
                f"The file downloaded from {url} is not the expected one (sha256 {actual[:12]}... "
                f"instead of {sha256[:12]}..., {received} bytes). It was not kept. Try again; if "
                "this repeats, a proxy or a changed upstream file may be the cause."
            )
        os.replace(tmp, dest)
        return dest
    finally:
        if tmp.exists():
            tmp.unlink()


def _verified(path: Path, sha256: str) -> bool:
    return path.is_file() and sha256_of(path) == sha256


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_tiny_shakespeare(path: str | os.PathLike[str] | None = None, *,
                          url: str | None = None) -> str:
    """Return the tiny Shakespeare corpus (1,115,394 characters) as one string.

    ``path`` (or ``COURSE_SHAKESPEARE_PATH``) names a copy to use; it must have the published
    checksum. Otherwise the copy under ``COURSE_DATA_DIR`` is used when present, then the cache,
    then a download from ``url`` (default: the public char-rnn copy; ``COURSE_SHAKESPEARE_URL``
    overrides it).
    """
    explicit = path if path is not None else os.environ.get(SHAKESPEARE_PATH_ENV) or None
    if explicit is not None:
        p = Path(explicit).expanduser()
        if not p.is_file():
            raise FileNotFoundError(f"No tiny Shakespeare file at {p}.")
        if not _verified(p, TINY_SHAKESPEARE_SHA256):
            raise ChecksumError(
                f"{p} is not the published tiny Shakespeare file (its sha256 differs). Use the "
                "original file, or remove the path to let the course download it."
            )
        return _read_text(p)

    shared = _shared_data_dir()
    if shared is not None:
        candidate = shared / "tinyshakespeare" / "input.txt"
        if candidate.is_file():
            if _verified(candidate, TINY_SHAKESPEARE_SHA256):
                return _read_text(candidate)
            warnings.warn(f"{candidate} has the wrong checksum and is ignored.", stacklevel=2)

    cached = cache_dir() / "tinyshakespeare" / "input.txt"
    if cached.is_file():
        if _verified(cached, TINY_SHAKESPEARE_SHA256):
            return _read_text(cached)
        warnings.warn(
            f"The cached copy {cached} is corrupted or truncated (checksum mismatch); it is "
            "deleted and downloaded again.",
            stacklevel=2,
        )
        cached.unlink()

    source = url or os.environ.get(SHAKESPEARE_URL_ENV) or TINY_SHAKESPEARE_URL
    download_file(source, cached, TINY_SHAKESPEARE_SHA256)
    return _read_text(cached)


def _check_california_frame(bunch: Any) -> Any:
    frame = bunch.frame
    if frame.shape != (20640, 9):
        raise ChecksumError(
            f"The California Housing data has shape {frame.shape}, expected (20640, 9): the "
            "cached file looks damaged. Delete it and load again."
        )
    return bunch


def load_california_housing(*, data_home: str | os.PathLike[str] | None = None) -> Any:
    """Return scikit-learn's California Housing data set as a Bunch with a pandas ``frame``.

    20,640 districts, 8 features (MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup,
    Latitude, Longitude) and the target MedHouseVal in units of $100,000. Uses the copy under
    ``COURSE_DATA_DIR/scikit_learn_data`` when present, else ``data_home`` / ``SCIKIT_LEARN_DATA``
    / the course cache, downloading once if needed.
    """
    from sklearn.datasets import fetch_california_housing

    shared = _shared_data_dir()
    if data_home is None and shared is not None:
        folder = shared / "scikit_learn_data"
        pkz = folder / CALIFORNIA_HOUSING_FILE
        if pkz.is_file():
            if _verified(pkz, CALIFORNIA_HOUSING_SHA256):
                return _check_california_frame(
                    fetch_california_housing(data_home=str(folder), as_frame=True,
                                             download_if_missing=False)
                )
            warnings.warn(f"{pkz} has the wrong checksum and is ignored.", stacklevel=2)

    if data_home is None:
        env_home = os.environ.get("SCIKIT_LEARN_DATA", "").strip()
        data_home = env_home or cache_dir() / "scikit_learn_data"
    home = Path(data_home).expanduser()
    try:
        bunch = fetch_california_housing(data_home=str(home), as_frame=True,
                                         download_if_missing=True)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise DatasetUnavailableError(
            "Could not download California Housing (scikit-learn fetches it from the internet "
            f"once): {getattr(exc, 'reason', exc)}. Connect once, or copy "
            f"{CALIFORNIA_HOUSING_FILE} into {home}, or set {DATA_DIR_ENV} to a folder with "
            "scikit_learn_data/ in it."
        ) from exc
    except (EOFError, ValueError, OSError) as exc:  # a damaged cache file
        bad = home / CALIFORNIA_HOUSING_FILE
        raise DatasetUnavailableError(
            f"The California Housing cache at {bad} could not be read ({exc}). Delete it and "
            "load again to re-download it."
        ) from exc
    return _check_california_frame(bunch)


def dataset_status() -> dict[str, str]:
    """Say, for each dataset, where it will be loaded from (without downloading anything)."""
    status: dict[str, str] = {}
    shared = _shared_data_dir()

    text_locations = []
    if os.environ.get(SHAKESPEARE_PATH_ENV):
        text_locations.append(Path(os.environ[SHAKESPEARE_PATH_ENV]))
    if shared is not None:
        text_locations.append(shared / "tinyshakespeare" / "input.txt")
    text_locations.append(cache_dir() / "tinyshakespeare" / "input.txt")
    status["tiny Shakespeare"] = next(
        (f"present and verified at {p}" for p in text_locations
         if _verified(p, TINY_SHAKESPEARE_SHA256)),
        f"not here yet: it will be downloaded once (1.1 MB) into {text_locations[-1].parent}",
    )

    homes = []
    if shared is not None:
        homes.append(shared / "scikit_learn_data")
    if os.environ.get("SCIKIT_LEARN_DATA"):
        homes.append(Path(os.environ["SCIKIT_LEARN_DATA"]))
    homes.append(cache_dir() / "scikit_learn_data")
    status["California Housing"] = next(
        (f"present at {h / CALIFORNIA_HOUSING_FILE}" for h in homes
         if (h / CALIFORNIA_HOUSING_FILE).is_file()),
        f"not here yet: scikit-learn will download it once (about 0.4 MB) into {homes[-1]}",
    )
    return status

