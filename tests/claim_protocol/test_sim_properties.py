"""Property tests: random schedules on the deterministic network simulator (real pycrdt replicas)."""

from __future__ import annotations

import ast
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claim_protocol import ClaimConfig
from claim_protocol.sim import Crash, LinkConfig, Partition, Scenario, SimResult, run_scenario, settled_counts
from crdt_ws import parse_python

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

links = st.builds(
    LinkConfig,
    delay=st.floats(0.0, 0.03),
    jitter=st.floats(0.0, 0.03),
    duplicate=st.floats(0.0, 0.3),
    fifo=st.booleans(),
)


def assert_clean_outcome(result: SimResult) -> None:
    """No TODO lost, replicas converged, each method defined once with its winner's code."""
    assert result.converged, "replicas and hub ended in different states"
    todos = result.todos()
    assert len(todos) == result.scenario.todos, "a TODO entry disappeared"
    definitions = result.definitions()
    assert set(definitions.values()) == {1}, f"duplicate definitions: {definitions}"
    for entry in todos:
        if entry.result is not None:
            method = entry.symbol.split(".")[-1]
            fn = parse_python(entry.result.strip()).body[0]
            assert isinstance(fn, ast.FunctionDef)
            expected = "\n".join(ast.unparse(stmt) for stmt in fn.body)
            assert result.body_of(method) == expected, f"{entry.symbol} holds another agent's code"


@FAST
@given(
    agents=st.integers(1, 6),
    todos=st.integers(1, 8),
    link=links,
    deps=st.floats(0.0, 0.5),
    seed=st.integers(0, 2**16),
)
def test_one_agent_proceeds_per_todo_when_claims_arrive_within_the_wait(
    agents: int, todos: int, link: LinkConfig, deps: float, seed: int
) -> None:
    result = run_scenario(Scenario(agents=agents, todos=todos, link=link, dep_probability=deps, seed=seed))
    assert settled_counts(result)["not_done"] == 0
    assert_clean_outcome(result)
    proceeded = {(e["agent"], e["todo"], int(e["data"]["attempt"])) for e in result.by_type("verify")}
    racing = result.racing_claims()
    for a, b, arrived_in_time in racing:
        both = all((c["agent"], c["todo"], int(c["data"]["attempt"])) in proceeded for c in (a, b))
        assert not (arrived_in_time and both), f"claims {a} and {b} reached each other in time, yet both proceeded"
    if all(ok for *_, ok in racing):
        assert result.duplicate_rate() == 0
        assert not result.by_type("preempted") and not result.by_type("double_claim")
        assert len(result.by_type("complete")) == todos


partitions = st.lists(
    st.builds(Partition, agent=st.integers(0, 4), start=st.floats(0.0, 1.5), end=st.floats(0.0, 4.0)), max_size=3
)


@FAST
@given(
    agents=st.integers(2, 5),
    todos=st.integers(1, 6),
    link=links,
    cuts=partitions,
    crash_times=st.lists(st.floats(0.0, 2.0), max_size=3),
    seed=st.integers(0, 2**16),
)
def test_partitions_and_crashes_end_with_one_winner_per_todo(
    agents: int, todos: int, link: LinkConfig, cuts: list[Partition], crash_times: list[float], seed: int
) -> None:
    crashes = [Crash(agent=i, at=t) for i, t in enumerate(crash_times[: agents - 1])]  # one agent survives
    config = ClaimConfig(heartbeat_interval=0.1, lease=0.4, max_attempts=50)
    scenario = Scenario(
        agents=agents, todos=todos, link=link, partitions=cuts, crashes=crashes, claim=config, seed=seed, work=(0.05, 0.5)
    )
    result = run_scenario(scenario)
    assert settled_counts(result)["not_done"] == 0, "a TODO was left unfinished although an agent survived"
    assert_clean_outcome(result)
    assert result.undetected_doubles() == [], "an agent proceeded on a TODO it lost without noticing"
    for entry in result.todos():  # the recorded winner is the agent whose code is in the buffer
        done_by = entry.done_by
        assert entry.result is not None and repr(done_by) in entry.result


