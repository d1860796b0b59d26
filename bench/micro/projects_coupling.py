"""Coupling classifier across modules on the projects suite: accuracy, waves, time; pyright over a package.

Ground truth (``coupling_truth``): for each stub, the stubs its reference body
calls or uses, resolved across modules. Predicted: ``classify_package`` on the
skeletons (what agents see), ``deps`` after the threshold and cycle breaking.
Baseline: the same with every cross-module weight at 0 (the in-module rules
alone). Pairs are pooled over projects (micro P/R), split within-module vs
cross-module.

Split, fixed before any tuning: projects sorted by id, even positions (0, 2, ...)
are the tuning half, odd positions the held-out half; the cross-module weights
were tuned on the tuning half only.

Waves: the plan's waves count (= its critical path, in TODOs) against the
stubs, for the prediction and for the truth (cycles cut as the scheduler
does).

    python -m bench.micro.projects_coupling --data-dir DIR [--pyright] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from agents.coupling import CouplingConfig, classify_package
from agents.roles import plan_from
from agents.scheduler import topological_order
from bench.micro.coupling_accuracy import Counts as PairCounts
from bench.micro.coupling_truth import Pair, truth_pairs
from bench.suites import ProjectsSuite, Task

CROSS_OFF = CouplingConfig(
    w_import_ref=0.0, w_import_class=0.0, w_import_word_specific=0.0, w_import_word_plain=0.0, w_return_class=0.0,
    w_param_class=0.0, w_decorator=0.0, w_inherited=0.0, w_override=0.0, w_override_init=0.0,
    w_import_sole=0.0, w_import_sole_mention=0.0, w_import_tokens=0.0,
)


class Counts(PairCounts):
    """ClassEval's pair counts, printed with 'nan' where a ratio has no pairs to count."""

    def text(self) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")
        return f"P {p:.2f} R {r:.2f} (tp {self.tp}, fp {self.fp}, fn {self.fn})"


def _cross(pairs: set[Pair], cross: bool) -> set[Pair]:
    return {p for p in pairs if (p[0].split("::", 1)[0] != p[1].split("::", 1)[0]) == cross}


def _inputs(task: Task) -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
    return ({m.path: m.outline for m in task.modules}, {m.path: list(m.stubs) for m in task.modules}, {m.path: m.reference for m in task.modules})


def _pred(task: Task, config: CouplingConfig | None) -> tuple[set[Pair], int, float]:
    outlines, stubs, _ = _inputs(task)
    start = time.perf_counter()
    report = classify_package(outlines, stubs, config)
    elapsed = time.perf_counter() - start
    return {(s, d) for s, ds in report.deps.items() for d in ds}, len(report.waves), elapsed


def _truth_waves(stubs: dict[str, list[str]], truth: set[Pair]) -> int:
    """Critical path of the truth in TODOs: levels of its strongly connected components (mutual recursion is one level)."""
    ids = [f"{p}::{s}" for p, syms in stubs.items() for s in syms]
    deps: dict[str, list[str]] = {i: [] for i in ids}
    for s, d in truth:
        deps[s].append(d)
    comp = _components(ids, deps)
    cdeps: dict[str, list[str]] = {c: [] for c in set(comp.values())}
    for s, ds in deps.items():
        cdeps[comp[s]] += [comp[d] for d in ds if comp[d] != comp[s]]
    order = sorted(cdeps)
    return len(topological_order(order, cdeps))


