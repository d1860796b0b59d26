"""Shared test fixtures: the anyio backend and where third-party data lives."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    import sniffio
except ImportError:  # anyio then asks asyncio itself, which leaves nothing behind
    sniffio = None

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_async_library_in_sync_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """A plain test runs with no async library marked as running in its thread.

    While a session-scoped async fixture is alive (the judge tests' warm pyright server), anyio's pytest
    plugin leaves sniffio's context variable saying "asyncio" in the main thread, and a later plain test
    that calls a CLI entry point (``anyio.run``) failed with "Already running asyncio in this thread"
    only when it ran after those tests.
    """
    if sniffio is None or inspect.iscoroutinefunction(getattr(request, "function", None)):
        yield
        return
    token = sniffio.current_async_library_cvar.set(None)
    try:
        yield
    finally:
        sniffio.current_async_library_cvar.reset(token)


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
