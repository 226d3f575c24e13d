"""Loaders: local copies, cache, and the download path against a server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import urllib.error
from pathlib import Path

import pytest

from course_utils import data

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
CORPUS = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 50
CORPUS_SHA = hashlib.sha256(CORPUS.encode()).hexdigest()


@pytest.fixture
def server(local_server):
    """Serves /good, /bad (wrong bytes) and /truncated (fewer bytes than announced)."""
    httpd, base = local_server
    body = CORPUS.encode()
    httpd.routes.update(
        {
            "/good": (body, len(body)),
            "/bad": (b"<html>proxy error</html>", 24),
            "/truncated": (body[:100], len(body)),
        }
    )
    return httpd, base


@pytest.fixture
def small_corpus(monkeypatch):
    """Make the loader expect the small test corpus instead of the real 1 MB file."""
    monkeypatch.setattr(data, "TINY_SHAKESPEARE_SHA256", CORPUS_SHA)


def test_download_valid_file(server, tmp_path):
    httpd, base = server
    dest = data.download_file(f"{base}/good", tmp_path / "x" / "input.txt", CORPUS_SHA)
    assert dest.read_text() == CORPUS
    assert data.sha256_of(dest) == CORPUS_SHA


def test_download_wrong_checksum_keeps_nothing(server, tmp_path):
    _, base = server
    dest = tmp_path / "input.txt"
    with pytest.raises(data.ChecksumError, match="not the expected one"):
        data.download_file(f"{base}/bad", dest, CORPUS_SHA)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []  # no .part file left behind


def test_download_truncated_is_detected(server, tmp_path):
    _, base = server
    dest = tmp_path / "input.txt"
    with pytest.raises((data.ChecksumError, data.DatasetUnavailableError)):
        data.download_file(f"{base}/truncated", dest, CORPUS_SHA)
    assert not dest.exists()


def test_download_server_down_gives_clear_offline_message(tmp_path):
    with socket.socket() as s:  # find a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(data.DatasetUnavailableError, match="offline"):
        data.download_file(f"http://127.0.0.1:{port}/x", tmp_path / "f", CORPUS_SHA, timeout=2)


def test_download_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        data.download_file("ftp://example/x", tmp_path / "f", CORPUS_SHA)
    with pytest.raises(ValueError):
        data.download_file("http://127.0.0.1/x", tmp_path / "f", "abc")
    with pytest.raises(ValueError):
        data.download_file("http://127.0.0.1/x", tmp_path / "f", CORPUS_SHA, timeout=0)


def test_shakespeare_downloads_once_then_uses_cache(server, isolated_data_env, small_corpus):
    httpd, base = server
    assert data.load_tiny_shakespeare(url=f"{base}/good") == CORPUS
    assert data.load_tiny_shakespeare(url=f"{base}/good") == CORPUS
    assert httpd.hits == 1
    assert (isolated_data_env / "tinyshakespeare" / "input.txt").is_file()


def test_shakespeare_url_from_environment(server, isolated_data_env, small_corpus, monkeypatch):
    _, base = server
    monkeypatch.setenv("COURSE_SHAKESPEARE_URL", f"{base}/good")
    assert data.load_tiny_shakespeare() == CORPUS


def test_corrupted_cache_is_reported_and_replaced(server, isolated_data_env, small_corpus):
    httpd, base = server
    cached = isolated_data_env / "tinyshakespeare" / "input.txt"
    cached.parent.mkdir(parents=True)
    cached.write_text(CORPUS[:-10])  # truncated earlier download
    with pytest.warns(UserWarning, match="corrupted or truncated"):
        text = data.load_tiny_shakespeare(url=f"{base}/good")
    assert text == CORPUS and httpd.hits == 1
    assert data.sha256_of(cached) == CORPUS_SHA


def test_offline_without_copy_fails_clearly(isolated_data_env, small_corpus):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(data.DatasetUnavailableError, match="COURSE_DATA_DIR"):
        data.load_tiny_shakespeare(url=f"http://127.0.0.1:{port}/input.txt")


def test_explicit_path_must_match_checksum(tmp_path, isolated_data_env, small_corpus, monkeypatch):
    good = tmp_path / "good.txt"
    good.write_text(CORPUS)
    assert data.load_tiny_shakespeare(good) == CORPUS
    bad = tmp_path / "bad.txt"
    bad.write_text("not shakespeare")
    with pytest.raises(data.ChecksumError):
        data.load_tiny_shakespeare(bad)
    with pytest.raises(FileNotFoundError):
        data.load_tiny_shakespeare(tmp_path / "missing.txt")
    monkeypatch.setenv("COURSE_SHAKESPEARE_PATH", str(good))
    assert data.load_tiny_shakespeare() == CORPUS


def test_data_dir_override_is_used_first(tmp_path, isolated_data_env, small_corpus, monkeypatch):
    shared = tmp_path / "shared"
    (shared / "tinyshakespeare").mkdir(parents=True)
    (shared / "tinyshakespeare" / "input.txt").write_text(CORPUS)
    monkeypatch.setenv("COURSE_DATA_DIR", str(shared))
    assert data.load_tiny_shakespeare(url="http://127.0.0.1:9/never") == CORPUS
    assert not (isolated_data_env / "tinyshakespeare").exists()  # nothing was cached


def test_data_dir_that_is_not_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(data.DatasetUnavailableError, match="not a folder"):
        data.load_tiny_shakespeare()


def test_cache_dir_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    assert data.cache_dir() == tmp_path
    monkeypatch.delenv("COURSE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "gradient-to-gpt"


def test_sha256_of_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        data.sha256_of(tmp_path / "missing")


# Read once at import: the isolated_data_env fixture removes COURSE_DATA_DIR inside each test.
SHARED_DATA = Path(os.environ.get("COURSE_DATA_DIR") or SHARED)

needs_shared = pytest.mark.skipif(
    not (SHARED_DATA / "tinyshakespeare" / "input.txt").is_file(),
    reason="no dataset copies found (set COURSE_DATA_DIR to a folder that holds them)",
)


def _shared_dir() -> Path:
    return SHARED_DATA


@needs_shared
def test_real_tiny_shakespeare_from_shared_copy(isolated_data_env, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(_shared_dir()))
    text = data.load_tiny_shakespeare()
    assert len(text) == 1_115_394
    assert len(set(text)) == 65
    assert text.startswith("First Citizen:")


@needs_shared
def test_real_california_housing_from_shared_copy(isolated_data_env, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(_shared_dir()))
    bunch = data.load_california_housing()
    assert bunch.frame.shape == (20640, 9)
    first = bunch.frame.iloc[0]
    assert first["MedInc"] == pytest.approx(8.3252)
    assert first["MedHouseVal"] == pytest.approx(4.526)


@needs_shared
def test_california_housing_from_a_cache_folder(tmp_path, isolated_data_env):
    home = tmp_path / "skl"
    home.mkdir()
    shutil.copy(_shared_dir() / "scikit_learn_data" / data.CALIFORNIA_HOUSING_FILE, home)
    bunch = data.load_california_housing(data_home=home)
    assert list(bunch.frame.columns[:2]) == ["MedInc", "HouseAge"]


def test_dataset_status_says_where_data_comes_from(isolated_data_env, tmp_path, monkeypatch):
    status = data.dataset_status()
    assert "downloaded" in status["tiny Shakespeare"]
    assert "download" in status["California Housing"]
    if (_shared_dir() / "tinyshakespeare" / "input.txt").is_file():
        monkeypatch.setenv("COURSE_DATA_DIR", str(_shared_dir()))
        status = data.dataset_status()
        assert status["tiny Shakespeare"].startswith("present and verified")
        assert status["California Housing"].startswith("present")


# --------------------------------------------------------------------- California Housing
# Every copy is checked against its published sha256 before anything unpickles it.


class _Planted:
    """Unpickling this runs code: it writes a marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


