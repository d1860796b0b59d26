"""The judge agent: verdicts as TODOs complete, repair by reopening, semantic conflicts at the end.

It watches the TODO map.  A done TODO is judged once the TODOs its checks
need (its ``deps`` and the stubs its doctest examples call) are judged too,
so a method is not blamed for a neighbour that is still a stub.  Checks are
the *visible* ones only: the symbol's doctest examples from the outline, run
in the sandbox against the committed module (the outline plus every done
result).  A failure reopens the TODO for repair with the doctest report as
feedback, at most ``max_repairs`` times; implementers are never blocked
while this happens.  When every TODO has a final verdict, pyright looks for
semantic conflicts in the shared buffer: duplicate definitions are
reconciled in place, broken references reopen the TODO that holds them
(bounded too).  Then ``meta.phase`` becomes ``finished``.

Coordination stays off the critical path where it cannot change an outcome:
a dependency whose verdict cannot change its code (no repair left, no re-draft
can follow) is judged in the same round as the checks that call it, rather than
one sandbox round per link; single-file rounds run beside the loop, so a
completion that makes a re-draft due is acted on at once; a re-draft waits
only for verdicts that can still change what it reads; and once nothing is
left to draft, pyright is handed the buffer while the last verdicts run.

Multi-file tasks (``meta.outlines``): doctest examples are not run (the
projects' skeletons carry the benchmark's docstrings, whose examples are not
checks).  Instead every round of verdicts runs pyright over the whole package
as committed (one ``PyrightServer.check`` over every file, paths as in the
document): a wrong import name or a call that does not match a sibling
module's signature is a semantic conflict, routed to the TODO that caused it
(``agents.roles._package_judge``) and reopened like a failed check.  Before
finishing, an optional :data:`FinalCheck` (the project's visible check tests)
sees the committed package and names failing TODOs, which are reopened for
``final_check_rounds`` rounds (and ``import_rounds`` more while the package
does not import).  The same check also runs beside the run whenever the
package has new commits (``check_during_run``), so a fault is repaired while
other TODOs are still drafted (``agents.roles._package_checks``).  At the end,
a buffer that no longer parses is rewritten to the committed text every
verdict was given on, and a definition held without the skeleton's
decorators gets them back.
"""

from __future__ import annotations

from collections.abc import Callable
import anyio
from anyio.abc import TaskGroup

from claim_protocol import restore_regions
from crdt_ws import Presence, TodoEntry, TodoStatus, Workspace

from agents.judge import Judge, PyrightError, PyrightServer, VisibleChecks, outline_doctests
from agents.scheduler import awaiting_verdict

from ._observed import redrafts_due, speculative, used_stubs
from ._judge_config import JudgeConfig, JudgeSummary, summary_dict
from ._judge_conflicts import ConflictRound
from ._judge_package import FinalCheck, PackageJudging
from ._package import is_package
from ._package_checks import BackgroundCheck, PackageRound, State, state_of
from ._phase import is_over
from ._readiness import judgeable as _judgeable
from ._readiness import needs as _needs
from ._snapshot import Snapshot

__all__ = ["FinalCheck", "JudgeAgent", "JudgeConfig", "JudgeSummary"]

