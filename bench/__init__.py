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
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    "Crash",
    "ResumeError",
    "RunAborted",
    "RunConfig",
    "TrialConfig",
    "TrialResult",
    "comparison_table",
    "critical_path_bound",
    "optimal_makespan",
    "run_suite",
    "run_trial",
    "task_inputs",
    "trial_order",
]
