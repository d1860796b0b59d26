"""``crdt-bench plan``: what ``auto`` would do with one task, and why.

Prints the classifier's evidence edges (those that became dependencies
marked ``*``), the waves, the coupling score, every candidate schedule's
simulated estimate and the decision with its reasons.  Nothing runs: no
model is called.
"""

from __future__ import annotations

from pathlib import Path

from agents.coupling import CouplingError, get_classifier
from agents.roles import find_stubs, plan_from
from agents.scheduler import DecisionConfig, Objective
from crdt_ws import todo_key

from .suites import get_suite

__all__ = ["render_plan"]


def render_plan(
    suite: str,
    task: str,
    *,
    agents: int = 4,
    objective: Objective = "time",
    classifier: str = "static",
    decision: DecisionConfig | None = None,
    data_dir: Path | None = None,
) -> str:
    """The plan report for ``task`` of ``suite`` (raises the suite's and classifier's errors)."""
    spec = get_suite(suite, data_dir=data_dir).task(task)
    impl = get_classifier(classifier)
    if spec.is_multi_file:  # one graph across the package's modules, TODO ids 'path::symbol'
        classify_package = getattr(impl, "classify_package", None)
        if classify_package is None:
            raise CouplingError(f"classifier {classifier!r} cannot plan a multi-file task (it has no classify_package)")
        names = {m.path: list(m.stubs) for m in spec.modules}
        stubs = [todo_key(path, name) for path, symbols in names.items() for name in symbols]
        modules = {m.path: m.outline for m in spec.modules}
        report = classify_package(modules, names)
    else:
        modules = None
        outline = spec.skeleton()
        stubs = find_stubs(outline)
        report = impl.classify(outline, stubs)
    plan = plan_from(stubs, report, "auto", agents=agents, objective=objective, decision=decision, modules=modules)
    kept = {(src, dst) for src, dsts in plan.deps.items() for dst in dsts}
    lines = [f"task {spec.id} ({suite}): {len(stubs)} stubs, classifier {report.classifier}, {agents} agents, objective {objective}", ""]
    lines.append(f"edges ({len(report.edges)} pieces of evidence; * = became a dependency):")
    for edge in report.edges:
        mark = "*" if (edge.src, edge.dst) in kept else " "
        lines.append(f" {mark} {edge.src} -> {edge.dst}  [{edge.kind} {edge.weight:.2f}] {edge.evidence}")
    if not report.edges:
        lines.append("   (none)")
    lines.append("")
    lines.append(f"waves ({len(plan.waves)}):")
    lines.extend(f"  {i}: {', '.join(wave)}" for i, wave in enumerate(plan.waves))
    lines.append(f"coupling score: {report.score:.2f}")
    if spec.is_multi_file:
        lines.append(f"run on import, claimed first ({len(plan.imports)}): {', '.join(plan.imports) or 'none found'}")
    lines.append("")
    lines.append("| schedule | rounds | calls | blind drafts | context-less drafts | P(all right) | expected rounds to first all-pass |")
    lines.append("|---|---|---|---|---|---|---|")
    for e in plan.estimates:
        lines.append(
            f"| {e['mode']} | {e['rounds']} | {e['calls']} | {e['blind']} | {e['contextless']} | {float(str(e['p_right'])):.2f} "
            f"| {float(str(e['expected_rounds'])):.2f} |"
        )
    lines.append("")
    lines.append(f"decision: {plan.mode}" + (f" (seed: {plan.seed}, written alone first)" if plan.seed else ""))
    lines.extend(f"  - {reason}" for reason in plan.reasons)
    return "\n".join(lines)
