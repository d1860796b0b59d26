"""The dry run's wall-time model: the schedule each mode would run, expected repairs, judge time, concurrency vs cores."""

from __future__ import annotations

import pytest

from agents.coupling import get_classifier
from agents.models import get_profile
from agents.roles import OutlinerConfig, find_stubs, plan_from
from agents.scheduler import DecisionConfig
from bench._estimate import TimeModel, TrialEstimate, estimate_trials, run_wall, time_error
from bench._estimate import _critical_path  # pyright: ignore[reportPrivateUsage]
from bench.suites import SuiteReferences, get_suite

SUITE = get_suite("bundled")
REFERENCES = SuiteReferences(SUITE)
NO_JUDGE = TimeModel(repair_rate=0.0, trial_s=0.0, verdict_s={"serial": 0.0, "parallel": 0.0})


def _estimate(task: str, mode: str, **options: object) -> TrialEstimate:
    args: dict[str, object] = {"agents": 4, "references": REFERENCES, "profile": "sonnet", "time_scale": 1.0, **options}
    return estimate_trials([SUITE.task(task)], [mode], **args)[f"{task}/{mode}"]  # type: ignore[arg-type]


def _coupled_task() -> str:
    """A bundled task whose classifier finds dependencies between its TODOs (waves must wait on them)."""
    classifier = get_classifier(OutlinerConfig().classifier)
    for task in SUITE.tasks:
        outline = task.skeleton()
        stubs = find_stubs(outline)
        if len(stubs) > 2 and any(classifier.classify(outline, stubs).deps.get(s) for s in stubs):
            return task.id
    pytest.fail("no bundled task with dependencies between its TODOs")


def test_each_mode_costs_the_critical_path_of_its_own_schedule() -> None:
    task = _coupled_task()
    serial, parallel, waves = (_estimate(task, m, timing=NO_JUDGE) for m in ("serial", "parallel", "waves"))
    speed = get_profile("sonnet")
    assert speed.tokens_per_s is not None
    # Serial waits for every call in turn: its model time is the sum of the calls' TTFT + output at the profile's speed.
    assert serial.model_s == pytest.approx(serial.calls * speed.ttft_s + serial.output_tokens / speed.tokens_per_s, rel=1e-6)
    # Four agents divide it, never below a quarter; waves also wait for dependencies, so never beat parallel.
    assert serial.model_s / 4 <= parallel.model_s < serial.model_s
    assert parallel.model_s <= waves.model_s <= serial.model_s
    # Offline models are told the run's --time-scale.
    assert _estimate(task, "serial", timing=NO_JUDGE, time_scale=0.25).model_s == pytest.approx(serial.model_s / 4)


def test_waves_wait_for_dependencies_parallel_does_not() -> None:
    durations = {"a": 2.0, "b": 1.0, "c": 1.0, "d": 1.0}
    chain = {"b": ["a"], "c": ["b"]}  # d is free
    assert _critical_path(list(durations), durations, {}, 4) == 2.0
    assert _critical_path(list(durations), durations, chain, 4) == 4.0
    assert _critical_path(list(durations), durations, chain, 1) == 5.0
    assert _critical_path(list(durations), durations, {}, 2) == 3.0  # a | b c d on the agent that frees first


def test_auto_costs_the_schedule_the_planner_decides_with_the_runs_decision_rule() -> None:
    classifier = get_classifier(OutlinerConfig().classifier)
    for task in SUITE.tasks:
        outline = task.skeleton()
        stubs = find_stubs(outline)
        report = classifier.classify(outline, stubs)
        for decision in (DecisionConfig(), DecisionConfig(repair_rounds=None)):
            planned = plan_from(stubs, report, "auto", agents=4, objective="tokens", decision=decision).mode
            est = _estimate(task.id, "auto", timing=NO_JUDGE, objective="tokens", decision=decision)
            assert (est.requested, est.mode) == ("auto", planned), task.id
            assert est.model_s == pytest.approx(_estimate(task.id, planned, timing=NO_JUDGE).model_s), task.id


def test_repairs_and_verdicts_add_time_and_max_repairs_zero_adds_no_repairs() -> None:
    timing = TimeModel(repair_rate=0.25, trial_s=2.0, verdict_s={"serial": 0.5, "parallel": 1.0})
    bare = _estimate("inventory", "serial", timing=NO_JUDGE)
    none = _estimate("inventory", "serial", timing=timing, max_repairs=0)
    two = _estimate("inventory", "serial", timing=timing, max_repairs=2)
    assert none.repairs == 0 and none.model_s == pytest.approx(bare.model_s)
    assert none.judge_s == pytest.approx(2.0 + 0.5 * none.calls)
    assert two.repairs == pytest.approx(0.5 * two.calls)  # 0.25 per TODO per round, two rounds
    # In serial each repair is one more call of the trial's average length, and one more verdict.
    assert two.model_s == pytest.approx(bare.model_s * (1 + two.repairs / two.calls))
    assert two.judge_s == pytest.approx(2.0 + 0.5 * (two.calls + two.repairs))
    parallel = _estimate("inventory", "parallel", timing=timing, max_repairs=2)
    assert parallel.judge_s == pytest.approx(2.0 + 1.0 * (parallel.calls + parallel.repairs)), "the parallel family's rate"


def _trial(wall: float, judge: float) -> TrialEstimate:
    return TrialEstimate(task="t", requested="serial", mode="serial", calls=1, input_tokens=1, output_tokens=1,
                         model_s=wall - judge, judge_s=judge)  # fmt: skip


def test_concurrency_divides_model_waits_but_not_judging_beyond_the_processes() -> None:
    trials = [_trial(wall=10.0, judge=4.0) for _ in range(8)]  # 80 s in a row, 32 s of it judging
    assert run_wall(trials, 1, cores=1) == pytest.approx(80.0)
    assert run_wall(trials, 2, cores=1) == pytest.approx(40.0)
    assert run_wall(trials, 8, cores=1) == pytest.approx(32.0), "one event loop judges every trial: not 80 / 8 = 10 s"
    assert run_wall(trials, 8, cores=2) == pytest.approx(16.0)
    assert run_wall(trials, 8, cores=8) == pytest.approx(10.0), "Ray: a process per slot"
    assert run_wall(trials, 2, cores=8) == pytest.approx(40.0), "processes beyond the slots do not help"


def test_dry_run_divides_judging_by_one_process_locally_and_by_the_workers_on_ray() -> None:
    from bench._run import RunConfig
    from bench._session import _cores  # pyright: ignore[reportPrivateUsage]

    assert _cores(RunConfig(concurrency=8)) == 1
    assert _cores(RunConfig(concurrency=8, executor="ray")) == 8


def test_time_error_reads_like_the_token_check() -> None:
    assert time_error(90.0, 120.0) == "estimate check: wall time 90 s estimated / 2.0 min taken (-25%)"
    assert time_error(3600.0, 3000.0).endswith("(+20%)")
    assert time_error(5.0, 0.0).endswith("(n/a)")
