"""The small parts of the agents: stubs, live-stream filtering, plans and choosers, prompts."""

from __future__ import annotations

import pytest

from agents.roles import FenceFilter, NoTodos, OutlineError, Outliner, TaskSpec, build_context, find_stubs
from agents.scheduler import (
    DecisionConfig,
    Plan,
    PlanError,
    decide_schedule,
    dependents,
    estimate,
    make_chooser,
    seed_of,
    topological_order,
)
from crdt_ws import TodoEntry, TodoStatus, Workspace

OUTLINE = '''import math


class Shape:
    def __init__(self, r):
        self.r = r

    def area(self):
        """Area. >>> Shape(1).area()"""
        pass

    def scaled(self, k):
        """Scaled copy."""
        ...

    def name(self): raise NotImplementedError

    def done(self):
        return "implemented"


def helper(x):
    """Doc only: still a stub."""
'''


def test_stubs_are_found_in_order_and_implemented_code_is_not_a_stub() -> None:
    assert find_stubs(OUTLINE) == ["Shape.area", "Shape.scaled", "Shape.name", "helper"]


@pytest.mark.anyio
async def test_a_broken_or_empty_outline_is_a_clear_error() -> None:
    with pytest.raises(OutlineError, match="does not parse"):
        find_stubs("def f(:\n")
    outliner = Outliner(Workspace("o"))
    with pytest.raises(NoTodos, match="no stubs"):
        await outliner.skeleton(TaskSpec(id="t", spec="s", file="t.py", outline="def f():\n    return 1\n"))
    with pytest.raises(OutlineError, match="no model"):
        await outliner.skeleton(TaskSpec(id="t", spec="s", file="t.py"))


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
def test_fence_filter_streams_only_the_code_indented_to_the_body(step: int) -> None:
    reply = "Sure:\n\n```python\nfrom __future__ import annotations\nimport math\n\ndef area(self):\n    return math.pi * self.r ** 2\n```\nDone, ``` ignored.\n"
    fence = FenceFilter("        ")
    out = "".join(fence.feed(reply[i : i + step]) for i in range(0, len(reply), step)) + fence.flush()
    assert out == "        import math\n\n        def area(self):\n            return math.pi * self.r ** 2\n"
    assert fence.done


def test_fence_filter_flushes_an_unterminated_last_line() -> None:
    fence = FenceFilter("  ")
    assert fence.feed("```py\nx = 1\ny = 2") == "  x = 1\n  y = 2"
    assert fence.flush() == "" and not fence.done
    fence = FenceFilter("  ")
    assert fence.feed("```\nx = 1\n`") == "  x = 1\n"  # a backtick could open the closing fence: held
    assert fence.flush() == "  `"  # the reply ended: it was code after all
    fence = FenceFilter("  ")
    assert fence.feed("```\n``x") == "  ``x"


def test_waves_and_dependents() -> None:
    deps = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
    assert topological_order(list(deps), deps) == [["a"], ["b", "c"], ["d"]]
    assert dependents(list(deps), deps) == {"a": 3, "b": 1, "c": 1, "d": 0}
    assert topological_order(["x", "y"], {"x": ["y"], "y": ["x"]}) == [["x"], ["y"]]  # a cycle is cut, not a hang
    with pytest.raises(PlanError, match="unknown"):
        topological_order(["a"], {"a": ["zzz"]})


@pytest.mark.parametrize(
    ("ids", "deps", "objective", "mode"),
    [
        (["a"], {}, "time", "serial"),  # nothing to choose between: the simplest
        (["a", "b", "c"], {}, "time", "parallel"),  # nothing to wait for
        (["a", "b", "c"], {"b": ["a"], "c": ["b"]}, "tokens", "serial"),  # a chain: fewest calls, fewest agents
        (["a", "b", "c", "d"], {"a": ["b", "c", "d"]}, "tokens", "serial"),  # waves would draft three blind of context
    ],
)
def test_auto_decides_by_objective(ids: list[str], deps: dict[str, list[str]], objective: str, mode: str) -> None:
    decided, reasons, estimates = decide_schedule(ids, deps, 4, objective, DecisionConfig(max_quality_loss=None))  # type: ignore[arg-type]
    assert decided == mode and "TODOs" in reasons[0] and "estimates" in reasons[1] and "no quality floor" in reasons[2]
    assert {e.mode for e in estimates} == {"parallel", "waves", "serial", "seeded", "speculate", "revise"}


