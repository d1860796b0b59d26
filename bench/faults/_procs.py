"""The real processes of a fault trial: the relay (``crdt-bench relay``) and implementers (``crdt-bench implement``).

Both are started exactly as a user would start them (``python -m bench ...``
from the repository root), with the relay's token passed through
``$CRDT_WS_TOKEN`` so it never shows in ``ps``.  Output goes to log files in
the trial's directory, which keeps a chatty child from ever blocking on a
full pipe and leaves a trail to read when a trial goes wrong.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import anyio

from ._errors import ProcessStartError

__all__ = ["RelayProcess", "ImplementerProcess", "ImplementerOptions"]

REPO = Path(__file__).resolve().parents[2]
_URL = re.compile(r"ws://127\.0\.0\.1:(\d+)")


def _env(token: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CRDT_BENCH_PAUSE_AT"}
    env["CRDT_WS_TOKEN"] = token
    env.update(extra or {})
    return env


class _Child:
    """A subprocess with its output in ``<logs>/<name>.out`` and ``.err``."""

    def __init__(self, name: str, logs: Path) -> None:
        self.name = name
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def out_path(self) -> Path:
        return self.logs / f"{self.name}.{self.starts}.out"

    @property
    def err_path(self) -> Path:
        return self.logs / f"{self.name}.{self.starts}.err"

    def _spawn(self, args: list[str], env: dict[str, str]) -> None:
        self.starts += 1
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "bench", *args], stdout=out, stderr=err, cwd=REPO, env=env)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    async def sigkill(self) -> None:
        """SIGKILL this process (and only it), then reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        await self.wait(10.0)

    async def wait(self, timeout: float) -> int | None:
        """Return code once the process exits, or None if it is still running after ``timeout``."""
        with anyio.move_on_after(timeout):
            while self.process is not None and self.process.poll() is None:
                await anyio.sleep(0.02)
        return self.returncode

    async def terminate(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit within ``timeout``."""
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            if await self.wait(timeout) is None:
                await self.sigkill()
        return self.returncode

    def output(self) -> str:
        parts = [p.read_text(errors="replace") for p in (self.out_path, self.err_path) if p.exists()]
        return "\n".join(parts)


class RelayProcess(_Child):
    """``crdt-bench relay --store DIR``: started, SIGKILLed and restarted on the same port and store."""

    def __init__(self, store: Path, token: str, logs: Path) -> None:
        super().__init__("relay", logs)
        self.store = store
        self.token = token
        self.port = 0

    async def start(self, timeout: float = 30.0) -> int:
        """Start (or restart on the port it had) and return the port once it listens."""
        self._spawn(["relay", "--port", str(self.port), "--store", str(self.store)], _env(self.token))
        with anyio.move_on_after(timeout):
            while True:
                match = _URL.search(self.out_path.read_text(errors="replace")) if self.out_path.exists() else None
                if match is not None:
                    self.port = int(match.group(1))
                    return self.port
                if not self.alive:
                    break
                await anyio.sleep(0.01)
        await self.sigkill()
        raise ProcessStartError(f"relay did not report its address within {timeout}s:\n{self.output()[-2000:]}")


class ImplementerOptions:
    """Command-line options every implementer of a trial gets."""

    def __init__(self, *, time_scale: float, lease: float, heartbeat: float, suite: str = "bundled") -> None:
        self.time_scale = time_scale
        self.lease = lease
        self.heartbeat = heartbeat
        self.suite = suite

    def args(self) -> list[str]:
        # Faults off in the model: every hidden test must pass, so whatever fails is the harness's finding.
        return [
            "--suite", self.suite, "--time-scale", str(self.time_scale), "--fault-rate", "0", "--blind-fault-rate", "0",
            "--lease", str(self.lease), "--heartbeat", str(self.heartbeat),
        ]  # fmt: skip


class ImplementerProcess(_Child):
    """``crdt-bench implement``: one implementer joining the room, optionally told to pause at a named point."""

    def __init__(self, agent: str, logs: Path) -> None:
        super().__init__(agent, logs)
        self.agent = agent

    def start(self, url: str, room: str, token: str, options: ImplementerOptions, *, pause_at: str | None = None) -> None:
        extra = {"CRDT_BENCH_PAUSE_AT": pause_at} if pause_at else None
        self._spawn(["implement", "--url", url, "--room", room, "--agent-id", self.agent, *options.args()], _env(token, extra))
