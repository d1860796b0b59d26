"""Runs a project's pytest tests inside the sandbox (standalone script; stdlib + pytest).

Usage: ``python -I _judge_runner.py SPEC`` with the run's key on stdin; the
judge writes ``_guard.py``, ``_pytest_world.py`` (the snapshot of pytest's
world and the check against it) and this file as one ``_judge_runner.py``.
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

if TYPE_CHECKING:  # the judge prepends _guard.py and _pytest_world.py to this file: these names are defined above it at run time
    from ._guard import _make_guard, _open_channel
    from ._pytest_world import _snapshot_world

import unittest

import _pytest
import _pytest.config
import _pytest.main
import _pytest.reports
import _pytest.python as _pytest_python
import _pytest.runner
import pytest
from pluggy import _callers as pluggy_callers
from pluggy import _hooks as pluggy_hooks
from pluggy import _manager as pluggy_manager

_MAX_DETAIL = 2000
_ITEM_METHODS = ("runtest", "setup", "teardown", "repr_failure", "_prunetraceback", "reportinfo")


def _short(text: object) -> str:
    text = text if type(text) is str else "?"
    # Head and tail: a collection error's exception line is its last (pytest's hint and the traceback come first).
    half = _MAX_DETAIL // 2
    return text if len(text) <= _MAX_DETAIL else text[:half] + "\n...[truncated]...\n" + text[-half:]


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

    # Every builtin plugin module is imported now, before any code under test, so the snapshot holds them all.
    for name in _pytest.config.default_plugins:
        try:
            __import__("_pytest." + name)
        except ImportError:
            pass
    start_thread = _thread.start_new_thread
    allocate_lock = _thread.allocate_lock
    get_ident = _thread.get_ident
    getframe = sys._getframe
    monotonic = time.monotonic
    deque = collections.deque
    sha256 = hashlib.sha256
    exit_now = os._exit
    type_, str_, int_, len_, id_, tuple_, list_ = type, str, int, len, id, tuple, list
    isinstance_, getattr_, BaseException_, sorted_ = isinstance, getattr, BaseException, sorted
    gc_isenabled, gc_disable = gc.isenabled, gc.disable
    FunctionType, ModuleType = types.FunctionType, types.ModuleType
    modules_map = sys.modules
    runner_module = modules_map[__name__]

    plain_function = _pytest_python.Function
    guarded, changed, plain_keys, guarded_name = _snapshot_world(prefix, runner_module)

    def library_file(filename: object) -> bool:
        return type_(filename) is str_ and (filename == runner_file or not (filename.startswith(prefix) or filename.startswith("<")))

    # The exact chain pytest delivers a test report through (checked by code object identity).
    report_chain = (
        pluggy_callers._multicall.__code__,
        pluggy_manager.PluginManager._hookexec.__code__,
        pluggy_hooks.HookCaller.__call__.__code__,
        _pytest.runner.call_and_report.__code__,
    )
    hook_codes: list = []
    worker: dict = {}
    Session, Config, PluginManager = _pytest.main.Session, _pytest.config.Config, _pytest.config.PytestPluginManager
    HookRelay, HookCaller, SubsetHookCaller, HookImpl = pluggy_hooks.HookRelay, pluggy_hooks.HookCaller, pluggy_hooks._SubsetHookCaller, pluggy_hooks.HookImpl
    TestReport, CollectReport = _pytest.reports.TestReport, _pytest.reports.CollectReport
    SubtestReport = getattr_(modules_map.get("_pytest.subtests"), "SubtestReport", None)
    MethodType = types.MethodType
    type_dict = type.__dict__["__dict__"].__get__

    def frames_of(rep: object) -> list:
        """(path, line) of the traceback entries pytest kept, relative to the work dir, innermost last."""
        out: list = []
        longrepr = getattr_(rep, "longrepr", None)
        chain = getattr_(longrepr, "chain", None)
        tracebacks = [c[0] for c in chain] if type_(chain) is list_ else [getattr_(longrepr, "reprtraceback", None)]
        for tb in tracebacks:
            for entry in getattr_(tb, "reprentries", None) or ():
                loc = getattr_(entry, "reprfileloc", None)
                path, line = getattr_(loc, "path", None), getattr_(loc, "lineno", None)
                if type_(path) is str_ and type_(line) is int_:
                    if path.startswith(prefix):
                        path = path[len_(prefix):]
                    if not path.startswith("/"):
                        out.append([path, line])
        return out[-30:]

    def impl_file(fn: object) -> object:
        if type_(fn) is MethodType:
            fn = fn.__func__  # type: ignore[attr-defined]
        return fn.__code__.co_filename if type_(fn) is FunctionType else None  # type: ignore[attr-defined]

    def recorder(queue, changed, report):  # noqa: ANN001, C901 - the generator's frame is the only place its state lives
        pm = None
        plugins: tuple = ()
        impls: tuple = ()
        item_state: dict = {}  # nodeid -> (item, its class, its function, its test class/module watches)
        conftests = frozenset(p for p in hashes if p.endswith("/conftest.py"))

        def hook_state() -> tuple:
            """(every hook implementation function, what is foreign among them)."""
            if pm is None:
                return ((), "")
            relay = pm.hook
            if type_(relay) is not HookRelay:
                return ((), "pytest's hook relay was replaced")
            names = relay.__dict__
            if not plain_keys(names):
                return ((), "pytest's hook relay holds a key that is not a str")
            functions: list = []
            foreign = ""
            for name in sorted_(names):
                hc = names[name]
                if type_(hc) is not HookCaller and type_(hc) is not SubsetHookCaller:
                    if name.startswith("_"):
                        continue
                    return ((), "pytest hook " + name + " was replaced")
                for impl in hc._hookimpls:
                    if type_(impl) is not HookImpl:
                        return ((), "an implementation of pytest hook " + name + " was replaced")
                    fn = impl.function
                    # A re-registered plugin (flask's tests unregister pytest's logging plugin and put it
                    # back) brings new bound methods of the same functions: compare the functions.
                    functions.append(fn.__func__ if type_(fn) is MethodType else fn)
                    where = impl_file(fn)
                    if not foreign and not library_file(where) and where not in conftests:
                        foreign = "pytest hook " + name + " implemented in " + (where[len_(prefix):] if type_(where) is str_ and where.startswith(prefix) else "code under test")
            return (tuple_(functions), foreign)

        def plugin_list() -> tuple:
            registry = pm._name2plugin if pm is not None else {}
            if type_(registry) is not dict or not plain_keys(registry):
                return (("replaced", None),)
            return tuple_(registry.items())

        def new_entries(now: tuple, before: tuple) -> list:
            """Entries of ``now`` not in ``before``, by identity (removing a plugin forges nothing: tests unregister pytest's own)."""
            known = {id_(x) for x in before}  # ``before`` holds the objects: their ids cannot be reused
            return [x for x in now if id_(x) not in known]

        def items_changed(nodeid: object) -> str:
            """Whether the reported test's item, test class or test module was patched since collection."""
            state = item_state.get(nodeid) if type_(nodeid) is str_ else None
            if state is None:
                return "a report for a test that was not collected"
            item, typ, obj, watches = state
            nodeid = str_(nodeid)
            if type_(item) is not typ:
                return "the class of test item " + nodeid
            d = item.__dict__
            if not plain_keys(d):
                return "test item " + nodeid + " (a key that is not a str)"
            for m in _ITEM_METHODS:
                if m in d:
                    return "test item " + nodeid + "." + m
            if typ is plain_function and obj is not None and d.get("_obj") is not obj:
                return "the function of test item " + nodeid
            for name, namespace, snap in watches:
                if not plain_keys(namespace):
                    return name + " (a key that is not a str)"
                for k, v in snap:
                    if guarded_name(k, v) and namespace.get(k) is not v:
                        return name + "." + str_(k)
                for k, v in tuple_(namespace.items())[len_(snap):]:
                    if guarded_name(k, v):
                        return name + " (attribute added: " + str_(k) + ")"
            return ""

        while True:
            try:
                kind, obj = yield
            except BaseException_:  # noqa: BLE001 - thrown in by code under test
                report("something was thrown into the judge's recorder")
                continue
            try:
                caller = getframe(1)
                if not any(caller.f_code is c for c in hook_codes) or get_ident() != worker.get("ident"):
                    report("the judge's recorder was called by something other than its pytest hooks")
                    continue
                f = caller.f_back
                # unittest's subTest failures reach pytest from inside the test (test code on the stack,
                # pytest 9's subtests plugin): such a report may only fail its test, never pass it.
                sub = kind == "report" and SubtestReport is not None and type_(obj) is SubtestReport
                if sub:
                    if obj.outcome == "failed":
                        queue.append(("report", str_(obj.nodeid), "subtest", "failed", False, frames_of(obj), _short(obj.longreprtext)))
                    continue
                if kind == "report":
                    for code in report_chain:
                        if f is None or f.f_code is not code:
                            report("a test report reached the judge outside pytest's call_and_report")
                            break
                        f = f.f_back
                while f is not None:
                    if not library_file(f.f_code.co_filename):
                        report("code under test was on the stack of a judge hook")
                        break
                    if f.f_back is None and f.f_code is not worker.get("code"):
                        report("a judge hook ran outside the judge's worker thread")
                    f = f.f_back
                if kind == "start":
                    queue.append(("start", obj if type_(obj) is str_ else "?"))
                    continue  # nothing is decided at a test's start: the checks run with its reports
                if kind == "report" and type_(obj) is not TestReport:
                    report("pytest's test report was replaced")
                    continue
                where = changed()
                if where:
                    report("changed " + where)
                if kind == "collected":
                    if type_(obj) is not Session or type_(obj.config) is not Config or type_(obj.config.pluginmanager) is not PluginManager:
                        report("pytest's session was replaced")
                        continue
                    session = obj
                    pm = session.config.pluginmanager
                    plugins = tuple_(p for _, p in plugin_list())
                    impls, foreign = hook_state()
                    if foreign:
                        report("a pytest plugin from code under test: " + foreign)
                    items = session.items
                    if type_(items) is not list_:
                        report("pytest's collected items were replaced")
                        continue
                    holders: list = []  # (holder, its watch): one watch per test class and test module
                    for item in items:
                        watches: list = []
                        cls = getattr_(item, "cls", None)
                        module = getattr_(item, "module", None)
                        for holder in (cls, module):
                            if holder is None:
                                continue
                            known = [w for h, w in holders if h is holder]
                            if known:
                                watches.append(known[0])
                                continue
                            if type_(holder) is ModuleType:
                                watch = ("test module " + str_(holder.__name__), holder.__dict__, tuple_(holder.__dict__.items()))
                            elif isinstance_(holder, type_):
                                ns = type_dict(holder)
                                watch = ("test class of " + str_(item.nodeid), ns, tuple_(ns.items()))
                            else:
                                continue
                            holders.append((holder, watch))
                            watches.append(watch)
                        item_state[str_(item.nodeid)] = (item, type_(item), item.__dict__.get("_obj"), watches)
                    queue.append(("collected", [str_(i.nodeid) for i in items]))
                    continue
                if pm is not None:
                    state, foreign = hook_state()
                    added = [n for n, p in plugin_list() if not any(p is q for q in plugins)]
                    if added:
                        report("pytest plugins were registered while tests ran: " + ", ".join(str_(n) for n in added)[:200])
                    elif new_entries(state, impls) or foreign:
                        report("pytest hook implementations changed while tests ran" + (": " + foreign if foreign else ""))
                    if kind == "report":
                        where = items_changed(obj.nodeid)
                        if where:
                            report("changed " + where)
                if kind == "collectreport":
                    if type_(obj) is not CollectReport:
                        report("pytest's collection report was replaced")
                        continue
                    outcome = obj.outcome
                    if outcome != "passed":
                        # A skip's location says whose code raised it (a test module's importorskip, or the package).
                        where = obj.longrepr[0] if type_(obj.longrepr) is tuple_ and len_(obj.longrepr) == 3 else None
                        where = where[len_(prefix):] if type_(where) is str_ and where.startswith(prefix) else where
                        queue.append(("collect_error", str_(obj.nodeid), str_(outcome), _short(obj.longreprtext), where if type_(where) is str_ else None))
                elif kind == "report":
                    rep = obj
                    outcome = rep.outcome
                    xfail = "wasxfail" in rep.__dict__ if plain_keys(rep.__dict__) else False
                    text = _short(rep.longreprtext) if outcome != "passed" else ""
                    queue.append(("report", str_(rep.nodeid), str_(rep.when), str_(outcome), xfail, frames_of(rep) if outcome == "failed" else [], text))
            except BaseException_ as exc:  # noqa: BLE001 - a record the recorder cannot read is no verdict
                report("the judge's recorder failed on a " + str_(kind) + " record: " + type_(exc).__name__)

    queue = deque()
    sink = recorder(queue, changed, report)
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
