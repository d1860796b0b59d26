"""The judge's checks of a package while the run goes on: pyright per round, the check tests beside it.

Faults found late are repaired late, and a repair made after every draft is
in is the whole tail of a run.  So a package is checked as commits arrive:

* **pyright per round** (:class:`PackageRound`): one ``PyrightServer.check``
  over every file as committed, the skeleton's own conflicts taken once at
  the start (before the first commit lands).  Every done TODO awaiting a
  verdict is judged in the round that follows its commit (a package check
  does not need its neighbours' verdicts first: a conflict is routed to the
  region that holds it), and a conflict that shows up in the region of a
  TODO already judged (a name set by a constructor that only now completed
  the file) reopens that TODO too, once per attempt.  The round remembers the
  state of the board it saw, so the judge's end-of-run conflict round is
  skipped when the last round already saw the final text.
* **check tests beside the run** (:class:`BackgroundCheck`): the same
  :data:`FinalCheck` seam, run in the judge's task group whenever the package
  has new commits and no run is in flight (one at a time: a run started on
  an old state finishes, then the next one starts on the newest).  Its
  verdicts only reopen a TODO still at the attempt the tests saw, done, not
  yet acted on for that attempt, and whose own dependencies are all done (a
  failure that starts in code calling a stub still to come is not news).  A
  hung run never blocks verdicts: the judge loop does not wait for it, and
  the final check waits for it (a hung test is bounded by the sandbox's
  per-test timeout) and reuses it when it saw the final board.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping

import anyio
from anyio.abc import TaskGroup

from crdt_ws import TodoEntry, TodoStatus

from agents.judge import Judge, ProjectTests, PyrightServer, SemanticConflict, TestOutcome

from ._package_judge import PackageView, conflict_key, foreign, package_classes, package_conflicts, package_names, premature, route_conflicts, todo_at, top_level_names

__all__ = [
    "BackgroundCheck", "CheckFailures", "CheckRun", "PackageRound", "State", "blameable", "collection_error_of", "failure_signature", "pytest_check",
    "state_of",
]  # fmt: skip

State = tuple[tuple[str, int], ...]
"""What a package check depends on: each done TODO's (id, attempt) (an open TODO is its stub, claimed or not)."""

Check = Callable[[Mapping[str, str], list[TodoEntry]], Awaitable[dict[str, str]]]


class CheckFailures(dict[str, str]):
    """What one run of the check tests found: TODO id -> report (a plain ``dict`` to every reader), and
    ``collection_error``, set when the package did not import, so no test ran (the benchmark scores that 0).

    A :data:`FinalCheck` may return a plain ``dict``; it then never reports a collection error.
    """

    def __init__(self, failures: Mapping[str, str] | None = None, *, collection_error: str | None = None) -> None:
        super().__init__(failures or {})
        self.collection_error = collection_error


def collection_error_of(failures: Mapping[str, str]) -> str | None:
    """Why the check tests could not be collected, if the check said so (see :class:`CheckFailures`)."""
    return failures.collection_error if isinstance(failures, CheckFailures) else None


def state_of(entries: list[TodoEntry]) -> State:
    """The board as far as the committed package is concerned (the text follows from it)."""
    return tuple(sorted((e.id, e.attempt) for e in entries if e.status == TodoStatus.DONE))


class PackageRound:
    """pyright over the whole committed package, minus the skeleton's own conflicts."""

    def __init__(self, pyright: PyrightServer) -> None:
        self.pyright = pyright
        self.view = PackageView()
        self.seen: State | None = None  # the board the last round checked
        self.seen_files: dict[str, str] = {}  # and the text it checked
        self._baseline: set[tuple[str, str, str, str]] | None = None
        self._names: set[str] = set()
        self._top: set[str] = set()
        self._classes: dict[str, set[str]] = {}

    async def baseline(self, outlines: Mapping[str, str]) -> None:
        """The skeleton's own conflicts (checked once; cheap to call again)."""
        if self._baseline is None:
            self._baseline = {conflict_key(c) for c in await package_conflicts(self.pyright, outlines)}
            self._names = package_names(outlines)
            self._top = top_level_names(outlines)
            self._classes = package_classes(outlines)

    async def new_conflicts(self, files: Mapping[str, str], outlines: Mapping[str, str]) -> list[SemanticConflict]:
        """The package's conflicts, minus those its skeleton already has and those pyright cannot judge on untyped code."""
        await self.baseline(outlines)
        assert self._baseline is not None
        found = await package_conflicts(self.pyright, files)
        return [c for c in found if conflict_key(c) not in self._baseline and not foreign(c, self._names, files, self._classes)]

    async def routed(self, outlines: Mapping[str, str], entries: list[TodoEntry]) -> dict[str, list[str]]:
        """TODO id -> conflict lines, over the committed package as ``entries`` have it (premature ones left out)."""
        files = await anyio.to_thread.run_sync(self.view.files, outlines, entries)
        conflicts = [c for c in await self.new_conflicts(files, outlines) if not premature(c, entries, files, self._top, self._classes)]
        self.seen, self.seen_files = state_of(entries), files
        return route_conflicts(conflicts, entries)

    def saw(self, state: State, files: Mapping[str, str]) -> bool:
        """Did the last round check exactly this board and this text?"""
        return self.seen == state and dict(files) == self.seen_files


