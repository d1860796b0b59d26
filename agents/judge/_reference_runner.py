"""Reference ClassEval harness semantics (standalone script, stdlib only).

Usage: ``python _reference_runner.py TASKS.json``; TASKS.json is a list of
``{"task_id", "program", "test_classes"}``.

This reproduces how the benchmark's own harness runs, to measure agreement:
all tasks run one after another in ONE process and ONE work dir; each task's
program is written as ``<task_id>_0.py`` and imported with importlib (cached in
``sys.modules`` after the first test class); each test class runs under a 5 s
limit enforced by a watcher thread which, on timeout, raises an exception
asynchronously in the worker thread (the way the harness's timeout decorator
does) and counts the class as not run.  Any exception gives testsRun = 0.
One JSON line per task goes to stdout.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import sys
import threading
import unittest
from collections.abc import Callable
from typing import Any, TextIO

TIMEOUT_S = 5.0


class _TimedOut(BaseException):
    pass


def _with_timeout(seconds: float, fn: Callable[..., Any], *args: Any) -> Any:
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # re-raised in the caller, as the harness's decorator does
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        ident = worker.ident
        if ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(_TimedOut))
        worker.join(min(0.1, seconds / 50.0))
        raise _TimedOut()
    if "error" in box:
        error = box["error"]
        assert isinstance(error, BaseException)
        raise error
    return box.get("value")


def _run_class(module_name: str, test_class: str, log: TextIO) -> unittest.TestResult:
    module = importlib.import_module(module_name)
    suite = unittest.TestLoader().loadTestsFromTestCase(getattr(module, test_class))
    return unittest.TextTestRunner(stream=log).run(suite)


def main() -> int:
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, os.getcwd())
    with open(sys.argv[1], encoding="utf-8") as handle:
        tasks = json.load(handle)
    # The harness writes every test file before running any.
    for task in tasks:
        with open(f"{task['task_id']}_0.py", "w", encoding="utf-8") as out:
            out.write(task["program"])
    log = open("harness_log.txt", "a", encoding="utf-8")
    for task in tasks:
        counts: dict[str, dict[str, int]] = {}
        for test_class in task["test_classes"]:
            try:
                res = _with_timeout(TIMEOUT_S, _run_class, f"{task['task_id']}_0", test_class, log)
                counts[test_class] = {"testsRun": res.testsRun, "failures": len(res.failures), "errors": len(res.errors)}
            except BaseException:
                counts[test_class] = {"testsRun": 0, "failures": 0, "errors": 0}
        proto.write(json.dumps({"task_id": task["task_id"], "classes": counts}) + "\n")
        proto.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
