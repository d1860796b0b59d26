"""bench: the ``crdt-bench`` CLI, task suites, trials and their metrics.

    from bench import RunConfig, run_suite, comparison_table
    results = anyio.run(run_suite, RunConfig(tasks=["calculator"]), print)
    print(comparison_table(results))

One trial (:func:`run_trial`) runs the library pipeline
(:func:`agents.team.run_task`) on one task in one mode on fresh replicas,
scores it and returns a :class:`TrialResult`; :func:`run_suite`
runs every (task, mode, seed) of a :class:`RunConfig` in randomized blocks,
appending rows to a JSONL file it resumes from (:class:`ResumeError` when that
file cannot be read back); up to ``concurrency`` trials at once, in this process
or as Ray actors (``bench._executor``), after a provider preflight, stopping
with :class:`RunAborted` after too many error trials in a row.  Suites live in :mod:`bench.suites`; statistics and
reports over results files in :mod:`bench.report`.

Errors: one root, :class:`BenchError`; the areas' trees (drawn in their own
docstrings) hang under it::

    BenchError
    ├── SuiteError       bench.suites: unknown suite/task, data missing, bad task format
    ├── ReportError      bench.report: results files, statistics, rendering
    ├── FaultError       bench.faults: the fault-injection harness
    ├── ResumeError      a results file that cannot be read back to resume
    ├── RunAborted       too many error trials in a row
    ├── UnisolatedJudge  the judge would run without its sandbox and that was not allowed
    ├── ExecutorError    the trial executor (Ray) cannot start
    └── BenchmarkError, RelayProcessError, NodeRelayError   bench.micro scripts
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._errors import BenchError  # a leaf package: cheap, and every error caught as BenchError needs it

if TYPE_CHECKING:
    from ._metrics import TrialResult, critical_path_bound, optimal_makespan
    from ._results import ResumeError
    from ._run import RunAborted, RunConfig, comparison_table, run_suite, task_inputs, trial_order
    from ._trial import Crash, TrialConfig, run_trial

# Loaded on first use: `crdt-bench relay` (a long-running server) imports this
# package too, and must not carry the trial pipeline's scipy/libcst imports
# (~90 MB of RSS).
_LAZY = {
    "TrialResult": "._metrics", "critical_path_bound": "._metrics", "optimal_makespan": "._metrics",
    "ResumeError": "._results",
    "RunAborted": "._run", "RunConfig": "._run", "comparison_table": "._run", "run_suite": "._run",
    "task_inputs": "._run", "trial_order": "._run",
    "Crash": "._trial", "TrialConfig": "._trial", "run_trial": "._trial",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "run_trial",
]