def test_seeded_writes_its_seed_alone_then_everyone_sees_it() -> None:
    config = DecisionConfig(blind_risk=0.2, context_risk=0.1, repair_rounds=None)
    ids = ["a", "b", "c", "d", "e"]
    # The seed is what most TODOs wait for, not simply the first in the outline.
    assert seed_of(ids, {"a": ["c"], "b": ["c"], "d": ["b"]}) == "c" and seed_of(ids, {}) == "a" and seed_of([], {}) is None
    # Never a TODO that waits for another (its blind draft would cost a re-draft); among equals the shortest stub.
    assert seed_of(ids, {"a": ["e"], "b": ["a"], "c": ["a"]}) == "e"
    assert seed_of(ids, {}, {"a": 90, "b": 40, "c": 60, "d": 40, "e": 70}) == "b"
    seeded, parallel = (estimate(m, ids, {}, 4, config) for m in ("seeded", "parallel"))  # type: ignore[arg-type]
    # Five independent TODOs on four agents: two rounds either way, but only the seed is drafted with nothing in view.
    assert (seeded.rounds, seeded.calls, seeded.contextless) == (2, 5, 1)
    assert (parallel.rounds, parallel.contextless) == (2, 4)
    assert decide_schedule(ids, {}, 4, "time", config)[0] == "seeded"
    # With four TODOs the seed's round is not free: parallel finishes in one round.
    assert estimate("seeded", ids[:4], {}, 4, config).rounds == 2 and estimate("parallel", ids[:4], {}, 4, config).rounds == 1
    # The seed is b, which c waits for: c is drafted with it in view, nothing blind.
    chain = estimate("seeded", ["a", "b", "c"], {"c": ["b"]}, 4, config)
    assert (chain.rounds, chain.calls, chain.blind, chain.contextless) == (2, 3, 0, 1)
    # A blind draft after the seed is re-drafted once its dependency lands, as in speculate.
    fork = estimate("seeded", ["a", "b", "c", "d"], {"c": ["b"], "d": ["c"], "a": ["b"]}, 4, config)
    assert (fork.rounds, fork.calls, fork.blind) == (3, 5, 0)


def test_the_simulation_counts_blind_and_context_less_drafts() -> None:
    config = DecisionConfig(blind_risk=0.2, context_risk=0.1, max_quality_loss=None)
    chain = {"b": ["a"], "c": ["b"]}
    par, ser, spec, rev = (estimate(m, ["a", "b", "c"], chain, 4, config) for m in ("parallel", "serial", "speculate", "revise"))  # type: ignore[arg-type]
    assert (par.rounds, par.calls, par.blind, par.contextless) == (1, 3, 2, 1)
    assert (ser.rounds, ser.calls, ser.blind, ser.contextless) == (3, 3, 0, 1)
    # speculate re-drafts b and c once a and b landed; revise also revises a (it saw nothing).
    assert (spec.rounds, spec.calls, spec.blind) == (2, 5, 0) and (rev.rounds, rev.calls, rev.contextless) == (2, 6, 0)
    assert par.p_right == pytest.approx(0.8**2 * 0.9) and rev.p_right == 1.0
    assert par.expected_rounds == pytest.approx(1 + (1 - 0.8**2 * 0.9) * 1.0)
    # Serial is reachable: one agent, or a chain where only no-blind schedules are allowed.
    assert decide_schedule(["a", "b", "c"], chain, 1, "time", config)[0] == "serial"
    no_redrafts = {"blind_risk": 0.5, "context_risk": 0.0, "candidates": ["serial", "waves", "parallel"], "max_quality_loss": None}
    # With repairs a blind mistake costs one more round: parallel.  Without, a redo of the whole chain: serial.
    assert decide_schedule(["a", "b", "c"], chain, 4, "time", DecisionConfig(**no_redrafts))[0] == "parallel"
    assert decide_schedule(["a", "b", "c"], chain, 4, "time", DecisionConfig(**no_redrafts, repair_rounds=None))[0] == "serial"
    # Quality matters: risk-free drafts run parallel; costly blind drafts that nobody repairs are revised.
    assert decide_schedule(["a", "b", "c"], chain, 4, "time", DecisionConfig(blind_risk=0.0, context_risk=0.0))[0] == "parallel"
    costly = DecisionConfig(blind_risk=0.5, context_risk=0.3, repair_rounds=None, max_quality_loss=None)
    assert decide_schedule(["a", "b", "c"], chain, 4, "time", costly)[0] == "revise"
    # More agents than TODOs gains nothing by working blind on a long chain when mistakes are final.
    long_chain = {str(i): [str(i - 1)] for i in range(1, 8)}
    assert decide_schedule([str(i) for i in range(8)], long_chain, 4, "time", DecisionConfig(repair_rounds=None))[0] != "parallel"