@pytest.fixture(scope="module")
def california_archive(tmp_path_factory):
    """scikit-learn's cal_housing.tgz, rebuilt from the shared copy, and its sha256."""
    import io
    import tarfile

    import joblib
    import numpy as np

    pkz = SHARED_DATA / "scikit_learn_data" / data.CALIFORNIA_HOUSING_FILE
    if not pkz.is_file():
        pytest.skip("no California Housing copy found (set COURSE_DATA_DIR)")
    assert data.sha256_of(pkz) == data.CALIFORNIA_HOUSING_SHA256
    table = joblib.load(pkz)  # the published file: its checksum was checked just above
    original = np.empty_like(table)
    original[:, [8, 7, 2, 3, 4, 5, 6, 1, 0]] = table  # undo scikit-learn's column order
    text = io.BytesIO()
    np.savetxt(text, original, fmt="%.17g", delimiter=",")
    archive = tmp_path_factory.mktemp("archive") / "cal_housing.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("CaliforniaHousing/cal_housing.data")
        info.size = len(text.getvalue())
        tar.addfile(info, io.BytesIO(text.getvalue()))
    payload = archive.read_bytes()
    return payload, hashlib.sha256(payload).hexdigest()


@pytest.fixture
def california_server(local_server, california_archive, monkeypatch):
    """scikit-learn downloads California Housing from the local server instead of figshare."""
    from sklearn.datasets import _base, _california_housing

    httpd, base = local_server
    payload, sha = california_archive
    httpd.routes["/cal_housing.tgz"] = (payload, len(payload))
    monkeypatch.setattr(
        _california_housing,
        "ARCHIVE",
        _base.RemoteFileMetadata(
            filename="cal_housing.tgz", url=f"{base}/cal_housing.tgz", checksum=sha
        ),
    )
    return httpd


