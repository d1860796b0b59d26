"""Runs a project's pytest tests inside the sandbox (standalone script; stdlib + pytest).

Usage: ``python -I _judge_runner.py SPEC`` with the run's key on stdin; the
judge writes ``_guard.py``, ``_pytest_world.py`` (the snapshot of pytest's
world and the check against it), ``_pytest_recorder.py`` (the recorder) and
this file as one ``_judge_runner.py``.
``SPEC`` is JSON: ``args`` (pytest arguments), ``hashes`` (relative path ->
sha256 of every test and given ``.py`` file as the judge sent it), ``test_dirs``
(directories holding the tests: a Python file compiled there must be one the judge sent),
``plugins`` (optional: the distributions whose installed pytest plugins may load;
every other ``pytest11`` entry point is blocked with ``-p no:NAME`` before pytest starts).

``pytest.main`` runs in a worker thread with a small plugin whose hooks do
nothing but hand pytest's objects to a *recorder*: a generator whose state
(the record queue, the snapshots it checks against) lives only in its frame,
which the guard's audit hook keeps code under test from reading.  For each
report the recorder checks that pytest itself delivered it (the exact call
chain ``call_and_report -> HookCaller.__call__ -> _hookexec -> _multicall ->
hook`` in the worker thread, nothing but library frames below), that pytest's,
pluggy's, unittest's and this runner's modules and classes are as they were,
that no plugin or hook implementation appeared after collection, and that the
collected items and test classes were not patched.  The main thread, which
holds the signing closure, only drains the queue and signs one event per
test; it never runs code under test.  A further audit hook checks every
compilation of a test file against the hash the judge sent (a rewritten test
file or a new ``conftest.py`` is tampering).  The script ends with
``os._exit`` so no code under test runs at interpreter exit.

Events: ``collected`` (nodeids), ``start`` (nodeid), ``test`` (nodeid,
outcome, frames, message), ``collect_error``, ``tamper``, ``done``.
"""

import _thread
import collections
import gc
import hashlib
import json
import os
import sys
import time
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the judge prepends _guard.py, _pytest_world.py and _pytest_recorder.py to this file: these names are defined above it at run time
    from ._guard import _make_guard, _open_channel
    from ._pytest_recorder import _make_recorder, _short
    from ._pytest_world import _snapshot_world

import unittest

import _pytest
import _pytest.config
import pytest


