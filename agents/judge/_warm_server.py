"""Warm runner server: runs as a standalone script inside the sandbox's view (stdlib only).

Started by :class:`agents.judge.WarmSandbox` through the launcher, as root of
the sandbox's namespaces, it imports the modules it is told to (pytest's,
before any code under test exists) and then serves runs from the judge, one
at a time, each a line on stdin::

    {"dir": WORKDIR, "script": NAME, "args": [...], "uid": U, "env": {...}, "limits": {...}, "key": HEX}

For each it forks a child that becomes what a cold run's launcher child
becomes: its own session, rlimits, the private uid ``U`` (fresh per run), the
run's environment and work dir, the key on fd 0; then it executes the
runner's compiled code (the file ``NAME`` the judge wrote into ``WORKDIR``)
as ``__main__`` instead of exec'ing a new interpreter.  Pytest and the
libraries are already imported: that is the whole saving.

Why a run cannot reach the next one: this server never runs code under test
and is not dumpable, so a child (another uid) can neither signal nor trace
it; when a child exits, every process of its uid is killed (a sweeper that
takes that uid and kills -1) and the shared scratch dirs are emptied before
the end of the run is reported; the next run gets another uid and a work dir
only it can open.  Children write to pipes this server reads and relays
chunk by chunk with a prefix (``o`` stdout, ``e`` stderr, bytes as hex),
and only this server writes the run's end (``x``), so nothing a child prints
can end a run or speak for another one.
"""

from __future__ import annotations

import json
import marshal
import os
import resource
import select
import signal
import sys
import types

_LIMITS = {
    "cpu": resource.RLIMIT_CPU,
    "as": resource.RLIMIT_AS,
    "nproc": resource.RLIMIT_NPROC,
    "nofile": resource.RLIMIT_NOFILE,
    "fsize": resource.RLIMIT_FSIZE,
    "core": resource.RLIMIT_CORE,
}
_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
_BASE = os.getcwd()  # the launcher starts the server in the dir that holds the runs' work dirs


def _write(line: bytes) -> None:
    view = memoryview(line)
    while view:
        view = view[os.write(1, view) :]


def _not_dumpable() -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4


def _code(workdir: str, script: str) -> types.CodeType:
    with open(os.path.join(workdir, script), "rb") as handle:
        data = handle.read()
    if script.endswith(".pyc"):
        return marshal.loads(data[16:])
    return compile(data, script, "exec", dont_inherit=True)


def _child(request: dict, out_w: int, err_w: int, key_r: int) -> None:
    os.setsid()
    os.dup2(key_r, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.closerange(3, 1 << 16)
    workdir = str(request["dir"])
    os.chdir(workdir)
    for name, value in dict(request.get("limits") or {}).items():
        if value is not None:
            hard = int(value) + 1 if name == "cpu" else int(value)
            resource.setrlimit(_LIMITS[name], (int(value), hard))
    os.umask(0o077)
    uid = int(request["uid"])
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})
    import tempfile

    tempfile.tempdir = None  # computed again from this run's TMPDIR
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    script = str(request["script"])
    code = _code(workdir, script)
    sys.argv = [script, *[str(a) for a in request.get("args") or []]]
    main = types.ModuleType("__main__")
    main.__file__ = script
    main.__builtins__ = __builtins__  # type: ignore[attr-defined]
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _run_child(request: dict, out_w: int, err_w: int, key_r: int) -> int:
    """The child's whole life: its exit status, after what an interpreter does at exit (atexit, flushing)."""
    try:
        _child(request, out_w, err_w, key_r)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the run's own failure, as an interpreter reports it
        import traceback

        traceback.print_exc()
        code = 1
    try:
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - exiting anyway
        pass
    return code


def _sweep(uid: int) -> None:
    """Kill every process of ``uid`` (a fresh uid per run: all of them are the run's).

    A process that outlives 50 rounds (a fork loop faster than the kills) ends the server instead: its
    namespace goes with it, and the judge starts another server for the next run.
    """
    for _ in range(50):
        sweeper = os.fork()
        if sweeper == 0:
            try:
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(sweeper, 0)
        if not _owned(uid):
            return
    os._exit(3)


def _owned(uid: int) -> bool:
    """Is any process of real uid ``uid`` alive?  (``/proc/PID/status``: a process that made itself not dumpable has a
    root-owned ``/proc/PID``, but its status still names its uid.)"""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Uid:"):
                        if int(line.split()[1]) == uid:
                            return True
                        break
        except (OSError, ValueError, IndexError):
            continue
    return False


def _empty(path: str, keep: str) -> None:
    """Delete what is under ``path``, except the dir ``keep`` and the dirs on the way to it (the runs' base dir),
    and what is mounted there from elsewhere (an interpreter the view shows under /tmp)."""
    try:
        names = os.listdir(path)
        device = os.lstat(path).st_dev
    except OSError:
        return
    for name in names:
        full = os.path.join(path, name)
        if keep == full or keep.startswith(full + "/"):
            continue
        try:
            if os.lstat(full).st_dev != device:
                continue
            if os.path.isdir(full) and not os.path.islink(full):
                _empty(full, keep)
                os.rmdir(full)
            else:
                os.unlink(full)
        except OSError:
            pass


def _serve(request: dict) -> None:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    key_r, key_w = os.pipe()
    # The key waits in the pipe (32 bytes fit its buffer), so no object of the child's memory holds it but the runner's.
    os.write(key_w, bytes.fromhex(str(request.pop("key"))))
    os.close(key_w)
    pid = os.fork()
    if pid == 0:
        os._exit(_run_child(request, out_w, err_w, key_r))
    for fd in (out_w, err_w, key_r):
        os.close(fd)
    # Escaped grandchildren may hold the pipes open: the sweep closes them once the child is gone.
    status = _relay_until_exit(pid, out_r, err_r, int(request["uid"]))
    for path in _SCRATCH:
        _empty(path, _BASE)
    code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)
    _write(b"x " + json.dumps({"code": code}).encode() + b"\n")


def _relay_until_exit(pid: int, out_r: int, err_r: int, uid: int) -> int:
    """Relay the child's output until it has exited and nothing of its uid is left; return its wait status."""
    # A process the child started may hold the pipes open after the child exits: the sweep closes them.
    open_fds = {out_r, err_r}
    status: int | None = None
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 0.05 if status is None else 0.5)
        if status is None:
            done, wstatus = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                status = wstatus
                _sweep(uid)
        elif not ready:
            break  # the child and its uid are gone; nothing left can write
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            # Relayed as read, not line by line: a run killed mid-line still has every byte it wrote at the judge.
            _write((b"e " if fd == err_r else b"o ") + chunk.hex().encode() + b"\n")
    for fd in (out_r, err_r):
        try:
            os.close(fd)
        except OSError:
            pass
    if status is None:
        status = os.waitpid(pid, 0)[1]
        _sweep(uid)
    return status


def main() -> int:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for name in json.loads(sys.argv[1]):
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - a run imports it again and reports its own error
            pass
    _not_dumpable()
    _write(b"r\n")
    stdin = os.fdopen(0, "rb", buffering=0)
    buffer = b""
    while True:
        data = stdin.read(65536)
        if not data:
            return 0
        buffer, data = buffer + data, b""
        while b"\n" in buffer:
            line, _, buffer = buffer.partition(b"\n")
            request = json.loads(line)
            del line  # holds the key as text: not in any frame the child starts with
            _serve(request)
            del request


if __name__ == "__main__":
    sys.exit(main())
