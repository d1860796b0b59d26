"""Join a workspace from another agent system: claim, read context, commit, observe.

Any agent framework can take part in a run as an implementer (or just watch
it) through this API; it coordinates through the shared document exactly like
our own implementers do: the real claim protocol (claim, verify wait,
heartbeats, lease), the same prompt context, and commits merged with libcst
into the symbol's region only::

    from agents.embed import ClaimFailed, EmbedConfig, connect

    async with connect(EmbedConfig(url="ws://127.0.0.1:8765", room="calculator-parallel-0",
                                   token="...", agent_id="my-agent")) as session:
        await session.wait_for_plan()
        while not session.over:
            ready = session.claimable()
            if not ready:
                await session.changed(timeout=1.0)   # a TODO freed, reopened, or the run ended
                continue
            try:
                async with session.claim(ready[0].id) as claim:   # released on error, unless committed
                    context = claim.context()          # .system / .prompt, as our implementer builds them
                    code = await my_model(context.text)
                    await claim.commit(code)           # heartbeats kept the claim alive meanwhile
            except ClaimFailed:                        # lost the verify, or someone holds it: pick another
                continue

Observers (``role="observer"``, or a read-only token, which the session
detects) read everything and follow changes with ``async for change in
session.observe()``; every write raises :class:`ReadOnlySession`.
``examples/embed_agent.py`` is a runnable agent; ``agents.mcp`` exposes the
same operations as MCP tools.

Errors (``crdt_ws`` / ``claim_protocol`` / ``merge`` errors are translated at the session)::

    EmbedError                     (under agents.AgentsError, the package's one root)
    ├── ConnectFailed       relay unreachable, token refused, bad room name
    ├── ReadOnlySession     a write on an observer / read-only session
    ├── TodoNotFound        no TODO with that id (also a KeyError)
    ├── NoPlan              the room has no outline yet
    ├── ClaimFailed
    │   ├── NotClaimable    held by a live agent, done, or out of attempts
    │   ├── ClaimLost       another agent won the verify or took the claim over
    │   └── NotHolding      commit/release of a TODO this session does not hold
    └── CodeRejected        the code does not parse / defines another symbol; nothing written, claim kept
"""

from crdt_ws import Change, EventAppended, FileAdded, FileEdited, MetaChanged, TodoChanged, TodoEntry, TodoStatus

from ._config import EmbedConfig, Role
from ._errors import (
    ClaimFailed,
    ClaimLost,
    CodeRejected,
    ConnectFailed,
    EmbedError,
    NoPlan,
    NotClaimable,
    NotHolding,
    ReadOnlySession,
    TodoNotFound,
)
from ._handles import ClaimHandle, Committed, TodoContext
from ._session import Session, connect

__all__ = [
    "ClaimFailed",
    "CodeRejected",
    "ConnectFailed",
    "EmbedConfig",
    "EmbedError",
    "EventAppended",
    "FileAdded",
    "FileEdited",
    "NoPlan",
    "ReadOnlySession",
    "Session",
    "TodoChanged",
    "TodoContext",
    "TodoEntry",
    "TodoStatus",
    "connect",
]
