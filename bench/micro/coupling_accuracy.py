"""Coupling classifier accuracy on ClassEval (and the bundled suite when present).

Ground truth: ``methods_info[].dependencies.method_dependencies`` — an edge
``Class.m -> Class.d`` for each method ``m`` whose reference solution calls ``d``.
Predicted: the static classifier's ``deps`` from the *skeleton* (what agents
see), and, as an upper bound, from the reference ``solution_code`` (bodies exist).

Split: even task ids were used to tune the heuristics; odd ids are held out and
reported separately (plus all 100). Micro figures pool edges over classes;
macro figures average per-class P/R/F1 over classes with at least one true or
predicted edge. Skeletons that are not valid Python count as predicting nothing.

    python -m bench.micro.coupling_accuracy [--data DIR] [--threshold T]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.coupling import CouplingConfig, CouplingError, CouplingReport, OracleClassifier, classify

REPO = Path(__file__).resolve().parents[2]
KINDS = ("call", "attr_call", "doc_ref", "doc_word", "doc_tokens", "doctest", "state", "type_flow")
Pair = tuple[str, str]


def data_dir(option: str | None) -> Path:
    """--data, else $CLASSEVAL_DATA, else ../shared/data/classeval beside the repo; a clear error otherwise."""
    raw = option or os.environ.get("CLASSEVAL_DATA")
    path = Path(raw) if raw else REPO.parent / "shared" / "data" / "classeval"
    if not (path / "ClassEval_data.json").is_file():
        sys.exit(f"error: ClassEval data not found at {path} (ClassEval_data.json missing); pass --data DIR or set CLASSEVAL_DATA")
    return path


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, pred: set[Pair], truth: set[Pair]) -> None:
        self.tp += len(pred & truth)
        self.fp += len(pred - truth)
        self.fn += len(truth - pred)

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


@dataclass
class Score:
    micro: Counts = field(default_factory=Counts)
    per_class: list[tuple[float, float, float]] = field(default_factory=list)
    kinds: dict[str, Counts] = field(default_factory=dict)
    fields: Counts = field(default_factory=Counts)
    failures: list[str] = field(default_factory=list)

    def add(self, pred: set[Pair], truth: set[Pair]) -> None:
        self.micro.add(pred, truth)
        if pred or truth:
            c = Counts()
            c.add(pred, truth)
            self.per_class.append(c.prf())

    def macro(self) -> tuple[float, float, float]:
        n = len(self.per_class) or 1
        return tuple(sum(x[i] for x in self.per_class) / n for i in range(3))  # type: ignore[return-value]


def truth_edges(task: dict[str, Any]) -> set[Pair]:
    cls = task["class_name"]
    return {(f"{cls}.{m['method_name']}", f"{cls}.{d}") for m in task["methods_info"] for d in m["dependencies"]["method_dependencies"]}


def truth_fields(task: dict[str, Any]) -> set[Pair]:
    cls = task["class_name"]
    return {(f"{cls}.{m['method_name']}", f.removeprefix("self.")) for m in task["methods_info"] for f in m["dependencies"]["field_dependencies"]}


def predicted(report: CouplingReport) -> set[Pair]:
    return {(s, d) for s, ds in report.deps.items() for d in ds}


def evaluate(tasks: Iterable[dict[str, Any]], source: str, config: CouplingConfig, decisions: Counter[tuple[str, str]] | None = None) -> Score:
    score = Score()
    for task in tasks:
        symbols = [f"{task['class_name']}.{m['method_name']}" for m in task["methods_info"]]
        truth = truth_edges(task)
        try:
            report = classify(task[source], symbols, config)
        except CouplingError as err:
            score.failures.append(f"{task['task_id']}: {type(err).__name__}: {err}")
            score.add(set(), truth)
            continue
        score.add(predicted(report), truth)
        for kind in KINDS:
            pairs = {(e.src, e.dst) for e in report.edges if e.kind == kind}
            score.kinds.setdefault(kind, Counts()).add(pairs, truth)
        mentions = {(stub, f) for f, stubs in report.fields.items() for stub in stubs}
        score.fields.add(mentions, truth_fields(task))
        if decisions is not None:
            oracle = OracleClassifier({s: [d for (a, d) in truth if a == s] for s in symbols}, config).classify(task[source], symbols)
            decisions[(oracle.decision, report.decision)] += 1
    return score


def fmt(prf: tuple[float, float, float]) -> str:
    return f"P {prf[0]:.3f}  R {prf[1]:.3f}  F1 {prf[2]:.3f}"


def report_split(name: str, tasks: list[dict[str, Any]], config: CouplingConfig) -> None:
    for source, label in (("skeleton", "skeleton"), ("solution_code", "solution (upper bound)")):
        s = evaluate(tasks, source, config)
        c = s.micro
        print(f"  {name:<14} {label:<23} micro {fmt(c.prf())}  (tp {c.tp}, fp {c.fp}, fn {c.fn})   macro {fmt(s.macro())}")
        for failure in s.failures:
            print(f"      unparsed {failure}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="ClassEval data directory (default: $CLASSEVAL_DATA or ../shared/data/classeval)")
    parser.add_argument("--threshold", type=float, help="override CouplingConfig.dep_threshold")
    parser.add_argument("--sweep", action="store_true", help="print skeleton F1 over thresholds on the tuning split (even ids)")
    args = parser.parse_args(argv)
    tasks = json.loads((data_dir(args.data) / "ClassEval_data.json").read_text())
    config = CouplingConfig() if args.threshold is None else CouplingConfig(dep_threshold=args.threshold)
    even = [t for t in tasks if int(t["task_id"].rsplit("_", 1)[1]) % 2 == 0]
    odd = [t for t in tasks if int(t["task_id"].rsplit("_", 1)[1]) % 2 == 1]
    n_edges = sum(len(truth_edges(t)) for t in tasks)
    print(f"Coupling classifier (static, no model) on ClassEval: {len(tasks)} classes, "
          f"{sum(len(t['methods_info']) for t in tasks)} methods, {n_edges} true method->method edges; "
          f"dep_threshold {config.dep_threshold}")
    print("\nPredicted deps vs method_dependencies (even ids tuned on, odd ids held out):")
    report_split("tune (even)", even, config)
    report_split("held-out (odd)", odd, config)
    report_split("all", tasks, config)

    decisions: Counter[tuple[str, str]] = Counter()
    s = evaluate(tasks, "skeleton", config, decisions)
    print("\nPer evidence kind on skeletons, all classes (pairs with an edge of that kind, any weight, vs truth):")
    for kind in KINDS:
        c = s.kinds.get(kind, Counts())
        if c.tp + c.fp:
            print(f"  {kind:<10} {c.tp + c.fp:>4} pairs  {fmt(c.prf())}")
        else:
            print(f"  {kind:<10}    0 pairs")
    sol = evaluate(tasks, "solution_code", config)
    print("Per evidence kind on reference solutions:")
    for kind in KINDS:
        c = sol.kinds.get(kind, Counts())
        if c.tp + c.fp:
            print(f"  {kind:<10} {c.tp + c.fp:>4} pairs  {fmt(c.prf())}")

    print("\nField sharing: stub mentions a field vs field_dependencies (per method, all classes):")
    print(f"  skeleton docstrings   {fmt(s.fields.prf())}  (tp {s.fields.tp}, fp {s.fields.fp}, fn {s.fields.fn})")
    print(f"  solution bodies       {fmt(sol.fields.prf())}  (tp {sol.fields.tp}, fp {sol.fields.fp}, fn {sol.fields.fn})")

    print("\nDecisions on skeletons (rows: oracle on true deps; columns: predicted):")
    names = ("parallel", "waves", "serial")
    print("  " + " " * 10 + "".join(f"{n:>10}" for n in names) + f"{'total':>10}")
    for t in names:
        row = [decisions[(t, p)] for p in names]
        print(f"  {t:<10}" + "".join(f"{x:>10}" for x in row) + f"{sum(row):>10}")
    agree = sum(decisions[(n, n)] for n in names)
    print(f"  decision agreement with oracle: {agree}/{sum(decisions.values())}")

    if args.sweep:
        print("\nThreshold sweep on the tuning split (even ids), skeletons:")
        for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            c = evaluate(even, "skeleton", CouplingConfig(dep_threshold=t)).micro
            print(f"  threshold {t:.1f}: {fmt(c.prf())}")

    bundled_section(config)


def bundled_section(config: CouplingConfig) -> None:
    try:
        from bench.suites import get_suite
    except ImportError as err:
        print(f"\nBundled suite: not available ({err}); skipped.")
        return
    try:
        suite: Any = get_suite("bundled")
    except Exception as err:  # the suite is developed alongside; report and go on
        print(f"\nBundled suite: could not load ({type(err).__name__}: {err}); skipped.")
        return
    print("\nBundled suite (static classifier on each task's outline):")
    totals = Counts()
    agree = 0
    tasks = list(suite.tasks)
    for task in tasks:
        stubs = list(task.stubs())
        truth = {(s, d) for s, ds in task.true_dependencies().items() for d in ds}
        report = classify(task.skeleton(), stubs, config)
        pred = predicted(report)
        totals.add(pred, truth)
        agree += report.decision == task.expected_decision
        print(f"  {task.id:<22} decision {report.decision:<8} expected {task.expected_decision:<8} "
              f"edges tp {len(pred & truth)} fp {len(pred - truth)} fn {len(truth - pred)}")
        for a, b in sorted(pred - truth):
            print(f"      extra   {a} -> {b}")
        for a, b in sorted(truth - pred):
            print(f"      missing {a} -> {b}")
    print(f"  all bundled: edges {fmt(totals.prf())}; decisions matching expected {agree}/{len(tasks)}")


if __name__ == "__main__":
    main()
