"""Edit propagation through the relay: latency per replica count, and single-writer throughput.

    python -m bench.micro.propagation [--replicas 2 4 8 16] [--edits 200] [--updates 2000] [--json out.json]

The relay runs in a separate process (``bench.micro._relay_host``) on
127.0.0.1; every replica is a :class:`crdt_ws.Workspace` with a
:class:`crdt_ws.WebsocketTransport` in *this* process, one room per replica
count.  Two measurements per N:

* **latency** — writers take turns; each makes one small ``Text`` insert
  carrying a unique marker and notes ``perf_counter()``; every other replica's
  ``Text`` observer notes when the marker arrives.  One sample per
  (edit, receiver); the next edit starts once every replica has the previous
  one.  Also reported: the time until the *last* replica has an edit.
* **throughput** — one writer pushes ``--updates`` small inserts, each its own
  transaction, yielding to the event loop between them (as a streaming writer
  would); the figure is inserts / (time until every replica holds all of them
  and every replica's text equals the writer's).

All replicas share one event loop, so a receiver's latency includes the time
the loop spends handing the same update to the replicas served before it:
with N separate agent processes the figures could only be lower.

The cost of durability (issue 20) is measured side by side in one run: each
N is measured on two relay processes with a store, one with durable
acknowledgements off (how the relay worked before: broadcast, persist behind)
and one with them on, alternating.  With acknowledgements on, the writer also
records when the relay acknowledged its edit as durable (``durable p50/p99``:
edit -> ``wait_durable`` returns, i.e. the edit survives ``kill -9``).
Target (foundation issue): p50 <= 5 ms and p99 <= 20 ms at 16 replicas.
"""

from __future__ import annotations

from bench._errors import BenchError

import argparse
import json
import math
import os
import platform
import secrets
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import tempfile

import anyio
from pydantic import BaseModel, Field, ValidationError, field_validator

from crdt_ws import Relay, RelayConfig, WebsocketConnection

from ._propagation_room import PATH as _PATH, Room as _Room, connect_room as _connect_room
from ._relay_host import RelayProcessError, relay_process

__all__ = ["PropagationConfig", "PropagationResult", "percentile", "run_benchmark", "main"]

TARGET_P50_MS = 5.0
TARGET_P99_MS = 20.0


class PropagationConfig(BaseModel):
    """What to measure and how hard."""

    replicas: list[int] = Field(default=[2, 4, 8, 16], description="Replica counts N to measure, one room each.")
    edits: int = Field(default=200, ge=1, description="Measured latency edits per N (writers rotate).")
    warmup: int = Field(default=10, ge=0, description="Latency edits made first and not counted.")
    updates: int = Field(default=2000, ge=0, description="Inserts the single writer pushes in the throughput run (0 skips it).")
    relay: Literal["subprocess", "inprocess"] = Field(default="subprocess", description="Where the relay runs; the figures of record use a separate process.")
    edit_timeout: float = Field(default=5.0, gt=0, description="Seconds one edit may take to reach every replica before the run fails.")
    throughput_timeout: float = Field(default=120.0, gt=0, description="Seconds the throughput run may take to converge before it fails.")
    variants: list[Literal["acks-off", "acks-on", "memory"]] = Field(
        default=["acks-off", "acks-on"],
        description="Relays to compare, each N on each in turn: a store without / with durable acknowledgements, or no store.",
    )

    @field_validator("replicas")
    @classmethod
    def _at_least_two(cls, value: list[int]) -> list[int]:
        if not value or min(value) < 2:
            raise ValueError(f"need replica counts >= 2 (one writer, one receiver at least), got {value}")
        return value


class PropagationResult(BaseModel):
    """Figures for one replica count (milliseconds unless named otherwise)."""

    replicas: int
    variant: str = Field(default="memory", description="acks-off / acks-on: relay with a store, durable acknowledgements off / on; memory: no store.")
    samples: int = Field(description="Latency samples: measured edits x (replicas - 1).")
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    all_p50_ms: float = Field(description="Median time until the last replica has an edit.")
    all_p99_ms: float
    updates: int
    updates_per_s: float | None = Field(description="Throughput run: inserts / time to full convergence.")
    throughput_seconds: float | None
    deliveries_per_s: float | None = Field(description="Throughput run: inserts x receivers / time (what this one process absorbed).")
    writer_messages: int | None = Field(description="Websocket messages the writer sent for the inserts (its sender batches).")
    converged: bool = Field(description="Every replica's text equals every other's after both runs.")
    load_avg_1m: float = Field(description="1-minute load average when this N finished (other work on the machine skews figures).")
    durable_p50_ms: float | None = Field(default=None, description="acks-on: median time from an edit until its writer's wait_durable returns.")
    durable_p99_ms: float | None = None