def test_the_quality_floor_keeps_auto_at_serials_expected_quality() -> None:
    ids = ["a", "b", "c", "d"]
    # Four independent TODOs: parallel drafts all four with nothing in view; fast, but below serial's expected quality.
    fast = DecisionConfig(max_quality_loss=None, candidates=["serial", "parallel", "seeded"], repair_rounds=None)
    assert decide_schedule(ids, {}, 4, "time", fast)[0] == "parallel"
    floored, reasons, estimates = decide_schedule(ids, {}, 4, "time", fast.model_copy(update={"max_quality_loss": 0.0}))
    by_mode = {e.mode: e for e in estimates}
    assert floored == "seeded" and by_mode["seeded"].p_right >= by_mode["serial"].p_right > by_mode["parallel"].p_right
    assert "below it: parallel" in reasons[2]
    # A loose floor lets parallel back in; one agent always gets serial.
    assert decide_schedule(ids, {}, 4, "time", fast.model_copy(update={"max_quality_loss": 0.5}))[0] == "parallel"
    assert decide_schedule(ids, {}, 1, "time", fast.model_copy(update={"max_quality_loss": 0.0}))[0] == "serial"
    # Nothing to lose (risk-free drafts): the floor changes nothing.
    assert decide_schedule(ids, {}, 4, "time", DecisionConfig(blind_risk=0.0, context_risk=0.0, repair_rounds=None))[0] == "parallel"
    # With repairs a context-less mistake is put right within the run: no floor, the time estimate prices it.
    repaired, reasons, _ = decide_schedule(ids, {}, 4, "time", fast.model_copy(update={"max_quality_loss": 0.0, "repair_rounds": 1.0}))
    assert repaired == "parallel" and "no quality floor (wrong drafts are repaired)" in reasons[2]


def _entries(**status: TodoStatus) -> list[TodoEntry]:
    deps = {"c": ["a"]}
    return [TodoEntry(id=t, file="f.py", symbol=t, status=s, deps=deps.get(t, [])) for t, s in status.items()]


def test_choosers_follow_the_plan() -> None:
    plan = Plan(mode="waves", requested="waves", order=["a", "b", "c"], deps={"c": ["a"]}, waves=[["a", "b"], ["c"]])
    entries = _entries(a=TodoStatus.CLAIMED, b=TodoStatus.DONE, c=TodoStatus.PENDING)
    choose = make_chooser(plan, "agent", entries=lambda: entries)
    assert choose([e for e in entries if e.id == "c"]) is None  # gated: a is not done
    parallel = make_chooser(plan.model_copy(update={"mode": "parallel"}), "agent", entries=lambda: entries)
    picked = parallel([e for e in entries if e.id == "c"])
    assert picked is not None and picked.id == "c"
    pending = _entries(a=TodoStatus.PENDING, b=TodoStatus.PENDING, c=TodoStatus.PENDING)
    unblocking = make_chooser(plan.model_copy(update={"mode": "parallel"}), "x", entries=lambda: pending)
    assert unblocking(list(reversed(pending))).id == "a"  # type: ignore[union-attr]  # ready and unblocks c
    done = _entries(a=TodoStatus.DONE, b=TodoStatus.DONE, c=TodoStatus.PENDING)
    backpressure = make_chooser(plan, "x", entries=lambda: done, max_unjudged=2)
    assert backpressure([done[2]]) is None  # two done TODOs await the judge
    seeded = Plan(mode="seeded", requested="seeded", order=["a", "b", "c"], deps={}, seed="b")
    claimed = _entries(a=TodoStatus.PENDING, b=TodoStatus.CLAIMED, c=TodoStatus.PENDING)
    assert make_chooser(seeded, "x", entries=lambda: claimed)([claimed[0], claimed[2]]) is None  # the seed comes first
    landed = _entries(a=TodoStatus.PENDING, b=TodoStatus.DONE, c=TodoStatus.PENDING)
    after = make_chooser(seeded, "x", entries=lambda: landed)([landed[0], landed[2]])
    assert after is not None and after.id in ("a", "c")


