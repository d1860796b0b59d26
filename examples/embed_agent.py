"""An external implementer built only on ``agents.embed``: join a room, claim, ask a model, commit.

Start a relay and a run on it (real model speed, so there is time to join)::

    crdt-bench relay --port 8765 --token T &
    crdt-bench run --task calculator --mode parallel --agents 1 --time-scale 1 \\
        --relay-url ws://127.0.0.1:8765 --relay-token T

The run prints each trial's room as it starts (rooms on a shared relay get a
random suffix), e.g. ``trial calculator parallel seed 0: room
calculator-parallel-0-3f9a1c``.  While that trial runs, in another terminal::

    python examples/embed_agent.py --url ws://127.0.0.1:8765 --room calculator-parallel-0-3f9a1c --token T \\
        --agent-id ext-1 --model scripted            # or anthropic:claude-sonnet-4-5, openai:<model>@<url>

A room with no outline is an error after ``--wait`` seconds (a wrong room
name, or a trial that has not started), not an endless wait.

``--observe`` only watches (read-only) and prints every change.  The model
is any ``agents.models`` provider; replace ``ask()`` with your own framework's
call: the context's ``system`` and ``prompt`` are plain strings.
"""

from __future__ import annotations

import argparse
from typing import Any

import anyio

from agents.embed import (
    ClaimFailed,
    CodeRejected,
    EmbedConfig,
    EventAppended,
    FileEdited,
    NoPlan,
    Session,
    TodoChanged,
    TodoContext,
    connect,
)
from agents.models import StreamingModel, resolve_model


async def ask(model: StreamingModel, context: TodoContext) -> str:
    """One model call with the context our own implementers use."""
    async with model.stream(context.request) as stream:
        return "".join([chunk async for chunk in stream])


async def implement(session: Session, model: StreamingModel, wait: float = 60.0) -> int:
    """Claim and implement TODOs until the run is over; returns how many this agent committed."""
    await session.wait_for_plan(timeout=wait)
    committed = 0
    while not session.over:
        ready = session.claimable()  # pending ones (dependencies done first) and stale claims of dead agents
        if not ready:
            await session.changed(timeout=1.0)  # a TODO freed or reopened by the judge, or the end of the run
            continue
        try:
            async with session.claim(ready[0].id) as claim:
                reply = await ask(model, claim.context())
                try:
                    done = await claim.commit(reply)
                except CodeRejected as exc:  # nothing was written; the claim is released on leaving the block
                    print(f"rejected {claim.todo_id}: {exc}")
                    continue
                committed += 1
                print(f"committed {done.symbol} ({len(done.code.splitlines())} lines)")
        except ClaimFailed as exc:
            print(f"skipped: {exc}")
    return committed


async def observe(session: Session) -> None:
    async for change in session.observe():
        if isinstance(change, EventAppended):
            print(f"event  {change.event.agent:>14} {change.event.type:<10} {change.event.todo or ''}")
        elif isinstance(change, TodoChanged):
            print(f"todo   {change.todo_id}: {', '.join(sorted(change.keys))}")
        elif isinstance(change, FileEdited):
            print(f"edit   {change.path}: {', '.join(sorted(change.symbols)) or '(module)'} +{change.inserted}")
        if session.over:
            return


def model_for(name: str, suite: str, fault_rate: float | None) -> StreamingModel:
    options: dict[str, Any] = {}
    if name.split(":")[0] == "scripted":
        from bench.suites import SuiteReferences, get_suite

        options = {"references": SuiteReferences(get_suite(suite)), "latency": {"profile": "instant"}}
        if fault_rate is not None:
            options.update(fault_rate=fault_rate, blind_fault_rate=fault_rate)
    return resolve_model(name, **options)


async def main(args: argparse.Namespace) -> None:
    config = EmbedConfig.model_validate(
        {
            "url": args.url,
            "room": args.room,
            "token": args.token,
            "agent_id": args.agent_id,
            "role": "observer" if args.observe else "implementer",
        }
    )
    async with connect(config) as session:
        print(f"{args.agent_id} joined {args.room} ({'read-only' if session.read_only else 'read-write'})")
        if args.observe:
            await observe(session)
            return
        async with model_for(args.model, args.suite, args.fault_rate) as model:
            print(f"model: {model.info.label}")
            try:
                count = await implement(session, model, args.wait)
            except NoPlan as exc:
                raise SystemExit(f"{exc}: is the room name right? `crdt-bench run` prints each trial's room") from None
        print(f"{args.agent_id} done: {count} commits; run phase {session.phase}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="relay websocket URL")
    parser.add_argument("--room", required=True, help="room (workspace) name")
    parser.add_argument("--agent-id", required=True, help="this agent's id in the room")
    parser.add_argument("--token", default=None, help="relay token")
    parser.add_argument("--model", default="scripted", help="agents.models provider (default: offline scripted)")
    parser.add_argument("--suite", default="bundled", help="suite whose references the scripted model answers from")
    parser.add_argument("--fault-rate", type=float, default=None, help="scripted: seeded fault rate (0: always right)")
    parser.add_argument("--observe", action="store_true", help="only watch (read-only) and print changes")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the room's outline before giving up")
    anyio.run(main, parser.parse_args())
