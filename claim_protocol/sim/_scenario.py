"""Scenarios for the simulator: agents running the real claim loop over a simulated network.

:func:`run_scenario` builds the hub document (one class of method stubs, one
TODO per method with random dependencies), joins one replica per agent, and
drives each agent's :class:`~claim_protocol.ClaimLoop` in virtual time:
probes feed its latency estimator, verified claims "work" for a drawn time
and then commit through libcst, crashes and partitions strike on schedule.
:class:`SimResult` holds what the properties and the benchmark need.
"""

from __future__ import annotations

import ast
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc
from pydantic import BaseModel, Field

from crdt_ws import TodoEntry, TodoStatus, Workspace

from .._board import Claim, ClaimBoard, ClaimStats
from .._config import ClaimConfig
from .._loop import CancelWork, ClaimLoop, Finished, Sleep, StartWork, Sync
from ._network import LinkConfig, Network
from crdt_ws import parse_python

__all__ = ["Crash", "Partition", "Scenario", "SimResult", "run_scenario"]

FILE = "module.py"
_CALL_SHARE = 0.8
"""Share of a TODO's work that is its model call; with ``claim_ahead`` the agent hands the claim off after it."""


class Partition(BaseModel):
    """Cut one agent's link from ``start`` to ``end`` (virtual seconds)."""

    agent: int = Field(ge=0, description="Index of the agent whose link is cut.")
    start: float = Field(ge=0, description="When the link goes down.")
    end: float = Field(ge=0, description="When it heals (both sides then resync).")


class Crash(BaseModel):
    """Kill one agent at ``at``; it never comes back."""

    agent: int = Field(ge=0, description="Index of the agent that dies.")
    at: float = Field(ge=0, description="Virtual time of death.")


class Scenario(BaseModel):
    """Everything that determines one simulated run (same scenario, same run)."""

    agents: int = Field(default=4, ge=1, description="Number of agent replicas.")
    todos: int = Field(default=8, ge=1, description="Number of TODOs (methods of one class).")
    dep_probability: float = Field(default=0.2, ge=0, le=1, description="Chance that a TODO depends on each earlier one.")
    work: tuple[float, float] = Field(default=(0.05, 0.3), description="Range of virtual seconds one TODO's work takes.")
    link: LinkConfig = Field(default_factory=LinkConfig, description="Link of every agent without an override.")
    links: dict[int, LinkConfig] = Field(default_factory=dict, description="Per-agent link overrides.")
    partitions: list[Partition] = Field(default_factory=list, description="Link cuts.")
    crashes: list[Crash] = Field(default_factory=list, description="Agent deaths.")
    claim: ClaimConfig = Field(default_factory=ClaimConfig, description="Protocol tuning of every agent.")
    fixed_wait: float | None = Field(default=None, description="Use this verify wait instead of the adaptive one (baseline).")
    seed: int = Field(default=0, description="Seed of delays, dependencies and work times.")
    horizon: float = Field(default=600.0, gt=0, description="Virtual seconds after which the run is cut off.")


