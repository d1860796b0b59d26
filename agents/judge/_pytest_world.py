"""The judge's snapshot of pytest's world, for the pytest runner (standalone source, stdlib + pytest).

The judge writes ``_guard.py``, this file, ``_pytest_recorder.py`` and
``_pytest_runner.py`` as one script.  :func:`_snapshot_world` runs in the
runner's main thread before any code under test: it loads pytest's plugins
(their own patches of pytest are then part of the snapshot), records the
namespaces of pytest's, pluggy's, unittest's and the runner's modules and
classes by identity, and returns the closure that says what changed
since.  Comparisons are by identity and every key is checked to be a plain
``str`` before a lookup, so checking never runs code under test (a metaclass
``__eq__``, a key's ``__hash__``).
"""

import builtins
import sys
import time
import types
import unittest

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
        ("_pytest.doctest", "RUNNER_CLASS"),
        ("_pytest.doctest", "CHECKER_CLASS"),
    }
)


def _snapshot_world(prefix: str, runner_module: types.ModuleType):  # noqa: C901 - one closure scope on purpose
    """Return ``(guarded modules, changed, plain_keys, guarded_name)``; ``prefix`` is the work dir + '/'."""
    type_, str_, len_, tuple_ = type, str, len, tuple
    FunctionType, ModuleType = types.FunctionType, types.ModuleType
    modules_map = sys.modules

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
    # The stdlib clock: freezegun and the like rebind every module's name for it (pytest's too);
    # a faked clock changes pytest's durations and log times, never a verdict.
    import datetime as _datetime

    clock = (_datetime.datetime, _datetime.date, time.time, time.monotonic, time.perf_counter, time.localtime, time.gmtime, time.strftime, time.time_ns, time.monotonic_ns, time.perf_counter_ns)
    warn_once = "_pytest_diamond_inheritance_warning_shown"  # a flag pytest sets on any Node subclass

    # Nothing below may run code under test while it checks (a metaclass __eq__, a key's __hash__, a
    # property): types are compared by identity and every dict's keys are checked to be plain str
    # before any lookup.  Should code under test run anyway, the guard refuses it the frames that
    # would lead it to the recorder (open_frames holds only the worker's entry).

    def is_code_like(value: object) -> bool:
        t = type_(value)
        return t is FunctionType or t is classmethod or t is staticmethod or t is property

    def guarded_name(k: object, value: object) -> bool:
        return type_(k) is not str_ or k in testcase_names or k.startswith("test") or is_code_like(value)

    def plain_keys(mapping: object) -> bool:
        for k in tuple_(mapping):  # type: ignore[arg-type]
            if type_(k) is not str_:
                return False
        return True

    def from_library(value: object) -> bool:
        """A function (or property/method wrapper) defined in an installed package: pytest's legacypath
        shims and plugins such as hypothesis's patch pytest classes this way.  Code under test cannot
        make one: the guard refuses compiling or building code under a library's file name."""
        fn = value
        t = type_(fn)
        if t is property:
            fn = fn.fget  # type: ignore[attr-defined]
        elif t is classmethod or t is staticmethod:
            fn = fn.__func__  # type: ignore[attr-defined]
        if type_(fn) is not FunctionType:
            return False
        name = fn.__code__.co_filename  # type: ignore[attr-defined]
        return type_(name) is str_ and not name.startswith(prefix) and ("/site-packages/" in name or "/dist-packages/" in name)

    def changed() -> str:
        """What changed in the watched namespaces since their snapshot ('' when nothing)."""
        if not plain_keys(modules_map):
            return "sys.modules (a key that is not a str)"
        for name, module in module_ids:
            if modules_map.get(name) is not module:
                return "sys.modules[" + name + "]"
        for name, namespace, items, kind in watched:
            now = tuple_(namespace.items())
            if len_(now) < len_(items):
                return name + " (attributes removed)"
            for pair in now[len_(items):]:
                key = pair[0]
                if type_(key) is not str_:
                    return name + " (a key that is not a str)"
                if kind == "class" and (name, key) not in rebinds and not from_library(pair[1]) and not (key == warn_once and type_(pair[1]) is bool):
                    return name + " (attribute added: " + key + ")"
            i = 0
            for k, v in items:
                pair = now[i]
                if pair[0] is not k:
                    return name + " (attributes reordered)"
                if pair[1] is not v and (name, k) not in rebinds and not any(v is c for c in clock) and not from_library(pair[1]):
                    return name + "." + str_(k)
                i += 1
        return ""

    return guarded, changed, plain_keys, guarded_name
