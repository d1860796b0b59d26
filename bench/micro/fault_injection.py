"""Fault injection on real processes: kills, relay restarts and dropped connections, with every check.

Each trial runs ``crdt-bench relay --store`` and 2-4 ``crdt-bench implement``
processes (scripted model, **faults off**, so every hidden test must pass),
the outliner and the judge in this process, all over websockets on
127.0.0.1 through a TCP proxy; then one fault (``bench.faults``):

* ``claim``  — SIGKILL an implementer holding a claim, before any code streamed;
* ``stream`` — SIGKILL it while its reply streams into the buffer (the victim's model runs at real speed);
* ``commit`` — SIGKILL it after extraction, before the commit (``CRDT_BENCH_PAUSE_AT=extracted``);
* ``relay``  — SIGKILL the relay mid-run, restart it on the same port and store;
* ``drop``   — the proxy cuts every connection at random moments.

Checked after each trial: nothing the relay had persisted (or the driver had
seen) at the fault is missing from the final store; each stub symbol is
defined exactly once; every TODO is done (a failed one is listed with its
recorded reason); the hidden tests pass; the final store equals the final
document.  Per kind it prints trials, kills (for ``drop``: cuts), reclaims,
reconnects, lost updates, duplicate definitions, TODOs not done, and the time
to recover (implementer kills: kill → the victim's TODO reclaimed; relay: kill
→ every client connected again, restart included; drop: cut → every client
back).

    python -m bench.micro.fault_injection [--trials 10] [--seed 0] [--task bank_ledger] [--kind relay ...] [--cut-every 1.0]

Exit status 1 if any trial failed a check (or none ran).  Ctrl-C stops cleanly and prints the totals so far.  Model: scripted (offline), labelled in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

import anyio

from agents.judge import Judge
from bench.faults import FaultKind, FaultTrialConfig, FaultTrialResult, run_fault_trial


def _fmt(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} / {max(values):.2f}"


def summary_rows(results: list[FaultTrialResult]) -> list[dict[str, object]]:
    """One row of totals per fault kind."""
    rows: list[dict[str, object]] = []
    for kind in FaultKind:
        mine = [r for r in results if r.kind == kind.value]
        if not mine:
            continue
        rows.append(
            {
                "kind": kind.value,
                "trials": len(mine),
                "kills": sum(r.kills for r in mine),
                "at_fault_point": sum(bool(r.at_fault_point) for r in mine) if kind.value in ("claim", "stream", "commit") else None,
                "reclaims": sum(r.reclaims for r in mine),
                "reconnects": sum(r.reconnects for r in mine),
                "double_claims": sum(r.double_claims for r in mine),
                "lost_updates": sum(len(r.lost) for r in mine),
                "duplicate_definitions": sum(sum(c - 1 for c in r.duplicates.values()) for r in mine),
                "missing_definitions": sum(len(r.missing) for r in mine),
                "todos_not_done": sum(len(r.not_done) for r in mine),
                "diverged_regions": sum(len(r.diverged) for r in mine),
                "hidden_passed": sum(r.hidden_passed for r in mine),
                "errors": sum(r.error is not None for r in mine),
                "ok": sum(r.ok for r in mine),
                "recover_s": [x for r in mine for x in r.recover_s],
                "downtime_s": [x for r in mine for x in r.downtime_s],
            }
        )
    return rows


def print_table(rows: list[dict[str, object]]) -> None:
    print(
        "| fault | trials | kills | hit fault point | reclaims | reconnects | double claims | lost updates | "
        "duplicate defs | missing defs | TODOs not done | region ≠ result | hidden pass | trial errors | all checks ok | "
        "recover s (median / max) | relay down s (median / max) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        hit = "-" if r["at_fault_point"] is None else f"{r['at_fault_point']}/{r['kills']}"
        recover, down = r["recover_s"], r["downtime_s"]
        assert isinstance(recover, list) and isinstance(down, list)
        print(
            f"| {r['kind']} | {r['trials']} | {r['kills']} | {hit} | {r['reclaims']} | {r['reconnects']} | "
            f"{r['double_claims']} | {r['lost_updates']} | {r['duplicate_definitions']} | {r['missing_definitions']} | "
            f"{r['todos_not_done']} | {r['diverged_regions']} | {r['hidden_passed']}/{r['trials']} | {r['errors']} | {r['ok']}/{r['trials']} | "
            f"{_fmt(recover)} | {_fmt(down)} |"
        )


async def run(args: argparse.Namespace) -> list[FaultTrialResult]:
    """Every trial in order; SIGINT / SIGTERM stop after cleaning up (no orphaned relay or implementers)."""
    results: list[FaultTrialResult] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(_stop_on_signal, tg.cancel_scope)
        await _trials(args, results)
        tg.cancel_scope.cancel()
    return results


async def _stop_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            print(f"\n{signal.Signals(signum).name}: stopping after cleanup; totals cover the finished trials", flush=True)
            scope.cancel()
            return


async def _trials(args: argparse.Namespace, results: list[FaultTrialResult]) -> None:
    judge = Judge()
    kinds = [FaultKind(k) for k in args.kind] if args.kind else list(FaultKind)
    for i in range(args.trials):
        for kind in kinds:  # interleaved, so slow drift of a shared machine spreads over every kind
            config = FaultTrialConfig(
                kind=kind,
                seed=args.seed + i,
                task=args.task,
                implementers=args.implementers,
                time_scale=args.time_scale,
                lease=args.lease,
                heartbeat=args.heartbeat,
                cut_every_s=args.cut_every,
                keep=args.keep,
            )
            started = time.perf_counter()
            result = await run_fault_trial(config, judge=judge)
            results.append(result)
            print(
                f"{kind.value:6} seed {config.seed:3} impl {result.implementers} kills {result.kills} "
                f"reclaims {result.reclaims} reconnects {result.reconnects} lost {len(result.lost)} "
                f"dups {len(result.duplicates)} not-done {len(result.not_done)} diverged {len(result.diverged)} hidden {'pass' if result.hidden_passed else 'FAIL'} "
                f"recover {_fmt(result.recover_s)}"
                + ("" if result.at_fault_point is None else f" hit {'yes' if result.at_fault_point else 'NO'}")
                + f" {'ok' if result.ok else 'FAILED'} ({time.perf_counter() - started:.1f} s)"
                + (f" error: {result.error}" if result.error else "")
                + "".join(f"\n    note: {n}" for n in result.notes)
                + "".join(f"\n    lost: {x}" for x in result.lost[:5])
                + "".join(f"\n    not done: {k}: {v}" for k, v in result.not_done.items())
                + "".join(f"\n    region is not its result: {t}" for t in result.diverged),
                flush=True,
            )
            if args.results is not None:
                with args.results.open("a") as out:
                    out.write(json.dumps(result.to_json()) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.micro.fault_injection", description="Fault injection on real processes (see the module docstring).")
    parser.add_argument("--trials", type=int, default=3, help="Trials per fault kind (seeds seed..seed+N-1).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the first trial.")
    parser.add_argument("--task", default="bank_ledger", help="Bundled task to implement.")
    parser.add_argument("--kind", action="append", choices=[k.value for k in FaultKind], help="Fault kind (repeatable; default all).")
    parser.add_argument("--implementers", type=int, default=None, help="Implementer processes (2-4; default: chosen by the seed).")
    parser.add_argument("--time-scale", type=float, default=0.15, help="Offline model latency scale.")
    parser.add_argument("--lease", type=float, default=0.6, help="Claim lease (s).")
    parser.add_argument("--heartbeat", type=float, default=0.1, help="Heartbeat interval (s).")
    parser.add_argument("--cut-every", type=float, default=1.0, help="drop: mean seconds between connection cuts.")
    parser.add_argument("--keep", type=Path, default=None, help="Keep each trial's store and process logs under this directory.")
    parser.add_argument("--results", type=Path, default=None, help="Append one JSON line per trial to this file.")
    args = parser.parse_args(argv)
    if args.trials < 1 or (args.implementers is not None and not 2 <= args.implementers <= 4):
        parser.error("--trials must be >= 1 and --implementers 2-4")
    print(f"# Fault injection — model: scripted (offline, faults off), task {args.task}, load {os.getloadavg()[0]:.1f}\n", flush=True)
    started = time.perf_counter()
    results = anyio.run(run, args)
    print(f"\n## Totals ({len(results)} trials, {time.perf_counter() - started:.0f} s, model: scripted offline)\n")
    print_table(summary_rows(results))
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