def _norm(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Pytest_Benchmark`` is ``pytest-benchmark``)."""
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _blocked_plugins(allowed: object) -> list:
    """``-p no:NAME`` for every installed pytest plugin whose distribution is not in ``allowed`` (None: block none)."""
    if not isinstance(allowed, list):
        return []
    from importlib.metadata import entry_points

    keep = {_norm(str(a)) for a in allowed}
    out: list = []
    for ep in entry_points(group="pytest11"):
        dist = ep.dist.name if ep.dist is not None else ""
        if _norm(dist) not in keep and "no:" + ep.name not in out:
            out += ["-p", "no:" + ep.name]
    return out


def _never(self: object) -> bool:
    del self
    return False


def _untraced_hypothesis(paths: list) -> None:
    """Keep Hypothesis from tracing a failing example when the tests use it.

    On Python < 3.12 Hypothesis's explain phase replays a failing example under ``sys.settrace``
    (``hypothesis.internal.scrutineer.Tracer``) to report the lines only failing examples ran.  The
    guard refuses trace hooks while code under test is on the stack (a trace function can jump over a
    test's ``assert``), so a wrong implementation under an ``@given`` test turned the whole run into
    ``tampered`` instead of one failed test.  Hypothesis supports replacing ``_should_trace``; the
    explain phase only adds notes to a failure, so no verdict changes.  Hypothesis is imported only when a
    test file names it (it costs start-up time), and here, before any code under test runs.
    """
    mentions = False
    for path in paths:
        try:
            with open(path, "rb") as f:
                mentions = b"hypothesis" in f.read()
        except OSError:
            continue
        if mentions:
            break
    if not mentions:
        return
    try:
        import hypothesis.core
    except Exception:  # noqa: BLE001 - not installed or broken: the tests' own import reports it
        return
    state = getattr(hypothesis.core, "StateForActualGivenExecution", None)
    if isinstance(state, type) and hasattr(state, "_should_trace"):
        state._should_trace = _never  # type: ignore[attr-defined]


def _main() -> None:  # noqa: C901 - one closure scope on purpose: nothing here is reachable from a module global
    channel, key = _open_channel()
    open_frames: list = []  # the worker thread's entry: the one runner frame code under test may come across
    emit, install, protect, report, attempts = _make_guard(channel, key, os.getcwd(), _main.__code__.co_filename, open_frames)
    del key
    spec = json.loads(sys.argv[1])
    cwd = os.getcwd()
    prefix = cwd.rstrip("/") + "/"
    runner_file = _main.__code__.co_filename
    hashes = {prefix + str(k): str(v) for k, v in dict(spec.get("hashes", {})).items()}
    args = [str(a) for a in spec.get("args", [])] + _blocked_plugins(spec.get("plugins"))
    test_dirs = tuple(prefix + str(d).strip("/") + "/" for d in spec.get("test_dirs", []))

    _untraced_hypothesis(sorted(hashes))
    # Every builtin plugin module is imported now, before any code under test, so the snapshot holds them all.
    for name in _pytest.config.default_plugins:
        try:
            __import__("_pytest." + name)
        except ImportError:
            pass
    start_thread = _thread.start_new_thread
    allocate_lock = _thread.allocate_lock
    monotonic = time.monotonic
    deque = collections.deque
    sha256 = hashlib.sha256
    exit_now = os._exit
    type_, str_, int_, len_ = type, str, int, len
    BaseException_ = BaseException
    gc_isenabled, gc_disable = gc.isenabled, gc.disable
    ModuleType = types.ModuleType
    modules_map = sys.modules
    runner_module = modules_map[__name__]

    hook_codes: list = []
    worker: dict = {}
    recorder = _make_recorder(prefix, runner_file, hashes, hook_codes, worker)
    guarded, changed, plain_keys, guarded_name = _snapshot_world(prefix, runner_module)

    queue = deque()
    sink = recorder(queue, changed, report, plain_keys, guarded_name)
    next(sink)

    def pytest_collection_finish(session):  # noqa: ANN001
        sink.send(("collected", session))

    def pytest_runtest_logstart(nodeid, location):  # noqa: ANN001
        del location
        sink.send(("start", nodeid))

    def pytest_collectreport(report):  # noqa: ANN001
        sink.send(("collectreport", report))

    def pytest_runtest_logreport(report):  # noqa: ANN001
        sink.send(("report", report))

    plugin = ModuleType("_judge_recorder")  # hashable, as pluggy wants plugins to be
    plugin.pytest_collection_finish = pytest_collection_finish  # type: ignore[attr-defined]
    plugin.pytest_runtest_logstart = pytest_runtest_logstart  # type: ignore[attr-defined]
    plugin.pytest_collectreport = pytest_collectreport  # type: ignore[attr-defined]
    plugin.pytest_runtest_logreport = pytest_runtest_logreport  # type: ignore[attr-defined]
    for fn in (pytest_collection_finish, pytest_runtest_logstart, pytest_collectreport, pytest_runtest_logreport):
        hook_codes.append(fn.__code__)
        protect(fn)

    def compile_hook(event: str, hook_args: tuple) -> None:
        """Test files must compile from the bytes the judge sent; no new conftest or test module may appear."""
        if event != "compile":
            return
        filename = hook_args[1]
        if type_(filename) is bytes:
            filename = filename.decode(errors="replace")
        if type_(filename) is not str_ or not filename.startswith(prefix):
            return
        source = hook_args[0]
        expected = hashes.get(filename)
        base = filename.rsplit("/", 1)[-1]
        if expected is None:
            # Templates and the like are compiled under their own names by libraries (jinja): only Python files count.
            if base == "conftest.py" or (filename.startswith(test_dirs) and base.endswith(".py")):
                report("a test file or conftest.py the judge did not send was compiled: " + filename[len_(prefix):])
            return
        if type_(source) is str_:
            source = source.encode()
        if type_(source) is bytes and sha256(source).hexdigest() != expected:
            report("a test file was changed before it was compiled: " + filename[len_(prefix):])

    for module in guarded:
        # unittest.mock builds functions for the objects it mocks (autospec) and sets their defaults:
        # its namespace is watched, its functions are not the runner's.
        if module.__name__ != "unittest.mock":
            protect(module)
    install(unittest.TestCase)
    sys.addaudithook(compile_hook)
    sys.path.insert(0, cwd)
    keep: list = []  # nothing the code made is ever freed in the main thread

    def run_worker(out: list, done: object) -> None:
        try:
            try:
                out.append(int_(pytest.main(args, plugins=[plugin])))
            except BaseException_ as exc:  # noqa: BLE001 - whatever ends pytest, the verdict says so
                out.append(_short(type_(exc).__name__ + ": " + str_(exc)))
        finally:
            done.release()  # type: ignore[attr-defined]

    worker["code"] = run_worker.__code__
    open_frames.append(run_worker.__code__)
    out: list = []
    done = allocate_lock()
    done.acquire()
    keep.append(out)
    worker["ident"] = start_thread(run_worker, (out, done))
    results: dict = {}
    started: dict = {}
    order: list = []

    def drain() -> None:
        while queue:
            rec = queue.popleft()
            kind = rec[0]
            if kind == "collected":
                emit({"event": "collected", "nodeids": rec[1]})
            elif kind == "start":
                started[rec[1]] = monotonic()
                emit({"event": "start", "nodeid": rec[1]})
            elif kind == "collect_error":
                emit({"event": "collect_error", "nodeid": rec[1], "outcome": rec[2], "detail": rec[3], "where": rec[4]})
            elif kind == "report":
                _, nodeid, when, outcome, xfail, frames, text = rec
                state = results.get(nodeid)
                if state is None:
                    state = results[nodeid] = {"outcome": None, "frames": [], "message": ""}
                    order.append(nodeid)
                if outcome == "failed":
                    verdict = "failed" if when in ("call", "subtest") else "error"
                    if state["outcome"] not in ("failed", "error"):
                        state.update(outcome=verdict, frames=frames, message=text)
                elif outcome == "skipped" and state["outcome"] is None:
                    state.update(outcome="skipped", message=("xfail: " if xfail else "") + text)
                elif outcome == "passed" and when == "call" and state["outcome"] is None:
                    state["outcome"] = "passed"
                if when == "teardown":
                    t0 = started.get(nodeid)
                    emit(
                        {
                            "event": "test",
                            "nodeid": nodeid,
                            "outcome": state["outcome"] or "error",
                            "frames": state["frames"],
                            "message": state["message"],
                            "seconds": round(monotonic() - t0, 4) if t0 is not None else 0.0,
                        }
                    )

    while not done.acquire(True, 0.02):
        drain()
        if gc_isenabled():
            gc_disable()  # libraries and tests may enable it; collections here would run the code's finalizers
    drain()
    where = changed()
    if where:
        report("changed " + where)
    if gc_isenabled():
        gc_disable()
    if sink.gi_frame is None:
        report("the judge's recorder was closed")
    status = out[0] if len_(out) == 1 else "the worker's record was altered"
    emit({"event": "done", "exit": status if type_(status) in (int_, str_) else "?", "tampered": len_(attempts()) > 0})
    exit_now(0)


if __name__ == "__main__":
    _main()