def test_the_chooser_takes_a_repair_before_fresh_work() -> None:
    # c was reopened (pending, fail verdict) and its dependency a is not done; b is fresh, ready and
    # larger: without repairs first, b (ready, longest) would be chosen by every agent.
    plan = Plan(mode="parallel", requested="parallel", order=["a", "b", "c"], deps={"c": ["a"]}, sizes={"b": 500, "c": 10})
    entries = _entries(a=TodoStatus.CLAIMED, b=TodoStatus.PENDING, c=TodoStatus.PENDING)
    entries[2] = entries[2].model_copy(update={"verdict": "fail"})
    for priority in ("unblocking", "fifo"):
        for agent in ("x", "y", "z"):
            picked = make_chooser(plan, agent, priority=priority, entries=lambda: entries)([entries[1], entries[2]])  # type: ignore[arg-type]
            assert picked is not None and picked.id == "c", (priority, agent)
    fresh = [entries[1], entries[2].model_copy(update={"verdict": None})]
    picked = make_chooser(plan, "x", entries=lambda: fresh)(fresh)
    assert picked is not None and picked.id == "b", "a fresh unready TODO keeps its place"


def test_context_shows_done_dependencies_and_names_missing_ones() -> None:
    todos = {
        "a": TodoEntry(id="a", file="f.py", symbol="S.a", status=TodoStatus.DONE, result="    def a(self):\n        return 1\n"),
        "b": TodoEntry(id="b", file="f.py", symbol="S.b", status=TodoStatus.CLAIMED),
        "d": TodoEntry(id="d", file="f.py", symbol="S.d", status=TodoStatus.DONE, result="    def d(self):\n        return 4\n"),
    }
    entry = TodoEntry.model_validate({"id": "c", "file": "f.py", "symbol": "S.c", "deps": ["a", "b"], "feedback": "expected 2, got 1", "repairs": 1})
    context = build_context(entry, task_id="t", spec="Build S.", outline="class S: ...", todos=todos)
    prompt = context.request.messages[0].content
    # Dependencies first, then the rest of the committed file (a dependency the classifier missed may be there).
    assert context.shown == ("S.a", "S.d") and context.missing == ("S.b",)
    assert "return 1" in prompt and "return 4" in prompt and "Not implemented yet" in prompt and "expected 2, got 1" in prompt
    assert context.request.shown == ("S.a", "S.d") and context.request.attempt == 8
    tight = build_context(entry, task_id="t", spec="s", outline="o", todos=todos, context_chars=40)
    assert tight.shown == ("S.a",)  # no room left for the rest
    # The request names what the prompt showed, never what the classifier predicted (no deps here, same view).
    free = build_context(TodoEntry(id="e", file="f.py", symbol="S.e"), task_id="t", spec="s", outline="o", todos=todos)
    assert free.request.shown == ("S.a", "S.d")
    first = build_context(TodoEntry(id="e", file="f.py", symbol="S.e"), task_id="t", spec="s", outline="o", todos={})
    assert first.request.shown == ()


def test_a_reply_that_is_only_a_body_gets_the_stubs_signature() -> None:
    from agents.roles._commit import extract_against
    from merge import ExtractError

    outline = 'class S:\n    def add(self, a: int, b: int) -> int:\n        """Sum."""\n        pass\n'
    # A recorded GPT-4-Turbo reply (ClassEval_9) has this shape: a comment and a bare return, no def.
    extraction = extract_against("# add them\nreturn a + b", "S.add", outline)
    assert "def add(self, a: int, b: int) -> int:" in extraction.code and "return a + b" in extraction.code
    with pytest.raises(ExtractError):
        extract_against("I cannot help with that.", "S.add", outline)
