"""Per-project environments: one cached venv per requirement set and interpreter.

:class:`ProjectEnvs` turns a project's requirement lines into a virtual
environment the judge's sandbox runs the project's tests with.  Each venv is
made with ``--system-site-packages`` (pytest and whatever the host already
has are reused, not reinstalled) and keyed by a hash of the normalised
requirements and the interpreter's version, so equal requirement sets share
one venv and a second :meth:`ProjectEnvs.ensure` installs nothing.

A venv is ready only when its marker file exists; the marker is written last
and atomically (temp file + rename), so a build killed half-way leaves no
marker and is rebuilt from scratch, never used.  Concurrent builders of one
key (threads, tasks or processes) serialise on a lock file.

Requirements that fail to install are reported one by one
(:attr:`ProjectEnv.failed`) instead of failing the whole environment: pip is
tried on the whole set first and, when that fails, once per requirement.  In
offline mode pip sees only ``--no-index --find-links`` directories.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio
import anyio.to_thread
from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from pydantic import BaseModel, ConfigDict, Field

from ._errors import EnvSetupError

_MARKER = "judge-env.json"
_STDLIB = frozenset(sys.stdlib_module_names)
_FORMAT = 1
Progress = Callable[[str], None]


class EnvConfig(BaseModel):
    """Where per-project environments live and how pip may fetch packages."""

    model_config = ConfigDict(frozen=True)

    cache_dir: Path = Field(description="Directory holding one venv per requirement set (created when missing); keep it between runs to install nothing twice.")
    offline: bool = Field(default=False, description="Install only from find_links directories (pip --no-index); no package index is contacted.")
    pip_timeout_s: float = Field(default=900.0, gt=0, description="Wall-clock limit for one pip invocation; pip is killed after it and its requirements count as failed.")
    find_links: list[Path] = Field(default_factory=list, description="Directories of wheels/sdists pip may install from (pip --find-links); the only source in offline mode.")
    index_url: str | None = Field(default=None, description="Package index URL (pip --index-url); None keeps pip's own default and configuration.")
    extra_index_urls: list[str] = Field(default_factory=list, description="Further package indexes (pip --extra-index-url).")
    python: str = Field(default=sys.executable, description="Interpreter the venvs are made from (a venv's interpreter resolves to its base).")


class ProjectEnv(BaseModel):
    """A ready environment for one requirement set."""

    python: str = Field(description="Interpreter to run the project's tests with (the venv's bin/python).")
    installed: list[str] = Field(description="Normalised requirements that are installed or already satisfied.")
    failed: dict[str, str] = Field(description="Requirement line -> why it could not be installed (invalid line, not found, build error, timeout).")
    skipped: list[str] = Field(default_factory=list, description="Requirements not installed on purpose: an environment marker excludes this interpreter, or the name is a standard-library module.")
    key: str = Field(description="Cache key: hash of the normalised requirements and the interpreter version.")
    path: str = Field(description="The venv directory.")
    reused: bool = Field(default=False, description="True when the venv came from the cache (nothing was installed by this call).")
    seconds: float = Field(default=0.0, description="Time this call took.")

    @property
    def ok(self) -> bool:
        return not self.failed


def normalise(requirements: Sequence[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """(installable requirements in canonical form and order, invalid line -> reason, skipped lines).

    Comments and blank lines go; names are canonicalised (PEP 503) and
    duplicates merged, so ``Foo_Bar>=1`` and ``foo-bar >= 1`` share a venv.
    Options (``-e``, ``-r``, ``--index-url`` ...) are refused: a project's
    requirement file must not choose what the judge's pip fetches from where.
    """
    good: set[str] = set()
    bad: dict[str, str] = {}
    skipped: list[str] = []
    for raw in requirements:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            bad[line] = "pip options are not accepted in requirements"
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as err:
            bad[line] = f"not a valid requirement: {err}"
            continue
        if req.url:
            bad[line] = "direct URL requirements are not accepted"
            continue
        if req.marker is not None:
            try:
                applies = req.marker.evaluate()
            except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName) as err:
                bad[line] = f"marker cannot be evaluated: {err}"
                continue
            if not applies:
                skipped.append(line)
                continue
        if canonicalize_name(req.name).replace("-", "_") in _STDLIB:
            # DevEval lists standard-library modules ('datetime', 'typing'): PyPI's namesakes are other packages.
            skipped.append(line)
            continue
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        good.add(f"{canonicalize_name(req.name)}{extras}{req.specifier}")
    return sorted(good), bad, sorted(skipped)


_versions: dict[str, str] = {}


async def _interpreter_version(python: str) -> str:
    if python not in _versions:
        probe = "import sys, platform; print(platform.python_implementation(), '.'.join(map(str, sys.version_info[:3])), sys.base_prefix)"
        try:
            res = await anyio.run_process([python, "-I", "-c", probe], check=False)
        except OSError as err:
            raise EnvSetupError(f"cannot run interpreter {python!r}: {err}") from err
        if res.returncode != 0:
            raise EnvSetupError(f"interpreter {python!r} failed: {res.stderr.decode(errors='replace')[-500:]}")
        _versions[python] = res.stdout.decode().strip()
    return _versions[python]


class ProjectEnvs:
    """Builds and caches per-project venvs (see the module docstring)."""

    def __init__(self, config: EnvConfig, on_progress: Progress | None = None) -> None:
        self.config = config
        self._on_progress = on_progress
        self._locks: dict[str, anyio.Lock] = {}

    def _say(self, line: str) -> None:
        if self._on_progress is not None:
            self._on_progress(line)

    def _sources(self) -> list[str]:
        cfg = self.config
        args = [arg for d in cfg.find_links for arg in ("--find-links", str(Path(d).resolve()))]
        if cfg.offline:
            return ["--no-index", *args]
        if cfg.index_url is not None:
            args += ["--index-url", cfg.index_url]
        return args + [arg for url in cfg.extra_index_urls for arg in ("--extra-index-url", url)]

    async def key(self, requirements: Sequence[str]) -> str:
        """The cache key of ``requirements`` for the configured interpreter."""
        good, _, _ = normalise(requirements)
        version = await _interpreter_version(self.config.python)
        blob = json.dumps({"format": _FORMAT, "python": version, "requirements": good}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    async def ensure(self, requirements: Sequence[str]) -> ProjectEnv:
        """The ready venv for ``requirements``: from the cache, or built now (once, even when called concurrently)."""
        started = time.monotonic()
        good, bad, skipped = normalise(requirements)
        key = await self.key(requirements)
        root = Path(self.config.cache_dir).expanduser().resolve()
        venv = root / key
        lock = self._locks.setdefault(key, anyio.Lock())
        async with lock:
            try:
                root.mkdir(parents=True, exist_ok=True)
                fd = os.open(root / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise EnvSetupError(f"cannot use env cache dir {root}: {err}") from err
            try:
                await anyio.to_thread.run_sync(fcntl.flock, fd, fcntl.LOCK_EX)
                cached = self._load(venv)
                if cached is not None and self._usable(cached):
                    env = self._env(venv, key, cached, bad, skipped, reused=True, started=started)
                    self._say(f"env {key}: cached ({len(env.installed)} installed, {len(env.failed)} failed)")
                    return env
                record = await self._build(venv, key, good)
            finally:
                os.close(fd)  # releases the flock
        return self._env(venv, key, record, bad, skipped, reused=False, started=started)

    def _usable(self, record: dict[str, object]) -> bool:
        # A venv whose failures came from an offline build is retried when an index is allowed now.
        return not (record.get("failed") and record.get("offline") and not self.config.offline)

    @staticmethod
    def _load(venv: Path) -> dict[str, object] | None:
        try:
            record = json.loads((venv / _MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("format") != _FORMAT or not (venv / "bin" / "python").exists():
            return None
        return record

    def _env(self, venv: Path, key: str, record: dict[str, object], bad: dict[str, str], skipped: list[str], *, reused: bool, started: float) -> ProjectEnv:
        installed = record.get("installed")
        failed = record.get("failed")
        return ProjectEnv(
            python=str(venv / "bin" / "python"),
            installed=[str(r) for r in installed] if isinstance(installed, list) else [],
            failed={**bad, **({str(k): str(v) for k, v in failed.items()} if isinstance(failed, dict) else {})},
            skipped=skipped,
            key=key,
            path=str(venv),
            reused=reused,
            seconds=round(time.monotonic() - started, 3),
        )

    async def _build(self, venv: Path, key: str, good: list[str]) -> dict[str, object]:
        if venv.exists():
            self._say(f"env {key}: removing an unfinished build")
            await anyio.to_thread.run_sync(shutil.rmtree, venv)
        self._say(f"env {key}: creating venv ({len(good)} requirements)")
        res = await self._run([self.config.python, "-I", "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], 300.0)
        if res[0] != 0:
            raise EnvSetupError(f"cannot create venv {venv}: {res[1][-800:]}")
        python = str(venv / "bin" / "python")
        installed: list[str] = []
        failed: dict[str, str] = {}
        if good:
            rc, out = await self._pip(python, good)
            if rc == 0:
                installed = list(good)
            elif len(good) == 1:
                failed[good[0]] = out
            else:
                self._say(f"env {key}: installing the set failed; trying each requirement alone")
                for req in good:
                    rc, out = await self._pip(python, [req])
                    if rc == 0:
                        installed.append(req)
                    else:
                        failed[req] = out
        record: dict[str, object] = {
            "format": _FORMAT,
            "requirements": good,
            "installed": installed,
            "failed": failed,
            "offline": self.config.offline,
            "built": time.time(),
        }
        tmp = venv / f".{_MARKER}.tmp"
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        os.replace(tmp, venv / _MARKER)  # last step: only now is the venv usable
        self._say(f"env {key}: ready ({len(installed)} installed, {len(failed)} failed)")
        return record

    async def _pip(self, python: str, reqs: list[str]) -> tuple[int, str]:
        # pip comes from the base interpreter's site-packages (the venv sees them) and installs into the venv.
        argv = [python, "-I", "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--progress-bar", "off", *self._sources(), *reqs]
        self._say("pip install " + " ".join(reqs))
        rc, out = await self._run(argv, self.config.pip_timeout_s)
        return rc, _reason(rc, out)

    async def _run(self, argv: list[str], timeout: float) -> tuple[int, str]:
        """Run ``argv``, passing each output line to the progress callback; (returncode, tail of output)."""
        tail: list[str] = []
        try:
            async with await anyio.open_process(argv, stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True) as proc:
                timed_out = False
                with anyio.move_on_after(timeout) as scope:
                    pending = b""
                    if proc.stdout is not None:
                        async for chunk in proc.stdout:
                            pending += chunk
                            *lines, pending = pending.split(b"\n")
                            for raw in lines:
                                line = raw.decode(errors="replace").rstrip()
                                tail.append(line)
                                del tail[:-40]
                                self._say(line)
                    await proc.wait()
                if scope.cancelled_caught:
                    timed_out = True
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)  # pip's build subprocesses too
                    except ProcessLookupError:
                        pass
                    with anyio.CancelScope(shield=True):
                        await proc.wait()
        except OSError as err:
            return 127, f"cannot run {argv[0]}: {err}"
        if timed_out:
            return 124, f"timed out after {timeout:g} s\n" + "\n".join(tail[-10:])
        return proc.returncode if proc.returncode is not None else 1, "\n".join(tail)


def _reason(rc: int, out: str) -> str:
    """The most telling lines of a failed pip run."""
    if rc == 0:
        return ""
    lines = [line for line in out.splitlines() if line.strip()]
    errors = [line.strip() for line in lines if line.lstrip().startswith("ERROR") or "error:" in line.lower()]
    picked = errors[:4] or lines[-4:]
    return " | ".join(picked)[:600] or f"pip exited with {rc}"
