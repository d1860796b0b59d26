"""Claim latency and duplicate work vs injected delay, for 2–32 agents.

Two parts, printed as Markdown tables (and written as JSON with ``--json``):

* **simulated** — the deterministic network simulator (real pycrdt replicas,
  virtual time): one-way link delay ``d`` with jitter up to ``d/2`` in each
  direction, reordering and 2% duplication.  The adaptive verify wait is
  compared side by side with the fixed 50 ms wait of the CodeCRDT paper on
  the same seeds.  Latency is choose → verified, in virtual milliseconds.
* **relay** — real agents (anyio ``Claimer``) over real websockets through
  the relay on 127.0.0.1, no injected delay: what a claim costs on this
  machine, wall clock.

Duplicate work = share of TODOs that more than one verified claim proceeded on.

    python -m bench.micro.claim_latency [--agents 2 4 8 16 32] [--delays-ms 0.5 2 10 50 100] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio

from claim_protocol import Claimer, ClaimConfig
from claim_protocol.sim import LinkConfig, Scenario, run_scenario
from crdt_ws import Relay, RelayConfig, TodoEntry, WebsocketConfig, WebsocketTransport, Workspace


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def simulated(agents: int, delay: float, fixed_wait: float | None, seeds: int) -> dict[str, Any]:
    latencies: list[float] = []
    duplicates: list[float] = []
    makespans: list[float] = []
    for seed in range(seeds):
        scenario = Scenario(
            agents=agents,
            todos=2 * agents,
            dep_probability=0.0,
            work=(0.2, 0.4),
            link=LinkConfig(delay=delay, jitter=delay / 2, duplicate=0.02),
            fixed_wait=fixed_wait,
            seed=seed,
        )
        result = run_scenario(scenario)
        latencies += result.latencies()
        duplicates.append(result.duplicate_rate())
        makespans.append(result.makespan)
    return {
        "agents": agents,
        "delay_ms": delay * 1000,
        "wait": "adaptive" if fixed_wait is None else f"fixed {fixed_wait * 1000:.0f} ms",
        "claims": len(latencies),
        "p50_ms": _pct(latencies, 0.5) * 1000,
        "p99_ms": _pct(latencies, 0.99) * 1000,
        "duplicate_rate": statistics.mean(duplicates),
        "makespan_s": statistics.mean(makespans),
    }


async def relay_run(agents: int, store: Path) -> dict[str, Any]:
    todos = 2 * agents
    async with Relay(RelayConfig(port=0, store_dir=store)) as relay:
        config = WebsocketConfig(url=relay.url, room=f"bench-{agents}")
        seeder = Workspace("outliner")
        async with WebsocketTransport(config).connect(seeder):
            seeder.create_file("jobs.py", "class Jobs:\n" + "".join(f"    def job{i}(self):\n        pass\n\n" for i in range(todos)))
            for i in range(todos):
                seeder.add_todo(TodoEntry(id=f"t{i}", file="jobs.py", symbol=f"Jobs.job{i}"))
            await relay.flush()
        workspaces = [Workspace(f"agent-{i}") for i in range(agents)]
        claimers: list[Claimer] = []
        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for ws in workspaces:

                async def agent(ws: Workspace = ws) -> None:
                    async with WebsocketTransport(config).connect(ws) as conn:
                        claimer = Claimer(ws, ClaimConfig(), connection=conn)
                        claimers.append(claimer)

                        async def work(entry: TodoEntry) -> str:
                            await anyio.sleep(0.05)
                            return f"    def {entry.symbol.split('.')[-1]}(self):\n        return {ws.agent_id!r}\n"

                        await claimer.run(work)

                tg.start_soon(agent)
        elapsed = time.perf_counter() - start
        events = workspaces[0].read_events()
    latencies = [x for c in claimers for x in c.stats.latencies]
    waits = [x for c in claimers for x in c.stats.waits]
    wins = Counter(e.todo for e in events if e.type == "verify")
    return {
        "agents": agents,
        "claims": len(latencies),
        "p50_ms": _pct(latencies, 0.5) * 1000,
        "p99_ms": _pct(latencies, 0.99) * 1000,
        "wait_p50_ms": _pct(waits, 0.5) * 1000,
        "losses": sum(c.stats.losses for c in claimers),
        "duplicate_rate": sum(1 for n in wins.values() if n > 1) / todos,
        "wall_s": elapsed,
        "load_avg": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    parser.add_argument("--delays-ms", type=float, nargs="+", default=[0.5, 2, 10, 50, 100])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-relay", action="store_true", help="Skip the real-relay part.")
    parser.add_argument("--json", type=Path, help="Also write every row here.")
    args = parser.parse_args()

    rows: list[dict[str, Any]] = []
    print("## Simulated network (virtual time; adaptive wait vs fixed 50 ms on the same seeds)\n")
    print("| agents | one-way delay ms | wait | claims | p50 ms | p99 ms | duplicate work | makespan s |")
    print("|---|---|---|---|---|---|---|---|")
    for agents in args.agents:
        for delay_ms in args.delays_ms:
            for fixed in (None, 0.05):
                row = simulated(agents, delay_ms / 1000, fixed, args.seeds)
                rows.append({"part": "simulated", **row})
                print(
                    f"| {agents} | {delay_ms:g} | {row['wait']} | {row['claims']} | {row['p50_ms']:.1f} | "
                    f"{row['p99_ms']:.1f} | {row['duplicate_rate']:.1%} | {row['makespan_s']:.2f} |",
                    flush=True,
                )
    if not args.no_relay:
        print("\n## Real relay on 127.0.0.1 (websockets, wall clock, no injected delay)\n")
        print("| agents | claims | p50 ms | p99 ms | verify wait p50 ms | lost claims | duplicate work | wall s | load |")
        print("|---|---|---|---|---|---|---|---|---|")
        with tempfile.TemporaryDirectory() as tmp:
            for agents in args.agents:
                row = anyio.run(relay_run, agents, Path(tmp))
                rows.append({"part": "relay", **row})
                print(
                    f"| {agents} | {row['claims']} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
                    f"{row['wait_p50_ms']:.1f} | {row['losses']} | {row['duplicate_rate']:.1%} | "
                    f"{row['wall_s']:.2f} | {row['load_avg']:.1f} |",
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
