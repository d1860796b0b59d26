"""From evidence edges to a plan: combine, threshold, break cycles, level into waves, decide."""

from __future__ import annotations

from collections.abc import Iterable

from ._models import CouplingConfig, CouplingReport, Decision, Edge


def strongest_per_kind(edges: Iterable[Edge]) -> list[Edge]:
    """At most one edge per (src, dst, kind): the strongest, first seen on ties; sorted."""
    best: dict[tuple[str, str, str], Edge] = {}
    for e in edges:
        key = (e.src, e.dst, e.kind)
        if key not in best or e.weight > best[key].weight:
            best[key] = e
    return [best[k] for k in sorted(best)]


def combine(edges: Iterable[Edge]) -> dict[tuple[str, str], float]:
    """Noisy-OR of the per-kind weights between each pair: 1 - prod(1 - w)."""
    miss: dict[tuple[str, str], float] = {}
    for e in edges:
        key = (e.src, e.dst)
        miss[key] = miss.get(key, 1.0) * (1.0 - e.weight)
    return {k: round(1.0 - v, 6) for k, v in miss.items()}


def _find_cycle(stubs: list[str], deps: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a node list, found by DFS in outline order (deterministic), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []
    order = {s: i for i, s in enumerate(stubs)}

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(deps[node], key=order.__getitem__):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):]
            if nxt not in state:
                found = visit(nxt)
                if found is not None:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for s in stubs:
        if s not in state:
            found = visit(s)
            if found is not None:
                return found
    return None


def break_cycles(stubs: list[str], deps: dict[str, set[str]], strength: dict[tuple[str, str], float]) -> list[tuple[str, str]]:
    """Remove, cycle by cycle, the weakest edge (ties: the later src, then later dst in outline order)."""
    dropped: list[tuple[str, str]] = []
    order = {s: i for i, s in enumerate(stubs)}
    while (cycle := _find_cycle(stubs, deps)) is not None:
        pairs = [(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))]
        victim = min(pairs, key=lambda p: (strength.get(p, 1.0), -order[p[0]], -order[p[1]]))
        deps[victim[0]].discard(victim[1])
        dropped.append(victim)
    return dropped


def levels(stubs: list[str], deps: dict[str, set[str]]) -> list[list[str]]:
    """Kahn levels of an acyclic ``deps``; each wave in outline order."""
    wave_of: dict[str, int] = {}
    remaining = list(stubs)
    waves: list[list[str]] = []
    while remaining:
        ready = [s for s in remaining if all(d in wave_of for d in deps[s])]
        if not ready:  # cannot happen after break_cycles; guards against misuse
            raise ValueError("deps still contain a cycle")
        for s in ready:
            wave_of[s] = len(waves)
        waves.append(ready)
        remaining = [s for s in remaining if s not in wave_of]
    return waves


def decide(stubs: list[str], deps: dict[str, list[str]], waves: list[list[str]], config: CouplingConfig) -> tuple[float, Decision, list[str]]:
    """(score, decision, reasons) by the rule documented on ``CouplingConfig``."""
    n = len(stubs)
    dependent = sum(1 for s in stubs if deps[s])
    score = (len(waves) - 1) / (n - 1) if n > 1 else 0.0
    frac = dependent / n if n else 0.0
    facts = f"{n} stubs, {dependent} with deps, {len(waves)} wave(s), score {score:.2f}"
    if dependent == 0:
        return score, "parallel", [f"parallel: no dependencies ({facts})"]
    if len(waves) <= 2 and frac <= config.parallel_max_dependent_fraction:
        return score, "parallel", [f"parallel: deps are sparse, {frac:.0%} of stubs <= {config.parallel_max_dependent_fraction:.0%} ({facts})"]
    if score >= config.serial_min_score:
        return score, "serial", [f"serial: the plan is nearly one chain, score {score:.2f} >= {config.serial_min_score:.2f} ({facts})"]
    return score, "waves", [f"waves: {facts}"]


def build_report(classifier: str, stubs: list[str], edges: list[Edge], config: CouplingConfig, *, reasons: list[str] | None = None, fields: dict[str, list[str]] | None = None) -> CouplingReport:
    """Threshold combined evidence into deps, break cycles, compute waves and the decision."""
    edges = strongest_per_kind(edges)
    strength = combine(edges)
    deps: dict[str, set[str]] = {s: set() for s in stubs}
    notes = list(reasons or [])
    kinds_of: dict[tuple[str, str], set[str]] = {}
    for e in edges:
        kinds_of.setdefault((e.src, e.dst), set()).add(e.kind)
    for (src, dst), w in sorted(strength.items()):
        if src == dst or src not in deps or dst not in deps:
            continue
        if w >= config.dep_threshold:
            deps[src].add(dst)
            kinds = sorted(kinds_of[(src, dst)])
            notes.append(f"{src} needs {dst}: confidence {w:.2f} from {', '.join(kinds)}")
    dropped = break_cycles(stubs, deps, strength)
    notes += [f"cycle broken: dropped {s} -> {d} (confidence {strength.get((s, d), 1.0):.2f})" for s, d in dropped]
    order = {s: i for i, s in enumerate(stubs)}
    final = {s: sorted(deps[s], key=order.__getitem__) for s in stubs}
    waves = levels(stubs, deps)
    score, decision, why = decide(stubs, final, waves, config)
    return CouplingReport(
        classifier=classifier, stubs=list(stubs), edges=edges, deps=final, dropped=dropped,
        waves=waves, score=score, decision=decision, reasons=notes + why, fields=fields or {},
    )
