"""Writing the report: Markdown, self-contained HTML with the PNGs inlined, byte-identical regeneration."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.report import RenderError, ReportConfig, build_report, load_results, render_markdown, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_report_files_are_reproducible_and_self_contained(
    make_synthetic: Callable[..., list[dict[str, Any]]], results_file: Callable[..., Path], tmp_path: Path
) -> None:
    rows = make_synthetic({"alpha": 2.0, "beta": 1.5, "gamma": 3.0}, runs=3)
    rows[0]["task"] = "a|b<script>"  # table and HTML escaping
    path = results_file(rows)
    config = ReportConfig(resamples=500)
    first = write_report(build_report(load_results([path]), config), tmp_path / "one")
    # Regenerated from the JSONL alone, in a fresh report, elsewhere.
    second = write_report(build_report(load_results([path]), config), tmp_path / "two")
    assert sorted(first) == sorted(second) == sorted(
        [
            "report.md", "report.html", "report.json", "time-per-task-g1.png", "speedup-forest-g1.png", "tokens-cost-g1.png",
            "solves-vs-time-g1.png", "speedup-vs-coupling-g1.png",
        ]
    )
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name
    md = first["report.md"].read_text()
    assert "| a\\|b<script> |" in md
    assert "not a real LLM" in md
    assert "![Cumulative solves vs time](solves-vs-time-g1.png)" in md
    html = first["report.html"].read_text()
    assert "<script>" not in html and "a|b&lt;script&gt;" in html
    assert "not a real LLM" in html
    inlined = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(inlined) == 5
    pngs = {first[n].read_bytes() for n in first if n.endswith(".png")}
    assert {base64.b64decode(data) for data in inlined} == pngs
    assert all(p.startswith(PNG_MAGIC) for p in pngs)
    # Readable sizes: every figure at least 1000 px wide (IHDR width, big-endian after the 16-byte signature + chunk header).
    assert all(int.from_bytes(p[16:20], "big") >= 1000 for p in pngs)
    assert "![Speedup per task (forest plot)](speedup-forest-g1.png)" in md and "it is not a speedup" in md
    assert 'src="http' not in html and "<link" not in html
    data = json.loads(first["report.json"].read_text())
    assert data["groups"][0]["overall"][0]["mode"] == "parallel"
    assert render_markdown(build_report(load_results([path]), config)) == md


def test_unwritable_output_is_a_render_error(
    make_synthetic: Callable[..., list[dict[str, Any]]], results_file: Callable[..., Path], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    report = build_report(load_results([results_file(make_synthetic({"a": 2.0}, runs=2))]), ReportConfig(resamples=100))
    with pytest.raises(RenderError, match="cannot write the report"):
        write_report(report, blocker / "out")
