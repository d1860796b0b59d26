"""Fixtures for agents.models tests."""

from __future__ import annotations

from pathlib import Path

import pytest

@pytest.fixture
def classeval_data(classeval_dir: Path) -> Path:
    """The ClassEval data directory (passed to the providers as ``data_dir``: the library reads no environment)."""
    return classeval_dir


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fake Anthropic key in the environment (the only place the provider reads it from)."""
    key = "sk-ant-test-0123456789-SECRET-abcdef"
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    return key
