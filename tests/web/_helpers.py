"""Shared constants and small helpers of the viewer tests."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

CHROMIUM = Path(os.environ.get("CRDT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("CRDT_ARTIFACTS", "/tmp/crdt-artifacts")) / "web"
RW = "rw-token-for-tests"
RO = "ro-token-for-tests"
ROOM = "viewer-test"


async def eventually(check: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail naming ``what``."""
    with anyio.move_on_after(timeout):
        while True:
            value = check()
            if isinstance(value, Awaitable):
                value = await value
            if value:
                return value
            await anyio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: what the browser's editor counts."""
    return len(text.encode("utf-16-le")) // 2