def _assert_real_california(bunch):
    assert bunch.frame.shape == (20640, 9)
    first = bunch.frame.iloc[0]
    assert first["MedInc"] == pytest.approx(8.3252)
    assert first["AveRooms"] == pytest.approx(6.984127, rel=1e-6)
    assert first["MedHouseVal"] == pytest.approx(4.526)


def _published_bytes() -> bytes:
    return (SHARED_DATA / "scikit_learn_data" / data.CALIFORNIA_HOUSING_FILE).read_bytes()


def test_california_download_is_verified_and_kept_without_pickle(
    tmp_path, isolated_data_env, california_server
):
    home = tmp_path / "skl"
    _assert_real_california(data.load_california_housing(data_home=home))
    assert california_server.hits == 1
    assert sorted(p.name for p in home.iterdir()) == [data.CALIFORNIA_HOUSING_NPY]  # no leftovers
    _assert_real_california(data.load_california_housing(data_home=home))
    assert california_server.hits == 1  # the second load used the kept copy


def test_california_matches_scikit_learn_on_the_published_file(tmp_path, isolated_data_env):
    from sklearn.datasets import fetch_california_housing

    if not (SHARED_DATA / "scikit_learn_data").is_dir():
        pytest.skip("no California Housing copy found (set COURSE_DATA_DIR)")
    home = tmp_path / "skl"
    home.mkdir()
    (home / data.CALIFORNIA_HOUSING_FILE).write_bytes(_published_bytes())
    ours = data.load_california_housing(data_home=home)
    theirs = fetch_california_housing(data_home=str(home), as_frame=True, download_if_missing=False)
    assert ours.frame.equals(theirs.frame)
    assert ours.feature_names == theirs.feature_names and ours.target.equals(theirs.target)


@pytest.mark.parametrize("where", ["data_home", "SCIKIT_LEARN_DATA", "cache"])
def test_planted_pickle_never_runs_and_is_replaced(
    where, tmp_path, isolated_data_env, california_server, monkeypatch
):
    import pickle

    folder = {
        "data_home": tmp_path / "home",
        "SCIKIT_LEARN_DATA": tmp_path / "skl",
        "cache": isolated_data_env / "scikit_learn_data",
    }[where]
    folder.mkdir(parents=True)
    marker = tmp_path / "marker"
    (folder / data.CALIFORNIA_HOUSING_FILE).write_bytes(pickle.dumps(_Planted(marker)))
    if where == "SCIKIT_LEARN_DATA":
        monkeypatch.setenv("SCIKIT_LEARN_DATA", str(folder))
    with pytest.warns(UserWarning, match="not the published California Housing file"):
        bunch = data.load_california_housing(data_home=folder if where == "data_home" else None)
    assert not marker.exists(), "the planted pickle was unpickled"
    _assert_real_california(bunch)
    assert not (folder / data.CALIFORNIA_HOUSING_FILE).exists()
    assert (folder / data.CALIFORNIA_HOUSING_NPY).is_file()


def _flipped(payload: bytes) -> bytes:
    middle = len(payload) // 2
    return (
        payload[:middle]
        + bytes(b ^ 0xFF for b in payload[middle : middle + 4])
        + payload[middle + 4 :]
    )


def _changed_value() -> bytes:
    import io

    import joblib

    table = joblib.load(io.BytesIO(_published_bytes()))  # published bytes, read once
    table[0, 1] = 99.0  # one district's income: a file that still loads
    out = io.BytesIO()
    joblib.dump(table, out, compress=6)
    return out.getvalue()


