"""``python -m bench.micro.projects_table``: which runs ``--mode`` and ``--agents`` ask for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.micro.projects_table import MODES, parse_args, plan_runs


def test_by_default_serial_runs_once_and_parallel_and_auto_once_per_agent_count() -> None:
    args = parse_args(["--data-dir", "."])
    assert args.mode == list(MODES) and args.agents == [4, 8, 16]
    assert plan_runs(args.mode, args.agents) == [(["serial"], 1), (["parallel", "auto"], 4), (["parallel", "auto"], 8), (["parallel", "auto"], 16)]


def test_mode_picks_the_runs_and_serial_alone_ignores_agent_counts() -> None:
    args = parse_args(["--data-dir", ".", "--mode", "auto", "--mode", "parallel", "--agents", "8"])
    # Order on the command line does not matter; the table runs parallel before auto like the default does.
    assert plan_runs(args.mode, args.agents) == [(["parallel", "auto"], 8)]
    assert plan_runs(["auto"], [4, 8]) == [(["auto"], 4), (["auto"], 8)]
    assert plan_runs(["serial"], [4, 8]) == [(["serial"], 1)]
    assert plan_runs(["parallel", "parallel"], [8]) == [(["parallel"], 8)]


def test_an_unknown_mode_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--data-dir", ".", "--mode", "waves"])
    assert exit_.value.code == 2 and "invalid choice: 'waves'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown mode"):
        plan_runs(["serial", "sequential"], [8])


@pytest.mark.slow
def test_mode_parallel_runs_no_serial_trial(projects_dir: Path, tmp_path: Path) -> None:
    results = tmp_path / "rows.jsonl"
    argv = [
        sys.executable, "-m", "bench.micro.projects_table", "--data-dir", str(projects_dir), "--project", "DevEval/chakin",
        "--mode", "parallel", "--agents", "2", "--time-scale", "0.02", "--results", str(results), "--env-cache", str(tmp_path / "envs"),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(r["requested"], r["agents"], r["status"]) for r in rows] == [("parallel", 2, "ok")]
    assert "serial at 1 agent" not in done.stdout and "| DevEval/chakin | parallel->parallel | 2 |" in done.stdout
