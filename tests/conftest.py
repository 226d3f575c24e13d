"""Shared fixtures: an isolated cache and data folder for every test that touches them."""

from __future__ import annotations

import pytest


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
