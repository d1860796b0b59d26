"""Runs a project's pytest tests inside the sandbox (standalone script; stdlib + pytest).

Usage: ``python -I _judge_runner.py SPEC`` with the run's key on stdin; the
judge writes ``_guard.py`` followed by this file as ``_judge_runner.py``.
``SPEC`` is JSON: ``args`` (pytest arguments), ``hashes`` (relative path ->
sha256 of every test and given ``.py`` file as the judge sent it), ``test_dirs``
(directories holding the tests: a Python file compiled there must be one the judge sent).

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

if TYPE_CHECKING:  # the judge prepends _guard.py to this file: these names are defined above it at run time
    from ._guard import _make_guard, _open_channel

import builtins
import unittest

import _pytest
import _pytest.config
import _pytest.python as _pytest_python
import _pytest.runner
import pluggy
import pytest
from pluggy import _callers as pluggy_callers
from pluggy import _hooks as pluggy_hooks
from pluggy import _manager as pluggy_manager

_MAX_DETAIL = 2000
_WATCHED_PREFIXES = ("_pytest", "pytest", "pluggy", "unittest")
# Module globals and class attributes pytest itself (re)binds while it runs: assertion rewriting's
# per-test state, the debugging plugin's configuration, a warn-once flag.
_PYTEST_REBINDS = frozenset(
    {
        ("pytestPDB", "_pluginmanager"),
        ("pytestPDB", "_config"),
        ("pytestPDB", "_recursive_debug"),
        ("pytestPDB", "_wrapped_pdb_cls"),
        ("_pytest.assertion.util", "_reprcompare"),
        ("_pytest.assertion.util", "_assertion_pass"),
        ("_pytest.assertion.util", "_config"),
        ("_pytest.assertion.rewrite", "_assertion_pass"),
    }
)
_ITEM_METHODS = ("runtest", "setup", "teardown", "repr_failure", "_prunetraceback", "reportinfo")


def _short(text: object) -> str:
    text = text if type(text) is str else "?"
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "...[truncated]"


def _main() -> None:  # noqa: C901 - one closure scope on purpose: nothing here is reachable from a module global
    channel, key = _open_channel()
    emit, install, protect, report, attempts = _make_guard(channel, key, os.getcwd(), _main.__code__.co_filename)
    del key
    spec = json.loads(sys.argv[1])
    cwd = os.getcwd()
    prefix = cwd.rstrip("/") + "/"
    runner_file = _main.__code__.co_filename
    hashes = {prefix + str(k): str(v) for k, v in dict(spec.get("hashes", {})).items()}
    args = [str(a) for a in spec.get("args", [])]
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
    code_like = (types.FunctionType, classmethod, staticmethod, property)
    modules_map = sys.modules
    runner_module = modules_map[__name__]

    # pytest loads these plugins itself; loading them first puts their own patches of pytest into the snapshot.
    try:
        from importlib.metadata import entry_points

        for entry in entry_points(group="pytest11"):
            try:
                entry.load()
            except Exception:  # noqa: BLE001 - pytest will report a broken plugin itself
                pass
    except ImportError:
        pass
    plain_function = _pytest_python.Function
    guarded = [m for n, m in list(modules_map.items()) if isinstance(m, ModuleType) and n.split(".")[0] in _WATCHED_PREFIXES]
    guarded += [builtins, runner_module]
    classes: list[type] = []
    for m in guarded[:-2]:
        for v in list(m.__dict__.values()):
            if isinstance(v, type) and str(v.__dict__.get("__module__", "")).startswith(_WATCHED_PREFIXES) and v not in classes:
                classes.append(v)
    watched: list = [(m.__name__, m.__dict__, tuple(m.__dict__.items()), "module") for m in guarded]
    watched += [(c.__qualname__, c.__dict__, tuple(c.__dict__.items()), "class") for c in classes]
    module_ids = [(m.__name__, m) for m in guarded]
    testcase_names = frozenset(dir(unittest.TestCase))
    rebinds = _PYTEST_REBINDS
    warn_once = "_pytest_diamond_inheritance_warning_shown"  # a flag pytest sets on any Node subclass

    def guarded_name(k: str, value: object) -> bool:
        return k in testcase_names or k.startswith("test") or type_(value) in code_like

    def from_library(value: object) -> bool:
        """A function (or property/method wrapper) defined in an installed package: pytest's legacypath
        shims and plugins such as hypothesis's patch pytest classes this way.  Code under test cannot
        make one: the guard refuses compiling or building code under a library's file name."""
        fn = value
        if type_(fn) is property:
            fn = fn.fget
        elif type_(fn) in (classmethod, staticmethod):
            fn = getattr_(fn, "__func__", None)
        if type_(fn) is not FunctionType:
            return False
        name = fn.__code__.co_filename
        return type_(name) is str_ and not name.startswith(prefix) and ("/site-packages/" in name or "/dist-packages/" in name)

    def changed() -> str:
        """What changed in the watched namespaces since their snapshot ('' when nothing)."""
        for name, module in module_ids:
            if modules_map.get(name) is not module:
                return "sys.modules[" + name + "]"
        for name, namespace, items, kind in watched:
            now = tuple_(namespace.items())
            if len_(now) < len_(items):
                return name + " (attributes removed)"
            if kind == "class":
                for pair in now[len_(items):]:
                    if (name, pair[0]) not in rebinds and not from_library(pair[1]) and not (pair[0] == warn_once and type_(pair[1]) is bool):
                        return name + " (attribute added: " + str_(pair[0]) + ")"
            i = 0
            for k, v in items:
                pair = now[i]
                if pair[0] is not k:
                    return name + " (attributes reordered)"
                if pair[1] is not v and (name, k) not in rebinds and not from_library(pair[1]):
                    return name + "." + str_(k)
                i += 1
        return ""

    def library_file(filename: str) -> bool:
        return filename == runner_file or not (filename.startswith(prefix) or filename.startswith("<"))

    # The exact chain pytest delivers a test report through (checked by code object identity).
    report_chain = (
        pluggy_callers._multicall.__code__,
        pluggy_manager.PluginManager._hookexec.__code__,
        pluggy_hooks.HookCaller.__call__.__code__,
        _pytest.runner.call_and_report.__code__,
    )
    hook_codes: dict = {}
    worker: dict = {}

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

    def recorder(queue, changed, report):  # noqa: ANN001 - the generator's frame is the only place its state lives
        pm = None
        plugins: tuple = ()
        impls: tuple = ()
        items: list = []
        item_state: list = []
        test_watch: list = []
        conftests = frozenset(p for p in hashes if p.endswith("/conftest.py"))

        def hook_state() -> tuple:
            if pm is None:
                return ()
            return tuple_((name, tuple_(id_(i.function) for i in hc.get_hookimpls())) for name, hc in sorted_(vars(pm.hook).items()) if not name.startswith("_"))

        def foreign_plugin(plugin: object) -> str:
            if isinstance_(plugin, ModuleType):
                f = getattr_(plugin, "__file__", None)
                if type_(f) is str_ and f.startswith(prefix) and f not in conftests:
                    return "module " + f[len_(prefix):]
                return ""
            cls_module = modules_map.get(getattr_(type_(plugin), "__module__", ""))
            f = getattr_(cls_module, "__file__", None)
            if type_(f) is str_ and f.startswith(prefix) and f not in conftests:
                return "object of " + f[len_(prefix):]
            return ""

        def items_changed() -> str:
            for item, typ, obj in item_state:
                if type_(item) is not typ:
                    return "the class of test item " + str_(item.nodeid)
                d = item.__dict__
                for m in _ITEM_METHODS:
                    if m in d:
                        return "test item " + str_(item.nodeid) + "." + m
                if typ is plain_function and obj is not None and d.get("_obj") is not obj:
                    return "the function of test item " + str_(item.nodeid)
            for name, namespace, snap in test_watch:
                now = tuple_(namespace.items())
                for k, v in snap:
                    if guarded_name(k, v) and namespace.get(k) is not v:
                        return name + "." + str_(k)
                for k, v in now[len_(snap):]:
                    if guarded_name(k, v):
                        return name + " (attribute added: " + str_(k) + ")"
            return ""

        while True:
            kind, obj = yield
            try:
                caller = getframe(1)
                if caller.f_code not in hook_codes or get_ident() != worker.get("ident"):
                    report("the judge's recorder was called by something other than its pytest hooks")
                    continue
                f = caller.f_back
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
                where = changed()
                if where:
                    report("changed " + where)
                if kind == "collected":
                    session = obj
                    pm = session.config.pluginmanager
                    for plugin in pm.get_plugins():
                        bad = foreign_plugin(plugin)
                        if bad:
                            report("a pytest plugin from code under test was registered: " + bad)
                    plugins = tuple_(sorted_(id_(p) for p in pm.get_plugins()))
                    impls = hook_state()
                    items = list_(session.items)
                    seen: set = set()
                    for item in items:
                        item_state.append((item, type_(item), item.__dict__.get("_obj")))
                        for holder in (getattr_(item, "cls", None), getattr_(getattr_(item, "module", None), "__dict__", None)):
                            if holder is None or id_(holder) in seen:
                                continue
                            seen.add(id_(holder))
                            namespace = holder if type_(holder) is dict else type_.__dict__["__dict__"].__get__(holder)
                            test_watch.append((str_(getattr_(holder, "__qualname__", "test module")), namespace, tuple_(namespace.items())))
                    queue.append(("collected", [str_(i.nodeid) for i in items]))
                    continue
                if pm is not None:
                    if tuple_(sorted_(id_(p) for p in pm.get_plugins())) != plugins:
                        report("pytest plugins were registered or removed while tests ran")
                    elif hook_state() != impls:
                        report("pytest hook implementations changed while tests ran")
                    where = items_changed()
                    if where:
                        report("changed " + where)
                if kind == "start":
                    queue.append(("start", str_(obj)))
                elif kind == "collectreport":
                    outcome = str_(obj.outcome)
                    if outcome != "passed":
                        queue.append(("collect_error", str_(obj.nodeid), outcome, _short(str_(getattr_(obj, "longreprtext", "")))))
                elif kind == "report":
                    rep = obj
                    outcome = str_(rep.outcome)
                    xfail = getattr_(rep, "wasxfail", None) is not None
                    text = _short(str_(rep.longreprtext)) if outcome != "passed" else ""
                    queue.append(("report", str_(rep.nodeid), str_(rep.when), outcome, xfail, frames_of(rep) if outcome == "failed" else [], text))
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
        hook_codes[fn.__code__] = fn.__name__
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
            if base == "conftest.py" or filename.startswith(test_dirs):
                report("a test file or conftest.py the judge did not send was compiled: " + filename[len_(prefix):])
            return
        if type_(source) is str_:
            source = source.encode()
        if type_(source) is bytes and sha256(source).hexdigest() != expected:
            report("a test file was changed before it was compiled: " + filename[len_(prefix):])

    for module in guarded:
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
                emit({"event": "collect_error", "nodeid": rec[1], "outcome": rec[2], "detail": rec[3]})
            elif kind == "report":
                _, nodeid, when, outcome, xfail, frames, text = rec
                state = results.get(nodeid)
                if state is None:
                    state = results[nodeid] = {"outcome": None, "frames": [], "message": ""}
                    order.append(nodeid)
                if outcome == "failed":
                    verdict = "failed" if when == "call" else "error"
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
    drain()
    where = changed()
    if where:
        report("changed " + where)
    if gc_isenabled():
        gc_disable()
        report("re-enabled the garbage collector")
    if sink.gi_frame is None:
        report("the judge's recorder was closed")
    status = out[0] if len_(out) == 1 else "the worker's record was altered"
    emit({"event": "done", "exit": status if type_(status) in (int_, str_) else "?", "tampered": len_(attempts()) > 0})
    exit_now(0)


if __name__ == "__main__":
    _main()
