"""Judge cost before/after: seconds per ClassEval class, two checkouts side by side.

Starts one long-lived worker per checkout (``_judge_cost_worker.py`` under
each checkout's own interpreter, so ``agents.judge`` is that checkout's) and
hands them the same tasks alternately — A then B for one task, B then A for
the next — so load drifts hit both equally.  Prints median and p95 seconds
per class for each side, their ratio, and whether the per-test-class verdicts
are identical.

    python -m bench.micro.judge_cost --baseline /work/main --data DIR [--file F] [--limit N] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from agents.judge import data_dir, load_tasks

_WORKER = Path(__file__).with_name("_judge_cost_worker.py")


def _python_of(checkout: Path) -> str:
    for candidate in (checkout / ".venv" / "bin" / "python", checkout / ".ci-venv" / "bin" / "python"):
        if candidate.exists():
            return str(candidate)
    return sys.executable


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="checkout to compare with (its .venv is used)")
    parser.add_argument("--current", default=str(Path(__file__).resolve().parents[2]), help="checkout measured (default: this one)")
    parser.add_argument("--data", default=None, help="ClassEval data dir (default: $CLASSEVAL_DATA)")
    parser.add_argument("--file", default="GPT-4-Turbo_method_I_greedy.json", help="recorded file under DATA/recorded")
    parser.add_argument("--limit", type=int, default=None, help="first N tasks only")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the tasks")
    parser.add_argument(
        "--same-uid",
        action="store_true",
        help="judge as this uid on both sides (a sandbox that drops to a private uid cannot reach an interpreter under a 0700 /root)",
    )
    args = parser.parse_args()
    root = data_dir(args.data)
    recorded = str(root / "recorded" / args.file)
    ids = [t.task_id for t in load_tasks(root)][: args.limit]
    sides = {"before": Path(args.baseline).resolve(), "after": Path(args.current).resolve()}
    procs = {
        name: subprocess.Popen(
            [_python_of(path), str(_WORKER), str(root), recorded, *(["--same-uid"] if args.same_uid else [])],
            cwd=path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
        for name, path in sides.items()
    }
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    verdicts: dict[str, dict[str, list[bool]]] = {name: {} for name in sides}
    try:
        for r in range(args.rounds):
            for i, task_id in enumerate(ids):
                order = ["before", "after"] if (i + r) % 2 == 0 else ["after", "before"]
                for name in order:
                    proc = procs[name]
                    assert proc.stdin is not None and proc.stdout is not None
                    proc.stdin.write(task_id + "\n")
                    proc.stdin.flush()
                    row = json.loads(proc.stdout.readline())
                    seconds[name].append(row["seconds"])
                    verdicts[name][task_id] = row["passed"]
    finally:
        for proc in procs.values():
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait()
    print(f"file={args.file} tasks={len(ids)} rounds={args.rounds} same_uid={args.same_uid} load={os.getloadavg()[0]:.2f}")
    for name, path in sides.items():
        s = seconds[name]
        print(f"{name:6s} {str(path):24s} median={statistics.median(s):.3f}s p95={_p95(s):.3f}s mean={statistics.fmean(s):.3f}s n={len(s)}")
    med = statistics.median(seconds["after"]) / statistics.median(seconds["before"])
    p95 = _p95(seconds["after"]) / _p95(seconds["before"])
    print(f"after/before: median x{med:.3f}  p95 x{p95:.3f}")
    differ = [t for t in ids if verdicts["before"][t] != verdicts["after"][t]]
    print(f"per-test-class verdicts identical for {len(ids) - len(differ)}/{len(ids)} classes" + (f"; differ: {differ}" if differ else ""))


if __name__ == "__main__":
    main()
