"""Scoring suites with answers needs the judge's filesystem view, or an explicit --allow-unisolated."""

from __future__ import annotations

import pytest
import typer

from agents.judge import Sandbox, SandboxConfig
from bench._cli import app
from bench._run import UnisolatedJudge, require_isolation

pytestmark = pytest.mark.anyio


async def test_without_bubblewrap_the_view_is_missing_and_answer_suites_refuse() -> None:
    isolation = await Sandbox(SandboxConfig(bwrap="/nonexistent/bwrap")).probe()
    assert "fsview" not in isolation
    for suite in ("humaneval", "classeval"):
        with pytest.raises(UnisolatedJudge, match="--allow-unisolated"):
            require_isolation(suite, isolation, allow_unisolated=False)
        assert "without a filesystem view" in (require_isolation(suite, isolation, allow_unisolated=True) or "")
    assert "without a filesystem view" in (require_isolation("bundled", isolation, allow_unisolated=False) or "")


async def test_with_bubblewrap_nothing_to_say() -> None:
    isolation = await Sandbox().probe()
    assert "fsview" in isolation
    assert require_isolation("humaneval", isolation, allow_unisolated=False) is None


def test_cli_has_the_flag() -> None:
    run = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    flags = {opt for param in run.params for opt in param.opts}
    assert "--allow-unisolated" in flags
