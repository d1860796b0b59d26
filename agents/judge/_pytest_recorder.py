"""The pytest runner's recorder: pytest's reports checked and queued (standalone source, stdlib + pytest).

The judge writes ``_guard.py``, ``_pytest_world.py``, this file and
``_pytest_runner.py`` as one script; the runner's docstring tells the whole
design.  :func:`_make_recorder` runs in the runner's main thread before
pytest's plugins load, so the builtins and the names of pytest and the
stdlib its checks use are the ones of that moment; it returns the generator
function whose one generator is the recorder.  The recorder's state (the
record queue, the collected items and their watches, the plugins and hook
implementations seen at collection) lives only in that generator's frame,
which the guard's audit hook keeps code under test from reading.
"""

import _thread
import sys
import types

import _pytest
import _pytest.config
import _pytest.main
import _pytest.reports
import _pytest.python as _pytest_python
import _pytest.runner
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


def _make_recorder(prefix: str, runner_file: str, hashes: dict, hook_codes: list, worker: dict):  # noqa: C901 - one closure scope on purpose
    """Return ``recorder(queue, changed, report, plain_keys, guarded_name)``, the recorder's generator function.

    Call it before any plugin loads (before ``_snapshot_world``).  ``hook_codes``
    (the code objects of the runner's pytest hooks) and ``worker`` (the worker
    thread's ident and entry code) are filled in by the runner afterwards.
    """
    get_ident = _thread.get_ident
    getframe = sys._getframe
    type_, str_, int_, len_, id_, tuple_, list_ = type, str, int, len, id, tuple, list
    isinstance_, getattr_, BaseException_, sorted_ = isinstance, getattr, BaseException, sorted
    FunctionType, ModuleType = types.FunctionType, types.ModuleType
    modules_map = sys.modules
    plain_function = _pytest_python.Function

    def library_file(filename: object) -> bool:
        return type_(filename) is str_ and (filename == runner_file or not (filename.startswith(prefix) or filename.startswith("<")))

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

    def recorder(queue, changed, report, plain_keys, guarded_name):  # noqa: ANN001, C901 - the generator's frame is the only place its state lives
        # Taken at the recorder's first ``next``: after the world snapshot, before any code under test.
        # The exact chain pytest delivers a test report through (checked by code object identity).
        report_chain = (
            pluggy_callers._multicall.__code__,
            pluggy_manager.PluginManager._hookexec.__code__,
            pluggy_hooks.HookCaller.__call__.__code__,
            _pytest.runner.call_and_report.__code__,
        )
        Session, Config, PluginManager = _pytest.main.Session, _pytest.config.Config, _pytest.config.PytestPluginManager
        HookRelay, HookCaller, SubsetHookCaller, HookImpl = pluggy_hooks.HookRelay, pluggy_hooks.HookCaller, pluggy_hooks._SubsetHookCaller, pluggy_hooks.HookImpl
        TestReport, CollectReport = _pytest.reports.TestReport, _pytest.reports.CollectReport
        SubtestReport = getattr_(modules_map.get("_pytest.subtests"), "SubtestReport", None)
        MethodType = types.MethodType
        type_dict = type.__dict__["__dict__"].__get__

        def impl_file(fn: object) -> object:
            if type_(fn) is MethodType:
                fn = fn.__func__  # type: ignore[attr-defined]
            return fn.__code__.co_filename if type_(fn) is FunctionType else None  # type: ignore[attr-defined]

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

    return recorder
