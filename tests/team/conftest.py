"""Multi-file runs: the projects suite from its data directory (skipped when absent), a relay on 127.0.0.1."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.suites import Suite, get_suite
from crdt_ws import Relay, RelayConfig, WebsocketConfig, WebsocketTransport

DATA = Path(os.environ.get("PROJECTS_DATA") or Path(__file__).resolve().parents[2].parent / "shared" / "data" / "projects")  # beside the repo


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def projects() -> Suite:
    if not (DATA / "SOURCE.md").is_file():
        pytest.skip(f"no projects data at {DATA} (set PROJECTS_DATA; `crdt-bench data projects --dest DIR` fetches it)")
    return get_suite("projects", data_dir=DATA)


@pytest.fixture
async def relay_transport() -> AsyncIterator[WebsocketTransport]:
    """A real relay on 127.0.0.1 (ephemeral port) and a transport into one room of it."""
    with tempfile.TemporaryDirectory(prefix="multi-file-relay-") as tmp:
        async with Relay(RelayConfig(port=0, store_dir=Path(tmp))) as relay:
            yield WebsocketTransport(WebsocketConfig(url=relay.url, room="package"))
