"""Do TODOs with a repeated name commit?  Every project's TODOs through the real commit path, no judge.

    python -m bench.micro.projects_repeated_names --data-dir DIR

For each project of the ``projects`` suite: the outliner publishes the package
into a real pycrdt workspace (the suite's own stub list), then every TODO in
plan order is answered by the ``scripted`` model without faults (the reference
definition the TODO names), extracted against its stub and committed with the
implementer's commit (``agents.roles._commit.Implementation``).  A TODO
*commits* when that raises nothing and the definition its symbol names in the
final buffer (n-th ``def`` of the name for ``Cls.x#n``) has the reference's
code (docstrings aside: the skeleton keeps the design's).  Printed: per project
the TODOs whose name is defined more than once in its module, how many of them
committed, and the same for all TODOs.  Written so it also runs on a checkout
without occurrence numbering in merge (``PYTHONPATH=OLD python bench/micro/...``):
the before/after figure of issue 21.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import collections
import os
import sys

from agents.models import LatencyConfig, ModelError, ModelRequest, ScriptedConfig, ScriptedModel
from agents.roles import Outliner, TaskSpec
from agents.roles._commit import Implementation
from agents.roles._commit import extract_against
from bench.suites import ProjectsSuite, Suite
from bench.suites._references import SuiteReferences
from crdt_ws import Workspace, WorkspaceError, parse_python, split_todo_key
from merge import MergeError

_Func = ast.FunctionDef | ast.AsyncFunctionDef


def _defs(source: str) -> dict[str, _Func]:
    """Every function by numbered qualified name (``Cls.x#2``), walked as the suite walks a module."""
    out: dict[str, _Func] = {}
    seen: collections.Counter[str] = collections.Counter()

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + node.name
                seen[name] += 1
                out[name if seen[name] == 1 else f"{name}#{seen[name]}"] = node
            elif isinstance(node, ast.ClassDef):
                walk(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith)):
                for field in ("body", "orelse", "finalbody"):
                    walk(getattr(node, field, []) or [], prefix)
                for handler in getattr(node, "handlers", []) or []:
                    walk(handler.body, prefix)

    walk(parse_python(source).body, "")
    return out


def _key(func: _Func) -> str:
    body = func.body[1:] if func.body and isinstance(func.body[0], ast.Expr) and isinstance(func.body[0].value, ast.Constant) else func.body
    return ast.dump(ast.Module(body=[*func.decorator_list, *body], type_ignores=[]))  # type: ignore[list-item]


async def project(suite: Suite, refs: SuiteReferences, model: ScriptedModel, task_id: str) -> tuple[list[bool], list[bool]]:
    task = next(t for t in suite.tasks if t.id == task_id)
    spec = TaskSpec(id=task.id, spec="-", files={m.path: m.outline for m in task.modules}, stubs={m.path: list(m.stubs) for m in task.modules})
    ws = Workspace("repeated-names")
    plan = await Outliner(ws).run(spec, "serial")
    failed: set[str] = set()
    for key in plan.order:
        entry = ws.todo(key)
        path, symbol = split_todo_key(key)
        assert path is not None
        try:
            reply = (await model.complete(ModelRequest(task_id=task.id, symbol=key, messages=()))).text
            extraction = extract_against(reply, symbol, spec.files[path])
            Implementation(extraction).apply(ws, entry)
        except (ModelError, MergeError, WorkspaceError, ValueError):
            failed.add(key)
    repeated: list[bool] = []
    every: list[bool] = []
    for module in task.modules:
        final, reference = _defs(ws.read(module.path)), _defs(module.reference)
        bases = collections.Counter(name.split("#")[0] for name in reference)
        for symbol in module.stubs:
            key = f"{module.path}::{symbol}"
            ok = key not in failed and symbol in final and _key(final[symbol]) == _key(reference[symbol])
            every.append(ok)
            if bases[symbol.split("#")[0]] > 1:
                repeated.append(ok)
    return repeated, every


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("PROJECTS_DATA"))
    parser.add_argument("--project", action="append", default=[])
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error("--data-dir (or $PROJECTS_DATA) is required")
    suite = ProjectsSuite(data_dir=args.data_dir, only=args.project or None).load()
    refs = SuiteReferences(suite)
    model = ScriptedModel(refs, ScriptedConfig(fault_rate=0, blind_fault_rate=0, latency=LatencyConfig(time_scale=0)))
    total = collections.Counter[str]()
    print("project | repeated-name TODOs committed | all TODOs committed")
    for task in suite.tasks:
        repeated, every = await project(suite, refs, model, task.id)
        total.update(rep=len(repeated), rep_ok=sum(repeated), all=len(every), all_ok=sum(every))
        print(f"{task.id} | {sum(repeated)}/{len(repeated)} | {sum(every)}/{len(every)}")
    print(f"total | {total['rep_ok']}/{total['rep']} | {total['all_ok']}/{total['all']}")
    print("offline: scripted model, reference definitions, no faults")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
