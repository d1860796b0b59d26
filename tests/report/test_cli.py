"""``report_command`` registered on a Typer app, as the lead wires it into ``crdt-bench``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from bench.report._cli import report_command


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()
    cli.command("report")(report_command)
    cli.command("noop")(lambda: None)  # two commands, so "report" is addressed by name as in crdt-bench
    return cli


def test_report_command_writes_and_summarizes(
    app: typer.Typer, make_synthetic: Callable[..., list[dict[str, Any]]], results_file: Callable[..., Path], tmp_path: Path
) -> None:
    lines = [json.dumps(r) for r in make_synthetic({"alpha": 2.0, "beta": 2.0}, runs=3)]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n" + lines[0][:30])  # killed mid-write
    out = tmp_path / "rep"
    result = CliRunner().invoke(app, ["report", str(path), "--out", str(out), "--seed", "1", "--resamples", "200"])
    assert result.exit_code == 0, result.output
    assert f"report: {out / 'report.md'}" in result.output
    assert "parallel vs serial: speedup 2.0" in result.output
    assert "not a real LLM" in result.output
    assert "skipped an incomplete last line" in result.output
    assert "r.jsonl:19: an incomplete last line (a run killed mid-write) was skipped." in (out / "report.md").read_text()
    assert (out / "report.html").is_file()


def test_report_command_errors(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task": "a"}\n')
    result = CliRunner().invoke(app, ["report", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "bad.jsonl:1: row lacks required field(s)" in result.output
    result = CliRunner().invoke(app, ["report", str(bad), "--metric", "nope"])
    assert result.exit_code == 2 and "time_metric" in result.output
    result = CliRunner().invoke(app, ["report", str(bad), "--pass-k", "0"])
    assert result.exit_code == 2 and "pass_ks" in result.output
