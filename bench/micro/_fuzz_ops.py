"""Operations of the convergence fuzz: each one real ``Workspace`` / ``ClaimBoard`` call on one replica.

An operation returns False when it does not apply to the replica's state at
that moment (editing a file it has not seen yet, claiming a TODO that is not
pending); :func:`random_op` draws one with concrete arguments, so a trace of
them can be replayed and shrunk.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Protocol

from claim_protocol import ClaimBoard, NotClaimable
from crdt_ws import TodoEntry, TodoStatus, Workspace

__all__ = ["OPS", "WEIGHTS", "random_op", "PATHS", "TODO_IDS", "SNIPPETS", "META_KEYS"]

PATHS = ("a.py", "b.py", "ü/日本.py")
TODO_IDS = ("t0", "t1", "t2")
SNIPPETS = ("x", "é", "日本語", "🎉", "\n", "ß→✓", "def f():\n    return 'ü'\n", "    pass\n", " ", "\t", "𝔘")
META_KEYS = ("phase", "mode", "spec", "judge")


class _NetLike(Protocol):
    boards: list[ClaimBoard]
    tick: int


def _create(net: _NetLike, ws: Workspace, i: int, path: str, text: str) -> bool:
    ws.create_file(path, text)
    return True


def _insert(net: _NetLike, ws: Workspace, i: int, path: str, at: float, text: str) -> bool:
    if path not in ws.files:
        return False
    n = len(ws.read(path))
    pos = min(n, int(at * (n + 1)))
    ws.edit(path, pos, pos, text)
    return True


def _delete(net: _NetLike, ws: Workspace, i: int, path: str, at: float, length: int) -> bool:
    if path not in ws.files:
        return False
    n = len(ws.read(path))
    if n == 0:
        return False
    start = min(n - 1, int(at * n))
    ws.edit(path, start, min(n, start + length), "")
    return True


def _add_todo(net: _NetLike, ws: Workspace, i: int, todo: str, path: str, symbol: str, deps: list[str]) -> bool:
    ws.add_todo(TodoEntry(id=todo, file=path, symbol=symbol, deps=deps))
    return True


def _claim(net: _NetLike, ws: Workspace, i: int, todo: str) -> bool:
    if todo not in ws.todos:
        return False
    try:
        net.boards[i].claim(todo, float(net.tick))
    except NotClaimable:
        return False
    return True


def _complete(net: _NetLike, ws: Workspace, i: int, todo: str, result: str) -> bool:
    if todo not in ws.todos:
        return False
    ws.update_todo(todo, status=TodoStatus.DONE, result=result, assignee=ws.agent_id, verdict="pass")
    return True


def _reopen(net: _NetLike, ws: Workspace, i: int, todo: str) -> bool:
    if todo not in ws.todos:
        return False
    ws.update_todo(todo, status=TodoStatus.PENDING, assignee=None, verdict="fail: reopened")
    return True


def _log(net: _NetLike, ws: Workspace, i: int, type: str, todo: str | None, note: str) -> bool:
    ws.log(type, todo, note=note, tick=net.tick)
    return True


def _meta(net: _NetLike, ws: Workspace, i: int, key: str, value: Any) -> bool:
    ws.set_meta(**{key: value})
    return True


OPS: dict[str, Callable[..., bool]] = {
    "create": _create,
    "insert": _insert,
    "delete": _delete,
    "add_todo": _add_todo,
    "claim": _claim,
    "complete": _complete,
    "reopen": _reopen,
    "log": _log,
    "meta": _meta,
}
WEIGHTS = {"create": 2, "insert": 30, "delete": 12, "add_todo": 4, "claim": 5, "complete": 4, "reopen": 3, "log": 8, "meta": 4}


def random_op(rng: random.Random, n: int) -> tuple[Any, ...]:
    kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    i = rng.randrange(n)
    text = "".join(rng.choice(SNIPPETS) for _ in range(rng.randint(1, 4)))
    if kind == "create":
        return ("op", i, kind, rng.choice(PATHS), text)
    if kind == "insert":
        return ("op", i, kind, rng.choice(PATHS), rng.random(), text)
    if kind == "delete":
        return ("op", i, kind, rng.choice(PATHS), rng.random(), rng.randint(1, 6))
    if kind == "add_todo":
        todo = rng.choice(TODO_IDS)
        deps = [t for t in TODO_IDS if t != todo and rng.random() < 0.3]
        return ("op", i, kind, todo, rng.choice(PATHS), f"C.m{rng.randrange(3)}", deps)
    if kind in ("claim", "reopen"):
        return ("op", i, kind, rng.choice(TODO_IDS))
    if kind == "complete":
        return ("op", i, kind, rng.choice(TODO_IDS), f"    def m(self):\n        return {text!r}\n")
    if kind == "log":
        return ("op", i, kind, rng.choice(("claim", "commit", "verdict", "note")), rng.choice((*TODO_IDS, None)), text)
    value = rng.choice((text, rng.randrange(1000), [text, 1], {"k": text, "n": rng.random()}, None))
    return ("op", i, kind, rng.choice(META_KEYS), value)
