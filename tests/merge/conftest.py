"""Fixtures for the merge tests: the anyio backend and the ClassEval data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def classeval_dir() -> Path:
    """ClassEval data: $CLASSEVAL_DATA, else <repo>/../shared/data/classeval; skip when absent."""
    env = os.environ.get("CLASSEVAL_DATA")
    path = Path(env) if env else _REPO.parent / "shared" / "data" / "classeval"
    if not (path / "recorded").is_dir():
        pytest.skip(f"ClassEval data not found at {path} (set CLASSEVAL_DATA to the data directory)")
    return path
