"""Runs unittest test classes inside the sandbox (standalone script, stdlib only).

Usage: ``python -I _judge_runner.py MODULE CLASS [CLASS ...]`` with the run's
key on stdin; the judge writes ``_guard.py`` followed by this file as
``_judge_runner.py``.

Signed JSON events go to the result channel (``import``, ``start``, ``end``,
``tamper``, ``done``); the judge enforces the per-class time limit from them.
The module under test is imported, and each test class run, in a worker
thread: the main thread, which holds the channel, only waits, checks that
unittest, builtins and this runner are as they were before the import, and
signs what the worker recorded.  It ends with ``os._exit`` so no code under
test runs at interpreter exit.
"""

import _thread
import gc
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the judge prepends _guard.py to this file: these names are defined above it at run time
    from ._guard import _make_guard, _open_channel


import builtins
import importlib
import io
import time
import traceback
import types
import unittest

_MAX_DETAIL = 2000


def _short(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "...[truncated]"


def _unchanged() -> str:
    return ""


def _ignore(what: str) -> None:
    del what


class _Result(unittest.TextTestResult):
    """Result that checks the runner's world before and after every test (the runner sets check and report)."""

    check = staticmethod(_unchanged)
    report = staticmethod(_ignore)

    def startTest(self, test: unittest.TestCase) -> None:
        where = _Result.check()
        if where:
            _Result.report("changed " + where + " before a test")
        super().startTest(test)

    def stopTest(self, test: unittest.TestCase) -> None:
        super().stopTest(test)
        where = _Result.check()
        if where:
            _Result.report("changed " + where + " during a test")

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        # No benchmark test skips itself: a skip means code under test raised SkipTest.
        _Result.report("a test was skipped at run time (SkipTest raised)")
        super().addSkip(test, reason)

    def addExpectedFailure(self, test: unittest.TestCase, err: object) -> None:
        _Result.report("a failing test was turned into an expected failure")
        super().addExpectedFailure(test, err)  # type: ignore[arg-type]


def _main() -> None:
    channel, key = _open_channel()
    emit, install, protect, report, attempts = _make_guard(channel, key, os.getcwd(), _main.__code__.co_filename)
    del key
    # Everything the main thread uses from here on is a local bound before the import.
    start_thread = _thread.start_new_thread
    allocate_lock = _thread.allocate_lock
    monotonic = time.monotonic
    format_exc = traceback.format_exc
    import_module = importlib.import_module
    getattr_, type_, int_, str_, tuple_, len_ = getattr, type, int, str, tuple, len
    isinstance_, issubclass_, BaseException_, float_ = isinstance, issubclass, BaseException, float
    gc_isenabled, gc_disable = gc.isenabled, gc.disable
    exit_now = os._exit
    TestCase = unittest.TestCase
    real_mro = TestCase.__mro__
    loader = unittest.TestLoader()
    TextTestRunner = unittest.TextTestRunner
    StringIO = io.StringIO
    modules_map = sys.modules
    runner_module = modules_map[__name__]
    guarded = [m for n, m in list(modules_map.items()) if n == "unittest" or n.startswith("unittest.")]
    guarded += [builtins, runner_module]
    classes_seen = {_Result}
    for m in guarded[:-2]:
        for v in list(m.__dict__.values()):
            if isinstance(v, type) and str(v.__dict__.get("__module__", "")).startswith("unittest"):
                classes_seen.add(v)
    # Class attribute assignment raises no audit event in CPython 3.11: compare namespaces instead,
    # by identity, never by hashing keys.  Entries: (name, namespace, items, kind) where kind is
    # "module" (new names allowed), "class" (unittest's and the runner's: nothing may change) or
    # "test" (a test class: its tests and whatever overrides TestCase may not change; plain data
    # such as what setUpClass stores may).
    watched: list = []
    # What unittest itself (re)binds on a test class while running it, and what only shapes messages.
    unittest_bookkeeping = frozenset({"_classSetupFailed", "_class_cleanups", "tearDown_exceptions", "maxDiff", "longMessage"})
    testcase_names = frozenset(dir(unittest.TestCase))
    code_like = (types.FunctionType, classmethod, staticmethod, property)
    module_ids = [(m.__name__, m) for m in guarded]

    def watch(cls: type) -> None:
        namespace = type_.__dict__["__dict__"].__get__(cls)
        watched.append(("test class " + str_(cls.__name__), namespace, tuple_(namespace.items()), "test"))

    def guarded_name(k: str, value: object) -> bool:
        return k not in unittest_bookkeeping and (k in testcase_names or k.startswith("test") or type_(value) in code_like)

    def changed() -> str:
        for name, module in module_ids:
            if modules_map.get(name) is not module:
                return "sys.modules[" + name + "]"
        for name, namespace, items, kind in watched:
            now = tuple_(namespace.items())
            if len_(now) < len_(items):
                return name + " (attributes removed)"
            if kind != "module":
                for pair in now[len_(items):]:
                    if pair[0] not in unittest_bookkeeping and (kind == "class" or guarded_name(pair[0], pair[1])):
                        return name + " (attribute added: " + str_(pair[0]) + ")"
            i = 0
            for k, v in items:
                pair = now[i]
                if pair[0] is not k:
                    return name + " (attributes reordered)"
                if pair[1] is not v and k not in unittest_bookkeeping and (kind != "test" or guarded_name(k, v) or type_(pair[1]) in code_like):
                    return name + "." + k
                i += 1
        return ""

    _Result.check = staticmethod(changed)
    _Result.report = staticmethod(report)
    watched.extend((m.__name__, m.__dict__, tuple(m.__dict__.items()), "module") for m in guarded)
    watched.extend((c.__qualname__, c.__dict__, tuple(c.__dict__.items()), "class") for c in classes_seen)
    for module in guarded:
        protect(module)
    protect(_Result)
    install(TestCase)

    module_name, classes = sys.argv[1], sys.argv[2:]
    sys.path.insert(0, os.getcwd())
    keep: list[object] = []  # nothing the code made is ever freed in this thread

    def after_worker() -> None:
        where = changed()
        if where:
            report("changed " + where)
        if gc_isenabled():
            gc_disable()
            report("re-enabled the garbage collector")

    def import_worker(out: list, done: object) -> None:
        try:
            t0 = monotonic()
            try:
                module = import_module(module_name)
                out.append((True, module, "", monotonic() - t0))
            except BaseException_:
                out.append((False, None, _short(format_exc()), monotonic() - t0))
        finally:
            done.release()  # type: ignore[attr-defined]

    out: list = []
    done = allocate_lock()
    done.acquire()
    keep.append(out)
    start_thread(import_worker, (out, done))
    done.acquire()
    after_worker()
    if len_(out) != 1 or type_(out[0]) is not tuple_:
        report("the import worker's record was altered")
        emit({"event": "done"})
        exit_now(0)
    ok, module, error, seconds = out[0]
    if ok is not True:
        emit({"event": "import", "ok": False, "error": error if type_(error) is str_ else "?", "seconds": 0.0})
        emit({"event": "done"})
        exit_now(0)
    emit({"event": "import", "ok": True, "seconds": seconds if type_(seconds) is float_ else 0.0})

    def class_worker(name: str, out: list, done: object) -> None:
        try:
            t0 = monotonic()
            try:
                case = getattr_(module, name)
                if isinstance_(case, type_) and issubclass_(case, TestCase):
                    if case.__mro__[1:] != real_mro:
                        report("test class " + name + " does not derive from the real unittest.TestCase")
                    watch(case)
                suite = loader.loadTestsFromTestCase(case)
                result = TextTestRunner(stream=StringIO(), verbosity=0, resultclass=_Result).run(suite)  # pyright: ignore[reportArgumentType]
                problems = tuple_(
                    (str_(test.id().rsplit(".", 1)[-1]), kind, _short(str_(text)))
                    for kind, items in (("failure", result.failures), ("error", result.errors))
                    for test, text in items
                )
                out.append((int_(result.testsRun), len_(result.failures), len_(result.errors), len_(result.skipped), problems, "", monotonic() - t0))
            except BaseException_:
                # Like the reference harness: any exception around the run means nothing ran.
                out.append((0, 0, 0, 0, (), _short(format_exc()), monotonic() - t0))
        finally:
            done.release()  # type: ignore[attr-defined]

    for name in classes:
        emit({"event": "start", "cls": name})
        out = []
        done = allocate_lock()
        done.acquire()
        keep.append(out)
        start_thread(class_worker, (name, out, done))
        done.acquire()
        after_worker()
        record = out[0] if len_(out) == 1 and type_(out[0]) is tuple_ and len_(out[0]) == 7 else None
        if record is None:
            report("the record of test class " + name + " was altered")
            record = (0, 0, 0, 0, (), "record altered", 0.0)
        tests_run, failures, errors, skipped, problems, crash, seconds = record
        counts = [v if type_(v) is int_ else -1 for v in (tests_run, failures, errors, skipped)]
        clean: list = []
        for p in problems if type_(problems) is tuple_ else ():
            if type_(p) is tuple_ and len_(p) == 3 and type_(p[0]) is str_ and type_(p[1]) is str_ and type_(p[2]) is str_:
                clean.append({"test": p[0], "kind": p[1], "detail": p[2]})
        emit(
            {
                "event": "end",
                "cls": name,
                "tests_run": counts[0],
                "failures": counts[1],
                "errors": counts[2],
                "skipped": counts[3],
                "problems": clean,
                "crash": crash if type_(crash) is str_ and crash else None,
                "seconds": seconds if type_(seconds) is float_ else 0.0,
            }
        )
    emit({"event": "done", "tampered": len_(attempts()) > 0})
    exit_now(0)


if __name__ == "__main__":
    _main()
