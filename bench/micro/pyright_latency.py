"""Warm pyright (persistent language server) vs the cold pyright CLI, same files.

Each warm check edits one file (a changed comment, so pyright must re-analyse)
and pulls its diagnostics; each cold check starts the pyright CLI on the same
text.  Files: ClassEval reference solutions when --data/$CLASSEVAL_DATA is
given, else this package's own modules.  Target: warm p50 <= 0.2 s.

    python -m bench.micro.pyright_latency [--data DIR] [--warm 200] [--cold 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import anyio

from agents.judge import DataError, PyrightServer, check_cold, data_dir, load_tasks


def sample_files(data: str | None, count: int) -> tuple[str, dict[str, str]]:
    try:
        tasks = load_tasks(data_dir(data))
        chosen = tasks[:: max(1, len(tasks) // count)][:count]
        return "ClassEval reference solutions", {f"{t.class_name}.py": t.solution_code for t in chosen}
    except DataError:
        here = Path(__file__).resolve().parents[2] / "agents" / "judge"
        files = sorted(here.glob("_*.py"))[:count]
        return "agents/judge modules", {p.name: p.read_text() for p in files}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _main(args: argparse.Namespace) -> None:
    label, files = sample_files(args.data, args.files)
    names = list(files)
    print(f"files: {len(files)} ({label}); pyright basic mode")
    t0 = time.monotonic()
    warm: list[float] = []
    async with PyrightServer() as server:
        await server.check(files)  # open everything once: warm-up
        startup = time.monotonic() - t0
        for i in range(args.warm):
            name = names[i % len(names)]
            started = time.monotonic()
            await server.check({name: files[name] + f"\n# edit {i}\n"})
            warm.append(time.monotonic() - started)
    cold: list[float] = []
    for i in range(args.cold):
        name = names[i % len(names)]
        started = time.monotonic()
        await check_cold({name: files[name] + f"\n# edit {i}\n"})
        cold.append(time.monotonic() - started)
    print(f"warm server start + first check of all files: {startup:.2f} s")
    print(f"warm  n={len(warm):4d} p50={pct(warm, 0.5):.3f} s p99={pct(warm, 0.99):.3f} s mean={statistics.mean(warm):.3f} s")
    print(f"cold  n={len(cold):4d} p50={pct(cold, 0.5):.3f} s p99={pct(cold, 0.99):.3f} s mean={statistics.mean(cold):.3f} s")
    print(f"speed-up at p50: {pct(cold, 0.5) / pct(warm, 0.5):.1f}x; target warm p50 <= 0.2 s: {'met' if pct(warm, 0.5) <= 0.2 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("CLASSEVAL_DATA"), help="ClassEval data dir")
    parser.add_argument("--files", type=int, default=20, help="how many files")
    parser.add_argument("--warm", type=int, default=200, help="warm checks")
    parser.add_argument("--cold", type=int, default=20, help="cold CLI checks")
    anyio.run(_main, parser.parse_args())


if __name__ == "__main__":
    main()
