"""Fixtures for running Python agents through Node's y-websocket server (npm ``@y/websocket-server``).

The server is the stock one, started by :func:`bench.micro._node_relay.node_relay_process`
on a free 127.0.0.1 port (``npm ci --prefix tests/node_relay`` installs it).
Tests skip, saying why, when ``node`` or the modules are missing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from bench.micro._node_relay import node_relay_missing, node_relay_process


@pytest.fixture
def node_relay() -> Callable[[], AbstractAsyncContextManager[str]]:
    """``async with node_relay() as url:`` runs the y-websocket server; ``url`` is ``ws://127.0.0.1:PORT``."""
    missing = node_relay_missing()
    if missing is not None:
        pytest.skip(missing)
    return node_relay_process