@pytest.mark.parametrize("damage", [_flipped, lambda b: b[: len(b) // 3], "changed value"])
def test_damaged_copy_is_reported_and_replaced(
    damage, tmp_path, isolated_data_env, california_server
):
    home = tmp_path / "skl"
    home.mkdir()
    bad = _changed_value() if damage == "changed value" else damage(_published_bytes())
    (home / data.CALIFORNIA_HOUSING_FILE).write_bytes(bad)
    with pytest.warns(UserWarning, match="damaged"):
        bunch = data.load_california_housing(data_home=home)
    _assert_real_california(bunch)
    assert california_server.hits == 1


def test_damaged_kept_npy_is_replaced(tmp_path, isolated_data_env, california_server):
    home = tmp_path / "skl"
    data.load_california_housing(data_home=home)
    npy = home / data.CALIFORNIA_HOUSING_NPY
    npy.write_bytes(_flipped(npy.read_bytes()))
    with pytest.warns(UserWarning, match="damaged"):
        _assert_real_california(data.load_california_housing(data_home=home))
    assert california_server.hits == 2


def test_bad_shared_copy_is_ignored_not_deleted(
    tmp_path, isolated_data_env, california_server, monkeypatch
):
    shared = tmp_path / "shared"
    (shared / "scikit_learn_data").mkdir(parents=True)
    bad = shared / "scikit_learn_data" / data.CALIFORNIA_HOUSING_FILE
    bad.write_bytes(_flipped(_published_bytes()))
    monkeypatch.setenv("COURSE_DATA_DIR", str(shared))
    with pytest.warns(UserWarning, match="ignored"):
        _assert_real_california(data.load_california_housing())
    assert bad.is_file()  # a shared copy is not ours to delete
    assert (isolated_data_env / "scikit_learn_data" / data.CALIFORNIA_HOUSING_NPY).is_file()


def test_two_processes_removing_the_same_damaged_file(
    tmp_path, isolated_data_env, california_server, monkeypatch
):
    home = tmp_path / "skl"
    home.mkdir()
    damaged = home / data.CALIFORNIA_HOUSING_FILE
    damaged.write_bytes(b"damaged")
    checked = data._read_verified

    def other_process_deletes_it_first(path, sha256):
        result = checked(path, sha256)
        path.unlink()  # the other process, between our check and our delete
        return result

    monkeypatch.setattr(data, "_read_verified", other_process_deletes_it_first)
    with pytest.warns(UserWarning, match="damaged"):
        _assert_real_california(data.load_california_housing(data_home=home))


def test_two_processes_removing_the_same_damaged_text(
    server, isolated_data_env, small_corpus, monkeypatch
):
    _, base = server
    cached = isolated_data_env / "tinyshakespeare" / "input.txt"
    cached.parent.mkdir(parents=True)
    cached.write_text("damaged")
    checked = data._verified

    def other_process_deletes_it_first(path, sha256):
        result = checked(path, sha256)
        if path == cached and path.exists():
            path.unlink()
        return result

    monkeypatch.setattr(data, "_verified", other_process_deletes_it_first)
    with pytest.warns(UserWarning, match="corrupted"):
        assert data.load_tiny_shakespeare(url=f"{base}/good") == CORPUS


def _age(path: Path, seconds: float) -> None:
    old = path.stat().st_mtime - seconds
    os.utime(path, (old, old))


def test_killed_download_leftovers_are_cleaned_up(server, isolated_data_env, small_corpus):
    _, base = server
    folder = isolated_data_env / "tinyshakespeare"
    folder.mkdir(parents=True)
    stale = folder / "input.txt.k1ll3d.part"
    stale.write_text("half a file")
    _age(stale, data.STALE_PART_SECONDS + 60)
    running = folder / "input.txt.ru9n1n.part"  # another process's transfer in progress
    running.write_text("still arriving")
    assert data.load_tiny_shakespeare(url=f"{base}/good") == CORPUS
    assert not stale.exists() and running.exists()


def test_killed_california_download_leftovers_are_cleaned_up(
    tmp_path, isolated_data_env, california_server
):
    home = tmp_path / "skl"
    stale = home / ".cal_housing-k1ll3d.part"
    stale.mkdir(parents=True)
    (stale / "cal_housing.tgz").write_bytes(b"half")
    _age(stale, data.STALE_PART_SECONDS + 60)
    data.load_california_housing(data_home=home)
    assert sorted(p.name for p in home.iterdir()) == [data.CALIFORNIA_HOUSING_NPY]


def _refuse_writes(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


def test_read_only_cache_says_what_to_do(server, isolated_data_env, small_corpus, monkeypatch):
    _, base = server
    monkeypatch.setattr(data.tempfile, "mkstemp", _refuse_writes)
    with pytest.raises(data.DatasetUnavailableError, match="not writable.*COURSE_CACHE_DIR"):
        data.load_tiny_shakespeare(url=f"{base}/good")
    monkeypatch.setattr(data.tempfile, "mkdtemp", _refuse_writes)
    with pytest.raises(data.DatasetUnavailableError, match="not writable.*COURSE_CACHE_DIR"):
        data.load_california_housing()


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="file permissions do not bind the root user",
)
def test_read_only_cache_folder_on_disk(server, isolated_data_env, small_corpus):
    _, base = server
    isolated_data_env.mkdir()
    isolated_data_env.chmod(0o555)
    try:
        with pytest.raises(data.DatasetUnavailableError, match="not writable"):
            data.load_tiny_shakespeare(url=f"{base}/good")
    finally:
        isolated_data_env.chmod(0o755)


def test_california_housing_offline_message(tmp_path, isolated_data_env, monkeypatch):
    import sklearn.datasets

    def offline(**kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", offline)
    with pytest.raises(data.DatasetUnavailableError, match="Connect once"):
        data.load_california_housing(data_home=tmp_path)
    assert list(tmp_path.iterdir()) == []  # the private download folder is gone
