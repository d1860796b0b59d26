"""Warm sandboxes: one sandboxed server per interpreter that forks each runner run instead of starting one.

A cold run (:class:`~agents.judge.Sandbox`) starts bubblewrap, the launcher,
an interpreter, ``site`` and pytest for every check run: about 0.2 s of a
project's 0.3-0.6 s check run here.  A :class:`WarmPool` keeps, per
interpreter and sandbox setting, a server (``_warm_server.py``) started once
in the same filesystem view and namespaces, which has imported pytest and
forks a child per run; the child drops to a fresh private uid, takes the
run's rlimits, environment and work dir, and executes the runner.

Trust: the server never runs code under test and is not dumpable; a run's
processes are all killed (by uid) and the scratch dirs emptied before its
end is reported; the next run has another uid and a work dir only it can
open; the run's output reaches the judge only through the server's prefixed
relay (chunks as read; the judge splits lines and hands over a line cut by a
kill, as a cold run's EOF does), and the verdict channel keeps its per-run key.  A
run that times out or stalls kills the whole server (the next run starts
another).  Warm runs need what makes those guarantees: bubblewrap's view and
root to hand out uids; anywhere else :class:`WarmSandbox` runs cold, and
the results row's isolation says which (``warm`` is listed when it was).
Runs share the server's hash seed, so set-ordering differs from a cold run
only in being the same for every run of one server.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import Process

from ._errors import JudgeInputError, SandboxSetupError
from ._sandbox import Sandbox, SandboxConfig, SandboxResult, sandbox_result, write_files
from ._view import view_command

_SERVER = Path(__file__).with_name("_warm_server.py")
PRELOAD = ["pytest", "_pytest.config", "_pytest.main", "_pytest.python", "_pytest.runner", "_pytest.reports", "unittest", "hashlib"]
"""Modules the server imports before any run: what every pytest runner run imports first."""


class _Server:
    """One running server: its process, the dir its runs' work dirs live in, bytes read past the last line."""

    def __init__(self, process: Process, base: str, isolation: list[str]) -> None:
        self.process = process
        self.base = base
        self.isolation = isolation
        self.buffer = bytearray()
        self.runs = 0

    async def line(self) -> bytes | None:
        """The next line the server wrote (None at EOF)."""
        assert self.process.stdout is not None
        while b"\n" not in self.buffer:
            try:
                chunk = await self.process.stdout.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
                return None
            self.buffer += chunk
        line, _, rest = bytes(self.buffer).partition(b"\n")
        self.buffer = bytearray(rest)
        return line

    def kill(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    async def aclose(self) -> None:
        self.kill()
        with anyio.move_on_after(5):
            await self.process.wait()
        await self.process.aclose()
        shutil.rmtree(self.base, ignore_errors=True)


def _key(config: SandboxConfig) -> str:
    """Runs may share a server when everything but their limits and timeouts is the same."""
    return json.dumps(config.model_dump(exclude={"wall_timeout_s", "cpu_s", "memory_bytes", "max_processes", "max_file_bytes"}), sort_keys=True)


class WarmPool:
    """Idle servers per sandbox setting, shared by the :class:`WarmSandbox` es made from it (an async context manager)."""

    def __init__(self, *, preload: list[str] | None = None, start_timeout_s: float = 30.0) -> None:
        self.preload = list(PRELOAD if preload is None else preload)
        self.start_timeout_s = start_timeout_s
        self.started = 0
        self.unavailable: str | None = None
        self._idle: dict[str, list[_Server]] = {}
        self._busy: set[_Server] = set()
        self._closed = False

    async def __aenter__(self) -> WarmPool:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._closed = True
        servers = [s for group in self._idle.values() for s in group] + list(self._busy)
        self._idle.clear()
        with anyio.CancelScope(shield=True):
            for server in servers:
                await server.aclose()

    async def ready(self, config: SandboxConfig | None = None) -> bool:
        """Start a server for ``config`` now (it waits idle for the first run); False when warm runs are unavailable."""
        config = config or SandboxConfig()
        server = await self._take(config)
        if server is None:
            return False
        self._give_back(config, server)
        return True

    def sandbox(self, config: SandboxConfig | None = None) -> WarmSandbox:
        """A sandbox with ``config`` whose runner runs go to this pool's servers."""
        return WarmSandbox(self, config or SandboxConfig())

    async def _take(self, config: SandboxConfig) -> _Server | None:
        """An idle server for ``config``, or a new one; None when warm runs cannot be made safe here."""
        idle = self._idle.get(_key(config))
        if idle:
            server = idle.pop()
        else:
            server = await self._start(config)
            if server is None:
                return None
        self._busy.add(server)
        return server

    def _give_back(self, config: SandboxConfig, server: _Server) -> None:
        self._busy.discard(server)
        if self._closed:
            server.kill()
        else:
            self._idle.setdefault(_key(config), []).append(server)

    async def _start(self, config: SandboxConfig) -> _Server | None:
        if self.unavailable is not None or self._closed:
            return None
        if config.filesystem != "view" or not config.drop_privileges or os.geteuid() != 0:
            # Without its own uid per run a leftover process of one run could reach the next.
            self.unavailable = "needs the filesystem view and root (a private uid per run)"
            return None
        try:
            base = tempfile.mkdtemp(prefix="judge-warm-")
        except OSError as exc:
            raise SandboxSetupError(f"cannot create work dir: {exc}") from exc
        os.chmod(base, 0o711)
        box = Sandbox(config)
        python = os.path.abspath(config.python)
        view = await view_command(config, base, python, [])
        if view is None:
            shutil.rmtree(base, ignore_errors=True)
            self.unavailable = "bubblewrap cannot build the view here"
            return None
        spec = {
            "workdir": base, "argv": [python, "-I", "-c", _SERVER.read_text(encoding="utf-8"), json.dumps(self.preload)],
            "env": box.env_for(base), "limits": {"nofile": config.max_open_files, "core": 0}, "uid": None,
            "private_tmp": False, "hide": [], "keep": [], "setpriv": None,
        }  # fmt: skip
        command = [*view.argv, "--", *box.launcher(view.python, spec)]
        try:
            process = await anyio.open_process(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            shutil.rmtree(base, ignore_errors=True)
            raise SandboxSetupError(f"cannot start the warm server: {exc}") from exc
        server = _Server(process, base, ["rlimits", "pgroup", "minimal-env", *view.isolation, "fsview", "uid", "warm"])
        ready = None
        with anyio.move_on_after(self.start_timeout_s):
            while (ready := await server.line()) not in (b"r", None):
                pass  # warnings an import printed before the server was ready
        if ready != b"r":
            await server.aclose()
            self.unavailable = "the warm server did not start"
            return None
        self.started += 1
        return server


class WarmSandbox:
    """:class:`~agents.judge.Sandbox`'s ``run`` for runner scripts (``python -I SCRIPT ARGS``), served warm.

    Any other command, and every command where warm runs are not available, runs cold.
    """

    def __init__(self, pool: WarmPool, config: SandboxConfig) -> None:
        self.pool = pool
        self.config = config

    def with_config(self, config: SandboxConfig) -> WarmSandbox:
        return WarmSandbox(self.pool, config)

    async def run(
        self,
        argv: list[str],
        files: Mapping[str, str | bytes] | None = None,
        *,
        on_stdout_line: Callable[[str], float | None] | None = None,
        stdin_data: bytes | None = None,
        first_line_s: float | None = None,
    ) -> SandboxResult:
        """As :meth:`Sandbox.run`; ``stdin_data`` is the runner's key (at most 32 bytes)."""
        if not argv:
            raise JudgeInputError("empty argv")
        runner = len(argv) >= 3 and argv[:2] == ["python", "-I"] and not argv[2].startswith("-")
        server = await self.pool._take(self.config) if runner and len(stdin_data or b"") <= 32 else None
        if server is None:
            return await Sandbox(self.config).run(argv, files, on_stdout_line=on_stdout_line, stdin_data=stdin_data, first_line_s=first_line_s)
        alive = False
        try:
            result, alive = await self._serve(server, argv, files or {}, on_stdout_line, stdin_data or b"", first_line_s)
            return result
        finally:
            if alive:
                self.pool._give_back(self.config, server)
            else:
                self.pool._busy.discard(server)
                with anyio.CancelScope(shield=True):
                    await server.aclose()

    async def _serve(
        self,
        server: _Server,
        argv: list[str],
        files: Mapping[str, str | bytes],
        on_stdout_line: Callable[[str], float | None] | None,
        key: bytes,
        first_line_s: float | None,
    ) -> tuple[SandboxResult, bool]:
        cfg = self.config
        uid = random.randint(200_000, 2_000_000_000)
        server.runs += 1
        workdir = os.path.join(server.base, f"run-{server.runs}")
        os.mkdir(workdir, 0o700)
        try:
            write_files(workdir, files, uid)
            limits = {"cpu": cfg.cpu_s, "as": cfg.memory_bytes, "nproc": cfg.max_processes, "nofile": cfg.max_open_files, "fsize": cfg.max_file_bytes, "core": 0}
            env = Sandbox(cfg).env_for(workdir)
            request = {"dir": workdir, "script": argv[2], "args": argv[3:], "uid": uid, "env": env, "limits": limits, "key": key.hex()}
            return await self._exchange(server, request, on_stdout_line, first_line_s)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _exchange(
        self, server: _Server, request: dict[str, Any], on_stdout_line: Callable[[str], float | None] | None, first_line_s: float | None
    ) -> tuple[SandboxResult, bool]:
        cfg = self.config
        kept = {1: bytearray(), 2: bytearray()}
        totals = {1: 0, 2: 0}
        started = time.monotonic()
        hard = started + cfg.wall_timeout_s
        deadline: float | None = None if first_line_s is None else started + first_line_s
        reason: str | None = None
        code: int | None = None
        pending = bytearray()  # stdout bytes after the last newline
        assert server.process.stdin is not None
        try:
            await server.process.stdin.send(json.dumps(request).encode() + b"\n")
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            reason = "gone"

        def keep(fd: int, data: bytes) -> None:
            nonlocal reason
            totals[fd] += len(data)
            room = cfg.output_keep_bytes - len(kept[fd])
            if room > 0:
                kept[fd] += data[:room]
            if totals[1] + totals[2] > cfg.output_kill_bytes:
                reason = "output_limit"

        while reason is None:
            limit = min(hard, deadline) if deadline is not None else hard
            line: bytes | None = b""
            with anyio.move_on_after(max(0.0, limit - time.monotonic())):
                line = await server.line()
            if line == b"":  # the limit passed first
                reason = "timeout" if time.monotonic() >= hard else "stalled"
                break
            if line is None:
                reason = "gone"
                break
            kind, _, body = line.partition(b" ")
            if kind == b"o":
                data = bytes.fromhex(body.decode())
                keep(1, data)
                pending += data
                while b"\n" in pending and reason is None:
                    one, _, rest = bytes(pending).partition(b"\n")
                    pending = bytearray(rest)
                    if on_stdout_line is not None:
                        allowed = on_stdout_line(one.decode("utf-8", errors="replace"))
                        deadline = None if allowed is None else time.monotonic() + allowed
                        if allowed == 0.0:
                            reason = "stalled"  # the caller wants no more of this run (a forged line, say)
            elif kind == b"e":
                keep(2, bytes.fromhex(body.decode()))
            elif kind == b"x":
                code = int(json.loads(body)["code"])
                break
            else:  # the server's own output (an import warning): stderr, never the channel
                keep(2, line + b"\n")
        if pending and on_stdout_line is not None:
            # Output that never got its newline is still output (the cold sandbox hands it over at EOF too): a
            # runner ends every line it writes, so this is someone else's, and the channel must get to reject it.
            on_stdout_line(bytes(pending).decode("utf-8", errors="replace"))
        alive = reason is None
        if reason is not None and reason != "gone":
            server.kill()
        if reason == "gone":  # the server died under the run: as if the run was killed
            code, reason = -signal.SIGKILL, None
        result = sandbox_result(code, reason, kept, totals, time.monotonic() - started, list(server.isolation))
        return result, alive
