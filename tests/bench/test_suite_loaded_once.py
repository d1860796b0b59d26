"""``run_suite`` loads its suite once and shares it with the local executor (the projects suite takes seconds to load)."""

from __future__ import annotations

import pytest

from bench import RunConfig
from bench._run import run_suite
from bench.suites import BUNDLED_DIR, DirectorySuite, SuiteSource, register_suite
from bench.suites import _registry

pytestmark = pytest.mark.anyio


async def test_one_load_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))
    loads: list[str] = []

    def counted() -> SuiteSource:
        loads.append("load")
        return DirectorySuite(BUNDLED_DIR, name="counted")

    register_suite("counted", counted)
    config = RunConfig(suite="counted", tasks=["unit_convert"], modes=["parallel"], time_scale=0.0, pyright=False)
    rows = await run_suite(config)
    assert [r.task for r in rows] == ["unit_convert"] and rows[0].status != "error", rows[0].error
    assert loads == ["load"]
