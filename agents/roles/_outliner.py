"""The outliner: a task spec becomes a skeleton, TODO entries and a plan in the document.

Given an outline (ClassEval ships one per class) it is used as is; otherwise
the model is asked for one (symbol ``<outline>``) and its reply must parse.
Stubs are found by :func:`crdt_ws.find_stubs`: a function whose
body is only a docstring and ``pass`` / ``...`` / ``raise NotImplementedError``.  The coupling classifier
turns the outline into TODO ``deps`` and, for mode ``auto``, the mode to run.

A multi-file task (``TaskSpec.files``) publishes every module as its own
buffer, one TODO per stub keyed ``"<path>::<symbol>"`` (``crdt_ws.todo_key``),
``meta.outlines``/``meta.files`` and the plan over the package's TODOs; its
deps come from :func:`~agents.roles._package.classify_package`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, Field, model_validator

from crdt_ws import TodoEntry, Workspace, find_span, split_todo_key, todo_key
from crdt_ws import find_stubs as source_find_stubs
from merge import ExtractError, UnparsableReply

from agents.coupling import CouplingReport, get_classifier
from agents.models import Message, ModelError, ModelRequest, StreamingModel
from agents.scheduler import DecisionConfig, Mode, Objective, Plan, decide_schedule, seed_of, topological_order

from ._errors import NoTodos, OutlineError
from ._import_time import import_time
from ._package import classify_package

__all__ = ["OutlinerConfig", "Outliner", "TaskSpec", "find_stubs", "OUTLINE_SYMBOL"]

OUTLINE_SYMBOL = "<outline>"
"""The ``ModelRequest.symbol`` that asks for a whole skeleton."""


class TaskSpec(BaseModel):
    """What the agents are told about a task."""

    id: str = Field(description="Task id; offline providers key their replies on it.")
    spec: str = Field(description="What to build, in prose.")
    file: str = Field(default="", description="Single-file tasks: path of the module to write.")
    outline: str | None = Field(default=None, description="Single-file tasks: a given skeleton; None: the outliner asks the model for one.")
    files: dict[str, str] = Field(
        default_factory=dict,
        description="Multi-file tasks: module path ('/'-separated, relative) -> its skeleton, in package order. "
        "Non-empty makes this a multi-file task (then `file` and `outline` are unused).",
    )
    stubs: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Multi-file tasks: path -> the stubs to implement there, as the task numbers them ('Cls.x#2'); "
        "a path left out gets every stub of its skeleton (crdt_ws.find_stubs, repeats numbered). A benchmark "
        "passes its own list: placeholders it keeps verbatim (overloads, abstract methods) are then not TODOs.",
    )

    @property
    def is_multi_file(self) -> bool:
        """True when the task is a package of several files (``files``)."""
        return bool(self.files)

    @model_validator(mode="after")
    def _one_kind(self) -> TaskSpec:
        if not self.files and not self.file:
            raise ValueError("a task needs `file` (single-file) or `files` (multi-file)")
        return self


class OutlinerConfig(BaseModel):
    """Options of the outliner."""

    attempts: int = Field(default=3, ge=1, description="Model calls allowed to obtain a skeleton that parses and has stubs.")
    classifier: str = Field(default="static", description="Coupling classifier (registry name) that predicts TODO deps.")
    max_tokens: int = Field(default=4096, gt=0, description="Output cap of the outline request.")


def find_stubs(source: str) -> list[str]:
    """Qualified names of the stubbed functions and methods of ``source``, in order."""
    try:
        return source_find_stubs(source)
    except (SyntaxError, ValueError, RecursionError) as exc:
        raise OutlineError(f"the outline does not parse: {exc}") from exc


class Outliner:
    """Writes one task's skeleton, TODOs and plan into the workspace."""

    def __init__(self, workspace: Workspace, model: StreamingModel | None = None, config: OutlinerConfig | None = None) -> None:
        self.workspace = workspace
        self.model = model
        self.config = config or OutlinerConfig()

    async def skeleton(self, task: TaskSpec) -> str:
        """The given outline, or one from the model that parses and has stubs."""
        if task.outline is not None:
            if not find_stubs(task.outline):
                raise NoTodos(f"the outline of {task.id} has no stubs (bodies of only a docstring and pass)")
            return task.outline
        if self.model is None:
            raise OutlineError(f"{task.id} has no outline and the outliner has no model to ask for one")
        problems: list[str] = []
        for attempt in range(self.config.attempts):
            prompt = (
                f"Task: {task.spec.strip()}\n\nWrite the skeleton of `{task.file}`: imports, classes, constructors "
                "that set up state, and every other function as a signature with a docstring (with >>> examples) "
                "and `pass` as its body. One ```python block."
            )
            request = ModelRequest(
                messages=(Message(role="user", content=prompt),),
                task_id=task.id,
                symbol=OUTLINE_SYMBOL,
                attempt=attempt,
                max_tokens=self.config.max_tokens,
            )
            try:
                reply = (await self.model.complete(request)).text
                source = _code_of(reply)
                if find_stubs(source):
                    return source
                problems.append(f"attempt {attempt + 1}: no stubs in the skeleton")
            except (ModelError, OutlineError, ExtractError) as exc:
                problems.append(f"attempt {attempt + 1}: {exc}")
        raise OutlineError(f"no usable skeleton for {task.id} after {self.config.attempts} attempts: " + "; ".join(problems))

    async def run(
        self, task: TaskSpec, mode: Mode = "auto", *, agents: int = 4, objective: Objective = "time", decision: DecisionConfig | None = None
    ) -> Plan:
        """Publish the skeleton, its TODOs and the plan; returns the plan."""
        if task.files:
            return self._publish_package(task, mode, agents=agents, objective=objective, decision=decision)
        source = await self.skeleton(task)
        stubs = find_stubs(source)
        report = get_classifier(self.config.classifier).classify(source, stubs)
        sizes = {symbol: _size(source, symbol) for symbol in stubs}
        plan = plan_from(stubs, report, mode, agents=agents, objective=objective, decision=decision, sizes=sizes)
        ws = self.workspace
        with ws.transaction():
            ws.create_file(task.file, source)
            for symbol in stubs:
                ws.add_todo(TodoEntry(id=symbol, file=task.file, symbol=symbol, deps=plan.deps.get(symbol, [])))
            ws.set_meta(task_id=task.id, spec=task.spec, outline=source, mode=plan.mode, plan=plan.model_dump(), phase="implementing")
            ws.log("outline", None, stubs=len(stubs), mode=plan.mode, requested=mode, edges=sum(map(len, plan.deps.values())))
        return plan

    def _publish_package(
        self, task: TaskSpec, mode: Mode, *, agents: int, objective: Objective, decision: DecisionConfig | None
    ) -> Plan:
        """A multi-file task: every module a buffer, one TODO per stub across files, one plan over all of them."""
        unknown = sorted(set(task.stubs) - set(task.files))
        if unknown:
            raise OutlineError(f"{task.id}: stubs listed for files that are not in the task: {', '.join(unknown)}")
        stubs = {path: list(task.stubs[path]) if path in task.stubs else _module_stubs(path, source) for path, source in task.files.items()}
        ids = [todo_key(path, symbol) for path, symbols in stubs.items() for symbol in symbols]
        if not ids:
            raise NoTodos(f"none of the {len(task.files)} modules of {task.id} has a stub (bodies of only a docstring and pass)")
        # The one place a package is classified (agents.coupling's cross-module graph for the built-ins).
        report = classify_package(task.files, stubs, self.config.classifier)
        sizes = {todo_key(p, s): _size(task.files[p], s) for p, symbols in stubs.items() for s in symbols}
        plan = plan_from(ids, report, mode, agents=agents, objective=objective, decision=decision, sizes=sizes, modules=task.files)
        ws = self.workspace
        with ws.transaction():
            for path, source in task.files.items():
                ws.create_file(path, source)
            for path, symbols in stubs.items():
                for symbol in symbols:
                    key = todo_key(path, symbol)
                    ws.add_todo(TodoEntry(id=key, file=path, symbol=symbol, deps=plan.deps.get(key, [])))
            ws.set_meta(
                task_id=task.id, spec=task.spec, outline="", outlines=dict(task.files), files=list(task.files),
                mode=plan.mode, plan=plan.model_dump(), phase="implementing",
            )  # fmt: skip
            ws.log("outline", None, stubs=len(ids), files=len(task.files), mode=plan.mode, requested=mode,
                   edges=sum(map(len, plan.deps.values())))  # fmt: skip
        return plan