class BenchmarkError(BenchError, RuntimeError):
    """An edit never reached every replica, or replicas did not converge."""


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of a non-empty list."""
    if not samples:
        raise ValueError("percentile of no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@asynccontextmanager
async def _relay(config: PropagationConfig, token: str, variant: str, store: Path) -> AsyncIterator[str]:
    store_dir = None if variant == "memory" else store / variant
    acks = variant == "acks-on"
    if config.relay == "subprocess":
        async with relay_process(token, store=store_dir, durable_acks=acks) as url:
            yield url
    else:
        relay_config = RelayConfig(port=0, write_tokens=[token], store_dir=store_dir, durable_acks=acks)  # type: ignore[list-item]
        async with Relay(relay_config) as relay:
            yield relay.url


async def _latency(room: _Room, config: PropagationConfig, durable: list[float] | None = None) -> tuple[list[float], list[float]]:
    per_receiver: list[float] = []
    until_all: list[float] = []
    n = len(room.replicas)
    for i in range(config.warmup + config.edits):
        writer = room.replicas[i % n]
        key = ("e", i)
        done = room.expect(key)
        ws = writer.workspace
        start = time.perf_counter()
        end = len(ws.read(_PATH))
        ws.edit(_PATH, end, end, f"x = 'é{i}' <e{i}>\n")
        acked: list[float] = []
        try:
            with anyio.fail_after(config.edit_timeout):
                async with anyio.create_task_group() as tg:
                    if durable is not None:
                        tg.start_soon(_time_durable, writer.connection, start, acked)
                    await done.wait()
        except TimeoutError:
            missing = [r.index for r in room.replicas if key not in r.arrivals]
            raise BenchmarkError(f"edit {i} by replica {writer.index} never reached replicas {missing}") from None
        if i < config.warmup:
            continue
        times = [r.arrivals[key] - start for r in room.replicas if r is not writer]
        per_receiver.extend(times)
        if durable is not None:
            durable.extend(acked)
        until_all.append(max(times))
    return per_receiver, until_all


async def _time_durable(connection: WebsocketConnection, start: float, out: list[float]) -> None:
    await connection.wait_durable()
    out.append(time.perf_counter() - start)


async def _throughput(room: _Room, config: PropagationConfig) -> tuple[float, int]:
    writer = room.replicas[0]
    done = room.expect_updates(config.updates)
    sent_before = writer.connection.stats.messages_sent
    ws = writer.workspace
    start = time.perf_counter()
    for i in range(config.updates):
        end = len(ws.read(_PATH))
        ws.edit(_PATH, end, end, f"<u{i}>")
        await anyio.sleep(0)  # let the sender and receivers run, as a streaming writer does
    try:
        with anyio.fail_after(config.throughput_timeout):
            await done.wait()
    except TimeoutError:
        raise BenchmarkError(f"{config.updates} inserts did not reach every replica in {config.throughput_timeout}s") from None
    elapsed = time.perf_counter() - start
    # Every observer saw every marker; wait out the writer's last outgoing batch and compare texts.
    await anyio.sleep(0.05)
    return elapsed, writer.connection.stats.messages_sent - sent_before


async def _converged(room: _Room, timeout: float = 5.0) -> bool:
    with anyio.move_on_after(timeout):
        while len(set(room.texts())) != 1:
            await anyio.sleep(0.01)
        return True
    return False


async def run_benchmark(config: PropagationConfig) -> list[PropagationResult]:
    """Measure every replica count in ``config``; one relay (process) for all of them."""
    token = secrets.token_urlsafe(16)
    results: list[PropagationResult] = []
    with tempfile.TemporaryDirectory(prefix="propagation-") as tmp:
        async with AsyncExitStack() as stack:
            urls = {v: await stack.enter_async_context(_relay(config, token, v, Path(tmp))) for v in config.variants}
            for n in config.replicas:
                for variant, url in urls.items():  # side by side: every N on every relay in turn
                    results.append(await _measure(config, url, token, n, variant))
    return results


async def _measure(config: PropagationConfig, url: str, token: str, n: int, variant: str) -> PropagationResult:
    room_name = f"propagation-n{n}-{secrets.token_hex(4)}"
    durable: list[float] | None = [] if variant == "acks-on" else None
    async with _connect_room(url, room_name, token, n) as room:
        per_receiver, until_all = await _latency(room, config, durable)
        elapsed: float | None = None
        messages: int | None = None
        if config.updates:
            elapsed, messages = await _throughput(room, config)
        converged = await _converged(room)
    ms = [t * 1000 for t in per_receiver]
    all_ms = [t * 1000 for t in until_all]
    durable_ms = [t * 1000 for t in durable or []]
    return PropagationResult(
        replicas=n,
        variant=variant,
        samples=len(ms),
        p50_ms=percentile(ms, 50),
        p99_ms=percentile(ms, 99),
        mean_ms=sum(ms) / len(ms),
        max_ms=max(ms),
        all_p50_ms=percentile(all_ms, 50),
        all_p99_ms=percentile(all_ms, 99),
        updates=config.updates,
        updates_per_s=config.updates / elapsed if elapsed else None,
        throughput_seconds=elapsed,
        deliveries_per_s=config.updates * (n - 1) / elapsed if elapsed else None,
        writer_messages=messages,
        converged=converged,
        load_avg_1m=os.getloadavg()[0],
        durable_p50_ms=percentile(durable_ms, 50) if durable_ms else None,
        durable_p99_ms=percentile(durable_ms, 99) if durable_ms else None,
    )


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "platform": platform.platform(), "cpus": str(os.cpu_count())}
    for package in ("pycrdt", "pycrdt-websocket", "websockets", "uvicorn", "anyio"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "absent"
    return out


def format_table(results: list[PropagationResult], config: PropagationConfig) -> str:
    lines = [
        f"edit propagation via relay ({config.relay}, 127.0.0.1), {config.edits} edits per N after {config.warmup} warm-up",
        f"{'N':>3} {'relay':>8} {'samples':>7} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}"
        f" {'all p50':>8} {'all p99':>8} {'dur p50':>8} {'dur p99':>8} {'updates/s':>10} {'deliv/s':>8} {'msgs':>6} {'conv':>5} {'load':>5}",
    ]
    for r in results:
        rate = f"{r.updates_per_s:10.0f}" if r.updates_per_s is not None else f"{'-':>10}"
        deliveries = f"{r.deliveries_per_s:8.0f}" if r.deliveries_per_s is not None else f"{'-':>8}"
        msgs = f"{r.writer_messages:6d}" if r.writer_messages is not None else f"{'-':>6}"
        dur = f"{r.durable_p50_ms:8.2f} {r.durable_p99_ms or 0:8.2f}" if r.durable_p50_ms is not None else f"{'-':>8} {'-':>8}"
        lines.append(
            f"{r.replicas:>3} {r.variant:>8} {r.samples:>7} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.mean_ms:8.2f} {r.max_ms:8.2f}"
            f" {r.all_p50_ms:8.2f} {r.all_p99_ms:8.2f} {dur} {rate} {deliveries} {msgs} {str(r.converged):>5} {r.load_avg_1m:5.2f}"
        )
    lines.append(f"target at N=16: p50 <= {TARGET_P50_MS} ms, p99 <= {TARGET_P99_MS} ms (per receiver)")
    for r in results:
        if r.replicas == 16:
            met = r.p50_ms <= TARGET_P50_MS and r.p99_ms <= TARGET_P99_MS
            lines.append(f"N=16 {r.variant}: {'MET' if met else 'MISSED'} (p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms)")
    lines.append("acks-off / acks-on: relay processes with a store, durable acknowledgements off / on, measured in turn;")
    lines.append("dur p50/p99: edit -> the writer's wait_durable() returns (survives kill -9)")
    lines.append(f"throughput: one writer, {config.updates} inserts, time until every replica holds all of them;")
    lines.append(f"all replicas share this process's event loop ({os.cpu_count()} CPUs, load = 1-min load average)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.micro.propagation", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[2, 4, 8, 16], help="replica counts N")
    parser.add_argument("--edits", type=int, default=200, help="measured latency edits per N")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured edits first")
    parser.add_argument("--updates", type=int, default=2000, help="inserts in the throughput run (0 skips)")
    parser.add_argument("--relay", choices=["subprocess", "inprocess"], default="subprocess")
    parser.add_argument("--variants", nargs="+", choices=["acks-off", "acks-on", "memory"], default=["acks-off", "acks-on"])
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    try:
        config = PropagationConfig(
            replicas=args.replicas, edits=args.edits, warmup=args.warmup, updates=args.updates, relay=args.relay, variants=args.variants
        )
    except ValidationError as exc:
        print(f"propagation benchmark: bad options: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    try:
        results = anyio.run(run_benchmark, config)
    except (BenchmarkError, RelayProcessError) as exc:
        print(f"propagation benchmark failed: {exc}", file=sys.stderr)
        return 1
    print(format_table(results, config))
    if args.json is not None:
        payload: dict[str, Any] = {
            "benchmark": "propagation",
            "config": config.model_dump(),
            "environment": _versions(),
            "target": {"replicas": 16, "p50_ms": TARGET_P50_MS, "p99_ms": TARGET_P99_MS},
            "results": [r.model_dump() for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
