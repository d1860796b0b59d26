"""The judge agent's package part: pyright rounds over the whole package, check tests beside the run, the final check.

A mixin of :class:`agents.roles.JudgeAgent` (kept apart so the agent's file stays readable); the
machinery it drives is :mod:`agents.roles._package_checks`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import anyio
from anyio.abc import TaskGroup

from crdt_ws import SymbolSpan, TodoEntry, TodoStatus, Workspace, compiles, def_header
from crdt_ws import outline as crdt_outline

from ._judge_config import JudgeConfig, JudgeSummary
from ._package_checks import BackgroundCheck, CheckFailures, CheckRun, PackageRound, State, blameable, collection_error_of, failure_signature, state_of
from ._package_judge import PackageView
from ._readiness import drafted
from ._readiness import needs as _needs

__all__ = ["FinalCheck", "PackageJudging"]

FinalCheck = Callable[[Mapping[str, str], list[TodoEntry]], Awaitable[dict[str, str]]]
"""The last visible check of a multi-file run: given every file as committed (path -> text) and the TODOs, returns
TODO id -> failure report for the TODOs to reopen ({} when all pass).  The seam for the projects' check tests
(issue 21, Contract 5: ``agents.judge.run_project`` with ``ProjectTests(kind="visible")``, failures routed by
their traceback ``frames`` with :func:`agents.roles.todo_at`)."""


class PackageJudging:
    """The package half of the judge agent (see the module docstring); the agent supplies the state below."""

    workspace: Workspace
    final_check: FinalCheck | None
    config: JudgeConfig
    summary: JudgeSummary
    _round: PackageRound | None
    _checks: BackgroundCheck | None
    _tg: TaskGroup | None
    _acted: set[tuple[str, int]]
    _check_asked: set[tuple[str, int]]  # (TODO, attempt) a check run beside the run reopened or closed
    _in_round: bool  # the agent's loop is awaiting a package round
    _moved_in_round: anyio.Event  # set when the board changes while it does
    _all_drafted: bool  # every TODO has been committed once (seen by _check_beside; stays true)
    _imports: set[str] | None  # the plan's import-time TODOs (read from meta on first use)
    _imports_checked: State | None  # the import-time TODOs' attempts the latest drafting-time run started on
    _import_needs: set[str]  # what committed import-time code that stopped the import uses (see _imports_due)
    _final_rounds: int
    _import_rounds: int  # final-check rounds after the regular ones, for a package that did not import
    _final_state: State | None  # the board the latest final check saw
    _sees_imports: bool  # the latest final check could report a collection error (a CheckFailures)
    _check_signatures: dict[str, str]  # TODO id -> failure_signature of the check report that last reopened it
    _unchanged: set[tuple[str, int]]  # (TODO, attempt) closed because its repair left the failure as it was

    def _outlines(self) -> dict[str, str]:
        raise NotImplementedError

    def _reopen_or_close(self, entry: TodoEntry, feedback: str, *, reason: str, force: bool = False) -> bool:
        raise NotImplementedError

    def _close(self, entry: TodoEntry, feedback: str, *, reason: str) -> None:
        raise NotImplementedError

    def _check_verdict(self, entry: TodoEntry, report: str, *, reason: str, force: bool = False) -> bool:
        """Reopen ``entry`` for what the check tests found (see ``_reopen_or_close``), unless its last repair left
        that very failure as it was: then it is closed failing instead of drafted once more.

        The check tests blame the innermost frame, and code that raises as it should (a read past the end of a
        file another function wrote wrong) is blamed for its caller's fault; a second repair of it only risks
        breaking it (bplustree's ``read_from_file``: redrafted twice, right both times, then wrong).
        """
        signature = failure_signature(report)
        feedback = report[-self.config.feedback_chars :]
        if not force and self._check_signatures.get(entry.id) == signature:
            if (entry.id, entry.attempt) not in self._unchanged:  # the final check may see it again
                self._unchanged.add((entry.id, entry.attempt))
                self.summary.check_unchanged += 1
                self._close(entry, feedback, reason=f"{reason}_unchanged")
            return False
        self._check_signatures[entry.id] = signature
        return self._reopen_or_close(entry, feedback, reason=reason, force=force)

    async def _package_failures(self, ready: list[TodoEntry], entries: list[TodoEntry]) -> tuple[dict[str, str], dict[str, str]]:
        """Multi-file: pyright's conflicts over the whole committed package, as (ready TODO id -> report,
        already judged TODO id -> report) — the latter once per attempt."""
        if not self.config.pyright or self._round is None:
            return {}, {}
        routed = await self._round.routed(self._outlines(), entries)
        ready_ids = {e.id for e in ready}
        attempt = {e.id: e.attempt for e in entries}
        late = {i: lines for i, lines in routed.items() if i not in ready_ids and (i, attempt.get(i, -1)) not in self._acted}
        mine = {i: lines for i, lines in routed.items() if i in ready_ids}
        for lines in [*mine.values(), *late.values()]:
            self.summary.conflicts_found += len(lines)
        if mine or late:
            files = sorted({e.file for e in entries if e.id in mine or e.id in late})
            self.workspace.log("conflicts", None, files=files, count=sum(map(len, [*mine.values(), *late.values()])))
        def report(lines: list[str]) -> str:
            return "pyright found semantic conflicts:\n" + "\n".join(lines)
        return {i: report(x) for i, x in mine.items()}, {i: report(x) for i, x in late.items()}

    def _check_beside(self, entries: list[TodoEntry]) -> None:
        """Start the check tests on the committed package if it changed and no run is in flight."""
        checks, tg = self._checks, self._tg
        if checks is None or tg is None or self.config.check_during_run == "off" or checks.busy:
            return
        # A repair the check tests asked for is about to land: a run before it would meet its stub in the very
        # test that failed (check tests find faults one at a time along a call chain), so wait for it.  Not for
        # other repairs (a conflict pyright found): their stubs raise in the run (``open_raises``), so a test that
        # reaches one blames nobody, and waiting for them held flask's first check run back 4-8 s.
        repairing = {i for i, _ in self._check_asked}
        if any(e.id in repairing and e.status in (TodoStatus.PENDING, TodoStatus.CLAIMED) for e in entries):
            return
        imports_only = False
        if self._drafting():
            if not all(drafted(e) for e in entries):
                if not self._imports_due(entries):
                    return
                imports_only = True
            else:
                self._all_drafted = True  # for good: a reopened TODO keeps the verdict of its first commit
        if self._final_rounds >= self.config.final_check_rounds or not any(e.status == TodoStatus.DONE for e in entries):
            return
        outlines = self._outlines()
        if not outlines or self._round is None:
            return
        view = self._round.view
        checks.start(tg, lambda: view.files(outlines, entries, open_raises=True), entries, imports_only=imports_only)

    async def _checks_in_rounds(self) -> None:
        """While the loop awaits a package round, a commit starts the check tests at once.

        The loop starts them before each round only, so a repair that landed during a round (the tail's usual
        case: each repair's own verdict is a round) waited for that round's end: 0.4-1.9 s per link of
        flask's repair chain, measured.  Runs for the whole judge run; cancelled with its task group.
        """
        while True:
            await self._moved_in_round.wait()
            self._moved_in_round = anyio.Event()
            # Cheap gates first: while drafting, claims and heartbeats move the board many times a second.
            if self._in_round and self._checks is not None and not self._checks.busy and not self._drafting():
                self._check_beside(self.workspace.list_todos())

    def _imports_due(self, entries: list[TodoEntry]) -> bool:
        """While drafting: is a check run due because the package's import-time code is all committed, as it
        was not at the last such run?

        Until that code is in, the package does not import and no check test runs (an open stub raises); once
        it is, one run shows whether it imports, and a fault there is repaired beside the drafts instead of
        heading the repair chain at the end (flask's chain began with two).  A run whose import stops in a stub
        still open marks that stub ``import_time`` (:meth:`_mark_import_time`), so it is claimed next and the
        next run gets further; one stopped in committed code that cannot be blamed yet (what that code uses is
        not all committed, see ``blameable``) runs again once it is.  Only the import counts in such a run
        (``CheckRun.imports_only``): a test that fails while drafting goes on may rely on state a stub still
        open sets (pso's ``update_position`` reads a global that ``minimize`` assigns), so it blames nobody.
        """
        if self._imports is None:
            plan = self.workspace.meta.get("plan")
            self._imports = set(plan.get("imports") or []) if isinstance(plan, dict) else set()  # pyright: ignore[reportUnknownArgumentType, reportUnknownMemberType]
        imports = [e for e in entries if e.id in self._imports or e.id in self._import_needs or _marked(e)]
        if not imports or any(e.status != TodoStatus.DONE for e in imports):
            return False
        state = state_of(imports)
        if state == self._imports_checked:
            return False
        self._imports_checked = state
        return True

    def _mark_import_time(self, run: CheckRun, by_id: Mapping[str, TodoEntry], needs: Mapping[str, list[TodoEntry]]) -> None:
        """A run that could not import the package: mark the open stub that stopped it import-time, or wait for
        what the committed code that stopped it uses (a repair drafted without that in view is likely wrong again)."""
        if collection_error_of(run.result or {}) is None:
            return
        for todo_id in run.result or {}:
            entry = by_id.get(todo_id)
            if entry is not None and entry.status in (TodoStatus.PENDING, TodoStatus.CLAIMED) and not _marked(entry):
                self.workspace.update_todo(todo_id, import_time=True)
                self.workspace.log("import_time", todo_id)
            elif entry is not None and not blameable(entry, run.attempts, needs.get(todo_id, [])):
                self._import_needs |= {d.id for d in needs.get(todo_id, []) if d.id not in run.attempts}

    def _drafting(self) -> bool:
        """Check runs wait for every first draft ('drafted') and not all of them have been seen committed yet."""
        return self.config.check_during_run == "drafted" and not self._all_drafted

    def _check_finished(self) -> None:
        """A check run ended, or one still going blamed a TODO: while the loop awaits a package round, apply it now
        (its repairs start at once instead of after pyright's round, 0.2-1.1 s per link of flask's repair chain);
        else the loop takes it."""
        if self._in_round:
            entries = self.workspace.list_todos()
            self._apply_finished(entries, _needs(entries, ""))

    def _apply_finished(self, entries: list[TodoEntry], needs: dict[str, list[TodoEntry]]) -> bool:
        """Apply what the check tests found and was not applied yet: blames heard from the run in flight, then the
        latest finished run; True if it reopened any TODO."""
        if self._checks is None:
            return False
        heard = self._checks.take_early()
        reopened = heard is not None and self._apply_heard(*heard, entries, needs)
        done = self._checks.take()
        return (done is not None and self._apply_check(done, entries, needs)) or reopened

    def _apply_heard(self, run: CheckRun, heard: list[tuple[str, str]], entries: list[TodoEntry], needs: dict[str, list[TodoEntry]]) -> bool:
        """Reopen what a check run still going has blamed so far: its repair starts while the rest of the tests run
        (a repair chain's next fault is usually in the test that failed last time).  Only what the run's result
        would reopen: never while drafting, never past ``max_repairs`` (the final check's import rounds decide
        those once the run is in)."""
        if run.imports_only:
            return False
        by_id = {e.id: e for e in entries}
        reopened: list[str] = []
        with self.workspace.transaction():
            for todo_id, report in heard:
                entry = by_id.get(todo_id)
                if entry is not None and self._reopen_for_check(run, entry, report, needs, broken=False):
                    reopened.append(todo_id)
            if reopened:
                self.summary.check_reopened += len(reopened)
                self.workspace.log("check_tests", None, failing=sorted({t for t, _ in heard}), reopened=reopened, early=True)
        return bool(reopened)

    def _apply_check(self, run: CheckRun, entries: list[TodoEntry], needs: dict[str, list[TodoEntry]]) -> bool:
        """Reopen what a check run during the run blamed (see ``blameable``); True if it reopened any.

        Once every TODO is drafted, a run that could not import the package is the final check's import round
        come early: the TODO whose code raised is reopened even when out of repairs, while ``import_rounds``
        last (the final check would do it anyway, after every other repair had settled: flask waited 6-10 s
        for it, with check runs blaming that TODO and doing nothing meanwhile).
        """
        assert run.result is not None
        by_id = {e.id: e for e in entries}
        reopened: list[str] = []
        cannot_import = collection_error_of(run.result) is not None
        broken = cannot_import and all(drafted(e) for e in entries)
        with self.workspace.transaction():
            self._mark_import_time(run, by_id, needs)
            for todo_id, report in run.result.items() if cannot_import or not run.imports_only else ():
                entry = by_id.get(todo_id)
                if entry is not None and self._reopen_for_check(run, entry, report, needs, broken=broken):
                    reopened.append(todo_id)
            self.summary.check_reopened += len(reopened)
            self.workspace.log("check_tests", None, failing=sorted(run.result), reopened=reopened)
        return bool(reopened)

    def _reopen_for_check(self, run: CheckRun, entry: TodoEntry, report: str, needs: dict[str, list[TodoEntry]], *, broken: bool) -> bool:
        """Reopen ``entry`` for what ``run`` blamed on it, once per attempt; True if reopened."""
        if (entry.id, entry.attempt) in self._acted or not blameable(entry, run.attempts, needs.get(entry.id, [])):
            return False
        force = False
        if _int((entry.model_extra or {}).get("repairs")) >= self.config.max_repairs:
            if not broken or self._import_rounds >= self.config.import_rounds:
                return False  # out of repairs: the final check gives the last word
            self._import_rounds += 1  # one of the final check's import rounds, spent now
            force = True
        self._acted.add((entry.id, entry.attempt))
        self._check_asked.add((entry.id, entry.attempt))
        return self._check_verdict(entry, report, reason="check_test", force=force)

    async def _final(self, entries: list[TodoEntry]) -> bool:
        """The final check (a multi-file run's check tests): reopen the TODOs it names; True if it reopened any.

        A check run beside the run on exactly this board is this check (waited for if still going).

        A package that does not import scores 0 on every hidden test, and a collection error is cheap to
        see, so it gets more than the regular ``final_check_rounds``: the TODO whose import-time code
        raised is reopened even when it is out of repairs, and once the regular rounds are spent the check
        runs again on every new board while ``import_rounds`` last, acting on a collection error only.
        Each extra round needs a board changed since the last check, and only a reopen changes it, so the
        rounds stop at the first clean import, at the first collection error that blames no TODO, or at
        the cap: a TODO that keeps breaking the import cannot keep the judge going.  A check that returns a
        plain ``dict`` cannot report a collection error (only a :class:`CheckFailures` does) and gets none.
        """
        if self.final_check is None:
            return False
        regular = self._final_rounds < self.config.final_check_rounds
        state = state_of(entries)
        if not regular and (self._import_rounds >= self.config.import_rounds or state == self._final_state or not self._sees_imports):
            return False
        if self._checks is not None and regular:
            # A run still going is waited for rather than cancelled (it is usually nearer its end than a new
            # one is), and what it found is applied like any run's: a repair now beats a final check first.
            await self._checks.settle()
            done = self._checks.take()
            if done is not None and self._apply_check(done, entries, _needs(entries, "")):
                return True
        if regular:
            self._final_rounds += 1
        else:
            self._import_rounds += 1
        self._final_state = state
        outlines = self._outlines()
        last = self._checks.last if self._checks is not None else None
        same = last if last is not None and last.state == state else None
        if same is not None and same.result is not None:
            failing = same.result
        else:
            view = self._round.view if self._round is not None else PackageView()
            files = await anyio.to_thread.run_sync(view.files, outlines, entries) if outlines else {
                p: self.workspace.read(p) for p in self.workspace.paths()
            }  # fmt: skip
            failing = await self.final_check(files, entries)
        broken = collection_error_of(failing)
        self._sees_imports = isinstance(failing, CheckFailures)  # a check that cannot tell gets no import rounds
        by_id = {e.id: e for e in entries}
        reopened = False
        with self.workspace.transaction():
            if regular or broken is not None:
                for todo_id, report in failing.items():
                    entry = by_id.get(todo_id)
                    if entry is not None and entry.status == TodoStatus.DONE:
                        # Out of repairs or not, nothing runs while the package does not import.
                        done = self._check_verdict(entry, report, reason="final_check", force=broken is not None)
                        reopened = done or reopened
            self.summary.import_reopened += int(broken is not None and reopened)
            self.workspace.log(
                "final_check", None, failing=sorted(failing), reopened=reopened, reused=same is not None,
                round="regular" if regular else "import", collection_error=broken is not None,
            )  # fmt: skip
        return reopened

    def _restore_files(self, entries: list[TodoEntry]) -> list[str]:
        """Rewrite each buffer that no longer parses to the package as committed (its skeleton, every done result,
        the imports the commits brought); the paths rewritten.

        Every verdict, pyright round and check test was given on that committed text, while the hidden tests
        score the buffer: a file broken outside every TODO's region (text two edits interleaved, a stray
        fragment: ``restore_regions`` puts back regions only) would make the package fail to import and
        score 0.  A buffer that parses is left as it is, and so is one whose committed text does not parse
        either (nothing better to offer).
        """
        outlines = self._outlines()
        if not outlines:
            return []
        ws = self.workspace
        view = self._round.view if self._round is not None else PackageView()
        restored: list[str] = []
        for path, text in view.files(outlines, entries).items():
            if path not in ws.files:
                continue
            current = ws.read(path)
            if current == text or compiles(current) or not compiles(text):
                continue
            with ws.transaction():
                ws.edit(path, 0, len(current), text)
                ws.log("file_restored", None, file=path)
            restored.append(path)
        return restored

    def _restore_decorators(self, entries: list[TodoEntry]) -> list[str]:
        """Give a done TODO's definition back the skeleton's decorators when the buffer holds it with none; the ids.

        The stub is the contract, decorators included (merge's splice puts back the stub's decorators on an
        undecorated reply), yet a definition has been seen committed without them (trailscraper's click
        commands: ``root_group.add_command(select)`` then fails at import, every hidden test 0).  Done at
        the end, when no agent writes any more: the decorators go in front of the definition, and the
        TODO's recorded result follows its region.  A definition with decorators of its own is left alone.
        """
        outlines = self._outlines()
        ws = self.workspace
        restored: list[str] = []
        for path, skeleton in outlines.items():
            mine = [e for e in entries if e.file == path and e.status == TodoStatus.DONE and e.result]
            if not mine or path not in ws.files:
                continue
            stubs = {sp.qualname: _decorator_lines(skeleton[sp.start : sp.end]) for sp in _spans(skeleton)}
            for entry in mine:
                decorators = stubs.get(entry.symbol)
                source = ws.read(path)
                span = next((sp for sp in _spans(source) if sp.qualname == entry.symbol), None)
                if not decorators or span is None or _decorator_lines(source[span.start : span.end]):
                    continue
                with ws.transaction():
                    ws.edit(path, span.start, span.start, "".join(decorators))
                    region = ws.read(path)[span.start : span.end + sum(map(len, decorators))]
                    ws.update_todo(entry.id, result=region)
                    ws.log("decorators_restored", entry.id, decorators=len(decorators))
                restored.append(entry.id)
        return restored


def _spans(source: str) -> list[SymbolSpan]:
    try:
        return [sp for sp in crdt_outline(source) if sp.kind == "def"]
    except (SyntaxError, ValueError):
        return []


def _decorator_lines(region: str) -> list[str]:
    """The lines of a definition's region before its ``def`` line (its decorators, continuation lines included)."""
    lines = region.splitlines(keepends=True)
    head = next((i for i, line in enumerate(lines) if def_header(line) is not None), 0)
    return lines[:head]


def _marked(entry: TodoEntry) -> bool:
    """Marked import-time on the board by :meth:`PackageJudging._mark_import_time` (the choosers read it too:
    ``agents.scheduler``'s ``runs_at_import``)."""
    return (entry.model_extra or {}).get("import_time") is True


def _int(value: object) -> int:
    return int(value) if isinstance(value, (int, float)) else 0
