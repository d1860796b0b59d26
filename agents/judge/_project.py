"""Judge a multi-file project: its pytest tests in the sandbox, one verdict per test.

:meth:`agents.judge.Judge.run_project` (implemented by :func:`run_project`)
writes the package sources, the given files and the test files into a fresh
sandbox work dir — nothing else: never the data directory, never the
reference — and runs ``_pytest_runner.py`` (see there for how the verdict is
kept unforgeable) with the project environment's interpreter.

**How the pass rate is counted.** As the benchmarks' own scripts do: they run
``pytest ... --json-report unit_tests`` (each project's ``config.json``,
``unit_test_script``) and read pytest-json-report's summary, where
``total`` counts every collected test whatever its outcome.  A test module
that skips itself at import (``pytest.importorskip`` of a missing extra)
counts as one skipped test; one skipped by the package's own code (a skip
raised from a package module) is a collection error, so code under test
cannot shrink the denominator.  So
``pass_rate = passed / total``; skipped, xfailed and erroring tests count in
``total`` and not in ``passed`` (an xpassed test counts as passed).  Their
command has no ``--continue-on-collection-errors``: when one test module
cannot be collected (typically: the package fails to import), pytest runs no
test at all and the rate is 0; :attr:`ProjectScore.collection_error` says
why.  A tampering attempt makes every test ``failed`` and the rate 0.

A test that outlives ``test_timeout_s`` or kills the process is an ``error``
and the remaining tests run in a fresh process (at most ``max_restarts``
times); the run as a whole is bounded by ``timeout_s``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ._channel import SignedChannel, runner_files
from ._errors import JudgeInputError
from ._sandbox import Runs, SandboxResult, _safe_relpath

Outcome = Literal["passed", "failed", "error", "skipped"]
_RESERVED = ("_judge_runner.py", "_judge_runner.pyc")
_ENTRY = re.compile(r"^(?P<path>[^\s:][^:\n]*\.py):(?P<line>\d+): in ", re.MULTILINE)  # pytest's short traceback entry


class ProjectTests(BaseModel):
    """A project's pytest tests and what they need, as the sandbox will see them."""

    model_config = ConfigDict(frozen=True)

    files: dict[str, bytes] = Field(repr=False, description="Test files and given files: relative path (as the package sees it) -> bytes.")
    test_paths: list[str] = Field(description="pytest arguments selecting the tests, relative (e.g. ['unit_tests']).")
    python: str | None = Field(default=None, description="Interpreter to run pytest with (ProjectEnv.python); None uses the judge's sandbox interpreter.")
    timeout_s: float = Field(default=600.0, gt=0, description="Wall-clock limit for the whole run (all restarts together).")
    test_timeout_s: float = Field(default=60.0, gt=0, description="Limit for one test (setup, call and teardown); the test becomes an error and the rest run in a fresh process.")
    collect_timeout_s: float = Field(
        default=120.0, gt=0, description="Limit for starting pytest and collecting the tests (importing the package and the test modules); past it the run ends as a collection error."
    )
    max_restarts: int = Field(default=3, ge=0, description="Fresh processes started after a test hung or killed the process.")
    plugins: list[str] | None = Field(
        default=None,
        description="Distributions whose installed pytest plugins (pytest11 entry points) may load; every other one is blocked "
        "(-p no:NAME). None: all of them, as pytest does. A project's environment sees the host's site-packages, whose "
        "plugins (hypothesis, anyio, pytest-benchmark here) are not the project's and cost start-up time on every run: "
        "projects pass their requirement names.",
    )
    kind: Literal["hidden", "visible"] = Field(default="hidden", description="'hidden' tests only score; 'visible' (check tests) may be shown to agents. The judge runs both alike: the caller decides what reaches agents.")

    @classmethod
    def from_text(cls, files: Mapping[str, str | bytes], test_paths: list[str], **options: object) -> ProjectTests:
        """Build from text or bytes contents."""
        data = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
        return cls.model_validate({"files": data, "test_paths": test_paths, **options})


