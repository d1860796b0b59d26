"""Fixtures of the fault-injection tests: the bundled suite and one judge."""

from __future__ import annotations

import pytest

from agents.judge import Judge


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def judge() -> Judge:
    return Judge()