@settings(max_examples=10, deadline=None)
@given(agents=st.integers(1, 4), todos=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_when_every_agent_dies_no_todo_is_lost(agents: int, todos: int, seed: int) -> None:
    crashes = [Crash(agent=i, at=0.02 * i) for i in range(agents)]
    result = run_scenario(Scenario(agents=agents, todos=todos, crashes=crashes, seed=seed))
    assert not result.alive
    assert len(result.todos()) == todos
    assert {e.id for e in result.todos()} == {f"t{i}" for i in range(todos)}


def test_same_scenario_same_run() -> None:
    scenario = Scenario(
        agents=4,
        todos=6,
        link=LinkConfig(delay=0.002, jitter=0.01, duplicate=0.1),
        partitions=[Partition(agent=1, start=0.1, end=1.0)],
        seed=7,
    )
    first, second = run_scenario(scenario), run_scenario(scenario)
    def trail(result: SimResult) -> list[str]:  # wall-clock time aside, the same events
        return sorted(json.dumps([e["agent"], e["type"], e["todo"], e["data"]], sort_keys=True) for e in result.events)

    assert trail(first) == trail(second)
    assert len(trail(first)) > 10
    assert first.hub.read("module.py") == second.hub.read("module.py")


def test_a_partitioned_agent_double_claims_and_the_conflict_is_resolved() -> None:
    # Agent 0 is cut off right after its first probes: it cannot see the others
    # and works in isolation; after healing, each double claim is detected and repaired.
    scenario = Scenario(
        agents=3,
        todos=4,
        dep_probability=0,
        work=(0.3, 0.6),
        partitions=[Partition(agent=0, start=0.02, end=3.0)],
        seed=3,
    )
    result = run_scenario(scenario)
    detected = result.by_type("double_claim") + [e for e in result.by_type("preempted") if e["data"]["double"]]
    assert detected, "the partition produced no double claim to resolve"
    assert result.undetected_doubles() == []
    assert_clean_outcome(result)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    agents=st.integers(2, 8),
    todos=st.integers(1, 10),
    link=links,
    cuts=partitions,
    crash_times=st.lists(st.floats(0.0, 2.0), max_size=4),
    seed=st.integers(0, 2**31),
)
def test_many_random_schedules(
    agents: int, todos: int, link: LinkConfig, cuts: list[Partition], crash_times: list[float], seed: int
) -> None:
    test_partitions_and_crashes_end_with_one_winner_per_todo.hypothesis.inner_test(  # type: ignore[attr-defined]
        agents, todos, link, cuts, crash_times, seed
    )


@pytest.mark.parametrize("ahead", [True, False])
def test_claiming_ahead_holds_two_claims_at_once_and_still_one_winner_per_todo(ahead: bool) -> None:
    config = ClaimConfig(claim_ahead=ahead, heartbeat_interval=0.1, lease=0.4)
    scenario = Scenario(agents=3, todos=12, link=LinkConfig(delay=0.005, jitter=0.01), claim=config, seed=3, work=(0.2, 0.4))
    result = run_scenario(scenario)
    assert settled_counts(result)["not_done"] == 0
    assert_clean_outcome(result)
    events = sorted(result.events, key=lambda e: e["time"])
    overlaps = 0
    for agent in {e["agent"] for e in events}:
        open_: set[str] = set()
        for e in (e for e in events if e["agent"] == agent):
            if e["type"] == "claim":
                overlaps += bool(open_)  # claimed while a verified claim of its own was not yet committed
            elif e["type"] == "verify":
                open_.add(e["todo"])
            elif e["type"] in ("complete", "release", "preempted"):
                open_.discard(e["todo"])
    assert (overlaps > 0) == ahead
