"""Loaders: local copies, cache, and the download path against a server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import socket
import threading
import urllib.error
from pathlib import Path

import pytest

from course_utils import data

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
CORPUS = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 50
CORPUS_SHA = hashlib.sha256(CORPUS.encode()).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves /good, /bad (wrong bytes) and /truncated (fewer bytes than announced)."""

    body = CORPUS.encode()

    def do_GET(self):  # noqa: N802 - the name http.server expects
        self.server.hits += 1
        if self.path == "/good":
            payload, length = self.body, len(self.body)
        elif self.path == "/bad":
            payload = b"<html>proxy error</html>"
            length = len(payload)
        elif self.path == "/truncated":
            payload, length = self.body[:100], len(self.body)
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        if self.path == "/truncated":
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.hits = 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


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


def test_california_housing_offline_message(tmp_path, isolated_data_env, monkeypatch):
    import sklearn.datasets

    def offline(**kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", offline)
    with pytest.raises(data.DatasetUnavailableError, match="Connect once"):
        data.load_california_housing(data_home=tmp_path)


def test_california_housing_damaged_cache(tmp_path, isolated_data_env):
    (tmp_path / data.CALIFORNIA_HOUSING_FILE).write_bytes(b"garbage")
    with pytest.raises(data.DatasetUnavailableError, match="could not be read"):
        data.load_california_housing(data_home=tmp_path)


def test_dataset_status_says_where_data_comes_from(isolated_data_env, tmp_path, monkeypatch):
    status = data.dataset_status()
    assert "downloaded" in status["tiny Shakespeare"]
    assert "download" in status["California Housing"]
    if (_shared_dir() / "tinyshakespeare" / "input.txt").is_file():
        monkeypatch.setenv("COURSE_DATA_DIR", str(_shared_dir()))
        status = data.dataset_status()
        assert status["tiny Shakespeare"].startswith("present and verified")
        assert status["California Housing"].startswith("present")
