"""bench.report: statistics, plots and reports over ``crdt-bench run`` results (JSONL).

    from bench.report import ReportConfig, build_report, load_results, write_report
    rows = load_results(["results.jsonl"])
    report = build_report(rows, ReportConfig(baseline="serial", seed=0))
    paths = write_report(report, "report/")   # report.md, report.html, report.json, PNGs

Trials pair by (task, seed) within groups of equal (suite, provider, agent
cap); each mode is compared with the baseline per task and overall: median
times, speedup (median paired baseline/mode) with a seeded bootstrap CI,
Wilcoxon signed-rank p, d_z; pass@k, test-class pass rates, tokens and cost;
cumulative solves against time; speedup against coupling score.  Offline
models' quality figures are labelled as such.  The statistics
(:func:`wilcoxon`, :func:`effect_size_dz`, :func:`bootstrap_ci`,
:func:`pass_at_k`, :func:`spearman`) are implemented here on numpy only.

Errors::

    ReportError                     (under bench.BenchError, the package's one root)
    ├── ResultsError              results files -> rows
    │   ├── ResultsFileError      missing / unreadable / not UTF-8
    │   ├── MalformedLineError    a line that is not a JSON object (file:line)
    │   ├── InvalidRowError       a row lacking a required field, or of the wrong type (file:line)
    │   └── NoResultsError        no rows at all
    ├── BaselineMissingError      no trial ran the baseline mode
    ├── MixedResultsError         several configurations and ReportConfig.mixed="refuse"
    ├── StatsError                bad input to a statistic
    │   └── UndefinedStatisticError   e.g. d_z of equal differences
    └── RenderError               writing the report or plotting failed

    TruncatedLineWarning (UserWarning): an incomplete last line was skipped.
"""

from ._curves import SolveCurve, solve_curve
from ._errors import (
    BaselineMissingError,
    InvalidRowError,
    MalformedLineError,
    MixedResultsError,
    NoResultsError,
    RenderError,
    ReportError,
    ResultsError,
    ResultsFileError,
    StatsError,
    TruncatedLineWarning,
    UndefinedStatisticError,
)
from ._load import Row, is_offline, load_results
from ._model import (
    Comparison,
    CouplingCorrelation,
    CouplingPoint,
    GroupReport,
    ModeStats,
    ModeSummary,
    Report,
    ReportConfig,
    SourceFile,
    TaskReport,
    TimeMetric,
    Unpaired,
)
from ._render import render_html, render_markdown, write_report
from ._report import build_report, quality_note
from ._stats import ConfidenceInterval, WilcoxonResult, average_ranks, bootstrap_ci, effect_size_dz, pass_at_k, spearman, wilcoxon

__all__ = [
    "ReportConfig",
    "Row",
    "bootstrap_ci",
    "build_report",
    "load_results",
    "write_report",
]