class CheckRun:
    """One run of the check tests: the board it saw, and what it found."""

    def __init__(self, state: State, entries: list[TodoEntry], *, imports_only: bool = False) -> None:
        self.state = state
        self.attempts = dict(state)  # the committed attempts the tests ran: an open TODO ran as its stub
        self.imports_only = imports_only  # only whether the package imports counts (a run while drafting goes on)
        self.result: dict[str, str] | None = None
        self.error: str | None = None
        self.done = anyio.Event()
        self.early: list[tuple[str, str]] = []  # (TODO, report) heard while the run went on, not taken yet


class BackgroundCheck:
    """The check tests run beside the judge loop: one run in flight, the next on the newest state."""

    def __init__(self, check: Check, wake: Callable[[], None], *, early: bool = True) -> None:
        self.check = check
        self.wake = wake
        self.early = early and isinstance(check, PytestCheck)  # blames are heard as tests fail, not only at the end
        self.runs = 0
        self.seconds = 0.0
        self._current: CheckRun | None = None
        self._finished: CheckRun | None = None  # the latest run that completed, not yet taken
        self._began: State | None = None  # the board the latest run started on
        self.last: CheckRun | None = None  # the latest run that completed

    @property
    def busy(self) -> bool:
        return self._current is not None

    def start(self, tg: TaskGroup, files: Callable[[], Mapping[str, str]], entries: list[TodoEntry], *, imports_only: bool = False) -> bool:
        """Start a run on this state (``files()``: its text) unless one is in flight or this state was checked already; True if started."""
        state = state_of(entries)
        if self._current is not None or self._began == state:
            return False
        run = CheckRun(state, entries, imports_only=imports_only)
        self._began = state
        self._current = run
        tg.start_soon(self._run, run, dict(files()), list(entries))
        return True

    async def _run(self, run: CheckRun, files: dict[str, str], entries: list[TodoEntry]) -> None:
        began = anyio.current_time()
        try:
            try:
                if self.early:
                    assert isinstance(self.check, PytestCheck)
                    run.result = await self.check.stream(files, entries, lambda todo, report: self._heard(run, todo, report))
                else:
                    run.result = await self.check(files, entries)
            except Exception as exc:  # noqa: BLE001 - a broken check run is skipped, never fatal to the judge
                run.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.seconds += anyio.current_time() - began
            self.runs += 1
            if self._current is run:
                self._current = None
            if run.result is not None:
                self._finished = self.last = run
            run.done.set()
            self.wake()

    def _heard(self, run: CheckRun, todo: str, report: str) -> None:
        if self._current is run:
            run.early.append((todo, report))
            self.wake()

    def take_early(self) -> tuple[CheckRun, list[tuple[str, str]]] | None:
        """The run in flight and the blames it reported since the last call (once its result is in, that has them all)."""
        run = self._current
        if run is None or not run.early:
            return None
        heard, run.early = run.early, []
        return run, heard

    def take(self) -> CheckRun | None:
        """The latest completed run not taken yet (its verdicts are to be applied once)."""
        run, self._finished = self._finished, None
        return run

    async def settle(self) -> None:
        """Wait for the run in flight, if any (its result is then :meth:`take`-able)."""
        current = self._current
        if current is not None:
            await current.done.wait()


def blameable(entry: TodoEntry, attempts: Mapping[str, int], needs: list[TodoEntry]) -> bool:
    """May a check-test failure seen during the run reopen ``entry``?

    Only the attempt the tests ran, still committed, and only if everything its code relies on was
    committed when the tests ran (``attempts``: the run's committed TODOs): a failure that starts where
    its code meets a stub is not news, even if the stub's code has landed since.
    """
    return entry.status == TodoStatus.DONE and attempts.get(entry.id) == entry.attempt and all(d.id in attempts for d in needs)


def failure_signature(report: str) -> str:
    """What a check report says, with what a repair elsewhere shifts left out: line numbers and object addresses.

    Two reports with the same signature are the same tests failing the same way at the same code.
    """
    return re.sub(r"0x[0-9a-fA-F]+", "0x", re.sub(r"(\.py[\"']?,? (?:line )?|\.py:)\d+", r"\1", report))


