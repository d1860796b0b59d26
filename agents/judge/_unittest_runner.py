"""Runs unittest test classes inside the sandbox (standalone script, stdlib only).

Usage: ``python -I _unittest_runner.py MODULE CLASS [CLASS ...]``.

Progress goes to the original stdout as JSON lines (``import``, ``start``,
``end``); the code under test writes to stderr instead (its stdout is
redirected there), so its prints cannot corrupt the protocol by accident.  The
judge enforces the per-class time limit from these lines.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import time
import traceback
import unittest

_MAX_DETAIL = 2000


def _emit(out: io.TextIOWrapper, **event: object) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def _short(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "...[truncated]"


def main() -> int:
    # Keep a private copy of stdout for the protocol; the tests' prints go to stderr.
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, os.getcwd())
    module_name, classes = sys.argv[1], sys.argv[2:]
    started = time.monotonic()
    try:
        module = importlib.import_module(module_name)
    except BaseException:
        _emit(proto, event="import", ok=False, error=_short(traceback.format_exc()), seconds=time.monotonic() - started)
        return 0
    _emit(proto, event="import", ok=True, seconds=time.monotonic() - started)
    for name in classes:
        _emit(proto, event="start", cls=name)
        t0 = time.monotonic()
        record: dict[str, object] = {"event": "end", "cls": name}
        try:
            case = getattr(module, name)
            suite = unittest.TestLoader().loadTestsFromTestCase(case)
            result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
            record.update(
                tests_run=result.testsRun,
                failures=len(result.failures),
                errors=len(result.errors),
                skipped=len(result.skipped),
                problems=[
                    {"test": test.id().rsplit(".", 1)[-1], "kind": kind, "detail": _short(text)}
                    for kind, items in (("failure", result.failures), ("error", result.errors))
                    for test, text in items
                ],
            )
        except BaseException:
            # Like the reference harness: any exception around the run means nothing ran.
            record.update(tests_run=0, failures=0, errors=0, skipped=0, crash=_short(traceback.format_exc()))
        record["seconds"] = time.monotonic() - t0
        _emit(proto, **record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
