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

from ._errors import BenchError
from ._metrics import TrialResult, critical_path_bound, optimal_makespan
from ._results import ResumeError
from ._run import RunAborted, RunConfig, comparison_table, run_suite, task_inputs, trial_order
from ._trial import Crash, TrialConfig, run_trial

__all__ = [
    "run_trial",
]
