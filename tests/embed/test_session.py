"""The embedding API against a real relay: an external agent works beside ours; claims, observers, bad code.

The "external agent" here is built only on :mod:`agents.embed` (its model is
the offline scripted one, asked with the context the session builds), the
way another agent framework would use it.
"""

from __future__ import annotations

from collections import Counter

import anyio
import pytest
from pydantic import SecretStr

from agents.embed import (
    ClaimFailed,
    ClaimLost,
    CodeRejected,
    ConnectFailed,
    EmbedConfig,
    EventAppended,
    FileEdited,
    NotHolding,
    ReadOnlySession,
    Session,
    TodoChanged,
    TodoNotFound,
    TodoStatus,
    connect,
)
from agents.judge import Judge
from agents.models import StreamingModel
from agents.roles import Implementer, JudgeAgent, JudgeConfig, build_context
from bench import task_inputs
from bench.suites import Suite
from claim_protocol import ClaimConfig
from crdt_ws import WebsocketTransport, Workspace

from .conftest import READ, WRITE, Room, outlined_room, scripted

pytestmark = pytest.mark.anyio

FAST = ClaimConfig(lease=0.6, heartbeat_interval=0.1, initial_probes=1)


def config(room: Room, agent: str, *, token: str = WRITE, **options: object) -> EmbedConfig:
    return EmbedConfig.model_validate(
        {"url": room.relay.url, "room": room.name, "token": SecretStr(token), "agent_id": agent, "claim": FAST, **options}
    )


async def external_agent(session: Session, model: StreamingModel, done: list[str]) -> None:
    """A complete agent loop on the public API only: claim, context, ask, commit, until the run ends."""
    await session.wait_for_plan(timeout=10)
    while not session.over:
        ready = [t for t in session.claimable() if t.status == TodoStatus.PENDING]
        if not ready:
            await session.changed(timeout=0.5)
            continue
        try:
            async with session.claim(ready[0].id) as claim:
                context = claim.context()
                assert claim.todo.symbol in context.prompt and context.system
                async with model.stream(context.request) as stream:
                    reply = "".join([chunk async for chunk in stream])
                await anyio.sleep(0.05)  # think a little, so our implementer gets a share too
                committed = await claim.commit(reply)
                done.append(committed.todo_id)
        except ClaimFailed:
            continue  # our implementer got there first: pick another


async def test_an_external_agent_completes_todos_beside_our_implementer(suite: Suite, judge: Judge) -> None:
    task = suite.task("bank_ledger")
    _, hidden = task_inputs(task)
    async with outlined_room(suite, task.id, "embed-trial") as room:
        ours_ws, judge_ws = Workspace("implementer-0"), Workspace("judge")
        transport = WebsocketTransport(room.link())
        ours_model, their_model = scripted(suite, time_scale=0.05), scripted(suite)
        external_done: list[str] = []
        async with (
            transport.connect(ours_ws) as ours_link,
            transport.connect(judge_ws),
            ours_model,
            their_model,
            connect(config(room, "external")) as session,
        ):
            implementer = Implementer(ours_ws, ours_model, connection=ours_link, claim=FAST)
            with anyio.fail_after(60):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(implementer.run)
                    tg.start_soon(external_agent, session, their_model, external_done)
                    await JudgeAgent(judge_ws, judge, JudgeConfig(pyright=False)).run()
            source = room.outliner.read(task.file)
            todos = room.outliner.list_todos()
    done_by = Counter(str(t.done_by) for t in todos)
    assert all(t.status == TodoStatus.DONE for t in todos), [(t.id, t.status) for t in todos]
    assert done_by["external"] >= 1 and done_by["implementer-0"] >= 1, done_by
    assert set(external_done) <= {t.id for t in todos} and len(external_done) >= done_by["external"]
    assert (await judge.score(source, hidden)).passed, source
    for t in todos:  # exactly one definition of every stub survived
        assert source.count(f"def {t.symbol.split('.')[-1]}(") == 1, t.symbol


async def test_context_is_the_one_our_implementer_builds(suite: Suite) -> None:
    async with outlined_room(suite, "bank_ledger", "embed-context") as room, connect(config(room, "ctx")) as session:
        first = next(t for t in session.todos() if not t.deps)
        reference = suite.task("bank_ledger").reference
        async with session.claim(first.id) as claim:
            await claim.commit(reference)  # a whole module: extract picks the one symbol
        dependent = next((t for t in session.todos() if first.id in t.deps), None)
        target = dependent or next(t for t in session.todos() if t.id != first.id)
        context = session.context(target.id)
        meta = session.meta()
        expected = build_context(
            target,
            task_id=str(meta["task_id"]),
            spec=str(meta["spec"]),
            outline=str(meta["outline"]),
            todos={t.id: t for t in session.todos()},
        )
        assert context.prompt == expected.request.messages[0].content and context.shown == expected.shown
        assert first.symbol in context.shown  # the committed code of what is done is in the prompt
        assert f"Implement `{target.symbol}`." in context.prompt


async def test_two_agents_claim_one_todo_and_exactly_one_wins(suite: Suite) -> None:
    async with (
        outlined_room(suite, "bank_ledger", "embed-race") as room,
        connect(config(room, "alice")) as alice,
        connect(config(room, "bob")) as bob,
    ):
        todo = session_todo = alice.todos()[0].id
        outcomes: dict[str, object] = {}

        async def attempt(session: Session) -> None:
            try:
                outcomes[session.agent_id] = await session.claim(session_todo)
            except ClaimFailed as exc:
                outcomes[session.agent_id] = exc

        async with anyio.create_task_group() as tg:
            tg.start_soon(attempt, alice)
            tg.start_soon(attempt, bob)
        winners = [agent for agent, outcome in outcomes.items() if not isinstance(outcome, Exception)]
        assert len(winners) == 1, outcomes
        loser = ({"alice", "bob"} - set(winners)).pop()
        assert winners[0] in str(outcomes[loser]), outcomes  # the loser is told who holds it
        await anyio.sleep(0.3)  # heartbeats keep the winner's claim alive past its lease
        assert room.outliner.todo(todo).assignee == winners[0] and room.outliner.todo(todo).heartbeat >= 1


