"""The implementer: observe the board, claim, build context, ask the model, stream, commit.

The loop is tiny on purpose::

    run()    until the judge declares the run finished: step()
    step()   one claim session (claim_protocol.Claimer) over the current plan,
             then wait for news (a reopened TODO, the end of the run)
    work()   for one verified claim: context -> query -> act (a repair the
             judge reopened commits a spare kept on its TODO, if any, instead:
             agents.roles._spares)
    query()  ask the model, streaming the code into the symbol's region live
             (a repair asked as SEARCH/REPLACE edits is not streamed: its
             edits are applied to the code it was shown, merge.apply_edits)
    act()    extract the implementation (merge.extract) and commit it; returns
             the :class:`Implementation` committed

Everything an implementer knows comes from its replica: the plan and outline
from ``meta``, dependencies' code from their TODOs' ``result``, the judge's
feedback from a reopened TODO.  Every call and commit is logged to
``events`` as it happens, so an agent that dies leaves its trail behind.
"""

from __future__ import annotations

from dataclasses import replace

import anyio
from pydantic import BaseModel, Field

from claim_protocol import ClaimConfig, Claimer, RoundTrip, SyncEstimator, restore_regions
from crdt_ws import Presence, TodoEntry, TodoStatus, Workspace, WorkspaceError
from merge import ExtractError, Extraction, apply_edits

from agents.models import BudgetExceeded, ModelError, StreamingModel
from agents.scheduler import Plan, SchedulerConfig, make_chooser

from ._commit import Implementation, extract_against
from ._package import committed_text, is_package, outline_of, package_index
from ._phase import OUT_OF_BUDGET, is_over, phase_of, until_news, until_over
from ._prompt import DRAFT_SLOTS, Context, build_context
from ._records import CallRecord, ImplementerStats
from ._samples import DraftCheck, Samples
from ._spares import spares_wanted, take_spare
from ._stream import LiveCode, reset_to_stub

__all__ = ["Implementer", "ImplementerConfig"]

_CUT = ("max_tokens", "length")  # stop reasons meaning "out of output tokens" (Anthropic, OpenAI)

_COLORS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324")


class ImplementerConfig(BaseModel):
    """Options of one implementer."""

    max_tokens: int = Field(default=2048, gt=0, description="Output cap per model call.")
    max_tokens_retry: int = Field(
        default=8192, ge=0, description="Output cap of the one call repeated when a reply was cut at max_tokens (0 or not above max_tokens: no repeat)."
    )
    stream_live: bool = Field(default=True, description="Stream each reply's code into its method's region as it arrives.")
    seed: int | None = Field(default=None, description="Seed passed to offline providers (None: the provider's own).")
    repair_edits: bool = Field(
        default=True,
        description="Ask a repair for SEARCH/REPLACE edits to the code that failed instead of the whole definition: "
        "the model writes the change, not the lines it would copy (output tokens are a call's slow, costly part). "
        "Edits that do not apply are asked again whole, once.",
    )


