"""Shared fixtures: an isolated cache and data folder, a small HTTP server on 127.0.0.1, and
:func:`load_script` for the repository's scripts (``from conftest import load_script``)."""

from __future__ import annotations

import http.server
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative: str) -> ModuleType:
    """Import a script of the repository (``course.py``, ``tools/x.py``) as a module, once."""
    name = "script_" + Path(relative).stem
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / relative)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while it executes
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def isolated_data_env(tmp_path, monkeypatch):
    """Point the loaders at empty temporary folders (no shared copy, no real cache)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_SHAKESPEARE_PATH", raising=False)
    monkeypatch.delenv("COURSE_SHAKESPEARE_URL", raising=False)
    monkeypatch.delenv("SCIKIT_LEARN_DATA", raising=False)
    return cache


class _RouteHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (payload, announced_length)``; 404 for anything else."""

    def do_GET(self):  # noqa: N802 - the name http.server expects
        self.server.hits += 1
        if self.path not in self.server.routes:
            self.send_error(404)
            return
        payload, length = self.server.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        if length != len(payload):
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    """A threaded HTTP server on 127.0.0.1: ``(httpd, base_url)``.

    Fill ``httpd.routes`` with ``{"/path": (bytes, announced_length)}``; ``httpd.hits`` counts
    requests.
    """
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RouteHandler)
    httpd.hits = 0
    httpd.routes = {}
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
