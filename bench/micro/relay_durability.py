"""SIGKILL the relay at a random moment: is every update it acknowledged as durable still there?

    python -m bench.micro.relay_durability [--trials 20] [--writers 3] [--pace-ms 5] [--seed 0] [--json out.json]

Each trial starts a real relay process (``crdt-bench relay --store``), writer
processes that append numbered lines as fast as ``--pace-ms`` allows and
record the relay's durable acknowledgements (``_durability_writer``), and an
observer process recording what reached *another client* through the relay.
After a random delay the relay gets ``kill -9``, the clients are killed too
(so nothing can be resent), a new relay is started on the same store, and a
fresh client reads every writer's buffer from it.  Counted per trial:

* ``acked`` / ``lost_acked`` — updates the relay acknowledged as durable, and
  how many of them are missing after the restart (the promise: 0);
* ``seen`` / ``lost_seen`` — updates another client had received through
  the relay before the kill, and how many are missing (the weaker notion of
  "acknowledged" that lost 79 of 3,842 updates in issue 20; the relay still
  broadcasts before it persists, so this can stay above 0);
* ``kept_unacked`` — updates on disk that were never acknowledged (the kill
  came between the commit and the acknowledgement reaching the writer).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from anyio.abc import Process
from pydantic import BaseModel

from bench.micro._jsonlines import JsonLines
from crdt_ws import WebsocketConfig, WebsocketTransport, Workspace

_TOKEN = "durability-bench-token"
_REPO = Path(__file__).resolve().parents[2]


class TrialResult(BaseModel):
    """One kill -9 trial."""

    trial: int
    kill_after_s: float
    acked: int
    lost_acked: int
    seen: int
    lost_seen: int
    kept_unacked: int
    stored: int



def _env() -> dict[str, str]:
    return {**os.environ, "CRDT_WS_TOKEN": _TOKEN, "PYTHONUNBUFFERED": "1"}


async def _start_relay(store: Path) -> tuple[Process, str]:
    process = await anyio.open_process(
        [sys.executable, "-m", "bench", "relay", "--port", "0", "--store", str(store)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=_REPO, env=_env(),
    )
    assert process.stdout is not None
    text = ""
    with anyio.fail_after(30):
        while (match := re.search(r"relay listening on (ws://127\.0\.0\.1:\d+)", text)) is None:
            text += (await process.stdout.receive()).decode()
    return process, match.group(1)


async def _kill(process: Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()


async def trial(index: int, writers: int, pace_ms: float, kill_after: float, workdir: Path) -> TrialResult:
    """One trial: write, kill -9 the relay after ``kill_after`` s, restart it, count what survived."""
    store = workdir / f"trial-{index}"
    relay, url = await _start_relay(store)
    names = [f"w{i}" for i in range(writers)]
    module = [sys.executable, "-m", "bench.micro._durability_writer"]
    clients: dict[str, JsonLines] = {}
    async with anyio.create_task_group() as tg:
        for name in names:
            clients[name] = JsonLines(await anyio.open_process([*module, "write", url, "room", name, str(pace_ms)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=_REPO, env=_env()))
        clients["observer"] = JsonLines(await anyio.open_process([*module, "observe", url, "room"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=_REPO, env=_env()))
        for client in clients.values():
            tg.start_soon(client.drain)
        with anyio.fail_after(60):  # every client is up and the writers are being acknowledged
            while not all(c.lines for c in clients.values()):
                await anyio.sleep(0.02)
        await anyio.sleep(kill_after)  # the random moment of the kill (what is being measured, not a wait for a condition)
        await _kill(relay)
        for client in clients.values():
            await _kill(client.process)
    acked = {name: max((line["acked"] for line in clients[name].lines), default=-1) for name in names}
    seen_lines = [line["seen"] for line in clients["observer"].lines]
    seen = {name: max((s.get(name, -1) for s in seen_lines), default=-1) for name in names}

    relay, url = await _start_relay(store)
    try:
        reader = Workspace("reader")
        async with WebsocketTransport(WebsocketConfig(url=url, room="room", token=_TOKEN)).connect(reader):  # type: ignore[arg-type]
            stored = {name: set(re.findall(rf"^{name}-(\d+)$", reader.read(f"{name}.txt") if f"{name}.txt" in reader.paths() else "", re.MULTILINE)) for name in names}
    finally:
        relay.send_signal(signal.SIGTERM)
        with anyio.move_on_after(10):
            await relay.wait()
        await _kill(relay)
    numbers = {name: {int(n) for n in stored[name]} for name in names}
    return TrialResult(
        trial=index,
        kill_after_s=round(kill_after, 3),
        acked=sum(acked[n] + 1 for n in names),
        lost_acked=sum(1 for n in names for i in range(acked[n] + 1) if i not in numbers[n]),
        seen=sum(seen[n] + 1 for n in names),
        lost_seen=sum(1 for n in names for i in range(seen[n] + 1) if i not in numbers[n]),
        kept_unacked=sum(1 for n in names for i in numbers[n] if i > acked[n]),
        stored=sum(len(numbers[n]) for n in names),
    )


async def run(trials: int, writers: int, pace_ms: float, seed: int, progress: bool = True) -> list[TrialResult]:
    rng = random.Random(seed)
    results: list[TrialResult] = []
    with tempfile.TemporaryDirectory(prefix="relay-durability-") as tmp:
        for index in range(trials):
            result = await trial(index, writers, pace_ms, rng.uniform(0.5, 2.5), Path(tmp))
            results.append(result)
            if progress:
                print(json.dumps(result.model_dump()), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.micro.relay_durability", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--pace-ms", type=float, default=5.0, help="Milliseconds between one writer's edits.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="Write every trial and the totals here.")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    started = time.perf_counter()
    results = anyio.run(run, args.trials, args.writers, args.pace_ms, args.seed)
    totals = {key: sum(getattr(r, key) for r in results) for key in ("acked", "lost_acked", "seen", "lost_seen", "kept_unacked", "stored")}
    summary = {"trials": len(results), **totals, "seconds": round(time.perf_counter() - started, 1), "loadavg_before": load, "loadavg_after": os.getloadavg()}
    print(json.dumps(summary))
    print(
        f"{len(results)} kill -9 trials: {totals['lost_acked']} of {totals['acked']} updates acknowledged as durable lost; "
        f"{totals['lost_seen']} of {totals['seen']} updates another client had received lost; "
        f"{totals['kept_unacked']} stored but never acknowledged"
    )
    if args.json is not None:
        args.json.write_text(json.dumps({"summary": summary, "trials": [r.model_dump() for r in results]}, indent=1))
    return 1 if totals["lost_acked"] else 0


if __name__ == "__main__":
    sys.exit(main())