class JudgeAgent(PackageJudging, ConflictRound):
    """Judges committed TODOs as they arrive, on its own replica."""

    def __init__(
        self,
        workspace: Workspace,
        judge: Judge,
        config: JudgeConfig | None = None,
        *,
        pyright: PyrightServer | None = None,
        final_check: FinalCheck | None = None,
    ) -> None:
        self.workspace = workspace
        self.config = config or JudgeConfig()
        self.final_check = final_check
        self._final_rounds = 0
        self._import_rounds = 0
        self._final_state: State | None = None
        self._sees_imports = False
        self._round = PackageRound(pyright) if pyright is not None else None
        self._changed = anyio.Event()
        self._checks = BackgroundCheck(final_check, self._changed.set, early=self.config.early_blames) if final_check is not None else None
        self._acted: set[tuple[str, int]] = set()  # (TODO, attempt) already reopened or closed outside its own verdict
        self._check_asked: set[tuple[str, int]] = set()
        self._in_round = False  # the loop awaits a package round (pyright): a check run that ends is applied at once
        self._moved_in_round = anyio.Event()  # the board changed while the loop awaited a package round
        self._all_drafted = False
        self._imports: set[str] | None = None
        self._imports_checked: State | None = None
        self._import_needs: set[str] = set()
        self._check_signatures: dict[str, str] = {}
        self._unchanged: set[tuple[str, int]] = set()
        self._tg: TaskGroup | None = None
        self.judge = judge
        self.pyright = pyright
        self.summary = JudgeSummary()
        self._conflict_rounds = 0
        self._started = 0.0
        self._snapshot: Snapshot | None = None
        self._blind: set[str] = set()  # TODOs some committed draft of which used a stub it had not seen
        self._judging: set[tuple[str, int]] = set()  # (TODO, attempt) in a verdict round running beside the loop
        self._snapshot_lock = anyio.Lock()  # rounds may overlap; the snapshot is spliced by one at a time
        self._warmed: dict[str, str] | None = None  # the texts last handed to pyright ahead of the end-of-run check

    async def prepare(self) -> None:
        """Work that needs only the published skeleton (a package's own pyright conflicts): call it before
        the implementers start, so the first round of verdicts does not pay for it (optional; run does it too)."""
        outlines = self._outlines()
        if outlines and self.config.pyright and self._round is not None:
            await self._round.baseline(outlines)

    async def run(self) -> JudgeSummary:
        """Judge until every TODO has a final verdict and the conflicts are dealt with."""
        self.workspace.set_presence(Presence(agent=self.workspace.agent_id, role="judge", color="#000000"))
        self._started = anyio.current_time()

        def wake(_: object = None) -> None:
            self._changed.set()
            if self._in_round:
                self._moved_in_round.set()

        def checked() -> None:
            self._check_finished()
            wake()

        if self._checks is not None:
            self._checks.wake = checked
        sub = self.workspace.todos.observe_deep(wake)
        meta_sub = self.workspace.meta.observe(wake)
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                if self._checks is not None:
                    tg.start_soon(self._checks_in_rounds)
                await self.prepare()
                while not await self.step():
                    await self._changed.wait()
                    self._changed = anyio.Event()
                tg.cancel_scope.cancel()  # a check run still going on an old state
        finally:
            self._tg = None
            self.workspace.todos.unobserve(sub)
            self.workspace.meta.unobserve(meta_sub)
        if self._checks is not None:
            self.summary.check_runs, self.summary.check_seconds = self._checks.runs, self._checks.seconds
        return self.summary

    def _outlines(self) -> dict[str, str]:
        return dict(self.workspace.meta.get("outlines") or {}) if is_package(self.workspace.meta) else {}  # pyright: ignore[reportUnknownArgumentType]

    async def step(self) -> bool:
        """Judge what is ready; True once the run is finished."""
        ws = self.workspace
        if is_over(ws):
            return True
        outline = str(ws.meta.get("outline", ""))
        entries = ws.list_todos()
        # Re-drafts first: a draft that will be re-drafted need not wait for verdicts it does not depend on.
        if self._redraft(entries, outline):
            return False
        needs = _needs(entries, outline)
        if self._apply_finished(entries, needs):
            return False
        package = is_package(ws.meta)
        # A package check routes each conflict to the region holding it: no verdict waits for a neighbour's.
        ready = [e for e in entries if awaiting_verdict(e)] if package else _judgeable(entries, needs, self._final_verdict(entries))
        self._check_beside(entries)  # before the round: the tests run while pyright does
        self._warm_pyright(entries)  # before the round: pyright reads the final text while the last verdicts run
        # Not twice, and not before a round judging what its check depends on has given its verdicts.
        ready = [
            e for e in ready if (e.id, e.attempt) not in self._judging and not any((d.id, d.attempt) in self._judging for d in needs.get(e.id, []))
        ]
        if ready and (package or self._tg is None):
            self._in_round = package
            try:
                await self._judge(ready, entries, outline, needs)
            finally:
                self._in_round = False
            return False
        if ready and self._tg is not None:
            # Single-file rounds run beside the loop: a completion that makes a re-draft due, or a TODO that
            # becomes judgeable, is acted on at once instead of after the sandbox run of an unrelated verdict.
            batch = {(e.id, e.attempt) for e in ready}
            self._judging |= batch
            self._tg.start_soon(self._judge_beside, ready, entries, outline, needs, batch)
            return False
        if any(e.status in (TodoStatus.PENDING, TodoStatus.CLAIMED) or awaiting_verdict(e) for e in entries):
            return False
        if self.summary.first_all_pass_s is None and all(e.verdict == "pass" for e in entries):
            self.summary.first_all_pass_s = anyio.current_time() - self._started
        # The end-of-run round reads the buffer itself (a stray duplicate, a region the view does not hold):
        # needed only if the last per-round check did not see exactly this text.
        seen = package and self._round is not None and self._round.saw(state_of(entries), {p: ws.read(p) for p in ws.paths()})
        if self.config.pyright and self.pyright is not None and not seen and await self._conflicts(entries):
            return False
        if await self._final(entries):
            return False
        # Verdicts were given on recorded results: whatever happened to the buffer since (a completion
        # that arrived after every claim loop ended), it must hold exactly those.
        self.summary.regions_restored += len(restore_regions(ws))
        self.summary.files_restored += len(self._restore_files(ws.list_todos()))
        self.summary.decorators_restored += len(self._restore_decorators(ws.list_todos()))
        if self._checks is not None:
            self.summary.check_runs, self.summary.check_seconds = self._checks.runs, self._checks.seconds
        with ws.transaction():
            ws.set_meta(phase="finished", judge=summary_dict(self.summary))
            ws.log("finished", None, passed=self.summary.passed, failed=self.summary.failed, reopened=self.summary.reopened)
        return True

    async def _judge_beside(
        self,
        ready: list[TodoEntry],
        entries: list[TodoEntry],
        outline: str,
        needs: dict[str, list[TodoEntry]],
        batch: set[tuple[str, int]],
    ) -> None:
        try:
            await self._judge(ready, entries, outline, needs)
        finally:
            self._judging -= batch
            self._changed.set()  # the loop may be waiting for this round only (it may have written nothing)

    async def _judge(
        self, ready: list[TodoEntry], entries: list[TodoEntry], outline: str, needs: dict[str, list[TodoEntry]]
    ) -> None:
        late: dict[str, str] = {}
        if is_package(self.workspace.meta):
            failures, late = await self._package_failures(ready, entries)
            reason = "conflict"
        else:
            failures = await self._doctest_failures(ready, entries, outline)
            reason = "doctest"
        batch = {e.id for e in ready}
        ws = self.workspace
        with ws.transaction():
            for entry in ws.list_todos():
                if entry.id in late and entry.status == TodoStatus.DONE and entry.verdict == "pass" and not awaiting_verdict(entry):
                    # Judged before the conflict showed (the file completed since): its attempt is reopened once.
                    self._acted.add((entry.id, entry.attempt))
                    self.summary.failed += 1
                    self._reopen_or_close(entry, late[entry.id][-self.config.feedback_chars :], reason=reason)
                    continue
                if entry.id not in {e.id for e in ready} or not awaiting_verdict(entry):
                    continue  # reopened or redone meanwhile: judge the new attempt later
                self.summary.checks += 1
                seen = (entry.model_extra or {}).get("seen")
                if isinstance(seen, list) and used_stubs(entry, entries) - {str(x) for x in seen}:  # pyright: ignore[reportUnknownVariableType]
                    self._blind.add(entry.id)
                    self.summary.blind_drafts = len(self._blind)
                report = failures.get(entry.id)
                if report is None:
                    self.summary.passed += 1
                    ws.update_todo(entry.id, verdict="pass", judged_attempt=entry.attempt, feedback=None, revising=None)
                    ws.log("verdict", entry.id, verdict="pass", attempt=entry.attempt)
                else:
                    self.summary.failed += 1
                    # A dependency judged in this same round counts with the verdict it gets here.
                    failing = [d.symbol for d in needs.get(entry.id, []) if d.verdict == "fail" or (d.id in failures and d.id in batch)]
                    if failing and reason == "doctest":
                        # Blame stays where it belongs: rewriting this one cannot fix a broken dependency.
                        report = f"its check depends on {', '.join(failing)}, which failed its own\n{report}"
                        self._close(entry, report[-self.config.feedback_chars :], reason="dependency")
                    else:
                        self._reopen_or_close(entry, report[-self.config.feedback_chars :], reason=reason)

    def _warm_pyright(self, entries: list[TodoEntry]) -> None:
        """Single-file: once nothing is left to draft, hand the buffer to pyright beside the last verdicts.

        The end-of-run check waits for every verdict and then analyses the final
        text; a server that has already analysed that text answers at once (an
        unchanged file is not re-sent), so the analysis leaves the critical path.
        If a re-draft changes the text afterwards, that is one more analysis, not
        a wrong one: the end-of-run check always reads the buffer as it is then.
        """
        ws = self.workspace
        if self._tg is None or not self.config.pyright or self.pyright is None or is_package(ws.meta):
            return
        if any(e.status in (TodoStatus.PENDING, TodoStatus.CLAIMED) for e in entries):
            return
        files = {path: ws.read(path) for path in ws.paths()}
        if files == self._warmed:
            return
        self._warmed = files
        self._tg.start_soon(self._warm, self.pyright, files)

    @staticmethod
    async def _warm(pyright: PyrightServer, files: dict[str, str]) -> None:
        # Shielded: a request cut off mid-write would leave the shared server's stream torn.
        with anyio.CancelScope(shield=True):
            try:
                await pyright.check(files)
            except PyrightError:
                pass  # the end-of-run check asks again and reports it

    async def _doctest_failures(self, ready: list[TodoEntry], entries: list[TodoEntry], outline: str) -> dict[str, str]:
        """Single-file: TODO id -> doctest report, for the ready TODOs whose examples fail in the committed module."""
        examples = {k: v for k, v in outline_doctests(outline).items() if k not in self.config.ignore_examples}
        checks = VisibleChecks(doctests={e.symbol: examples[e.symbol] for e in ready if e.symbol in examples}, pyright=False)
        if not checks.doctests:
            return {}
        async with self._snapshot_lock:
            if self._snapshot is None or self._snapshot.outline != outline:
                self._snapshot = Snapshot(outline)
            module = await anyio.to_thread.run_sync(self._snapshot.update, entries)  # libcst off the event loop
        feedback = await self.judge.feedback(module, checks)
        if feedback.import_error is not None:
            report = f"the module failed to import:\n{feedback.import_error}"
            return {e.id: report for e in ready if e.symbol in checks.doctests}
        failed = {d.symbol: d.report for d in feedback.doctests if d.failed}
        return {e.id: failed[e.symbol] for e in ready if e.symbol in failed}

    def _redraft(self, entries: list[TodoEntry], outline: str) -> bool:
        """Speculative work (plan modes ``speculate``/``seeded``/``revise``): re-draft what was drafted blind, once it can see.

        Runs before each round of verdicts and waits only for verdicts that could
        vouch for a draft (its doctest examples); a re-draft never blocks an
        implementer: the TODO just becomes pending again.  Returns True if it
        reopened anything.
        """
        plan = self.workspace.meta.get("plan")
        mode = str(plan.get("mode")) if isinstance(plan, dict) else ""  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        if mode not in ("speculate", "seeded", "revise"):
            return False
        examples = {k for k in outline_doctests(outline) if k not in self.config.ignore_examples}
        ws = self.workspace
        reopened = False
        due = redrafts_due(
            entries,
            mode=mode,
            vouched=lambda e: e.verdict == "pass" and e.symbol in examples and not awaiting_verdict(e),
            # Only a verdict that could still change a draft is worth waiting for: none without examples, and
            # none for a draft that no verdict will re-draft (not blind, or re-drafted already) or reopen (no
            # repairs left): a re-draft reading that code can start the moment it is committed.
            waiting=lambda e: awaiting_verdict(e)
            and e.symbol in examples
            and (self._repairs_left(e) or speculative(e, entries, mode=mode, max_redrafts=self.config.max_redrafts)),
            max_redrafts=self.config.max_redrafts,
        )
        with ws.transaction():
            for entry, why in due:
                self.summary.redrafts += 1
                redrafts = _int((entry.model_extra or {}).get("redrafts"))
                ws.update_todo(
                    entry.id, status=TodoStatus.PENDING, assignee=None, feedback=why, revising=True, redrafts=redrafts + 1
                )
                ws.log("redraft", entry.id, attempt=entry.attempt, reason=why, verdict=entry.verdict)
                reopened = True
        return reopened

    def _final_verdict(self, entries: list[TodoEntry]) -> Callable[[TodoEntry], bool]:
        """Whether a TODO's verdict can no longer change its code: no repair left, and no re-draft can follow it."""
        plan = self.workspace.meta.get("plan")
        mode = str(plan.get("mode")) if isinstance(plan, dict) else ""  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        return lambda e: not self._repairs_left(e) and not speculative(e, entries, mode=mode, max_redrafts=self.config.max_redrafts)

    def _repairs_left(self, entry: TodoEntry) -> bool:
        return _int((entry.model_extra or {}).get("repairs")) < self.config.max_repairs

    def _reopen_or_close(self, entry: TodoEntry, feedback: str, *, reason: str, force: bool = False) -> bool:
        """Reopen ``entry`` for repair while it has repairs left (``force``: regardless, the caller bounds it); else close it."""
        ws = self.workspace
        repairs = _int((entry.model_extra or {}).get("repairs"))
        if force or repairs < self.config.max_repairs:
            self.summary.reopened += 1
            ws.update_todo(
                entry.id,
                status=TodoStatus.PENDING,
                assignee=None,
                verdict="fail",
                judged_attempt=entry.attempt,
                feedback=feedback,
                repairs=repairs + 1,
                revising=None,
            )
            ws.log("verdict", entry.id, verdict="fail", attempt=entry.attempt, reopened=True, reason=reason)
            return True
        self._close(entry, feedback, reason=reason)
        return False

    def _close(self, entry: TodoEntry, feedback: str, *, reason: str) -> None:
        """A final fail verdict: the TODO stays done."""
        ws = self.workspace
        ws.update_todo(entry.id, verdict="fail", judged_attempt=entry.attempt, feedback=feedback, revising=None)
        ws.log("verdict", entry.id, verdict="fail", attempt=entry.attempt, reopened=False, reason=reason)


def _int(value: object) -> int:
    return int(value) if isinstance(value, (int, float)) else 0
