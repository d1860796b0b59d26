"""Fixtures for agents.models tests."""

from __future__ import annotations

from pathlib import Path

import pytest

@pytest.fixture
def classeval_data(classeval_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ClassEval data directory, also exported as $CLASSEVAL_DATA for the providers."""
    monkeypatch.setenv("CLASSEVAL_DATA", str(classeval_dir))
    return classeval_dir


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fake Anthropic key in the environment (the only place the provider reads it from)."""
    key = "sk-ant-test-0123456789-SECRET-abcdef"
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    return key