class Implementer(Samples):
    """One implementer agent on its own replica."""

    def __init__(
        self,
        workspace: Workspace,
        model: StreamingModel,
        *,
        connection: RoundTrip | None = None,
        scheduler: SchedulerConfig | None = None,
        claim: ClaimConfig | None = None,
        config: ImplementerConfig | None = None,
        check: DraftCheck | None = None,
        index: int = 0,
    ) -> None:
        self.workspace = workspace
        self.agent = workspace.agent_id
        self.model = model
        self.connection = connection
        self.scheduler = scheduler or SchedulerConfig()
        self.claim_config = claim or ClaimConfig()
        self.config = config or ImplementerConfig()
        self.check = check
        self.color = _COLORS[index % len(_COLORS)]
        self.stats = ImplementerStats(self.agent)
        self._claimer: Claimer | None = None
        self._streamed: set[str] = set()  # TODOs whose current attempt streamed code into the buffer
        self._touched: set[str] = set()  # TODOs this agent streamed into or committed, over the whole run
        self._estimator = SyncEstimator(self.claim_config)  # round trips measured so far survive claim sessions
        self._seen: dict[str, tuple[str, ...]] = {}  # TODO -> what its latest prompt showed, recorded by the commit
        self._index: dict[str, str] = {}  # multi-file: file -> the other modules' names, shown in its prompts
        self._presented: str | None = None  # the TODO this agent's presence points at

    # -- the loop ---------------------------------------------------------------

    async def run(self) -> ImplementerStats:
        """Work until the judge marks the run finished (``meta.phase``)."""
        self._present(None)
        while not self.finished():
            await self.step()
        lost = {e.id for e in self.workspace.list_todos() if e.id in self._touched and _done_by(e) != self.agent}
        if lost:
            # Cut off (a relay restart) and back only after the run finished: a half-streamed reply or a
            # completion that lost just reached everyone, and nobody else will repair it.  Only the agents
            # that wrote into a TODO someone else won know it, so only they put it back to the result the
            # judge passed (a no-op where it already holds it).  The winner never does: two agents
            # restoring one region at once would insert the result twice.
            restore_regions(self.workspace, only=lost)
        self.workspace.set_presence(Presence(agent=self.agent, role="implementer", color=self.color))
        return self.stats

    def finished(self) -> bool:
        return is_over(self.workspace)

    async def step(self) -> None:
        """Claim and work until nothing is claimable, then wait for a reopened TODO or the end."""
        plan = Plan.model_validate(self.workspace.get_meta()["plan"])
        config = self.claim_config
        if plan.mode == "serial":  # serial's promise: every draft sees every earlier commit, so none is claimed beside one
            config = config.model_copy(update={"claim_ahead": False})
        claimer = Claimer(self.workspace, config, connection=self.connection, estimator=self._estimator)
        choose = make_chooser(
            plan,
            self.agent,
            priority=self.scheduler.priority,
            entries=claimer.board.entries,
            max_unjudged=self.scheduler.max_unjudged,
        )
        claimer.loop.choose = lambda candidates: None if self.finished() else choose(candidates)
        self._claimer = claimer
        async with anyio.create_task_group() as tg:
            # The run can end under a waiting claimer (out of budget, aborted): stop it then.
            tg.start_soon(self._stop_when_over, tg.cancel_scope, claimer)
            await claimer.run(self.work)
            tg.cancel_scope.cancel()
        self.stats.claims.append(claimer.stats)
        if not self.finished():
            await until_news(self.workspace)

    async def work(self, entry: TodoEntry) -> Implementation:
        """Implement one verified claim and commit it; returns what was committed."""
        assert self._claimer is not None
        spare = take_spare(self.workspace, entry)
        if spare is not None and (done := await self._commit_spare(entry, spare)) is not None:
            return done
        todos = {e.id: e for e in self._claimer.board.entries()}
        meta = self.workspace.get_meta()
        outline = outline_of(meta, entry.file)
        module: str | None = None
        index = ""
        if is_package(meta):
            module = self._committed(entry.file, outline, list(todos.values()))
            if entry.file not in self._index:  # the skeletons never change during a run
                self._index[entry.file] = package_index(meta["outlines"], skip=entry.file)
            index = self._index[entry.file]
        drafts = self.scheduler.drafts
        spares = min(spares_wanted(entry, list(todos.values()), self.scheduler.repair_samples), DRAFT_SLOTS - drafts)
        contexts = [
            build_context(
                entry,
                task_id=str(meta.get("task_id")),
                spec=str(meta.get("spec", "")),
                outline=outline,
                todos=todos,
                max_tokens=self.config.max_tokens,
                seed=self.config.seed,
                draft=draft,
                module=module,
                index=index,
                edits=self.config.repair_edits,
            )
            for draft in range(drafts + spares)  # a spare's own draft number: the offline models draw it apart
        ]
        contexts, extra = contexts[:drafts], contexts[drafts:]
        self._present(entry)
        try:
            if len(contexts) == 1 or self.check is None:
                return await self._beside_spares(entry, extra, lambda: self._reply_and_act(entry, contexts[0]))
            return await self.commit(entry, await self._first_draft_to_pass(entry, contexts, live=self.config.stream_live))
        except BudgetExceeded as exc:
            # The cap is the run's, not this agent's: tell everyone through the document.
            with self.workspace.transaction():
                self.workspace.set_meta(phase=OUT_OF_BUDGET)
                self.workspace.log("out_of_budget", entry.id, error=str(exc))
            raise
        except Exception:
            # Whatever was streamed live (a garbled reply: an unclosed string or bracket)
            # must not stay in the buffer, where it would break every other method.
            self._undo_stream(entry)
            raise
        finally:
            if self._presented == entry.id:  # not yet showing the next TODO claimed beside this commit
                self._present(None)

    async def _reply_and_act(self, entry: TodoEntry, context: Context) -> Implementation:
        reply = await self._whole_reply(entry, context)
        assert self._claimer is not None
        self._claimer.handoff()  # the model is done with this TODO: claim the next beside its commit
        return await self.act(entry, reply)

    async def query(self, entry: TodoEntry, context: Context, *, live: bool, spare: bool = False) -> str:
        """Ask the model; with ``live``, its code streams into the symbol's region as it comes (``spare``: a
        reply drawn to be kept on the TODO, see :mod:`agents.roles._spares`).

        A repair asked as edits (``request.edit_of``) is not streamed; the reply's edits are applied to the code
        it was shown and that code returned.  Edits that do not apply are asked again as a whole definition."""
        base = context.request.edit_of
        reply = await self._ask(entry, context, live=live and base is None, spare=spare)
        if base is None:
            return reply
        try:
            edited = apply_edits(base, reply)
        except ExtractError as exc:  # EditNotApplied
            self.stats.edit_failures += 1
            self.workspace.log("edit_failed", entry.id, error=str(exc))
            if context.whole is None:
                raise
            return await self._ask(entry, replace(context, request=context.whole, whole=None), live=live, spare=spare)
        return reply if edited is None else f"```python\n{edited}```\n"  # None: it replied with a whole definition

    async def _ask(self, entry: TodoEntry, context: Context, *, live: bool, spare: bool) -> str:
        started = anyio.current_time()
        live_code = LiveCode(
            self.workspace, entry, live, verified=self.claim_verified, wait_verified=self.wait_verified, point=self.stream_point
        )
        try:
            async with self.model.stream(context.request) as stream, live_code as out:
                async for chunk in stream:
                    out.feed(chunk)
                await out.flush()
        except ModelError as exc:
            self.stats.model_failures += 1
            self.stats.last_model_error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            if live_code.writer is not None and live_code.writer.written:
                self._streamed.add(entry.id)
                self._touched.add(entry.id)
        usage = stream.usage
        record = CallRecord(
            todo=entry.id,
            agent=self.agent,
            started=started,
            seconds=anyio.current_time() - started,
            output_tokens=usage.output_tokens,
            input_tokens=usage.input_tokens + usage.cache_write_tokens + usage.cache_read_tokens,
            cost_usd=usage.cost_usd,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            shown=context.shown,
            missing=context.missing,
            fault=usage.fault,
            redraft=bool((entry.model_extra or {}).get("revising")),
            cut=usage.stop_reason in _CUT,
            spare=spare,
            edit=context.request.edit_of is not None,
        )
        self.stats.calls.append(record)
        if not spare:
            self._seen[entry.id] = context.shown
        self.workspace.log(
            "model_call",
            entry.id,
            tokens=usage.output_tokens,
            seconds=round(record.seconds, 4),
            shown=list(context.shown),
            missing=list(context.missing),
            provider=usage.provider,
            **({"spare": True} if spare else {}),
            **({"edit": True} if context.request.edit_of is not None else {}),
        )
        return stream.text

    async def act(self, entry: TodoEntry, reply: str) -> Implementation:
        """Extract the implementation in ``reply`` and commit it; returns what was committed.

        Raises ``ExtractError`` when the reply holds none (the TODO is released).
        """
        return await self.commit(entry, await self.extract(entry, reply))

    async def extract(self, entry: TodoEntry, reply: str) -> Extraction:
        """The implementation in ``reply`` (raises ``ExtractError`` when there is none)."""
        try:
            # libcst parsing in a worker thread: the event loop keeps serving
            # heartbeats and sync probes, whose delays would otherwise inflate claim waits.
            outline = outline_of(self.workspace.get_meta(), entry.file)
            extraction = await anyio.to_thread.run_sync(extract_against, reply, entry.symbol, outline)
        except ExtractError:
            self.stats.extract_failures += 1
            raise
        last = next((c for c in reversed(self.stats.calls) if c.todo == entry.id), None)
        if last is not None:
            last.used = True
        return extraction

    async def commit(self, entry: TodoEntry, extraction: Extraction) -> Implementation:
        """Commit ``extraction`` on the verified claim (waiting for it to verify); returns what was committed.

        A claim lost first commits nothing (the claimer logs ``preempted``); a
        commit that cannot merge gives the TODO back, with any stream undone.
        """
        assert self._claimer is not None
        change = Implementation(extraction, seen=self._seen.pop(entry.id, ()), streamed=entry.id in self._streamed)
        committed = await self._claimer.commit(change)
        # This attempt is over either way (a failed commit put the stub back): a later one streams afresh.
        self._streamed.discard(entry.id)
        if committed:
            self._touched.add(entry.id)
            self.stats.commits += 1
        return change

    # -- helpers ----------------------------------------------------------------

    async def _whole_reply(self, entry: TodoEntry, context: Context) -> str:
        """The reply to ``context``; one cut at max_tokens is asked again once with a larger cap (a cut body would commit)."""
        reply = await self.query(entry, context, live=self.config.stream_live)
        cap = self.config.max_tokens_retry
        if not self.stats.calls[-1].cut or cap <= context.request.max_tokens:
            return reply
        self.workspace.log("reply_cut", entry.id, max_tokens=context.request.max_tokens, retry=cap)
        self._undo_stream(entry)  # the cut code streamed live must not stay in the region
        bigger = replace(context, request=context.request.model_copy(update={"max_tokens": cap}))
        return await self.query(entry, bigger, live=False)

    def _committed(self, file: str, outline: str, entries: list[TodoEntry]) -> str:
        """``file`` as committed on this replica: its skeleton with the done results in place (never half-streamed code)."""
        return committed_text(outline, [e for e in entries if e.file == file])

    def _undo_stream(self, entry: TodoEntry) -> None:
        """Put the symbol's region back to its stub after failed work, if the claim is still this agent's."""
        if entry.id not in self._streamed:
            return
        self._streamed.discard(entry.id)
        ws = self.workspace
        with ws.transaction():
            try:
                now = ws.todo(entry.id)
            except WorkspaceError:
                return
            if now.status == TodoStatus.CLAIMED and now.assignee == self.agent and now.attempt == entry.attempt:
                reset = reset_to_stub(ws, entry)
                if reset is not None and reset[2]:
                    ws.log("stream_undone", entry.id, attempt=entry.attempt)

    def stream_point(self, entry: TodoEntry) -> tuple[int, str] | None:
        """Where live code goes: the start of the stub's last line, at its indentation.

        A region that is not a stub any more (a repair) is first put back to the
        outline's stub, so the new attempt never streams into the old code.
        None when the region cannot be found right now (the reply is then only
        committed, not streamed).
        """
        reset = reset_to_stub(self.workspace, entry)
        if reset is None:
            return None
        source, span, _ = reset
        body = source[span.start : span.end].rstrip("\n")
        last = body.rfind("\n") + 1
        line = body[last:]
        return span.start + last, line[: len(line) - len(line.lstrip())]

    def claim_verified(self) -> bool:
        """Whether this agent's current claim is verified (live code may go into the buffer)."""
        return self._claimer is None or self._claimer.verified

    async def wait_verified(self) -> None:
        if self._claimer is not None:
            await self._claimer.wait_verified()

    def _present(self, entry: TodoEntry | None) -> None:
        self._presented = entry.id if entry is not None else None
        region = self.workspace.region(entry.file, entry.symbol) if entry is not None else None
        self.workspace.set_presence(Presence(agent=self.agent, role="implementer", color=self.color, region=region))

    async def _stop_when_over(self, scope: anyio.CancelScope, claimer: Claimer) -> None:
        await until_over(self.workspace)
        if phase_of(self.workspace) == OUT_OF_BUDGET:
            # Calls already admitted are paid for: let them finish and commit, claim nothing new.
            while claimer.busy:
                await anyio.sleep(0.01)
        scope.cancel()


def _done_by(entry: TodoEntry) -> str | None:
    return entry.done_by or None
