"""Shared test fixtures: the anyio backend and where third-party data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def classeval_dir() -> Path:
    """ClassEval data: $CLASSEVAL_DATA, else ../shared/data/classeval beside the repo."""
    env = os.environ.get("CLASSEVAL_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data" / "classeval"
    if not (path / "ClassEval_data.json").is_file():
        pytest.skip(f"ClassEval data not found at {path} (set CLASSEVAL_DATA)")
    return path


@pytest.fixture(scope="session")
def projects_dir() -> Path:
    """Projects data (CodeProjectEval, DevEval): $PROJECTS_DATA, else ../shared/data/projects beside the repo."""
    env = os.environ.get("PROJECTS_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data" / "projects"
    if not any(path.glob("*/*/config.json")):
        pytest.skip(f"projects data not found at {path} (set PROJECTS_DATA)")
    return path