@dataclass
class SimResult:
    """The hub's final document plus per-agent statistics."""

    scenario: Scenario
    hub: Workspace
    stats: dict[str, ClaimStats]
    alive: set[str]
    converged: bool
    makespan: float
    max_path_delay: float
    network: dict[str, int]
    events: list[dict[str, Any]] = field(default_factory=list)
    network_model: Network | None = None

    def todos(self) -> list[TodoEntry]:
        return self.hub.list_todos()

    def by_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    def wins(self) -> Counter[str]:
        """Verified claims per TODO (more than one means work was duplicated or redone)."""
        return Counter(e["todo"] for e in self.by_type("verify"))

    def duplicate_rate(self) -> float:
        """Share of TODOs that more than one claim proceeded on."""
        wins = self.wins()
        return sum(1 for n in wins.values() if n > 1) / max(1, len(self.todos()))

    def latencies(self) -> list[float]:
        return [x for s in self.stats.values() for x in s.latencies]

    def waits(self) -> list[float]:
        return [x for s in self.stats.values() for x in s.waits]

    def _methods(self) -> list[ast.FunctionDef]:
        tree = parse_python(self.hub.read(FILE))
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
        return [n for n in cls.body if isinstance(n, ast.FunctionDef)]

    def definitions(self) -> Counter[str]:
        """How many times each method is defined in the final buffer."""
        return Counter(fn.name for fn in self._methods())

    def body_of(self, method: str) -> str:
        fn = next(fn for fn in self._methods() if fn.name == method)
        return "\n".join(ast.unparse(stmt) for stmt in fn.body)

    def racing_claims(self) -> list[tuple[dict[str, Any], dict[str, Any], bool]]:
        """Pairs of claims on the same TODO attempt, and whether each reached the other within its wait.

        The protocol promises one winner exactly when that premise holds.
        """
        assert self.network_model is not None
        net = self.network_model
        claims = [e for e in self.events if e["type"] in ("claim", "reclaim")]
        groups: defaultdict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        for e in claims:
            groups[(e["todo"], int(e["data"]["attempt"]))].append(e)
        out = []
        for group in groups.values():
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    ok = all(
                        net.effective_arrival(y["agent"], y["data"]["at"], x["agent"]) <= x["data"]["at"] + x["data"]["wait_s"]
                        for x, y in ((a, b), (b, a))
                    )
                    out.append((a, b, ok))
        return out

    def undetected_doubles(self) -> list[tuple[str, str, int]]:
        """Verified claims of live agents that neither won nor noticed they lost."""
        noticed = {
            (e["agent"], e["todo"], attempt)
            for e in self.events
            if e["type"] in ("preempted", "double_claim")
            for attempt in [e["data"]["attempt"], *e["data"].get("attempts", [])]
        }
        final = {t.id: t.done_by for t in self.todos()}
        out = []
        for e in self.by_type("verify"):
            key = (e["agent"], e["todo"], e["data"]["attempt"])
            if e["agent"] in self.alive and final.get(e["todo"]) != e["agent"] and key not in noticed:
                out.append(key)
        return out


def _method(todo: int) -> str:
    return f"m{todo}"


def code_for(method: str, agent: str) -> str:
    return f"    def {method}(self):\n        return {agent!r}\n"


def _seed_document(ws: Workspace, scenario: Scenario, rng: random.Random) -> None:
    stubs = "".join(f"    def {_method(i)}(self):\n        pass\n\n" for i in range(scenario.todos))
    ws.create_file(FILE, "class Sim:\n" + stubs)
    for i in range(scenario.todos):
        deps = [f"t{j}" for j in range(i) if rng.random() < scenario.dep_probability]
        ws.add_todo(TodoEntry(id=f"t{i}", file=FILE, symbol=f"Sim.{_method(i)}", deps=deps))