class TestOutcome(BaseModel):
    """One pytest test's verdict."""

    __test__ = False  # not a pytest test class, whatever its name

    nodeid: str = Field(description="pytest node id, e.g. 'unit_tests/test_x.py::TestA::test_b'.")
    outcome: Outcome = Field(description="passed, failed (the test's call failed), error (setup/teardown failed, timed out, crashed, not run) or skipped (incl. xfail).")
    frames: list[tuple[str, int]] = Field(default_factory=list, description="(package path, line) of the failure's traceback frames inside the package's modules, innermost last: which code raised.")
    message: str = Field(default="", description="pytest's failure text (truncated); hidden tests' messages must not reach agents.")
    seconds: float = Field(default=0.0, description="Time the test took (0 when unknown).")


class ProjectScore(BaseModel):
    """The verdict on one project run."""

    tests: list[TestOutcome] = Field(description="One outcome per collected test, in run order.")
    passed: int = Field(description="Tests that passed (0 when tampered).")
    total: int = Field(description="Tests counted: every collected test (pytest-json-report's summary total).")
    pass_rate: float = Field(description="passed / total (0 when nothing ran); see the module docstring for the rule.")
    collection_error: str | None = Field(default=None, description="Why pytest could not collect (import error, syntax error, module skipped at import); no test ran.")
    collection_frames: list[tuple[str, int]] = Field(
        default_factory=list,
        description="(path, line) of the package's own code in the collection error's traceback, innermost last: the code that raised at import.",
    )
    tampered: list[str] = Field(default_factory=list, description="What the code attempted against the runner or its channel; non-empty means every test failed.")
    crash: str | None = Field(default=None, description="How the run ended abnormally (timeout, process killed or exited mid-test, no result), if it did.")
    isolation: list[str] = Field(default_factory=list, description="Containment the sandbox applied; without 'fsview' the code could see the host's files.")
    seconds: float = Field(default=0.0, description="Wall time of the whole judgement.")
    sandbox_runs: list[SandboxResult] = Field(default_factory=list, repr=False, description="The sandboxed processes used (more than one after a hang or crash).")

    @property
    def all_passed(self) -> bool:
        return self.total > 0 and self.passed == self.total and not self.tampered

    @property
    def verdict(self) -> Literal["passed", "failed", "tampered"]:
        return "tampered" if self.tampered else ("passed" if self.all_passed else "failed")

    def collection_summary(self, limit: int = 400) -> str | None:
        """The collection error cut to ``limit`` characters for a results row: its first line (which test module)
        and its last lines (the exception itself; pytest's hint and traceback sit in between)."""
        return error_gist(self.collection_error, limit) if self.collection_error else None


def error_gist(text: str, limit: int) -> str:
    """``text``'s first line and as many of its last non-empty lines as fit in ``limit`` characters."""
    if len(text) <= limit:
        return text
    lines = [line for line in text.splitlines() if line.strip()]
    head, tail = lines[0][: limit // 2], list[str]()
    room = limit - len(head) - 5
    for line in reversed(lines[1:]):
        if len(line) + 1 > room:
            if not tail:
                tail.append(line[-room:])
            break
        tail.insert(0, line)
        room -= len(line) + 1
    return head + "\n...\n" + "\n".join(tail)


def _files(sources: Mapping[str, str], tests: ProjectTests) -> dict[str, str | bytes]:
    out: dict[str, str | bytes] = {}
    for name, text in sources.items():
        _safe_relpath(name)
        out[name] = text
    for name, data in tests.files.items():
        _safe_relpath(name)
        if name in out:
            raise JudgeInputError(f"{name!r} is both a package source and a test/given file")
        out[name] = data
    clash = [n for n in out if n in _RESERVED]
    if clash:
        raise JudgeInputError(f"file names reserved for the judge's runner: {clash}")
    return out


def _hashes(tests: ProjectTests) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in tests.files.items() if name.endswith(".py")}


