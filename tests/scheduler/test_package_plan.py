"""The scheduler over a package: plans, waves, seeds and choosers with "<path>::<symbol>" TODO ids across files."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from agents.coupling import CouplingReport, classify_package
from agents.roles import plan_from
from agents.scheduler import Plan, PlanError, decide_schedule, make_chooser, seed_of, topological_order
from crdt_ws import TodoEntry, TodoStatus, find_stubs

MODULES = {
    "calc/__init__.py": "from .ops import add as add\n",
    "calc/ops.py": textwrap.dedent('''
        def add(a: int, b: int) -> int:
            """Sum of a and b."""
            pass


        def twice(a: int) -> int:
            """Doubles a with add()."""
            pass
    '''),
    "calc/shell.py": textwrap.dedent('''
        from . import add
        from .ops import twice


        class Shell:
            def run(self, line: str) -> int:
                """Evaluates 'x+y' with add() and 'x*2' with twice()."""
                pass

            def banner(self) -> str:
                """A greeting."""
                pass
    '''),
}
STUBS = {path: find_stubs(src) for path, src in MODULES.items()}
IDS = [f"{p}::{s}" for p in MODULES for s in STUBS[p]]


def _report() -> CouplingReport:
    return classify_package(MODULES, STUBS)


def _check_plan(plan: Plan, ids: list[str]) -> None:
    assert sorted(plan.order) == sorted(ids)
    wave = {t: i for i, w in enumerate(plan.waves) for t in w}
    for todo, deps in plan.deps.items():
        assert all(wave[d] < wave[todo] for d in deps), (todo, deps)
    position = {t: i for i, t in enumerate(plan.order)}
    assert all(position[d] < position[t] for t, ds in plan.deps.items() for d in ds)


def test_two_module_package_plans_across_files() -> None:
    report = _report()
    assert report.deps["calc/shell.py::Shell.run"] == ["calc/ops.py::add", "calc/ops.py::twice"]
    assert report.deps["calc/ops.py::twice"] == ["calc/ops.py::add"]
    for mode in ("serial", "waves", "parallel", "auto", "seeded"):
        plan = plan_from(IDS, report, mode, agents=2)  # type: ignore[arg-type]
        _check_plan(plan, IDS)
    plan = plan_from(IDS, report, "waves", agents=2)
    assert plan.waves == [["calc/ops.py::add", "calc/shell.py::Shell.banner"], ["calc/ops.py::twice"], ["calc/shell.py::Shell.run"]]
    assert seed_of(IDS, plan.deps) == "calc/ops.py::add"  # no deps, two TODOs wait for it
    mode, reasons, estimates = decide_schedule(IDS, plan.deps, agents=2)
    assert mode in {e.mode for e in estimates} and reasons


def test_chooser_gates_on_dependencies_in_other_files() -> None:
    report = _report()
    plan = plan_from(IDS, report, "waves", agents=2)
    entries = {i: TodoEntry(id=i, file=i.split("::")[0], symbol=i.split("::")[1]) for i in IDS}
    choose = make_chooser(plan, "agent-1", entries=lambda: list(entries.values()))
    pending = lambda: [e for e in entries.values() if e.status == TodoStatus.PENDING]  # noqa: E731
    taken: list[str] = []
    while (pick := choose(pending())) is not None:
        assert all(entries[d].status == TodoStatus.DONE for d in plan.deps[pick.id]), pick.id
        entries[pick.id] = pick.model_copy(update={"status": TodoStatus.DONE})
        taken.append(pick.id)
    assert sorted(taken) == sorted(IDS)
    assert taken.index("calc/ops.py::add") < taken.index("calc/ops.py::twice") < taken.index("calc/shell.py::Shell.run")


def test_unknown_cross_file_dependency_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="calc/missing.py::f"):
        topological_order(IDS, {"calc/ops.py::twice": ["calc/missing.py::f"]})


def test_hundreds_of_todos_plan_in_one_pass() -> None:
    # A synthetic package the size of flask's: 24 modules x 14 stubs, each module's stubs calling the previous module's.
    ids = [f"pkg/m{m}.py::f{i}" for m in range(24) for i in range(14)]
    deps = {
        f"pkg/m{m}.py::f{i}": ([f"pkg/m{m - 1}.py::f0"] + ([f"pkg/m{m - 1}.py::f{i}"] if i % 2 else [])) if m else []
        for m in range(24)
        for i in range(14)
    }
    waves = topological_order(ids, deps)
    assert len(waves) == 24 and sum(map(len, waves)) == 336
    for agents in (4, 8, 16):
        mode, _, estimates = decide_schedule(ids, deps, agents)
        assert {e.mode for e in estimates} >= {"serial", "parallel", "waves"}
        serial = next(e for e in estimates if e.mode == "serial")
        assert serial.rounds == 336 and serial.blind == 0
        waves_est = next(e for e in estimates if e.mode == "waves")
        assert waves_est.blind == 0 and waves_est.rounds < serial.rounds


def _projects_dir() -> Path:
    env = os.environ.get("PROJECTS_DATA")
    path = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data" / "projects"
    if not (path / "CodeProjectEval" / "flask" / "config.json").is_file():
        pytest.skip(f"projects data not found at {path} (set PROJECTS_DATA)")
    return path


def test_flask_report_plans_with_its_todo_ids() -> None:
    from bench.suites import ProjectsSuite

    task = ProjectsSuite(data_dir=_projects_dir(), only=["CodeProjectEval/flask"]).load().tasks[0]
    ids = [t.id for t in task.todos()]
    report = classify_package({m.path: m.outline for m in task.modules}, {m.path: list(m.stubs) for m in task.modules})
    assert report.stubs == ids and len(ids) == 324
    assert any(d.split("::")[0] != s.split("::")[0] for s, ds in report.deps.items() for d in ds), "no cross-file dependency"
    for mode in ("auto", "waves", "seeded"):
        plan = plan_from(ids, report, mode, agents=8)  # type: ignore[arg-type]
        _check_plan(plan, ids)
    plan = plan_from(ids, report, "seeded", agents=8)
    assert plan.seed in ids and plan.deps[plan.seed] == []


def test_import_time_todos_are_claimed_before_the_rest_of_their_rank() -> None:
    plan = plan_from(IDS, _report(), "parallel", agents=2)
    plan.imports = ["calc/shell.py::Shell.banner"]  # as if a module called Shell().banner() at import
    entries = {i: TodoEntry(id=i, file=i.split("::")[0], symbol=i.split("::")[1]) for i in IDS}
    for agent in ("agent-1", "agent-2", "agent-3"):
        choose = make_chooser(plan, agent, entries=lambda: list(entries.values()))
        assert choose(list(entries.values())).id == "calc/shell.py::Shell.banner"  # type: ignore[union-attr]
    # The judge's mark on the board (a stub it saw raising while the package imported) ranks the same way.
    plan.imports = []
    marked = TodoEntry.model_validate({"id": "calc/ops.py::twice", "file": "calc/ops.py", "symbol": "twice", "import_time": True})
    entries[marked.id] = marked
    assert plan.deps[marked.id] == ["calc/ops.py::add"]  # not ready: it still comes first (the import stops there)
    assert make_chooser(plan, "agent-1", entries=lambda: list(entries.values()))(list(entries.values())).id == marked.id  # type: ignore[union-attr]
