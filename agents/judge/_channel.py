"""The judge's side of the runners' result channel.

A runner signs every event line with a keyed BLAKE2b MAC over its sequence
number and body (see ``_guard.py``); the key is fresh for each sandboxed run
and reaches the runner on stdin only.  :class:`SignedChannel` accepts lines
in sequence and records anything else — a line that does not verify, a
sequence number out of order, bytes after ``done`` — as a tampering attempt,
as it does ``tamper`` events the runner's audit hook reports.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib.util
import json
import marshal
import os
import sys
from pathlib import Path

_HERE = Path(__file__).parent
RUNNER = "_judge_runner.pyc"
"""File name of the runner script inside the sandbox (compiled once per judge process)."""
_RUNNER_CODE_NAME = "<judge runner>"


# Runners written as more than one file: the parts that go before them, in order.
_PARTS = {"_pytest_runner.py": ("_pytest_world.py", "_pytest_recorder.py")}


@functools.cache
def runner_source(name: str) -> str:
    """The guard, then the runner's other parts, then the runner ``name`` (``_unittest_runner.py`` ...), as one script."""
    parts = ["_guard.py", *_PARTS.get(name, ()), name]
    return "\n\n".join(f"# ---- {part} ----\n" + (_HERE / part).read_text(encoding="utf-8") for part in parts)


@functools.cache
def _compiled(name: str) -> bytes:
    code = compile(runner_source(name), _RUNNER_CODE_NAME, "exec", dont_inherit=True)
    header = importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little") + (0).to_bytes(8, "little")
    return header + marshal.dumps(code)


def runner_files(name: str, python: str) -> tuple[str, dict[str, str | bytes]]:
    """(script name, files) for the sandbox: bytecode when it runs this interpreter, else source.

    Compiling the guard and runner in every sandboxed process cost about 15 ms
    per run; the bytecode is made once here.
    """
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        return RUNNER, {RUNNER: _compiled(name)}
    return "_judge_runner.py", {"_judge_runner.py": runner_source(name)}


class SignedChannel:
    """Verifies one run's event lines; collects tampering attempts."""

    def __init__(self) -> None:
        self.key = os.urandom(32)
        self.events: list[dict[str, object]] = []
        self.tampered: list[str] = []
        self.done = False
        self._seq = 0

    def _mac(self, seq: str, body: str) -> str:
        return hashlib.blake2b(f"{seq} {body}".encode(), key=self.key, digest_size=16).hexdigest()

    def feed(self, line: str) -> dict[str, object] | None:
        """One stdout line; returns the event when it is authentic and in sequence."""
        if not line.strip():
            return None
        parts = line.split(" ", 2)
        if len(parts) != 3 or not hmac.compare_digest(parts[0], self._mac(parts[1], parts[2])):
            self._tamper("unauthenticated data on the result channel")
            return None
        if self.done or parts[1] != str(self._seq):
            self._tamper("a signed event out of sequence on the result channel")
            return None
        self._seq += 1
        try:
            event = json.loads(parts[2])
        except ValueError:
            self._tamper("a signed event that is not JSON")
            return None
        if not isinstance(event, dict):
            return None
        if event.get("event") == "tamper":
            self._tamper(str(event.get("what", "?")))
        elif event.get("event") == "done":
            self.done = True
            if event.get("tampered") and not self.tampered:
                self._tamper("the runner recorded an attempt that was not reported")
        self.events.append(event)
        return event

    def _tamper(self, what: str) -> None:
        if what not in self.tampered and len(self.tampered) < 20:
            self.tampered.append(what)