def _components(ids: list[str], deps: dict[str, list[str]]) -> dict[str, str]:
    """Tarjan's SCCs, iteratively: id -> a representative of its component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comp: dict[str, str] = {}
    for root in ids:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on.add(node)
            succ = deps[node]
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                while True:
                    top = stack.pop()
                    on.discard(top)
                    comp[top] = node
                    if top == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return comp


def accuracy(tasks: list[Task]) -> dict[str, object]:
    """Print and return the accuracy table (per project, per half, within vs cross)."""
    ordered = sorted(tasks, key=lambda t: t.id)
    halves = {t.id: ("tuning" if i % 2 == 0 else "held-out") for i, t in enumerate(ordered)}
    rows: list[dict[str, object]] = []
    pooled: dict[tuple[str, str, str], Counts] = {}
    print(f"{'project':46s} {'half':8s} {'stubs':>5s} {'truth':>5s} {'x-mod':>5s} {'pred':>5s} {'P':>5s} {'R':>5s} {'xP':>5s} {'xR':>5s} {'waves':>5s} {'truth-w':>7s} {'ms':>6s}")
    for task in ordered:
        outlines, stubs, refs = _inputs(task)
        truth = truth_pairs(refs, stubs)
        pred, waves, elapsed = _pred(task, None)
        base, _, _ = _pred(task, CROSS_OFF)
        n = sum(map(len, stubs.values()))
        half = halves[task.id]
        for name, got in (("package", pred), ("in-module only", base)):
            for scope in ("all", "within", "cross"):
                t = truth if scope == "all" else _cross(truth, scope == "cross")
                g = got if scope == "all" else _cross(got, scope == "cross")
                for h in (half, "all"):
                    pooled.setdefault((name, h, scope), Counts()).add(g, t)
        c_all, c_x = Counts(), Counts()
        c_all.add(pred, truth)
        c_x.add(_cross(pred, True), _cross(truth, True))

        def pr(c: Counts) -> tuple[str, str]:
            p = f"{c.tp / (c.tp + c.fp):.2f}" if c.tp + c.fp else "-"
            r = f"{c.tp / (c.tp + c.fn):.2f}" if c.tp + c.fn else "-"
            return p, r

        (p, r), (xp, xr) = pr(c_all), pr(c_x)
        tw = _truth_waves(stubs, truth)
        print(f"{task.id:46s} {half:8s} {n:5d} {len(truth):5d} {len(_cross(truth, True)):5d} {len(pred):5d} {p:>5s} {r:>5s} {xp:>5s} {xr:>5s} {waves:5d} {tw:7d} {elapsed * 1000:6.0f}")
        rows.append({"project": task.id, "half": half, "stubs": n, "truth": len(truth), "truth_cross": len(_cross(truth, True)),
                     "predicted": len(pred), "tp": c_all.tp, "tp_cross": c_x.tp, "predicted_cross": len(_cross(pred, True)),
                     "waves": waves, "truth_waves": tw, "classify_ms": round(elapsed * 1000, 1)})
    print()
    summary: dict[str, str] = {}
    for (name, h, scope), c in sorted(pooled.items()):
        line = f"{name:15s} {h:8s} {scope:6s} {c.text()}"
        summary[f"{name}/{h}/{scope}"] = c.text()
        print(line)
    return {"rows": rows, "pooled": summary}


def flask_timing(tasks: list[Task]) -> dict[str, float]:
    """Classify flask's package three times in this process: first (cold caches) and best of the rest."""
    flask = next((t for t in tasks if t.id.endswith("/flask")), None)
    if flask is None:
        return {}
    times = [_pred(flask, None)[2] for _ in range(3)]
    print(f"\nclassify_package on flask ({sum(len(m.stubs) for m in flask.modules)} stubs, {len(flask.modules)} modules): "
          f"first {times[0] * 1000:.0f} ms, best of next two {min(times[1:]) * 1000:.0f} ms")
    outlines, stubs, _ = _inputs(flask)
    report = classify_package(outlines, stubs)
    ids = [t.id for t in flask.todos()]
    out = {"flask_first_ms": times[0] * 1000, "flask_best_ms": min(times[1:]) * 1000}
    for agents in (4, 8, 16):
        start = time.perf_counter()
        plan = plan_from(ids, report, "auto", agents=agents)
        out[f"plan_auto_{agents}_ms"] = (time.perf_counter() - start) * 1000
        print(f"plan_from(auto, {agents} agents) on flask: {out[f'plan_auto_{agents}_ms']:.0f} ms -> {plan.mode}, "
              f"{len(plan.waves)} waves, {sum(map(len, plan.deps.values()))} deps")
    return out


def pyright_timing(tasks: list[Task]) -> dict[str, float]:
    """One warm PyrightServer: check flask's 24 reference modules in one call, cold then warm (changed text)."""
    import anyio

    from agents.judge import PyrightServer

    flask = next((t for t in tasks if t.id.endswith("/flask")), None)
    if flask is None:
        return {}
    files = {m.path: m.reference for m in flask.modules}

    async def run() -> dict[str, float]:
        async with PyrightServer() as server:
            t0 = time.perf_counter()
            first = await server.check(files)
            t1 = time.perf_counter()
            again = await server.check({p: s + f"\n# edit {i}\n" for i, (p, s) in enumerate(files.items())})
            t2 = time.perf_counter()
            one = await server.check({"flask/helpers.py": files["flask/helpers.py"] + "\n# one more edit\n"})
            t3 = time.perf_counter()
        errors = sum(1 for d in again if d.severity == "error")
        print(f"pyright on flask's {len(files)} reference modules: first check {(t1 - t0):.2f} s ({len(first)} diagnostics), "
              f"warm re-check of all {(t2 - t1):.2f} s ({errors} errors), warm re-check of one module {(t3 - t2):.2f} s ({len(one)} diagnostics)")
        return {"pyright_first_s": t1 - t0, "pyright_warm_all_s": t2 - t1, "pyright_warm_one_s": t3 - t2}

    return anyio.run(run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("PROJECTS_DATA"), help="projects data directory (or $PROJECTS_DATA)")
    parser.add_argument("--pyright", action="store_true", help="also time pyright over flask's reference package")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    if not args.data_dir:
        print("error: pass --data-dir DIR (or set PROJECTS_DATA)", file=sys.stderr)
        return 2
    tasks = list(ProjectsSuite(data_dir=args.data_dir).load().tasks)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min), {os.cpu_count()} cpus\n")
    out: dict[str, object] = {"accuracy": accuracy(tasks), "timing": flask_timing(tasks)}
    if args.pyright:
        out["pyright"] = pyright_timing(tasks)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
