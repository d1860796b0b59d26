"""Sandbox launcher: runs as a standalone script (``python -I -S _launcher.py SPEC``).

It is started by :class:`agents.judge.Sandbox`, normally as PID 1 of fresh PID,
network and mount namespaces made by ``unshare``.  It hides the host's
world-writable directories behind private tmpfs mounts, forks the command,
and in the child drops to an unprivileged uid, applies rlimits and execs.
The launcher stays behind as a reaper: when the command exits it kills every
process that is left (fork bombs, daemonised children) and exits with the
command's status (``128 + signal`` when it died from a signal).

Only the standard library may be imported here: the script must not depend on
the project being importable inside the sandbox.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from typing import Any

_MS_RDONLY = 0x1
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_REMOUNT = 0x20
_MS_BIND = 0x1000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000

_LIMITS = {
    "cpu": resource.RLIMIT_CPU,
    "as": resource.RLIMIT_AS,
    "nproc": resource.RLIMIT_NPROC,
    "nofile": resource.RLIMIT_NOFILE,
    "fsize": resource.RLIMIT_FSIZE,
    "core": resource.RLIMIT_CORE,
}


def _mount(libc: ctypes.CDLL, source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    rc = libc.mount(
        source.encode(),
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _private_tmp(workdir: str, hide: list[str], keep: list[str]) -> None:
    """Replace world-writable dirs with private tmpfs.

    ``workdir`` stays reachable (read-write) at its path, and so do the dirs in
    ``keep`` (read-only): the command's own files when they live under /tmp.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    _mount(libc, "none", "/", None, _MS_REC | _MS_PRIVATE, None)
    # These usually live under /tmp, which is about to be hidden: hold them by fd.
    held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY), path != workdir) for path in [workdir, *keep]]
    for target in hide:
        if os.path.isdir(target):
            _mount(libc, "tmpfs", target, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64m,mode=1777")
    for path, fd, read_only in held:
        if not os.path.isdir(path):
            os.makedirs(path, mode=0o755)
            _mount(libc, f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC, None)
            if read_only:  # a bind mount takes its read-only flag only on a remount
                _mount(libc, "none", path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY, None)
        os.close(fd)


def _child(spec: dict[str, Any]) -> None:
    workdir = str(spec["workdir"])
    os.chdir(workdir)
    for name, value in dict(spec.get("limits") or {}).items():
        if value is not None:
            # CPU: SIGXCPU at the soft limit (reported as 'cpu'), SIGKILL one second later.
            hard = int(value) + 1 if name == "cpu" else int(value)
            resource.setrlimit(_LIMITS[name], (int(value), hard))
    argv = [str(a) for a in spec["argv"]]
    uid = spec.get("uid")
    os.umask(0o077)
    if uid is not None:
        setpriv = spec.get("setpriv")
        if setpriv:
            # Observed here: a plain setuid() then execve() of an interpreter reached through a
            # root-only directory fails with EACCES, while util-linux setpriv succeeds.
            u = str(int(uid))
            argv = [str(setpriv), "--reuid", u, "--regid", u, "--clear-groups", "--", *argv]
        else:
            os.setgroups([])
            os.setgid(int(uid))
            os.setuid(int(uid))
    env = {str(k): str(v) for k, v in dict(spec["env"]).items()}
    os.execve(argv[0], argv, env)


def _kill_rest(pid1: bool, uid: Any) -> None:
    if pid1:
        # As PID 1 of the namespace, kill(-1) reaches every other process in it.
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        return
    if uid is None:
        return
    # No PID namespace: kill everything owned by the sandbox's private uid.
    sweeper = os.fork()
    if sweeper == 0:
        try:
            os.setuid(int(uid))
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(sweeper, 0)


def main() -> int:
    spec = json.loads(sys.argv[1])
    if spec.get("private_tmp"):
        _private_tmp(str(spec["workdir"]), list(spec.get("hide") or []), list(spec.get("keep") or []))
    pid = os.fork()
    if pid == 0:
        try:
            _child(spec)
        except BaseException as exc:  # exec failed: report and leave without running cleanup
            os.write(2, f"sandbox launcher: cannot start command: {exc!r}\n".encode())
            os._exit(126)
    # Our stdio copies are not needed; closing them lets readers see EOF once the command is gone.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    status = 0
    while True:
        try:
            done, wstatus = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if done == pid:
            status = wstatus
            break
    _kill_rest(os.getpid() == 1, spec.get("uid"))
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.exit(main())
