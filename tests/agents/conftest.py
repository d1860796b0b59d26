"""Shared pieces of the end-to-end agent tests: the bundled suite, a judge, offline models."""

from __future__ import annotations

import pytest

from agents.judge import Judge
from agents.models import Budget, ScriptedConfig, ScriptedModel
from bench.suites import Suite, SuiteReferences, get_suite


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
