"""Randomized convergence fuzz: replicas over a hostile network must end identical.

Each trial takes 2–5 real ``crdt_ws.Workspace`` replicas (pycrdt documents)
and runs random concurrent operations on them: files created and replaced,
inserts and deletes in the ``Y.Text`` buffers (non-ASCII included: é, 日本語,
🎉, 𝔘), TODOs added, claimed (``claim_protocol.ClaimBoard``), completed and
reopened, events appended and ``meta`` keys set.  Every local transaction's
update travels as real Yjs message bytes over a simulated network that delays,
reorders and duplicates deliveries and partitions the replicas (dropping what
crosses the cut), then heals with the Yjs sync handshake.  At the end every
replica must hold identical files, TODOs, events and meta (and the same state
vector), with every appended event present: any difference is a divergence,
reported with its seed and a shrunk reproduction.

    python -m bench.micro.convergence_fuzz --trials 10000 --seed 0
    python -m bench.micro.convergence_fuzz --seed 0 --first 4242 --trials 1 --show   # one trial's trace
    python -m bench.micro.convergence_fuzz --apply raw   # updates straight into Doc.apply_update
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

import pycrdt

from ._fuzz import Counts, Outcome, describe, run_trial, shrink


def run(seed: int, trials: int, first: int = 0, apply: str = "inbox", show: bool = False, out: TextIO = sys.stdout) -> tuple[Counts, list[tuple[int, Outcome]]]:
    """Run ``trials`` trials of ``seed`` from trial ``first``; returns the totals and the diverging outcomes."""
    total = Counts()
    diverged: list[tuple[int, Outcome]] = []
    for trial in range(first, first + trials):
        outcome = run_trial(seed, trial, apply)  # type: ignore[arg-type]
        total.add(outcome.counts)
        if show:
            print(f"trial {trial}:\n{describe(outcome)}", file=out)
        if outcome.diverged:
            diverged.append((trial, outcome))
            small = shrink(outcome)
            print(
                f"DIVERGENCE seed={seed} trial={trial} ({len(outcome.actions) - 1} actions, shrunk to "
                f"{len(small.actions) - 1}); rerun: python -m bench.micro.convergence_fuzz --seed {seed} "
                f"--first {trial} --trials 1 --apply {apply} --show\n{describe(small)}",
                file=out,
            )
    return total, diverged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=1000, help="number of trials")
    parser.add_argument("--seed", type=int, default=0, help="seed of the whole run (trial i uses '<seed>:<i>')")
    parser.add_argument("--first", type=int, default=0, help="index of the first trial (to rerun one)")
    parser.add_argument("--apply", choices=("inbox", "raw"), default="inbox", help="receive path: crdt_ws UpdateInbox or raw Doc.apply_update")
    parser.add_argument("--show", action="store_true", help="print every trial's actions")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    total, diverged = run(args.seed, args.trials, args.first, args.apply, args.show)
    seconds = time.perf_counter() - start
    print(f"convergence fuzz (pycrdt {pycrdt.__version__}, receive path: {args.apply}, seed {args.seed})")
    rows = [
        ("trials", total.trials),
        ("operations", total.operations),
        ("messages sent", total.sent),
        ("messages delivered", total.delivered),
        ("  duplicated deliveries", total.duplicated),
        ("  reordered deliveries", total.reordered),
        ("  dropped by partitions", total.dropped),
        ("partitions (healed)", total.partitions),
        ("resync handshakes", total.syncs),
        ("divergences", total.divergences),
        ("time", f"{seconds:.1f} s ({1000 * seconds / max(1, total.trials):.2f} ms/trial)"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    if diverged:
        print(f"diverging trials of seed {args.seed}: " + ", ".join(str(trial) for trial, _ in diverged))
    return 1 if total.divergences else 0


if __name__ == "__main__":
    raise SystemExit(main())
