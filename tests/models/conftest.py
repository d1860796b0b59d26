"""Fixtures for agents.models tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]
_SHARED = _REPO.parent / "shared" / "data" / "classeval"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def classeval_data(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ClassEval data directory ($CLASSEVAL_DATA, else ../shared/data/classeval); skips when absent."""
    raw = os.environ.get("CLASSEVAL_DATA") or (str(_SHARED) if _SHARED.is_dir() else "")
    if not raw or not (Path(raw) / "ClassEval_data.json").is_file():
        pytest.skip("ClassEval data not available: set CLASSEVAL_DATA to a ClassEval data directory")
    monkeypatch.setenv("CLASSEVAL_DATA", raw)
    return Path(raw)


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fake Anthropic key in the environment (the only place the provider reads it from)."""
    key = "sk-ant-test-0123456789-SECRET-abcdef"
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    return key
