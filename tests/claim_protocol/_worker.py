"""An agent process for the crash tests: joins a relay room and claims TODOs until all are done.

Its "work" is a sleep followed by a one-line implementation naming the agent,
so the test can tell whose code landed.
"""

from __future__ import annotations

import argparse

import anyio

from claim_protocol import Claimer, ClaimConfig
from crdt_ws import TodoEntry, WebsocketConfig, WebsocketTransport, Workspace


async def main(args: argparse.Namespace) -> None:
    ws = Workspace(args.agent)
    config = ClaimConfig(heartbeat_interval=args.heartbeat, lease=args.lease, min_wait=args.min_wait)

    async def work(entry: TodoEntry) -> str:
        await anyio.sleep(args.work_seconds)
        name = entry.symbol.split(".")[-1]
        return f"    def {name}(self):\n        return {args.agent!r}\n"

    async with WebsocketTransport(WebsocketConfig(url=args.url, room=args.room)).connect(ws) as conn:
        print("ready", flush=True)
        await Claimer(ws, config, connection=conn).run(work)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--room", required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--work-seconds", type=float, default=0.1)
    parser.add_argument("--heartbeat", type=float, default=0.2)
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--min-wait", type=float, default=0.001)
    anyio.run(main, parser.parse_args())
