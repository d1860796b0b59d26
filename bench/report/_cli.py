"""``crdt-bench report``: build the config, call the library, print where the report went.

Register it on the main app with ``app.command("report")(report_command)``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from ._errors import ReportError, TruncatedLineWarning
from ._load import load_results
from ._model import Report, ReportConfig
from ._render import write_report
from ._report import build_report

__all__ = ["report_command", "summary_lines"]


def summary_lines(report: Report) -> list[str]:
    """A few lines for the terminal: per group, each mode's overall speedup and pass@1."""
    lines: list[str] = [report.quality_note] if report.offline_only else []
    for group in report.groups:
        label = "OFFLINE " if group.offline else ""
        lines.append(f"{group.suite}, agent cap {group.agents}, {label}model {group.provider}: {group.rows} trials")
        for c in group.overall:
            ci = f" [{c.speedup_ci.low:.2f}, {c.speedup_ci.high:.2f}]" if c.speedup_ci else ""
            p = c.wilcoxon.p_value if c.wilcoxon is not None else None
            speed = "n/a" if c.speedup is None else f"{c.speedup:.2f}x{ci}"
            lines.append(f"  {c.mode} vs {group.baseline}: speedup {speed}, Wilcoxon p {'n/a' if p is None else f'{p:.3g}'}, {c.pairs} pairs")
        k = report.config.pass_ks[0]
        passes = ", ".join(f"{s.mode} {'n/a' if (v := s.pass_at.get(k)) is None else f'{v:.2f}'}" for s in group.summaries)
        lines.append(f"  pass@{k}: {passes}")
        if group.unpaired:
            lines.append(f"  {len(group.unpaired)} unpaired trials (listed in the report)")
    return lines


def report_command(
    results: Annotated[list[Path], typer.Argument(help="Results files (JSONL) written by crdt-bench run --results.")],
    out: Annotated[Path, typer.Option(help="Directory for report.md, report.html, report.json and the PNGs.")] = Path("report"),
    baseline: Annotated[str, typer.Option(help="Mode every other mode is compared with.")] = "serial",
    seed: Annotated[int, typer.Option(help="Bootstrap seed (same seed, same intervals).")] = 0,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples per interval.")] = 2000,
    confidence: Annotated[float, typer.Option(help="Coverage of the bootstrap intervals.")] = 0.95,
    metric: Annotated[str, typer.Option(help="Time compared: wall_s, implement_s, first_all_pass_s or bound_s.")] = "wall_s",
    pass_k: Annotated[list[int] | None, typer.Option("--pass-k", help="k for pass@k (repeatable; default 1, 2, 5).")] = None,
    refuse_mixed: Annotated[bool, typer.Option(help="Fail instead of reporting mixed configurations group by group.")] = False,
) -> None:
    """Statistics, plots and a Markdown/HTML report from results files alone."""
    try:
        config = ReportConfig.model_validate(
            {
                "baseline": baseline,
                "seed": seed,
                "resamples": resamples,
                "confidence": confidence,
                "time_metric": metric,
                "mixed": "refuse" if refuse_mixed else "group",
                **({"pass_ks": pass_k} if pass_k else {}),
            }
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        raise typer.BadParameter(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from exc
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = load_results(results)
        report = build_report(rows, config)
        for warning in caught:
            typer.echo(f"warning: {warning.message}", err=True)
            if isinstance(warning.message, TruncatedLineWarning):
                # Into the report too, by file name only, so the report does not depend on where files live.
                where = f"{warning.message.path.name}:{warning.message.line}"
                report.notes.append(f"{where}: an incomplete last line (a run killed mid-write) was skipped.")
        paths = write_report(report, out)
    except ReportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"report: {paths['report.md']} (and {paths['report.html'].name}, {len(paths) - 3} figures, report.json)")
    for line in summary_lines(report):
        typer.echo(line)