class _Agent:
    def __init__(self, name: str, net: Network, scenario: Scenario, rng: random.Random) -> None:
        self.name = name
        self.net = net
        self.scenario = scenario
        self.rng = rng
        # Client ids decide which of two concurrent writes wins: seeded, so runs repeat.
        self.workspace = Workspace(name, Doc(client_id=rng.randrange(1, 2**52)))
        config = scenario.claim
        if scenario.fixed_wait is not None:
            fixed = scenario.fixed_wait
            config = config.model_copy(update={"initial_wait": fixed, "min_wait": fixed, "max_wait": fixed})
        self.board = ClaimBoard(self.workspace, config)
        self.adaptive = scenario.fixed_wait is None
        self.loop = ClaimLoop(self.board)
        self.alive = True
        self.started = scenario.claim.initial_probes == 0
        self.finished = False
        self.probes = 0
        self._wake_gen = 0
        self._spins = 0

    def probe(self) -> None:
        if self.alive and not self.finished:
            self.net.probe(self.name, self.on_rtt)
            # The first probes go back to back, so the agent starts with a measured wait.
            config = self.board.config
            gap = config.probe_interval if self.started else self.net.rng.uniform(0.0, 0.001)
            self.net.at(self.net.now + gap, self.probe)

    def _record(self, rtt: float) -> None:
        if self.adaptive:
            self.board.estimator.record(rtt)
            self.board.estimator.publish(self.workspace)

    def on_rtt(self, rtt: float) -> None:
        self._record(rtt)
        self.probes += 1
        if not self.started and self.probes >= self.board.config.initial_probes:
            self.started = True
            self.poll()

    def poll(self) -> None:
        if not (self.alive and self.started):
            return
        while True:
            action = self.loop.poll(self.net.now)
            if isinstance(action, StartWork):
                self._work(action.claim)
                continue
            if isinstance(action, CancelWork):
                continue
            if isinstance(action, Sync):
                self.net.probe(self.name, self._synced)
                return
            self.finished = isinstance(action, Finished)
            if isinstance(action, Sleep) and action.until is not None:
                if action.until <= self.net.now:
                    self._spins += 1
                    if self._spins > 1000:
                        raise RuntimeError(f"{self.name} keeps asking to wake at {action.until} (now {self.net.now})")
                else:
                    self._spins = 0
                self._wake_gen += 1
                gen = self._wake_gen
                self.net.at(action.until, lambda: self._wake(gen))
            return

    def _synced(self, rtt: float) -> None:
        self._record(rtt)
        self.loop.synced()
        self.poll()

    def _wake(self, gen: int) -> None:
        if gen == self._wake_gen:
            self.poll()

    def _work(self, claim: Claim) -> None:
        low, high = self.scenario.work
        started = self.net.now
        done_at = started + self.rng.uniform(low, high)

        def handoff() -> None:  # the "model call" is over: the rest (the commit) runs beside the next claim
            if self.alive and self.loop.detach(claim):
                self.poll()

        def done() -> None:
            if not self.alive:
                return
            method = self.board.entry(claim.todo).symbol.split(".")[-1]
            # finished() commits only work the loop still owns (a claim lost meanwhile commits nothing); a commit
            # that failed gave the TODO back, so poll either way, as before claiming ahead.
            self.loop.finished(claim, code_for(method, self.name), self.net.now)
            self.poll()

        if self.board.config.claim_ahead:
            self.net.at(started + _CALL_SHARE * (done_at - started), handoff)
        self.net.at(done_at, done)


def run_scenario(scenario: Scenario) -> SimResult:
    """Run one scenario to quiescence (or the horizon) and collect the outcome."""
    rng = random.Random(scenario.seed)
    net = Network(scenario.seed)
    hub = Workspace("outliner", net.hub)
    _seed_document(hub, scenario, rng)
    agents: list[_Agent] = []
    for i in range(scenario.agents):
        agent = _Agent(f"agent-{i}", net, scenario, random.Random(rng.random()))
        node = net.add(agent.name, agent.workspace.doc, scenario.links.get(i, scenario.link))
        node.on_receive = agent.poll
        agents.append(agent)
        net.at(0.0, agent.probe)
        net.at(0.0, agent.poll)  # a no-op until the initial probes are back
    for crash in scenario.crashes:
        if crash.agent < len(agents):
            net.at(crash.at, lambda a=agents[crash.agent]: _kill(net, a))
    for cut in scenario.partitions:
        if cut.agent < len(agents):
            name = agents[cut.agent].name
            net.at(cut.start, lambda n=name: net.partition(n))
            net.at(max(cut.start, cut.end), lambda n=name: net.heal(n))
    net.run(scenario.horizon)
    makespan = net.now
    for agent in agents:  # whatever is still cut off rejoins, so the outcome is judged on one state
        net.heal(agent.name)
    net.run(scenario.horizon * 2)
    alive = {a.name for a in agents if a.alive}
    hashes = {hub.content_hash()} | {a.workspace.content_hash() for a in agents if a.alive}
    return SimResult(
        scenario=scenario,
        hub=hub,
        stats={a.name: a.board.stats for a in agents},
        alive=alive,
        converged=len(hashes) == 1,
        makespan=makespan,
        max_path_delay=net.max_path_delay,
        network={"delivered": net.delivered, "dropped": net.dropped, "duplicated": net.duplicated},
        events=hub.events.to_py() or [],
        network_model=net,
    )


def _kill(net: Network, agent: _Agent) -> None:
    agent.alive = False
    net.crash(agent.name)


def settled_counts(result: SimResult) -> dict[str, int]:
    counts: defaultdict[str, int] = defaultdict(int)
    for entry in result.todos():
        counts[entry.status.value] += 1
    counts["missing"] = result.scenario.todos - len(result.todos())
    counts["not_done"] = sum(1 for t in result.todos() if t.status != TodoStatus.DONE)
    return dict(counts)
