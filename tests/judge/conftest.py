"""Fixtures for agents.judge tests: one warm pyright server per test session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agents.judge import PyrightServer


@pytest.fixture(scope="session")
async def pyright_server() -> AsyncIterator[PyrightServer]:
    """Warm-up (node start + stdlib typeshed load) is paid once per session."""
    async with PyrightServer() as server:
        yield server