async def run_project(
    sandbox: Runs, sources: Mapping[str, str], tests: ProjectTests, *, on_test: Callable[[TestOutcome], None] | None = None
) -> ProjectScore:
    """Run ``tests`` against the package ``sources`` (path -> text) in ``sandbox``; see the module docstring.

    ``on_test`` sees each test's outcome as its verified event arrives, before the run ends (a caller that acts
    on a failure at once); the score still has the last word (a run found tampering later fails every test).
    """
    if not tests.test_paths:
        raise JudgeInputError("no test paths given")
    for path in tests.test_paths:
        _safe_relpath(path.split("::", 1)[0])
    started = time.monotonic()
    base = sandbox.config
    python = tests.python or base.python
    files = _files(sources, tests)
    script, runner = runner_files("_pytest_runner.py", python)
    files.update(runner)
    hashes = _hashes(tests)
    # Directories of the test paths (a file path's own directory): no Python file may appear there.
    test_dirs = sorted({p.split("::", 1)[0].rstrip("/") if not p.split("::", 1)[0].endswith(".py") else p.rsplit("/", 1)[0] if "/" in p else "" for p in tests.test_paths} - {""})
    common = ["-p", "no:cacheprovider", "-o", "addopts=", "-q", "--tb=short", "-rN", "--color=no"]

    outcomes: dict[str, TestOutcome] = {}
    collected: list[str] = []
    tampered: list[str] = []
    runs: list[SandboxResult] = []
    collection_error: str | None = None
    crash: str | None = None
    targets = list(tests.test_paths)
    restarts = 0
    while True:
        remaining_s = tests.timeout_s - (time.monotonic() - started)
        if remaining_s <= 1.0:
            crash = crash or f"the run exceeded its {tests.timeout_s:g} s limit"
            break
        # The private uid has no passwd entry: getpass.getuser() (lice's default organisation) reads these first.
        env = {"USER": "judge", "LOGNAME": "judge", **base.env}
        cfg = base.model_copy(update={"python": python, "wall_timeout_s": remaining_s, "cpu_s": int(remaining_s) + 1, "env": env})
        box = sandbox.with_config(cfg)
        channel = SignedChannel()
        current: dict[str, str | None] = {"test": None}
        # One deadline per phase (collection, then each test), kept across lines that are not events: a line the code
        # under test forges on the channel is tampering, and must not lift the limit of the test that printed it.
        limit: dict[str, float | None] = {"at": time.monotonic() + tests.collect_timeout_s}

        def on_line(line: str, channel: SignedChannel = channel, current: dict[str, str | None] = current, limit: dict[str, float | None] = limit) -> float | None:
            event = channel.feed(line)
            kind = event.get("event") if event is not None else None
            if kind == "start":
                current["test"] = str(event.get("nodeid")) if event is not None else None
                limit["at"] = time.monotonic() + tests.test_timeout_s
            elif kind in ("collected", "test"):
                current["test"] = None
                limit["at"] = None
            if kind == "test" and on_test is not None and event is not None and not channel.tampered:
                on_test(_outcome(event, sources))
            if channel.tampered:
                return 0.0  # the verdict is already 'tampered': nothing the process does next can change it
            return None if limit["at"] is None else max(0.0, limit["at"] - time.monotonic())

        spec = json.dumps({"args": [*common, *targets], "hashes": hashes, "test_dirs": test_dirs, "plugins": tests.plugins})
        result = await box.run(
            ["python", "-I", script, spec], files, on_stdout_line=on_line, stdin_data=channel.key, first_line_s=tests.collect_timeout_s
        )
        runs.append(result)
        tampered += [t for t in channel.tampered if t not in tampered]
        for event in channel.events:
            kind = event.get("event")
            if kind == "collected" and not collected:
                ids = event.get("nodeids")
                collected = [str(i) for i in ids] if isinstance(ids, list) else []
            elif kind == "collect_error":
                nodeid, detail = str(event.get("nodeid")), str(event.get("detail"))
                if event.get("outcome") == "skipped" and event.get("where") not in sources:
                    # A test module skipped itself (pytest.importorskip of a missing extra): one skipped entry.
                    outcomes[nodeid] = TestOutcome(nodeid=nodeid, outcome="skipped", message=detail)
                elif collection_error is None:
                    who = " by the package's code" if event.get("outcome") == "skipped" else ""
                    collection_error = f"{nodeid} ({event.get('outcome')}{who}):\n{detail}"
            elif kind == "test":
                outcome = _outcome(event, sources)
                outcomes[outcome.nodeid] = outcome
        if channel.done or tampered or collection_error is not None:
            if not channel.done and not tampered:
                crash = crash or _ended(result, None)
            break
        # The process ended without its 'done' event: mid-test (hang, kill, exit) or before collecting.
        stuck = current["test"]
        if not collected and result.status == "stalled":
            collection_error = f"collecting the tests exceeded its {tests.collect_timeout_s:g} s limit; the process group was killed"
        if stuck is not None:
            outcomes[stuck] = TestOutcome(nodeid=stuck, outcome="error", message=_ended(result, stuck))
        crash = crash or _ended(result, stuck)
        left = [n for n in collected if n not in outcomes]
        if not collected or not left or restarts >= tests.max_restarts:
            break
        restarts += 1
        targets = left
    if not collected and not outcomes and collection_error is None and not tampered and runs:
        # pytest stopped before collecting anything (a conftest.py that cannot import the package exits 4, with its
        # traceback on stderr and no collection report): the benchmark counts that as a collection error.
        exit_code = next((e.get("exit") for e in channel.events if e.get("event") == "done"), None)
        tail = runs[-1].stderr[-1500:].strip()
        collection_error = f"pytest collected no test (exit {exit_code if exit_code is not None else runs[-1].returncode})" + (f":\n{tail}" if tail else "")
    ordered = [outcomes[n] if n in outcomes else TestOutcome(nodeid=n, outcome="error", message="not run: " + (crash or "the run ended early")) for n in collected]
    ordered += [o for n, o in outcomes.items() if n not in set(collected)]
    if tampered:
        ordered = [o.model_copy(update={"outcome": "failed", "message": "tampered: " + "; ".join(tampered)[:500]}) for o in ordered]
    passed = 0 if tampered or collection_error is not None else sum(1 for o in ordered if o.outcome == "passed")
    total = len(ordered)
    return ProjectScore(
        tests=ordered,
        passed=passed,
        total=total,
        pass_rate=round(passed / total, 6) if total else 0.0,
        collection_error=collection_error,
        collection_frames=_collection_frames(collection_error, sources),
        tampered=tampered,
        crash=crash,
        isolation=runs[0].isolation if runs else [],
        seconds=round(time.monotonic() - started, 3),
        sandbox_runs=runs,
    )


