"""Run unittest test classes (ClassEval style) in the sandbox.

Semantics follow the ClassEval harness: each test class is run on its own with
a time limit (5 s there); a test class's outcome is ``success`` when tests ran
and none failed or errored, ``error`` when nothing ran or every test errored,
``partial_success`` when some passed, else ``fail``; a class (task) succeeds
when every test class succeeds.  The module under test is imported once per
process, as there.  Differences, on purpose: every task runs in its own
sandboxed process (the harness shares one process, work dir and ``sys.modules``
across tasks), the import has its own limit instead of counting against the
first test class, and after a timeout the remaining test classes run in a
fresh process (the harness leaves the timed-out thread running).

The verdict is read only from events the runner signs with a key sent for
this run (see ``_channel.py`` and ``_guard.py``); a tampering attempt by the
code under test makes every test class ``tampered``, which counts as failed.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from ._channel import SignedChannel, runner_files
from ._errors import JudgeInputError
from ._sandbox import Sandbox, SandboxConfig, SandboxResult

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

TestClassStatus = Literal["success", "partial_success", "fail", "error", "tampered"]


class TestProblem(BaseModel):
    """One failing or erroring test method."""

    test: str = Field(description="Test method name.")
    kind: Literal["failure", "error"] = Field(description="unittest's failure (assertion) or error (exception).")
    detail: str = Field(description="Traceback text, truncated.")


class TestClassOutcome(BaseModel):
    """Result of one unittest test class."""

    name: str = Field(description="Test class name.")
    status: TestClassStatus = Field(description="Outcome in the ClassEval harness's terms.")
    tests_run: int = Field(default=0, description="Tests run (0 when the class could not run).")
    failures: int = Field(default=0, description="Tests failing an assertion.")
    errors: int = Field(default=0, description="Tests raising an exception.")
    skipped: int = Field(default=0, description="Tests skipped (counted as run, like unittest).")
    timed_out: bool = Field(default=False, description="The class exceeded its time limit and was killed.")
    seconds: float | None = Field(default=None, description="Time the class took, when it finished.")
    problems: list[TestProblem] = Field(default_factory=list, description="Failing/erroring tests with tracebacks.")
    crash: str | None = Field(default=None, description="Why the class could not run at all (import error, missing class, process died).")

    @property
    def passed(self) -> bool:
        return self.status == "success"


class UnittestVerdict(BaseModel):
    """Verdict for one program judged by unittest test classes."""

    passed: bool = Field(description="Every test class succeeded (ClassEval's class success).")
    test_classes: list[TestClassOutcome] = Field(description="One outcome per requested test class, in order.")
    import_error: str | None = Field(default=None, description="Traceback when the module could not be imported.")
    tampered: list[str] = Field(default_factory=list, description="What the code under test attempted against the runner or its result channel; non-empty means every test class failed as 'tampered'.")
    isolation: list[str] = Field(default_factory=list, description="Containment the sandbox applied (SandboxResult.isolation of the first run).")
    sandbox_runs: list[SandboxResult] = Field(default_factory=list, description="The sandboxed processes used (more than one after a timeout).")

    @property
    def passed_classes(self) -> int:
        return sum(1 for t in self.test_classes if t.passed)


def classify(tests_run: int, failures: int, errors: int) -> TestClassStatus:
    """The ClassEval harness's per-test-class answer."""
    if tests_run == 0 or errors == tests_run:
        return "error"
    if errors + failures == 0:
        return "success"
    if errors + failures < tests_run:
        return "partial_success"
    return "fail"


def _crashed(name: str, why: str, *, timed_out: bool = False) -> TestClassOutcome:
    return TestClassOutcome(name=name, status="error", timed_out=timed_out, crash=why)