def pytest_check(judge: Judge, tests: Callable[[], Awaitable[ProjectTests]]) -> PytestCheck:
    """A :data:`FinalCheck` from a project's visible pytest tests, run with ``judge.run_project``.

    Each failing test blames the TODO whose region holds the innermost traceback frame inside a TODO
    (:func:`todo_at`), or, when no frame is in one (a CLI runner that catches the exception and returns an exit
    code), the one TODO whose committed code uses the name the failure says is missing (:func:`named_culprit`);
    only the test's id and message go back as the reason.  The result is a
    :class:`CheckFailures` (a collection error blames the code that raised at import).  ``tests`` is awaited on
    each run (the project's environment may be made on first use).  Run beside the judge loop
    (:class:`BackgroundCheck`) it also reports each blame as its test fails (:meth:`PytestCheck.stream`).
    """
    return PytestCheck(judge, tests)


class PytestCheck:
    """The check of :func:`pytest_check`: callable as a :data:`FinalCheck`, or streaming its blames."""

    def __init__(self, judge: Judge, tests: Callable[[], Awaitable[ProjectTests]]) -> None:
        self.judge = judge
        self.tests = tests
        self._named: dict[tuple[str, str], int] = {}  # (TODO, missing name) -> the attempt first blamed for it, in this run

    async def __call__(self, files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        return await self.stream(files, todos)

    async def stream(self, files: Mapping[str, str], todos: list[TodoEntry], found: Callable[[str, str], None] | None = None) -> CheckFailures:
        """Run the tests; ``found(todo, report)`` hears each failing test's blame as it fails, the result has them all."""
        blamed: dict[str, tuple[str | None, str]] = {}  # nodeid -> (TODO or None, note): each test blamed once

        def blame(test: TestOutcome) -> tuple[str | None, str]:
            if test.nodeid not in blamed:
                todo = _innermost(files, todos, test.frames) if test.frames else named_culprit(test.message or "", todos, self._named)
                blamed[test.nodeid] = (todo, f"check test {test.nodeid} {test.outcome}: {(test.message or '').strip()[:800]}")
            return blamed[test.nodeid]

        def on_test(test: TestOutcome) -> None:
            if test.outcome in ("failed", "error") and found is not None:
                todo, note = blame(test)
                if todo is not None:
                    found(todo, note)

        result = await self.judge.run_project(files, await self.tests(), on_test=on_test if found is not None else None)
        reopen = CheckFailures(collection_error=result.collection_error)
        if result.collection_error is not None:  # nothing ran: the code that raised at import is to blame
            todo = _innermost(files, todos, result.collection_frames)
            if todo is not None:
                reopen[todo] = f"the check tests could not be collected: {result.collection_error.strip()[-800:]}"
        for test in result.tests:
            if test.outcome in ("passed", "skipped"):
                continue
            todo, note = blame(test)
            if todo is not None:  # a stub still to come owns its frame too, and then blames nobody
                reopen[todo] = (reopen[todo] + "\n" + note) if todo in reopen else note
        return reopen


_MISSING = (
    re.compile(r"has no attribute '(?P<name>\w+)'"),  # AttributeError: obj.name
    re.compile(r"name '(?P<name>\w+)' is not defined"),  # NameError
    re.compile(r"unexpected keyword argument '(?P<name>\w+)'"),  # TypeError at a call site: name=...
)


def named_culprit(message: str, todos: list[TodoEntry], named: dict[tuple[str, str], int] | None = None) -> str | None:
    """The one done TODO whose committed code uses the name ``message`` says is missing (None: none, or several).

    click's test runner catches the exception and returns exit code 1, so the test fails at its own
    ``assert result.exit_code == 0`` with no frame in the package (trailscraper's check tests); the message
    still holds the exception: ``AttributeError("type object 'datetime.datetime' has no attribute 'strptimes'")``.
    The code that used the missing name is the code to redo, and a name used by several TODOs blames none.

    The message is written by code under test, so any TODO can name another's name and get it reopened.
    ``named`` (kept across one run's checks, updated here) bounds that to one repair: a message naming a
    name that an earlier attempt of the same TODO was already blamed for blames nobody (a real culprit's
    repair drops the name or moves the failure; a forged message outlives any repair of the TODO it names).
    """
    names = {m.group("name") for pattern in _MISSING for m in pattern.finditer(message)}
    if not names:
        return None
    uses = {
        e.id: (e, used)
        for e in todos
        if e.status == TodoStatus.DONE
        and e.result
        and (used := {n for n in names if re.search(rf"(?<![\w'\"]){re.escape(n)}\b", e.result or "")})
    }
    if len(uses) != 1:
        return None
    ((culprit, used),) = uses.values()
    if named is not None:
        first = [named.setdefault((culprit.id, n), culprit.attempt) for n in used]  # records the names new to it
        if all(attempt < culprit.attempt for attempt in first):
            return None
    return culprit.id


def _innermost(files: Mapping[str, str], todos: list[TodoEntry], frames: list[tuple[str, int]]) -> str | None:
    """The TODO holding the innermost of ``frames`` that falls in one: the code that raised."""
    for path, line in frames[::-1]:
        todo = todo_at(files, todos, path, line)
        if todo is not None:
            return todo
    return None
