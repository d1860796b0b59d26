"""A client process of ``bench.micro.relay_durability``: a writer that reports acks, or an observer.

    python -m bench.micro._durability_writer write URL ROOM NAME PACE_MS
    python -m bench.micro._durability_writer observe URL ROOM

The token comes from ``$CRDT_WS_TOKEN``.  A writer appends ``NAME-<n>`` as its
own line to ``NAME.txt``, one edit every PACE_MS, and prints ``{"acked": n}``
whenever the relay's durable-state message covers its edits up to ``n`` (the
relay promises those survive ``kill -9``).  The observer prints
``{"seen": {NAME: n}}`` whenever it receives a higher line from a writer
through the relay: the weaker notion of "acknowledged" that issue 20 measured
losing updates.  Lines are flushed at once, so a parent that kills the relay
can still read them.
"""

from __future__ import annotations

import json
import os
import re
import sys

import anyio

from crdt_ws import WebsocketConfig, WebsocketTransport, Workspace

_POLL_S = 0.003


def _config(url: str, room: str) -> WebsocketConfig:
    # This script is its own command line: it reads the token the library no longer reads for it.
    token = os.environ.get("CRDT_WS_TOKEN") or None
    return WebsocketConfig(url=url, room=room, token=token, backoff_initial=0.02, backoff_max=0.2)  # type: ignore[arg-type]


async def _write(url: str, room: str, name: str, pace: float) -> None:
    ws = Workspace(name)
    async with WebsocketTransport(_config(url, room)).connect(ws) as link:
        path = f"{name}.txt"
        ws.create_file(path, "")
        clocks: list[int] = []  # own clock after edit n
        reported = -1
        n = 0
        while True:
            text = ws.text(path)
            with ws.transaction():
                text.insert(len(text), f"{name}-{n}\n")
            clocks.append(ws.state_vector()[ws.doc.client_id])
            n += 1
            with anyio.move_on_after(pace):
                while True:  # report acks as they come, between edits
                    durable = link.durable.get(ws.doc.client_id, 0)
                    acked = reported
                    while acked + 1 < len(clocks) and clocks[acked + 1] <= durable:
                        acked += 1
                    if acked > reported:
                        reported = acked
                        print(json.dumps({"acked": acked}), flush=True)
                    await anyio.sleep(_POLL_S)


async def _observe(url: str, room: str) -> None:
    ws = Workspace("observer")
    seen: dict[str, int] = {}
    async with WebsocketTransport(_config(url, room)).connect(ws):
        while True:
            changed = False
            for path in ws.paths():
                for match in re.finditer(r"^(\w+)-(\d+)$", ws.read(path), re.MULTILINE):
                    name, n = match.group(1), int(match.group(2))
                    if n > seen.get(name, -1):
                        seen[name], changed = n, True
            if changed:
                print(json.dumps({"seen": seen}), flush=True)
            await anyio.sleep(_POLL_S * 3)


def main() -> None:
    mode, url, room, *rest = sys.argv[1:]
    if mode == "write":
        anyio.run(_write, url, room, rest[0], float(rest[1]) / 1000)
    else:
        anyio.run(_observe, url, room)


if __name__ == "__main__":
    main()
