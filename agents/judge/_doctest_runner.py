"""Runs outline doctest examples against a module inside the sandbox (stdlib only).

Usage: ``python -I _doctest_runner.py MODULE EXAMPLES.json``; EXAMPLES.json maps
a qualified symbol to the docstring whose ``>>>`` examples are checked.  Prints
one JSON line per symbol to the original stdout.
"""

from __future__ import annotations

import doctest
import importlib
import io
import json
import os
import sys
import traceback


def main() -> int:
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, os.getcwd())
    with open(sys.argv[2], encoding="utf-8") as handle:
        examples: dict[str, str] = json.load(handle)
    try:
        module = importlib.import_module(sys.argv[1])
    except BaseException:
        proto.write(json.dumps({"import_error": traceback.format_exc()[-3000:]}) + "\n")
        proto.flush()
        return 0
    parser = doctest.DocTestParser()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for symbol, doc in examples.items():
        report = io.StringIO()
        runner = doctest.DocTestRunner(verbose=False, optionflags=flags)
        test = parser.get_doctest(doc, dict(vars(module)), symbol, sys.argv[1], 0)
        try:
            result = runner.run(test, out=report.write, clear_globs=True)
            row = {"symbol": symbol, "attempted": result.attempted, "failed": result.failed, "report": report.getvalue()[-3000:]}
        except BaseException:
            row = {"symbol": symbol, "attempted": len(test.examples), "failed": len(test.examples), "report": traceback.format_exc()[-3000:]}
        proto.write(json.dumps(row) + "\n")
        proto.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
