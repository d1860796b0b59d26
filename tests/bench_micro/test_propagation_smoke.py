"""Smoke test of the propagation benchmark: a real relay subprocess, 2 replicas, few edits.

Checks the benchmark runs end to end and reports sane figures; the speed
targets themselves are judged from the printed figures of a full run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.micro.propagation import PropagationConfig, format_table, main, percentile, run_benchmark

pytestmark = pytest.mark.anyio


async def test_two_replicas_report_sane_figures() -> None:
    config = PropagationConfig(replicas=[2, 3], edits=20, warmup=2, updates=50)
    results = await run_benchmark(config)
    assert [(r.replicas, r.variant) for r in results] == [(2, "acks-off"), (2, "acks-on"), (3, "acks-off"), (3, "acks-on")]
    for r in results:
        if r.variant == "acks-on":  # durability is acknowledged, after the commit, for every measured edit
            assert r.durable_p50_ms is not None and r.durable_p99_ms is not None and 0 < r.durable_p50_ms <= r.durable_p99_ms
        else:
            assert r.durable_p50_ms is None
        assert r.samples == 20 * (r.replicas - 1)
        assert 0 < r.p50_ms <= r.p99_ms <= r.max_ms
        assert r.p50_ms < 1000  # loopback: a second would mean something is broken
        assert r.all_p50_ms >= r.p50_ms
        assert r.converged
        assert r.updates == 50
        assert r.updates_per_s is not None and r.updates_per_s > 0
        assert r.writer_messages is not None and 1 <= r.writer_messages <= 50
        assert r.deliveries_per_s == pytest.approx(r.updates_per_s * (r.replicas - 1))
    table = format_table(results, config)
    rows = [line.split() for line in table.splitlines()[2 : 2 + len(results)]]
    assert [int(row[0]) for row in rows] == [2, 2, 3, 3]
    assert [float(row[3]) for row in rows] == [round(r.p50_ms, 2) for r in results]


def test_percentile_is_nearest_rank() -> None:
    samples = [float(x) for x in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_cli_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "prop.json"
    assert main(["--replicas", "2", "--edits", "5", "--warmup", "0", "--updates", "0", "--relay", "inprocess", "--json", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert payload["benchmark"] == "propagation"
    off, on = payload["results"]
    for row in (off, on):
        assert row["replicas"] == 2 and row["samples"] == 5 and row["updates_per_s"] is None
    assert (off["variant"], on["variant"]) == ("acks-off", "acks-on") and on["durable_p99_ms"] > 0
    assert payload["environment"]["pycrdt"] != "absent"


def test_one_replica_is_refused_before_anything_starts() -> None:
    with pytest.raises(ValueError, match="replica counts >= 2"):
        PropagationConfig(replicas=[2, 1])
    assert main(["--replicas", "1", "--edits", "1"]) == 2
