"""Collect the JSON lines a benchmark's child process prints, as they arrive."""

from __future__ import annotations

import json
from typing import Any

from anyio.abc import Process

__all__ = ["JsonLines"]


class JsonLines:
    """One child process and every JSON object it has printed so far (one per line)."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []

    async def drain(self) -> None:
        """Read stdout until the process closes it; a partial last line waits for its newline."""
        assert self.process.stdout is not None
        buffer = b""
        async for chunk in self.process.stdout:
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            self.lines += [json.loads(line) for line in complete if line.strip()]
