"""Load on the relay from client processes: many viewers, steady writers; propagation, RSS, CPU, errors.

    python -m bench.micro.relay_load [--connections 200 500] [--writers 20] [--rate 2] [--duration 20] [--json out.json]
    python -m bench.micro.relay_load --connections 200 --baseline-source /tmp/old-checkout --repeat 3

For each connection count C, a fresh relay process (``crdt-bench relay
--store``, durable acknowledgements on) serves one room; client processes
(``_load_client``, separate from the relay and from each other) open
``--writers`` real workspaces (over ``--writer-processes`` processes, each
writer at its own random phase) writing ``--rate`` updates/s each and
C - writers bare viewer websockets with a read-only token.  Once everyone is
connected, the writers run for ``--duration`` seconds.  Reported per C:

* propagation p50/p99/max — one sample per (update, viewer): from the
  writer's edit to the viewer receiving the relay's message (one monotonic
  clock, one machine);
* durable p50/p99 — the writer's edit until the relay acknowledged it as
  durable (``wait_durable``);
* relay RSS (at the end, and the peak) and CPU (% of one core, over the run),
  and the client processes' CPU next to it;
* errors — failed or dropped connections, failed durable waits, and updates
  some viewer had not received 30 s after the writers stopped (each missing
  update is named with its writer's last sent and last durable update and
  how often that writer connected, which tells a relay that dropped it from
  a writer that never got it out).

``--baseline-source DIR`` runs the relay from another checkout (e.g. ``git
worktree add /tmp/base main``) as well, alternating baseline and current
runs (ABBA) ``--repeat`` times with the same clients, and prints the median
p50/p99 of each and their ratio: figures from one sitting, side by side,
since other work on the machine shows up in the tails.

Target (issue 20): p99 <= 50 ms at 200 connections with no errors, on
loopback.  The machine's load average is printed next to each row: other work
on it shows up in the tails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import websockets
from pycrdt import Doc, create_sync_message
from pydantic import BaseModel

from bench.micro._jsonlines import JsonLines
from bench.micro._load_client import MARK as _MARK

_REPO = Path(__file__).resolve().parents[2]
_WRITE, _READ = "load-bench-write", "load-bench-read"
TARGET_P99_MS = 50.0
_GRACE_S = 30.0
"""Seconds after the writers stopped within which every viewer must have every update (else: an error).

The run ends as soon as they all have; how long that took is reported (``drain_s``), so an update
that arrives late under load is told apart from one that never arrives."""


class LoadResult(BaseModel):
    """Figures for one connection count."""

    connections: int
    writers: int
    viewers: int
    rate_per_writer: float
    duration_s: float
    updates_sent: int
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    durable_p50_ms: float | None
    durable_p99_ms: float | None
    missing_deliveries: int
    errors: int
    error_examples: list[str]
    relay: str = "current"
    drain_s: float = 0.0
    relay_start_rss_mb: float = 0.0
    missing_examples: list[str] = []
    relay_rss_mb: float
    relay_peak_rss_mb: float
    relay_cpu_percent: float
    clients_cpu_percent: float
    load_avg_1m: float


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


def _proc_stat(pid: int) -> tuple[float, float, float]:
    """CPU seconds used, RSS MB and peak RSS MB of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return cpu, int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


class _Lines(JsonLines):
    async def say(self, line: str) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send(line.encode() + b"\n")


