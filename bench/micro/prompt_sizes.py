"""How large an implementer's prompts are, per call, over a suite: the dry run's prompt builder, nothing called.

    python -m bench.micro.prompt_sizes --suite projects --data-dir DIR [--mode serial] [--agents 4] [--markdown]

Every TODO's first prompt as the dry run builds it (the plan's order; a call sees the reference code of the
calls finished before it, its file as committed so far, the package index), in offline tokens
(``agents.models.count_tokens``).  Per project: calls, median / p90 / max prompt tokens, the shared prefix
(what a provider's prompt cache can serve: the spec, then the file's index) and what each call adds
(its file as committed, the code it was shown, the instruction); the largest module of the project.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from agents.models import count_tokens
from bench._estimate import estimate_trials
from bench.suites import SuiteReferences, get_suite


def _pct(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="projects")
    parser.add_argument("--data-dir", default=None, help="the suite's data (projects: $PROJECTS_DATA)")
    parser.add_argument("--mode", default="serial", help="schedule whose prompts are built (serial: each call sees all earlier ones)")
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--task", action="append", default=None)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or (os.environ.get("PROJECTS_DATA") if args.suite == "projects" else None)
    suite = get_suite(args.suite, data_dir=Path(data_dir) if data_dir else None)
    tasks = [suite.task(t) for t in args.task] if args.task else list(suite.tasks)
    references = SuiteReferences(suite)
    started = time.monotonic()
    rows: list[tuple[str, list[tuple[int, int]], int]] = []
    everything: list[tuple[int, int]] = []
    for task in tasks:
        prompts: dict[str, list[tuple[int, int]]] = {}
        estimate_trials([task], [args.mode], agents=args.agents, references=references, profile="sonnet", time_scale=1.0, prompts=prompts)  # type: ignore[list-item]
        calls = prompts.get(f"{task.id}/{args.mode}", [])
        biggest = max((count_tokens(m.reference) for m in task.modules), default=0) if task.is_multi_file else 0
        rows.append((task.id, calls, biggest))
        everything += calls
    rows.append(("all", everything, max((r[2] for r in rows), default=0)))
    head = ["task", "calls", "prompt p50", "p90", "max", "shared prefix p50", "per-call part p50", "p90", "max", "largest module"]
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
    else:
        print("  ".join(head))
    for name, calls, biggest in rows:
        total = [p for p, _ in calls]
        shared = [s for _, s in calls]
        own = [p - s for p, s in calls]
        cells = [name, f"{len(calls)}", *(f"{v:,}" for v in (int(statistics.median(total)) if total else 0, _pct(total, 0.9), max(total, default=0))),
                 f"{int(statistics.median(shared)) if shared else 0:,}",
                 *(f"{v:,}" for v in (int(statistics.median(own)) if own else 0, _pct(own, 0.9), max(own, default=0))), f"{biggest:,}"]  # fmt: skip
        print(("| " + " | ".join(cells) + " |") if args.markdown else "  ".join(cells))
    print(f"({args.suite}, mode {args.mode}, {args.agents} agents; offline token counts; {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