def _collection_frames(error: str | None, sources: Mapping[str, str]) -> list[tuple[str, int]]:
    """The package frames of a collection error, parsed from pytest's short traceback (its only form of one)."""
    if not error:
        return []
    return [(m["path"], int(m["line"])) for m in _ENTRY.finditer(error) if m["path"] in sources][-30:]


def _ended(result: SandboxResult, test: str | None) -> str:
    where = f"during {test}" if test else "before the judge's runner finished"
    if result.status in ("timeout", "stalled"):
        what = "timed out" if result.status == "timeout" else "exceeded the per-test limit" if test else "exceeded the collection limit"
        return f"{what} {where} ({result.status}); the process group was killed"
    tail = result.stderr[-1500:].strip()
    return f"the process ended {where} ({result.status}, {result.signal or result.returncode})" + (f":\n{tail}" if tail else "")


def _outcome(event: dict[str, object], sources: Mapping[str, str]) -> TestOutcome:
    raw = event.get("frames")
    frames: list[tuple[str, int]] = []
    if isinstance(raw, list):
        for item in raw:
            # Only the package's modules: a failure is routed to the code that raised, not to the test's lines.
            if isinstance(item, list) and len(item) == 2 and item[0] in sources and isinstance(item[1], int):
                frames.append((item[0], item[1]))
    outcome = event.get("outcome")
    seconds = event.get("seconds")
    return TestOutcome(
        nodeid=str(event.get("nodeid")),
        outcome=outcome if outcome in ("passed", "failed", "error", "skipped") else "error",  # type: ignore[arg-type]
        frames=frames,
        message=str(event.get("message") or ""),
        seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0,
    )
