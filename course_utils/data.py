"""Dataset loaders: look locally first, download once, verify, cache.

Where a loader looks, in order:

1. an explicit ``path=`` argument (or the dataset's own environment variable);
2. the folder named by ``COURSE_DATA_DIR``, laid out as ``tinyshakespeare/input.txt`` and
   ``scikit_learn_data/`` (classrooms and CI point this at a shared copy);
3. the course cache, ``COURSE_CACHE_DIR`` or ``~/.cache/gradient-to-gpt``;
4. the internet: the file is downloaded once into the cache, its sha256 checked, then kept.

A file whose checksum is wrong is never used silently (and a pickle is never unpickled before
its checksum is checked): a bad cache file is reported and replaced, a bad shared copy is ignored,
a bad file you named yourself is an error. Temporary files of a killed download are removed by the
next download. Without a network and without a copy you
get :class:`DatasetUnavailableError` explaining what to do.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import time
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
# scikit-learn's cache file (a joblib pickle) as shipped to classrooms. A file scikit-learn builds
# on another machine can differ byte for byte (joblib and zlib versions), so what the course
# downloads itself is kept as a plain .npy of the same table, whose bytes are the same everywhere.
CALIFORNIA_HOUSING_SHA256 = "740b911884b5405599c461cf5c9a620aad36c63a0d32494567de2ebee803a42f"
CALIFORNIA_HOUSING_NPY = "cal_housing_py3.npy"
CALIFORNIA_HOUSING_NPY_SHA256 = "e430206bf07c96f2051d5fc175e7484136c880fe6ce70182ca712bd976e1026d"
CALIFORNIA_FEATURES = (
    "MedInc",
    "HouseAge",
    "AveRooms",
    "AveBedrms",
    "Population",
    "AveOccup",
    "Latitude",
    "Longitude",
)
# A download's temporary file untouched for this long belongs to a process that was killed.
STALE_PART_SECONDS = 15 * 60

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


def _not_writable(folder: Path) -> str:
    return (
        f"The folder {folder} is not writable, so the dataset cannot be downloaded into it. Set "
        f"{CACHE_DIR_ENV} to a folder you can write to (for example a folder in your home "
        f"directory), or set {DATA_DIR_ENV} to a folder that already holds the datasets."
    )


def _remove_stale_parts(folder: Path, pattern: str) -> None:
    """Delete temporary download files and folders left behind by a killed download.

    Only those untouched for :data:`STALE_PART_SECONDS`: a running download writes every few
    seconds, so another process's transfer in progress is left alone.
    """
    if not folder.is_dir():
        return
    now = time.time()
    for part in folder.glob(pattern):
        try:
            if now - part.stat().st_mtime < STALE_PART_SECONDS:
                continue
            if part.is_dir():
                shutil.rmtree(part, ignore_errors=True)
            else:
                part.unlink(missing_ok=True)
        except OSError:  # removed meanwhile by another process, or not ours to remove
            pass


def _read_verified(path: Path, sha256: str) -> bytes | None:
    """The file's bytes if their sha256 is ``sha256``, else None (read once: no swap in between)."""
    payload = path.read_bytes()
    return payload if hashlib.sha256(payload).hexdigest() == sha256 else None


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


def download_file(
    url: str, dest: str | os.PathLike[str], sha256: str, *, timeout: float = 30.0
) -> Path:
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
    _remove_stale_parts(dest.parent, f"{dest.name}.*.part")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    except PermissionError as exc:
        raise DatasetUnavailableError(_not_writable(dest.parent)) from exc
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        received = 0
        try:
            with (
                urllib.request.urlopen(url, timeout=timeout) as response,
                os.fdopen(fd, "wb") as out,
            ):
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


def load_tiny_shakespeare(
    path: str | os.PathLike[str] | None = None, *, url: str | None = None
) -> str:
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
        cached.unlink(missing_ok=True)  # another process may have removed it already

    source = url or os.environ.get(SHAKESPEARE_URL_ENV) or TINY_SHAKESPEARE_URL
    download_file(source, cached, TINY_SHAKESPEARE_SHA256)
    return _read_text(cached)


