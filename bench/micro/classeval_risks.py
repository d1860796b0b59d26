"""What a blind or context-less draft risks, measured on ClassEval's recordings (the figures ``auto`` weighs).

    python -m bench.micro.classeval_risks [--data DIR] [--recording GPT-4-Turbo] [--split even|odd|all]

For every method of the chosen classes, its own test class is run against
ClassEval's assembled class (``predict``) of the compositional recording
(each method generated from the skeleton alone: blind and context-less) and of
the incremental one (generated seeing the methods before it).  The risk of
working without the code is the share of methods whose compositional version
fails where the incremental one passes:

* ``blind_risk``: over methods with ground-truth ``method_dependencies``;
* ``context_risk``: over methods without.

The even ids are the tuning half (``DecisionConfig``'s defaults come from
them); the odd ids are held out.  Methods are matched to their test class by
``methods_info[].test_class``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import anyio


async def measure(recording: str, split: str, data: Path) -> dict[str, tuple[int, int, int]]:
    """kind -> (methods, compositional fails where incremental passes, incremental fails where compositional passes)."""
    from agents.judge import judge_recorded, load_recorded, load_tasks
    from agents.models import ground_truth_deps
    from bench.suites import get_suite

    included = set(get_suite("classeval", data_dir=data).ids)
    tasks = [
        t
        for t in load_tasks(data)
        if t.task_id in included and (split == "all" or int(t.task_id.rsplit("_", 1)[1]) % 2 == (0 if split == "even" else 1))
    ]
    root = data / "recorded"
    verdicts: dict[str, dict[str, dict[str, bool]]] = {}
    for strategy in ("method_C", "method_I"):
        judged = await judge_recorded(tasks, load_recorded(root / f"{recording}_{strategy}_greedy.json"), model_name=recording)
        verdicts[strategy] = {v.task_id: {c.name: c.status == "success" for c in v.verdict.test_classes} for v in judged}
    truth = ground_truth_deps(data)
    raws = {t["task_id"]: t for t in json.loads((data / "ClassEval_data.json").read_text())}
    out = {"dependent": [0, 0, 0], "independent": [0, 0, 0]}
    for task in tasks:
        raw = raws[task.task_id]
        for info in raw["methods_info"]:
            symbol = f"{raw['class_name']}.{info['method_name']}"
            test = info["test_class"]
            c = verdicts["method_C"].get(task.task_id, {}).get(test)
            i = verdicts["method_I"].get(task.task_id, {}).get(test)
            if c is None or i is None:
                continue
            kind = "dependent" if truth[task.task_id].get(symbol) else "independent"
            out[kind][0] += 1
            out[kind][1] += int(i and not c)
            out[kind][2] += int(c and not i)
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="ClassEval data directory (default: $CLASSEVAL_DATA).")
    parser.add_argument("--recording", action="append", default=None)
    parser.add_argument("--split", choices=("even", "odd", "all"), default="even")
    args = parser.parse_args(argv)
    raw = args.data or os.environ.get("CLASSEVAL_DATA")
    if not raw:
        print("error: pass --data DIR or set CLASSEVAL_DATA", file=sys.stderr)
        return 2
    data = Path(raw).resolve()
    for recording in args.recording or ["GPT-4-Turbo", "GPT-3.5-Turbo"]:
        figures = anyio.run(measure, recording, args.split, data)
        for kind, (n, worse, better) in figures.items():
            name = "blind_risk" if kind == "dependent" else "context_risk"
            print(
                f"{recording} {args.split} ids, methods {kind} ({n}): compositional fails where incremental passes "
                f"{worse} ({worse / max(1, n):.3f} = {name}); the reverse {better} ({better / max(1, n):.3f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