async def measure(
    connections: int, writers: int, rate: float, duration: float, viewer_processes: int, relay_log: Path | None = None, writer_processes: int = 4,
    relay_source: Path | None = None,
) -> LoadResult:
    env = {**os.environ, "CRDT_WS_TOKEN": _WRITE, "CRDT_WS_READ_TOKEN": _READ, "PYTHONUNBUFFERED": "1"}
    source = relay_source or _REPO
    relay_env = {**env, "PYTHONPATH": os.pathsep.join([str(source), *filter(None, [os.environ.get("PYTHONPATH")])])}
    cpu0 = cpu1 = rss = peak = t0 = t1 = clients0 = clients1 = t_clients = start_rss = drain = 0.0
    in_relay: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="relay-load-") as store:
        relay = await anyio.open_process(
            [sys.executable, "-m", "bench", "relay", "--port", "0", "--store", store, "--max-rooms-per-token", "1000"],
            stdout=subprocess.PIPE, stderr=relay_log.open("ab") if relay_log else subprocess.DEVNULL, cwd=source, env=relay_env,
        )
        try:
            assert relay.stdout is not None
            text = ""
            with anyio.fail_after(30):
                while (match := re.search(r"relay listening on (ws://127\.0\.0\.1:\d+)", text)) is None:
                    text += (await relay.stdout.receive()).decode()
            url = match.group(1)
            start_rss = _proc_stat(relay.pid)[1]  # listening, no client yet: what importing the relay costs
            viewers = connections - writers
            shares = [viewers // viewer_processes + (1 if i < viewers % viewer_processes else 0) for i in range(viewer_processes)]
            writer_shares = [writers // writer_processes + (1 if i < writers % writer_processes else 0) for i in range(writer_processes)]
            plan = [(share, 0, f"w{i}") for i, share in enumerate(writer_shares) if share] + [(0, share, f"v{i}") for i, share in enumerate(shares)]
            clients: list[_Lines] = []
            async with anyio.create_task_group() as tg:
                for w, v, name in plan:
                    process = await anyio.open_process(
                        [sys.executable, "-m", "bench.micro._load_client", url, "load", str(w), str(v), str(rate), name],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=relay_log.open("ab") if relay_log else subprocess.DEVNULL, cwd=_REPO, env=env,
                    )
                    client = _Lines(process)
                    clients.append(client)
                    tg.start_soon(client.drain)
                with anyio.fail_after(120):
                    while not all(c.lines for c in clients):
                        await anyio.sleep(0.05)
                cpu0, _, _ = _proc_stat(relay.pid)
                clients0 = sum(_proc_stat(c.process.pid)[0] for c in clients)
                t0 = time.monotonic()
                for client in clients:
                    await client.say("go")
                await anyio.sleep(duration)  # the measured run
                clients1 = sum(_proc_stat(c.process.pid)[0] for c in clients)
                t_clients = time.monotonic()
                writing = clients[: len(plan) - len(shares)]
                for client in writing:
                    await client.say("stop")  # writers first (they flush what they have not sent, then exit) ...
                with anyio.fail_after(30):
                    for client in writing:
                        await client.process.wait()
                stopped = time.monotonic()
                with anyio.fail_after(30):  # their last line (what they sent) may still be in the pipe
                    while not all("sent" in c.lines[-1] for c in writing):
                        await anyio.sleep(0.02)
                viewing = clients[len(writing):]
                # ... then wait until every viewer has every update (or _GRACE_S passes): late is not lost.
                owed = sum(n for c in writing for n in c.lines[-1]["sent"].values()) * viewers
                while True:
                    for client in viewing:
                        await client.say("count")
                    with anyio.fail_after(30):
                        while not all("count" in c.lines[-1] for c in viewing):
                            await anyio.sleep(0.02)
                    have = sum(c.lines[-1]["count"] for c in viewing)
                    drain = time.monotonic() - stopped
                    if have >= owed or drain > _GRACE_S:
                        break
                    for client in viewing:
                        client.lines.pop()
                    await anyio.sleep(0.2)
                cpu1, rss, peak = _proc_stat(relay.pid)
                t1 = time.monotonic()
                in_relay = await _relay_markers(url)
                for client in viewing:
                    await client.say("stop")
                with anyio.fail_after(60):
                    while not all("latencies_ms" in c.lines[-1] for c in clients):
                        await anyio.sleep(0.05)
        finally:
            relay.send_signal(signal.SIGTERM)
            with anyio.move_on_after(15):
                await relay.wait()
            if relay.returncode is None:
                relay.kill()
    reports = [c.lines[-1] for c in clients]
    latencies = [x for r in reports for x in r["latencies_ms"]]
    durable = [x for r in reports for x in r["durable_ms"]]
    sent = {name: n for r in reports for name, n in r["sent"].items()}
    expected = {f"{name}:{seq}" for name, n in sent.items() for seq in range(n)}
    missed: dict[str, int] = {}
    for r in reports:
        for got in r["received"].values():
            for key in expected - set(got):
                missed[key] = missed.get(key, 0) + 1
    missing = sum(missed.values())
    acked = {name: n for r in reports for name, n in r.get("acked", {}).items()}
    links = {name: info for r in reports for name, info in r.get("links", {}).items()}
    missing_examples = [
        f"{key} missed by {n} viewers (its writer made {sent[key.rsplit(':', 1)[0]]} updates, {acked.get(key.rsplit(':', 1)[0], 0)} acknowledged durable, "
        f"connects {links.get(key.rsplit(':', 1)[0], {}).get('connects', '?')}, link errors {links.get(key.rsplit(':', 1)[0], {}).get('errors', [])}, "
        f"{'in' if key in in_relay else 'NOT in'} the relay's document at the end)"
        for key, n in sorted(missed.items())[:5]
    ]
    errors = [e for r in reports for e in r["errors"]]
    return LoadResult(
        connections=connections, writers=writers, viewers=connections - writers, rate_per_writer=rate, duration_s=duration,
        updates_sent=len(expected), samples=len(latencies),
        p50_ms=percentile(latencies, 50) if latencies else math.nan,
        p99_ms=percentile(latencies, 99) if latencies else math.nan,
        max_ms=max(latencies, default=math.nan),
        durable_p50_ms=percentile(durable, 50) if durable else None,
        durable_p99_ms=percentile(durable, 99) if durable else None,
        missing_deliveries=missing, errors=len(errors) + missing, error_examples=errors[:5], missing_examples=missing_examples,
        relay="baseline" if relay_source else "current", drain_s=round(drain, 2), relay_start_rss_mb=round(start_rss, 1),
        relay_rss_mb=round(rss, 1), relay_peak_rss_mb=round(peak, 1),
        relay_cpu_percent=round(100 * (cpu1 - cpu0) / (t1 - t0), 1), load_avg_1m=os.getloadavg()[0],
        clients_cpu_percent=round(100 * (clients1 - clients0) / (t_clients - t0), 1),
    )


async def _relay_markers(url: str) -> set[str]:
    """The ``writer:seq`` markers in the relay's document (what a client joining now receives)."""
    async with websockets.connect(f"{url}/load?token={_READ}", max_size=None) as ws:
        await ws.send(create_sync_message(Doc()))
        with anyio.fail_after(30):
            while not isinstance(message := await ws.recv(), bytes) or message[:2] != b"\x00\x01":  # the relay's sync step 2: the whole room
                pass
    return {f"{m.group(1).decode()}:{int(m.group(2))}" for m in _MARK.finditer(message)}


def format_table(results: list[LoadResult]) -> str:
    lines = [
        "propagation = writer's edit -> a viewer has the relay's message (ms, one sample per update and viewer); dur = edit -> "
        "relay acknowledged it durable; start/RSS/peak MB = relay RSS when listening / at the end / peak; CPU % of one core "
        "(relay, all clients); errors = failed connections or durable waits + (update, viewer) pairs never delivered; "
        "drain s = from the writers' exit until every viewer had every update; load = 1-minute load average at the end of the run",
        f"{'relay':>8} {'conns':>5} {'writers':>7} {'viewers':>7} {'updates':>7} {'samples':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'dur p50':>7} {'dur p99':>7} {'start MB':>8} {'RSS MB':>7} {'peak MB':>7} {'CPU %':>6} {'cli CPU':>7} {'errors':>6} {'drain s':>7} {'load':>5}",
    ]
    for r in results:
        lines.append(
            f"{r.relay:>8} {r.connections:>5} {r.writers:>7} {r.viewers:>7} {r.updates_sent:>7} {r.samples:>8} {r.p50_ms:7.2f} {r.p99_ms:7.2f} {r.max_ms:7.1f}"
            f" {r.durable_p50_ms or math.nan:7.2f} {r.durable_p99_ms or math.nan:7.2f} {r.relay_start_rss_mb:8.1f} {r.relay_rss_mb:7.1f} {r.relay_peak_rss_mb:7.1f}"
            f" {r.relay_cpu_percent:6.1f} {r.clients_cpu_percent:7.1f} {r.errors:>6} {r.drain_s:7.2f} {r.load_avg_1m:5.2f}"
        )
    for r in results:
        for example in [*r.error_examples, *r.missing_examples]:
            lines.append(f"  {r.relay} {r.connections}: {example}")
    for relay, connections in sorted({(r.relay, r.connections) for r in results}):
        runs = [r for r in results if r.relay == relay and r.connections == connections]
        if len(runs) > 1:
            lines.append(
                f"{relay} at {connections} connections over {len(runs)} runs: median p50 {statistics.median(r.p50_ms for r in runs):.2f} ms, "
                f"median p99 {statistics.median(r.p99_ms for r in runs):.2f} ms, errors {sum(r.errors for r in runs)}"
            )
    for connections in sorted({r.connections for r in results}):
        base = [r for r in results if r.relay == "baseline" and r.connections == connections]
        cur = [r for r in results if r.relay == "current" and r.connections == connections]
        if base and cur:
            p50 = statistics.median(r.p50_ms for r in cur) / statistics.median(r.p50_ms for r in base)
            p99 = statistics.median(r.p99_ms for r in cur) / statistics.median(r.p99_ms for r in base)
            lines.append(f"current / baseline at {connections} connections (medians, alternated runs): p50 x{p50:.2f}, p99 x{p99:.2f}")
    for r in results:
        if r.connections == 200 and r.relay == "current":
            met = r.p99_ms <= TARGET_P99_MS and r.errors == 0
            lines.append(
                f"target at 200 connections: p99 <= {TARGET_P99_MS:g} ms, no errors: {'MET' if met else 'MISSED'} "
                f"(p99 {r.p99_ms:.1f} ms, {r.errors} errors, load {r.load_avg_1m:.2f} on {os.cpu_count()} CPUs)"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.micro.relay_load", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="Updates per second per writer.")
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds the writers write, per connection count.")
    parser.add_argument("--viewer-processes", type=int, default=3)
    parser.add_argument("--writer-processes", type=int, default=4, help="Writers are spread over this many processes (agents are separate processes).")
    parser.add_argument("--baseline-source", type=Path, default=None, help="Also run the relay from this checkout, alternating with the current one.")
    parser.add_argument("--repeat", type=int, default=1, help="Runs per connection count (with --baseline-source: pairs, in ABBA order).")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--relay-log", type=Path, default=None, help="Append the relay's log here.")
    args = parser.parse_args(argv)
    if min(args.connections) <= args.writers:
        parser.error("every connection count must exceed --writers")
    if args.baseline_source is not None and not (args.baseline_source / "crdt_ws" / "_relay.py").is_file():
        parser.error(f"--baseline-source {args.baseline_source} is not a checkout of this project (no crdt_ws/_relay.py)")
    uptime = Path("/proc/loadavg").read_text().strip()
    results: list[LoadResult] = []
    for connections in args.connections:
        for i in range(args.repeat):
            sources: list[Path | None] = [None] if args.baseline_source is None else [args.baseline_source, None]
            for source in sources if i % 2 == 0 else sources[::-1]:
                result = anyio.run(
                    measure, connections, args.writers, args.rate, args.duration, args.viewer_processes, args.relay_log, args.writer_processes, source
                )
                results.append(result)
                print(f"  {result.relay} {connections}: p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, {result.errors} errors, "
                      f"load {result.load_avg_1m:.2f}", file=sys.stderr, flush=True)
    print(f"load average before: {uptime}; after: {Path('/proc/loadavg').read_text().strip()} ({os.cpu_count()} CPUs)")
    print(format_table(results))
    if args.json is not None:
        args.json.write_text(json.dumps({"loadavg_before": uptime, "results": [r.model_dump() for r in results]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