def _module_stubs(path: str, source: str) -> list[str]:
    """The module's stubs; a repeated name is numbered by occurrence (``Cls.x``, ``Cls.x#2``: ``crdt_ws.numbered``),
    as the projects suite numbers them and as symbol spans and splices address them, so ids are unique."""
    try:
        return find_stubs(source)
    except OutlineError as exc:
        raise OutlineError(f"{path}: {exc}") from exc


def plan_from(
    stubs: list[str],
    report: CouplingReport,
    mode: Mode,
    *,
    agents: int = 4,
    objective: Objective = "time",
    decision: DecisionConfig | None = None,
    sizes: dict[str, int] | None = None,
    modules: Mapping[str, str] | None = None,
) -> Plan:
    """The plan for ``mode``; ``auto`` weighs the classifier's waves against ``agents``.

    ``sizes``: each stub's length in the outline (a proxy for its reply's), for ordering and the seed.
    ``modules``: a package's skeletons (path -> text; ``stubs`` are then ``"<path>::<symbol>"``), read for
    the stubs that run on import (``Plan.imports``).
    """
    deps = {s: [d for d in report.deps.get(s, []) if d in stubs and d != s] for s in stubs}
    waves = topological_order(stubs, deps)
    estimates: list[dict[str, object]] = []
    if mode == "auto":
        chosen, why, candidates = decide_schedule(stubs, deps, agents, objective, decision)
        estimates = [e.model_dump() for e in candidates]
        reasons = [*why, f"classifier ({report.classifier}) coupling score {report.score:.2f}", *report.reasons]
    else:
        chosen, reasons = mode, [f"mode {mode} was requested"]
    return Plan(
        estimates=estimates,
        mode=chosen,
        seed=seed_of(stubs, deps, sizes) if chosen == "seeded" else None,
        sizes=sizes or {},
        requested=mode,
        order=[todo for wave in waves for todo in wave],
        deps=deps,
        waves=waves,
        coupling_score=report.score,
        reasons=reasons,
        imports=import_time(modules, _by_file(stubs), deps) if modules else [],
    )


def _by_file(ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for todo in ids:
        path, symbol = split_todo_key(todo)
        if path is not None:
            out.setdefault(path, []).append(symbol)
    return out


def _size(source: str, symbol: str) -> int:
    span = find_span(source, symbol)
    return span.end - span.start


_FENCED = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


def _code_of(reply: str) -> str:
    """The longest fenced block, or the whole reply when it has none."""
    blocks = _FENCED.findall(reply)
    if not blocks and not reply.strip():
        raise UnparsableReply("the reply is empty")
    return max(blocks, key=len) if blocks else reply
