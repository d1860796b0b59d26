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

from ._metrics import TrialResult, critical_path_bound, optimal_makespan
from ._results import ResumeError
from ._run import RunAborted, RunConfig, comparison_table, run_suite, task_inputs, trial_order
from ._trial import Crash, TrialConfig, run_trial

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
