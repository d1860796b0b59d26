"""How a multi-file task (a ``projects`` package) is judged in a trial.

* Hidden score: the project's unit tests run with pytest in the judge's
  sandbox (``agents.judge.Judge.run_project``) under the project's own cached
  environment (``agents.judge.ProjectEnvs``); a :class:`~agents.judge.Score`
  with one entry per test and the benchmark's pass rate.
* Visible check: the project's small check tests (``agents.roles.pytest_check``),
  run by the judge agent beside the run as commits arrive and once more at the
  end; each failing test is routed by its traceback frames to the TODO whose
  code raised, and only the test's name and message (check tests are visible
  by design) go back as the reason to reopen it.

The environment of a project is made once per requirement set and shared by
every trial of the run (the first trial pays the install, the log says so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import anyio

from agents.judge import EnvConfig, EnvSetupError, Judge, ProjectEnv, ProjectEnvs, ProjectScore, ProjectTests, Score, TestClassScore
from agents.roles import FinalCheck, pytest_check

from ._errors import BenchError
from ._trial import HiddenProject
from .suites import Task
from .suites._projects_reference import project_tests

__all__ = ["DEFAULT_ENV_CACHE", "ProjectJudging", "score_of"]

DEFAULT_ENV_CACHE = Path.home() / ".cache" / "crdt-agents" / "judge-envs"
"""Where project environments are kept when the run names no cache directory."""


def score_of(project: ProjectScore) -> Score:
    """A trial's :class:`Score` from a pytest judgement: one entry per test that ran (skips count only in the pass rate)."""
    ran = [t for t in project.tests if t.outcome != "skipped"]
    status = {"passed": "success", "failed": "fail", "error": "error"}
    return Score(
        passed=project.all_passed,
        test_classes=[
            TestClassScore(
                name=t.nodeid, status="tampered" if project.tampered else status[t.outcome],  # type: ignore[arg-type]
                tests_run=1, tests_failed=0 if t.outcome == "passed" else 1, timed_out="timed out" in (t.message or ""),
            )  # fmt: skip
            for t in ran
        ],
        tampered=list(project.tampered),
        isolation=list(project.isolation),
        pass_rate=project.pass_rate,
        collection_error=project.collection_summary(),
    )


class ProjectJudging:
    """The judge's view of projects for one run: a cached environment per project and the two judgements."""

    def __init__(self, judge: Judge, cache_dir: Path | None = None, *, say: Callable[[str], None] | None = None) -> None:
        self.judge = judge
        self.envs = ProjectEnvs(EnvConfig(cache_dir=cache_dir or DEFAULT_ENV_CACHE))
        self.say = say or (lambda _line: None)
        self._envs: dict[str, ProjectEnv] = {}
        self._lock = anyio.Lock()

    async def env(self, task: Task) -> ProjectEnv:
        """The task's environment, made on first use (every trial after the first finds it cached)."""
        async with self._lock:
            if task.id not in self._envs:
                try:
                    env = await self.envs.ensure(list(task.requirements))
                except EnvSetupError as exc:
                    raise BenchError(f"{task.id}: its test environment could not be made: {exc}") from exc
                if env.failed:
                    self.say(f"{task.id}: requirements not installed ({', '.join(sorted(env.failed))}): its tests may not collect")
                if not env.reused:
                    self.say(f"{task.id}: test environment ready in {env.seconds:.0f} s ({len(env.installed)} requirements)")
                self._envs[task.id] = env
            return self._envs[task.id]

    def hidden(self, task: Task) -> HiddenProject:
        """Scores the final files with the project's unit tests (hidden: the result never reaches an agent)."""

        async def score(sources: Mapping[str, str]) -> Score:
            env = await self.env(task)
            tests = project_tests(task, task.test_paths, kind="hidden", python=env.python)
            return score_of(await self.judge.run_project(sources, tests))

        return score

    def final_check(self, task: Task, *, test_timeout_s: float = 60.0) -> FinalCheck | None:
        """The project's check tests as the judge agent's last visible check (``test_timeout_s``: the limit for one
        test, ``JudgeConfig.check_test_timeout_s``); None when it has none."""
        if not task.check_paths:
            return None

        built: list[ProjectTests] = []

        async def tests() -> ProjectTests:
            # Read and parsed once a trial: the check tests are data, and the judge runs them after every commit round.
            if not built:
                env = await self.env(task)
                built.append(project_tests(task, task.check_paths, kind="visible", python=env.python, test_timeout_s=test_timeout_s))
            return built[0]

        return pytest_check(self.judge, tests)