def _california_bunch(raw: Any) -> Any:
    """Build scikit-learn's Bunch from the raw (20640, 9) table, as ``fetch_california_housing``."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets._base import load_descr
    from sklearn.utils import Bunch

    raw = np.array(raw, dtype=np.float64)  # a copy: the columns are changed in place below
    target, data = raw[:, 0] / 100000.0, raw[:, 1:]
    data[:, 2] /= data[:, 5]  # average rooms = total rooms / households
    data[:, 3] /= data[:, 5]  # average bedrooms = total bedrooms / households
    data[:, 5] = data[:, 4] / data[:, 5]  # average occupancy = population / households
    features = pd.DataFrame(data, columns=list(CALIFORNIA_FEATURES))
    target_s = pd.Series(target, name="MedHouseVal")
    frame = pd.concat([features, target_s], axis=1)
    return Bunch(
        data=features,
        target=target_s,
        frame=frame,
        target_names=["MedHouseVal"],
        feature_names=list(CALIFORNIA_FEATURES),
        DESCR=load_descr("california_housing.rst"),
    )


def _load_verified_california(folder: Path, *, replace_bad: bool) -> Any | None:
    """The raw table from ``folder`` if a copy there has a published checksum, else None.

    A copy with another checksum is never unpickled (a pickle can run code): it is reported, and
    deleted when ``replace_bad`` (the caller downloads a fresh one).
    """
    import numpy as np

    for name, sha256 in (
        (CALIFORNIA_HOUSING_FILE, CALIFORNIA_HOUSING_SHA256),
        (CALIFORNIA_HOUSING_NPY, CALIFORNIA_HOUSING_NPY_SHA256),
    ):
        path = folder / name
        if not path.is_file():
            continue
        payload = _read_verified(path, sha256)
        if payload is not None:
            if name == CALIFORNIA_HOUSING_NPY:
                return np.load(io.BytesIO(payload), allow_pickle=False)
            import joblib

            return joblib.load(io.BytesIO(payload))  # safe: these are the published bytes
        action = "deleted and downloaded again" if replace_bad else "ignored"
        warnings.warn(
            f"{path} is damaged or not the published California Housing file (its sha256 "
            f"differs); it is not loaded, it is {action}.",
            stacklevel=3,
        )
        if replace_bad:
            path.unlink(missing_ok=True)  # another process may have removed it already
    return None


def _download_california(home: Path) -> Any:
    """Let scikit-learn download the data into a private folder, verify it, keep it as .npy."""
    import joblib
    import numpy as np
    from sklearn import datasets

    _remove_stale_parts(home, ".cal_housing-*.part")
    try:
        home.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".cal_housing-", suffix=".part", dir=home))
    except PermissionError as exc:
        raise DatasetUnavailableError(_not_writable(home)) from exc
    try:
        try:
            datasets.fetch_california_housing(data_home=str(work), download_if_missing=True)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise DatasetUnavailableError(
                "Could not download California Housing (scikit-learn fetches it from the "
                f"internet once): {getattr(exc, 'reason', exc)}. Connect once, or copy "
                f"{CALIFORNIA_HOUSING_FILE} into {home}, or set {DATA_DIR_ENV} to a folder with "
                "scikit_learn_data/ in it."
            ) from exc
        # Built a moment ago by scikit-learn in our own folder from its checksum-verified archive.
        raw = np.ascontiguousarray(joblib.load(work / CALIFORNIA_HOUSING_FILE), dtype="<f8")
        staged = work / CALIFORNIA_HOUSING_NPY
        np.save(staged, raw, allow_pickle=False)
        if sha256_of(staged) != CALIFORNIA_HOUSING_NPY_SHA256:
            raise ChecksumError(
                "The downloaded California Housing data differs from the published values; it "
                "was not kept. Try again; if this repeats, the upstream file has changed."
            )
        os.replace(staged, home / CALIFORNIA_HOUSING_NPY)
        return raw
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_california_housing(*, data_home: str | os.PathLike[str] | None = None) -> Any:
    """Return scikit-learn's California Housing data set as a Bunch with a pandas ``frame``.

    20,640 districts, 8 features (MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup,
    Latitude, Longitude) and the target MedHouseVal in units of $100,000. Looks in ``data_home``
    when given, else under ``COURSE_DATA_DIR/scikit_learn_data``, then ``SCIKIT_LEARN_DATA``, then
    the course cache, downloading once if needed.

    Every copy is checked against its published sha256 before it is read, so a damaged or planted
    pickle never runs. A bad copy in a shared folder is ignored; elsewhere it is reported, deleted
    and downloaded again. A download is kept as ``cal_housing_py3.npy`` (plain NumPy, no pickle).
    """
    shared = _shared_data_dir() if data_home is None else None
    env_home = os.environ.get("SCIKIT_LEARN_DATA", "").strip()
    if data_home is not None:
        download_home = Path(data_home).expanduser()
    else:
        download_home = (
            Path(env_home).expanduser() if env_home else cache_dir() / "scikit_learn_data"
        )
    homes = [(shared / "scikit_learn_data", False)] if shared is not None else []
    homes.append((download_home, True))
    if data_home is None and env_home:
        homes.append((cache_dir() / "scikit_learn_data", True))
    for folder, replace_bad in homes:
        raw = _load_verified_california(folder, replace_bad=replace_bad)
        if raw is not None:
            return _california_bunch(raw)
    return _california_bunch(_download_california(download_home))


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
        (
            f"present and verified at {p}"
            for p in text_locations
            if _verified(p, TINY_SHAKESPEARE_SHA256)
        ),
        f"not here yet: it will be downloaded once (1.1 MB) into {text_locations[-1].parent}",
    )

    homes = []
    if shared is not None:
        homes.append(shared / "scikit_learn_data")
    if os.environ.get("SCIKIT_LEARN_DATA"):
        homes.append(Path(os.environ["SCIKIT_LEARN_DATA"]))
    homes.append(cache_dir() / "scikit_learn_data")
    copies = [(h / CALIFORNIA_HOUSING_FILE, CALIFORNIA_HOUSING_SHA256) for h in homes]
    copies += [(h / CALIFORNIA_HOUSING_NPY, CALIFORNIA_HOUSING_NPY_SHA256) for h in homes]
    status["California Housing"] = next(
        (f"present and verified at {p}" for p, sha in copies if _verified(p, sha)),
        f"not here yet: it will be downloaded once (about 0.4 MB) into "
        f"{homes[-2] if os.environ.get('SCIKIT_LEARN_DATA') else homes[-1]}",
    )
    return status
