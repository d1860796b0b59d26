"""build_report on synthetic results with known answers."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.report import (
    BaselineMissingError,
    MixedResultsError,
    ReportConfig,
    build_report,
    load_results,
    pass_at_k,
)

Rows = list[dict[str, Any]]
MakeFile = Callable[..., Path]


def _comparison(report: Any, mode: str, task: str | None = None) -> Any:
    group = report.groups[0]
    comparisons = group.overall if task is None else next(t for t in group.tasks if t.task == task).comparisons
    return next(c for c in comparisons if c.mode == mode)


def test_known_speedups_are_recovered(make_synthetic: Callable[..., Rows], results_file: MakeFile) -> None:
    speedups = {"alpha": 2.0, "beta": 3.0, "gamma": 1.5, "delta": 2.5}
    report = build_report(load_results([results_file(make_synthetic(speedups, runs=8))]))
    for task, truth in speedups.items():
        c = _comparison(report, "parallel", task)
        assert c.pairs == 8
        assert c.speedup == pytest.approx(truth, rel=0.06)
        assert c.speedup_ci is not None and c.speedup_ci.low <= c.speedup <= c.speedup_ci.high
        assert c.speedup_ci.low > 1.2  # clearly faster, and the interval says so
        assert c.wilcoxon is not None and c.wilcoxon.method == "exact" and c.wilcoxon.p_value == pytest.approx(2 / 2**8)
        assert c.dz is not None and c.dz > 5
    overall = _comparison(report, "parallel")
    assert overall.pairs == 32
    assert overall.speedup_ci is not None and overall.speedup_ci.low < 2.25 < overall.speedup_ci.high
    assert overall.wilcoxon is not None and overall.wilcoxon.p_value is not None and overall.wilcoxon.p_value < 1e-6
    assert report.groups[0].modes == ["serial", "parallel", "auto"]


def test_pairing_is_by_task_and_seed_whatever_the_row_order(
    make_synthetic: Callable[..., Rows], results_file: MakeFile, tmp_path: Path
) -> None:
    # Exact 2x per pair while serial time grows 7 s per seed: any mispairing breaks the ratio.
    rows = make_synthetic({"alpha": 2.0, "beta": 2.0}, runs=5, noise=0.0)
    ordered = build_report(load_results([results_file(rows)]))
    shuffled_rows = list(rows)
    random.Random(3).shuffle(shuffled_rows)
    shuffled = build_report(load_results([results_file(shuffled_rows, name="other/results.jsonl")]))
    assert shuffled.model_dump() == ordered.model_dump()
    for task in ("alpha", "beta"):
        c = _comparison(shuffled, "parallel", task)
        assert c.speedup == pytest.approx(2.0)
        assert c.speedup_ci is not None and (c.speedup_ci.low, c.speedup_ci.high) == pytest.approx((2.0, 2.0))
        assert c.dz is None and c.dz_note is not None and "sd = 0" in c.dz_note


def test_unpaired_trials_are_reported(make_synthetic: Callable[..., Rows], make_trial: Callable[..., dict[str, Any]], results_file: MakeFile) -> None:
    rows = make_synthetic({"alpha": 2.0}, runs=4)
    rows = [r for r in rows if not (r["requested"] == "parallel" and r["seed"] == 2)]
    rows.append(make_trial("alpha", "parallel", 99, 3.0))
    report = build_report(load_results([results_file(rows)]))
    c = _comparison(report, "parallel", "alpha")
    assert c.pairs == 3
    reasons = {(u.mode, u.seed): u.reason for u in report.groups[0].unpaired}
    assert reasons == {
        ("serial", 2): "no 'parallel' trial of this task and seed in its run",
        ("parallel", 99): "no 'serial' (baseline) trial of this task and seed in its run",
    }
    assert _comparison(report, "auto", "alpha").pairs == 4


def test_rows_of_another_run_id_do_not_pair(make_trial: Callable[..., dict[str, Any]], results_file: MakeFile) -> None:
    rows = [
        make_trial("t", "serial", 0, 10.0, run_id="A"),
        make_trial("t", "parallel", 0, 5.0, run_id="A"),
        make_trial("t", "parallel", 0, 1.0, run_id="B"),  # same task and seed, another configuration
    ]
    report = build_report(load_results([results_file(rows)]))
    group = report.groups[0]
    c = _comparison(report, "parallel", "t")
    assert c.pairs == 1 and c.speedup == pytest.approx(2.0)
    assert [(u.run_id, u.mode) for u in group.unpaired] == [("B", "parallel")]
    assert any("pools 2 run_ids" in n for n in group.notes)


def test_pass_at_k_and_class_rates(make_trial: Callable[..., dict[str, Any]], results_file: MakeFile) -> None:
    rows = []
    for s in range(6):
        rows.append(make_trial("t", "serial", s, 10.0))
        ok = s < 3
        rows.append(make_trial("t", "parallel", s, 5.0, passed=ok, classes=(4, 4 if ok else 1)))
        rows.append(make_trial("u", "serial", s, 10.0))
        rows.append(make_trial("u", "parallel", s, 5.0, passed=s == 0, classes=(2, 2 if s == 0 else 0)))
    report = build_report(load_results([results_file(rows)]), ReportConfig(pass_ks=[1, 2, 7]))
    group = report.groups[0]
    t = next(s for s in group.tasks[0].modes if s.mode == "parallel")
    assert (t.trials, t.passes) == (6, 3)
    assert t.pass_at == {1: pytest.approx(0.5), 2: pytest.approx(0.8), 7: None}
    assert t.test_class_rate == pytest.approx((3 * 4 + 3 * 1) / 24)
    summary = next(s for s in group.summaries if s.mode == "parallel")
    assert summary.pass_at[1] == pytest.approx((0.5 + 1 / 6) / 2)
    assert summary.pass_at[2] == pytest.approx((pass_at_k(6, 3, 2) + pass_at_k(6, 1, 2)) / 2)
    assert summary.pass_at[7] is None and summary.pass_at_tasks[7] == 0
    assert summary.test_class_rate == pytest.approx((15 + 2) / (24 + 12))


def test_cumulative_solves_curve(make_trial: Callable[..., dict[str, Any]], results_file: MakeFile) -> None:
    rows = [
        make_trial("a", "serial", 0, 4.0), make_trial("a", "serial", 1, 8.0),
        make_trial("b", "serial", 0, 6.0, passed=False), make_trial("b", "serial", 1, 10.0),
        make_trial("a", "parallel", 0, 2.0), make_trial("a", "parallel", 1, 2.0),
        make_trial("b", "parallel", 0, 3.0), make_trial("b", "parallel", 1, 5.0),
    ]
    group = build_report(load_results([results_file(rows)])).groups[0]
    serial = next(c for c in group.curves if c.mode == "serial")
    # a: half its trials solved at 4 s, all at 8 s; b: half at 10 s (the 6 s trial failed).
    assert serial.times == [0.0, 4.0, 8.0, 10.0]
    assert serial.solved == [0.0, 0.25, 0.5, 0.75]
    assert serial.horizon == 10.0 and serial.final == 0.75
    assert serial.area == pytest.approx((0.25 * 4 + 0.5 * 2) / 10)
    parallel = next(c for c in group.curves if c.mode == "parallel")
    assert parallel.final == 1.0
    assert parallel.area == pytest.approx((0.5 * 1 + 0.75 * 2 + 1.0 * 5) / 10)


def test_speedup_against_coupling(make_trial: Callable[..., dict[str, Any]], results_file: MakeFile) -> None:
    rows = []
    for i, task in enumerate(["a", "b", "c", "d"]):
        for s in range(2):
            rows.append(make_trial(task, "serial", s, 12.0, coupling=0.1 * i))
            rows.append(make_trial(task, "parallel", s, 12.0 / (3.0 - 0.5 * i), coupling=0.1 * i))
    group = build_report(load_results([results_file(rows)])).groups[0]
    [corr] = group.correlations
    assert (corr.mode, corr.tasks, corr.rho) == ("parallel", 4, pytest.approx(-1.0))
    assert [p.speedup["parallel"] for p in group.coupling] == pytest.approx([3.0, 2.5, 2.0, 1.5])


def test_offline_and_mixed_providers(make_synthetic: Callable[..., Rows], make_trial: Callable[..., dict[str, Any]], results_file: MakeFile) -> None:
    offline = build_report(load_results([results_file(make_synthetic({"a": 2.0}, runs=2))]))
    assert offline.offline_only and "not a real LLM" in offline.quality_note
    assert offline.groups[0].quality_note == "Pass rates measure the offline scripted model, not a real LLM."
    live = [make_trial("a", m, s, 5.0, provider="anthropic:claude-sonnet-4-5", run_id="live") for s in range(2) for m in ("serial", "parallel")]
    mixed = build_report(load_results([results_file(make_synthetic({"a": 2.0}, runs=2) + live)]))
    assert not mixed.offline_only and len(mixed.groups) == 2
    assert any("reported separately, never pooled" in n for n in mixed.notes)
    by_provider = {g.provider: g for g in mixed.groups}
    assert not by_provider["anthropic:claude-sonnet-4-5"].offline
    assert "not a real LLM" not in by_provider["anthropic:claude-sonnet-4-5"].quality_note
    with pytest.raises(MixedResultsError, match="2 configurations"):
        build_report(load_results([results_file(make_synthetic({"a": 2.0}, runs=2) + live)]), ReportConfig(mixed="refuse"))
    replay = "replay:GPT-4-Turbo (offline recording of ClassEval generations)"
    rows = [make_trial("a", m, 0, 5.0, provider=replay) for m in ("serial", "parallel")]
    assert "recorded replies replayed offline" in build_report(load_results([results_file(rows)])).groups[0].quality_note


def test_baseline_must_exist(make_trial: Callable[..., dict[str, Any]], results_file: MakeFile) -> None:
    rows = [make_trial("a", "parallel", 0, 5.0)]
    with pytest.raises(BaselineMissingError, match="baseline mode 'serial'; modes present: parallel"):
        build_report(load_results([results_file(rows)]))
    report = build_report(load_results([results_file(rows + [make_trial("a", "auto", 0, 4.0)])]), ReportConfig(baseline="parallel"))
    assert _comparison(report, "auto", "a").speedup == pytest.approx(1.25)


def test_missing_time_metric_is_reported(make_trial: Callable[..., dict[str, Any]], results_file: MakeFile) -> None:
    rows = [make_trial("a", m, s, 5.0 if m == "serial" else 2.5, passed=not (m == "parallel" and s == 1)) for s in range(3) for m in ("serial", "parallel")]
    report = build_report(load_results([results_file(rows)]), ReportConfig(time_metric="first_all_pass_s"))
    c = _comparison(report, "parallel", "a")
    assert c.pairs == 2 and c.speedup == pytest.approx(2.0)
    reasons = sorted((u.mode, u.seed, u.reason) for u in report.groups[0].unpaired)
    assert reasons == [
        ("parallel", 1, "no positive first_all_pass_s (None)"),
        ("serial", 1, "no 'parallel' trial of this task and seed in its run"),
    ]


def test_duplicated_rows_are_flagged(make_synthetic: Callable[..., Rows], results_file: MakeFile) -> None:
    path = results_file(make_synthetic({"a": 2.0}, runs=2))
    group = build_report(load_results([path, path])).groups[0]
    assert any(n.startswith("6 (run_id, task, seed, mode) combinations occur more than once") for n in group.notes)
    assert _comparison(build_report(load_results([path, path])), "parallel", "a").pairs == 4


def test_tampered_and_unisolated_rows_are_failures_and_named(make_trial: Callable[..., dict[str, Any]], results_file: MakeFile) -> None:
    rows = []
    for s in range(4):
        rows.append(make_trial("t", "serial", s, 10.0) | {"isolation": ["netns", "pidns", "mountns", "fsview", "uid"]})
        # What the judge writes for a tampering trial: failed, every test class failed, what was tried.
        cheat = make_trial("t", "parallel", s, 5.0, passed=False, classes=(4, 0))
        rows.append(cheat | {"verdict": "tampered", "tampered": ["set TestResult.addFailure"], "isolation": ["netns", "pidns", "uid"]})
    report = build_report(load_results([results_file(rows)]))
    group = report.groups[0]
    parallel = next(s for s in group.summaries if s.mode == "parallel")
    assert parallel.pass_at[1] == 0 and parallel.test_class_rate == 0
    notes = " ".join(group.notes)
    assert "4 trials scored 'tampered'" in notes and "TestResult.addFailure" in notes
    assert "4 trials were judged without the filesystem view" in notes
