"""The judge agent's end-of-run conflict round: pyright over the final buffers, duplicates reconciled in place,
broken references reopened (a mixin of :class:`agents.roles.JudgeAgent`, kept apart so the agent's file stays readable).

Single-file tasks check each buffer alone (an unresolved import is the environment's, not the agents'); a package
is checked as one, so imports between its modules resolve, and each conflict is routed to the TODO holding it
(:func:`agents.roles._package_judge.route_conflicts`).
"""

from __future__ import annotations

from agents.judge import PyrightServer, SemanticConflict, conflicts_from
from crdt_ws import TodoEntry, TodoStatus, Workspace
from merge import MergeError, reconcile_text

from ._judge_config import JudgeConfig, JudgeSummary
from ._package import is_package
from ._package_checks import PackageRound
from ._package_judge import route_conflicts

__all__ = ["ConflictRound"]


class ConflictRound:
    """The end-of-run conflict round of the judge agent (see the module docstring); the agent supplies the state below."""

    workspace: Workspace
    pyright: PyrightServer | None
    config: JudgeConfig
    summary: JudgeSummary
    _round: PackageRound | None
    _conflict_rounds: int

    def _outlines(self) -> dict[str, str]:
        raise NotImplementedError

    def _reopen_or_close(self, entry: TodoEntry, feedback: str, *, reason: str, force: bool = False) -> bool:
        raise NotImplementedError

    async def _conflicts(self, entries: list[TodoEntry]) -> bool:
        """Reconcile or reopen for pyright's semantic conflicts; True if anything changed."""
        assert self.pyright is not None
        ws = self.workspace
        acted = False
        package = is_package(ws.meta)
        if package:  # one check over every module: imports between them resolve
            assert self._round is not None
            found = await self._round.new_conflicts({p: ws.read(p) for p in ws.paths()}, self._outlines())
            by_path = {p: [c for c in found if c.file == p] for p in ws.paths()}
        else:
            by_path: dict[str, list[SemanticConflict]] = {}
            for path in ws.paths():
                conflicts = conflicts_from(await self.pyright.check({path: ws.read(path)}))
                by_path[path] = [c for c in conflicts if c.kind != "unresolved_import"]  # the environment's, not the agents'
        for path, conflicts in by_path.items():
            if not conflicts:
                continue
            self.summary.conflicts_found += len(conflicts)
            for c in conflicts:
                self.summary.kinds[c.kind] = self.summary.kinds.get(c.kind, 0) + 1
            ws.log("conflicts", None, file=path, kinds=sorted({c.kind for c in conflicts}), count=len(conflicts))
            if any(c.kind == "duplicate_declaration" for c in conflicts):
                preferred = {e.symbol: e.result for e in entries if e.file == path and e.status == TodoStatus.DONE and e.result}
                try:
                    result = reconcile_text(ws.text(path), origin=ws.agent_id, preferred=preferred)
                except MergeError as exc:  # reported, not fatal: the hidden tests will show the damage
                    ws.log("reconcile_failed", None, file=path, error=str(exc))
                else:
                    self.summary.conflicts_reconciled += len(result.removed)
                    ws.log("reconcile", None, file=path, removed=[str(r) for r in result.removed])
                    acted = acted or bool(result.removed)
            if self._conflict_rounds < self.config.conflict_rounds:
                acted = self._reopen_for(conflicts, entries, path) or acted
        self._conflict_rounds += 1
        return acted

    def _reopen_for(self, conflicts: list[SemanticConflict], entries: list[TodoEntry], path: str) -> bool:
        messages: dict[str, list[str]] = {}
        if is_package(self.workspace.meta):
            by_symbol = {e.id: e for e in entries}  # keyed by TODO id: route_conflicts names TODOs by id
            messages = route_conflicts(conflicts, entries)
        else:
            by_symbol = {e.symbol: e for e in entries if e.file == path}
            for c in conflicts:
                if c.kind != "duplicate_declaration" and c.symbol in by_symbol:
                    messages.setdefault(c.symbol, []).append(f"line {c.line}: {c.message} ({c.kind})")
        reopened = False
        with self.workspace.transaction():
            for symbol, lines in messages.items():
                feedback = "pyright found semantic conflicts:\n" + "\n".join(lines)
                if self._reopen_or_close(by_symbol[symbol], feedback, reason="conflict"):
                    self.summary.conflicts_reopened += 1
                    reopened = True
        return reopened
