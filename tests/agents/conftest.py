"""Shared pieces of the end-to-end agent tests: the bundled suite, a judge, offline models."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agents.judge import Judge
from agents.models import Budget, ScriptedConfig, ScriptedModel, StreamingModel
from bench._metrics import TrialResult
from bench._run import task_inputs
from bench._trial import TrialConfig, run_trial
from bench.suites import Suite, SuiteReferences, get_suite
from crdt_ws import Workspace


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def suite() -> Suite:
    return get_suite("bundled")


@pytest.fixture(scope="session")
def judge() -> Judge:
    return Judge()


def scripted(
    suite: Suite, *, fault_rate: float = 0.0, blind: float = 0.0, time_scale: float = 0.0, budget: Budget | None = None
) -> ScriptedModel:
    latency = {"profile": "sonnet" if time_scale else "instant", "time_scale": time_scale, "min_chunk_interval_s": 0.005}
    config = ScriptedConfig.model_validate({"fault_rate": fault_rate, "blind_fault_rate": blind, "latency": latency})
    return ScriptedModel(SuiteReferences(suite), config, budget=budget)


async def one_agent_trial(
    suite: Suite,
    judge: Judge,
    model: StreamingModel,
    task: str,
    options: dict[str, object],
    observe: Callable[[Workspace], None] | None = None,
) -> TrialResult:
    """A real ``parallel`` trial of a bundled task with one implementer in outline order (deterministic), each
    ``options`` key a `TrialConfig` field updating these defaults."""
    config: dict[str, object] = {"scheduler": {"agents": 1, "priority": "fifo"}, "timeout_s": 60, **options}
    spec, hidden = task_inputs(suite.task(task))
    async with model:
        return await run_trial(spec, hidden, "parallel", model, TrialConfig.model_validate(config), judge=judge, observe=observe)