async def run_unittest_classes(
    program: str,
    test_classes: list[str],
    *,
    module_name: str = "solution",
    class_timeout_s: float = 5.0,
    import_timeout_s: float = 60.0,
    sandbox: Sandbox | None = None,
) -> UnittestVerdict:
    """Import ``program`` as ``module_name`` in a sandbox and run each test class in it.

    ``program`` holds the code under test and the test classes (as ClassEval
    files do).  Each class gets ``class_timeout_s``; the import gets
    ``import_timeout_s``.
    """
    if not _IDENT.match(module_name):
        raise JudgeInputError(f"module name must be a Python identifier: {module_name!r}")
    # Names are looked up verbatim (ClassEval has one with a leading space, which can never be found).
    bad = [c for c in test_classes if not c.strip() or "\x00" in c or "\n" in c]
    if bad:
        raise JudgeInputError(f"unusable test class names: {bad!r}")
    if not test_classes:
        raise JudgeInputError("no test classes given")
    box = sandbox or Sandbox(SandboxConfig())
    # The sandbox's wall timeout must cover the import plus every class.
    limit = import_timeout_s + class_timeout_s * len(test_classes) + 3.0
    box = Sandbox(box.config.model_copy(update={"wall_timeout_s": limit, "cpu_s": int(limit) + 1}))
    script, runner = runner_files("_unittest_runner.py", box.config.python)
    files: dict[str, str | bytes] = {f"{module_name}.py": program, **runner}
    tampered: list[str] = []
    outcomes: dict[str, TestClassOutcome] = {}
    runs: list[SandboxResult] = []
    import_error: str | None = None
    remaining = list(test_classes)
    while remaining:
        channel = SignedChannel()
        events = channel.events

        def on_line(line: str, channel: SignedChannel = channel) -> float | None:
            event = channel.feed(line)
            if channel.tampered:
                return 0.0  # the verdict is already 'tampered': end the run instead of letting junk lift the class limit
            if event is None:
                return None
            kind = event.get("event")
            if kind == "start":
                return class_timeout_s
            if kind == "end":
                return import_timeout_s  # only bookkeeping until the next start
            return None

        # Before the first line only the wall timeout applies: it bounds the import.
        argv = ["python", "-I", script, module_name, *remaining]
        result = await box.run(argv, files, on_stdout_line=on_line, stdin_data=channel.key)
        runs.append(result)
        tampered += [t for t in channel.tampered if t not in tampered]
        current: str | None = None
        for event in events:
            kind = event.get("event")
            if kind == "import" and not event.get("ok"):
                import_error = str(event.get("error", ""))
            elif kind == "start":
                current = str(event.get("cls"))
            elif kind == "end":
                name = str(event.get("cls"))
                outcomes[name] = _outcome_from_event(name, event)
                current = None
        if import_error is not None:
            for name in remaining:
                outcomes[name] = _crashed(name, "import failed:\n" + import_error)
            break
        done = [c for c in remaining if c in outcomes]
        if len(done) == len(remaining):
            break
        # The process died or was killed inside a class: that class errs, the rest rerun fresh.
        if current is None:
            current = next(c for c in remaining if c not in outcomes)
            if not any(e.get("event") == "import" for e in events):
                why = f"sandbox ended before the module was imported ({result.status}):\n{result.stderr[-2000:]}"
                for name in remaining:
                    outcomes[name] = _crashed(name, why, timed_out=result.status in ("timeout", "stalled"))
                break
        timed_out = result.status in ("stalled", "timeout")
        outcomes[current] = _crashed(
            current,
            f"test class {'exceeded its time limit' if timed_out else 'killed the process'} ({result.status}, {result.signal or result.returncode}):\n{result.stderr[-2000:]}",
            timed_out=timed_out,
        )
        remaining = [c for c in remaining if c not in outcomes]
    ordered = [outcomes[c] for c in test_classes]
    if tampered:
        ordered = [o.model_copy(update={"status": "tampered"}) for o in ordered]
    return UnittestVerdict(
        passed=not tampered and all(o.passed for o in ordered),
        test_classes=ordered,
        import_error=import_error,
        tampered=tampered,
        isolation=runs[0].isolation if runs else [],
        sandbox_runs=runs,
    )


def _outcome_from_event(name: str, event: dict[str, object]) -> TestClassOutcome:
    def num(key: str) -> int:
        value = event.get(key, 0)
        return int(value) if isinstance(value, (int, float)) else 0

    tests_run, failures, errors = num("tests_run"), num("failures"), num("errors")
    problems_raw = event.get("problems") or []
    problems = [TestProblem.model_validate(p) for p in problems_raw] if isinstance(problems_raw, list) else []
    crash = event.get("crash")
    seconds = event.get("seconds")
    return TestClassOutcome(
        name=name,
        status=classify(tests_run, failures, errors),
        tests_run=tests_run,
        failures=failures,
        errors=errors,
        skipped=num("skipped"),
        seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
        problems=problems,
        crash=str(crash) if crash else None,
    )