async def test_a_claim_taken_over_cannot_commit(suite: Suite) -> None:
    async with outlined_room(suite, "bank_ledger", "embed-lost") as room, connect(config(room, "slow")) as session:
        entry = session.todos()[0]
        before = room.outliner.read(entry.file)
        claim = await session.claim(entry.id)
        # Another agent judged the claim stale and reclaimed it (as after a missed lease).
        room.outliner.update_todo(entry.id, assignee="rival", attempt=claim.attempt + 1, heartbeat=0)
        with anyio.fail_after(5):
            while claim.active:
                await anyio.sleep(0.02)
        assert claim.lost is not None and "rival" in claim.lost
        reference = suite.task("bank_ledger").reference
        with pytest.raises(ClaimLost, match="lost"):
            await session.commit(entry.id, reference)
        await anyio.sleep(0.2)
        assert room.outliner.read(entry.file) == before, "a lost claim's code must never land"
        assert room.outliner.todo(entry.id).assignee == "rival"


async def test_bad_code_is_rejected_and_nothing_is_lost(suite: Suite) -> None:
    async with outlined_room(suite, "bank_ledger", "embed-bad") as room, connect(config(room, "careless")) as session:
        entry, other = session.todos()[0], session.todos()[1]
        before = session.read_file(entry.file)
        claim = await session.claim(entry.id)
        with pytest.raises(CodeRejected, match="no parseable Python"):
            await claim.commit("def oops(:\n    return")
        wrong = f"```python\ndef {other.symbol.split('.')[-1]}(self):\n    return 42\n```"
        with pytest.raises(CodeRejected, match=f"defines: {other.symbol.split('.')[-1]}"):
            await claim.commit(wrong)
        assert session.read_file(entry.file) == before and claim.active
        await anyio.sleep(0.3)  # still held: heartbeats went on
        assert room.outliner.todo(entry.id).assignee == "careless" and room.outliner.todo(entry.id).status == TodoStatus.CLAIMED
        committed = await claim.commit(suite.task("bank_ledger").reference)
        assert committed.symbol == entry.symbol and f"def {entry.symbol.split('.')[-1]}" in committed.code
        with anyio.fail_after(5):
            while room.outliner.todo(entry.id).status != TodoStatus.DONE:
                await anyio.sleep(0.01)
        assert room.outliner.read(entry.file).count(f"def {other.symbol.split('.')[-1]}(") == 1


async def test_observers_read_and_watch_but_cannot_write(suite: Suite) -> None:
    async with (
        outlined_room(suite, "bank_ledger", "embed-observe") as room,
        connect(config(room, "reader", token=READ, write_check_timeout=1.0)) as by_token,
        connect(config(room, "watcher", role="observer")) as by_role,
        connect(config(room, "writer")) as writer,
    ):
        assert by_token.read_only and by_role.read_only and not writer.read_only
        todo = by_token.todos()[0]
        for session in (by_token, by_role):
            with pytest.raises(ReadOnlySession, match="read-only"):
                await session.claim(todo.id)
            with pytest.raises(ReadOnlySession):
                await session.commit(todo.id, "def x(): pass")
        assert by_token.read_file(todo.file) == room.outliner.read(todo.file)

        seen: list[object] = []

        async def watch() -> None:
            async for change in by_token.observe():
                seen.append(change)
                completed = any(isinstance(c, EventAppended) and c.event.type == "complete" for c in seen)
                if completed and any(isinstance(c, FileEdited) for c in seen):
                    return

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(watch)
                await anyio.sleep(0.05)
                async with writer.claim(todo.id) as claim:
                    await claim.commit(suite.task("bank_ledger").reference)
        assert any(isinstance(c, FileEdited) and todo.symbol in c.symbols for c in seen), seen
        assert any(isinstance(c, TodoChanged) and c.todo_id == todo.id and "status" in c.keys for c in seen)
        assert any(isinstance(c, EventAppended) and c.event.type == "claim" and c.event.agent == "writer" for c in seen)
        assert room.outliner.todo(todo.id).status == TodoStatus.DONE


async def test_clear_errors_for_unknown_todos_unheld_claims_and_bad_tokens(suite: Suite) -> None:
    async with outlined_room(suite, "bank_ledger", "embed-errors") as room, connect(config(room, "agent")) as session:
        with pytest.raises(TodoNotFound, match="no TODO 'nope'"):
            await session.claim("nope")
        with pytest.raises(TodoNotFound):
            session.context("nope")
        todo = session.todos()[0]
        with pytest.raises(NotHolding, match="claim it first"):
            await session.commit(todo.id, "x = 1")
        async with session.claim(todo.id):
            pass  # leaving the block unused hands the TODO back at once
        with anyio.fail_after(5):
            while room.outliner.todo(todo.id).status != TodoStatus.PENDING:
                await anyio.sleep(0.01)
        assert any(e.type == "release" and e.todo == todo.id for e in session.events())
        with pytest.raises(ConnectFailed, match="token"):
            async with connect(config(room, "intruder", token="wrong", connect_timeout=3)):
                pass
