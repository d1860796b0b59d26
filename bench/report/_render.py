"""Writing a :class:`Report`: Markdown, self-contained HTML, PNG figures and the figures as JSON.

Both documents are rendered from one list of blocks, so they always say the
same thing.  Nothing time- or place-dependent goes into them (no dates, no
directories), so the same results give byte-identical files.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from pathlib import Path

from ._errors import RenderError
from ._model import Comparison, GroupReport, Report

__all__ = ["write_report", "render_markdown", "render_html"]


@dataclass(frozen=True)
class _Block:
    kind: str  # h1, h2, h3, p, warn, table, img
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    src: str = ""  # img: the PNG's file name


def _f(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _speedup(c: Comparison) -> str:
    if c.speedup is None:
        return "n/a"
    ci = f" [{c.speedup_ci.low:.2f}, {c.speedup_ci.high:.2f}]" if c.speedup_ci else ""
    return f"{c.speedup:.2f}x{ci}"


def _saving(c: Comparison) -> str:
    if c.saving_s is None:
        return "n/a"
    ci = f" [{c.saving_ci.low:.2f}, {c.saving_ci.high:.2f}]" if c.saving_ci else ""
    return f"{c.saving_s:.2f}{ci}"


def _p(c: Comparison) -> str:
    w = c.wilcoxon
    if w is None or w.p_value is None:
        return "n/a"
    return f"{w.p_value:.3g} ({w.method}, n={w.n})"


def _dz(c: Comparison) -> str:
    return "n/a" if c.dz is None else f"{c.dz:.2f}"


def _comparison_table(group: GroupReport, comparisons: list[Comparison], report: Report) -> _Block:
    level = int(round(100 * report.config.confidence))
    return _Block(
        "table",
        headers=("mode", "pairs", f"{group.baseline} median s", "mode median s", f"speedup [{level}% CI]", f"mean saving s [{level}% CI]", "Wilcoxon p", "d_z"),
        rows=tuple(
            (c.mode, str(c.pairs), _f(c.baseline_median_s), _f(c.mode_median_s), _speedup(c), _saving(c), _p(c), _dz(c))
            for c in comparisons
        ),
    )


def _group_blocks(index: int, group: GroupReport, report: Report, images: dict[str, str]) -> list[_Block]:
    cfg = report.config
    ks = cfg.pass_ks
    blocks = [
        _Block("h2", f"Group {index}: suite {group.suite}, agent cap {group.agents}"),
        _Block("p", f"Provider: {group.provider}. Rows: {group.rows}. Runs (run_id, the runner's configuration fingerprint): {', '.join(group.run_ids)}."),
        _Block("warn" if group.offline else "p", group.quality_note),
        *[_Block("warn", n) for n in group.notes],
        _Block("h3", f"Overall, each mode against {group.baseline} (pairs pooled over tasks, bootstrap over tasks, then pairs within them)"),
        _comparison_table(group, group.overall, report),
        _Block("h3", "Per mode"),
        _Block(
            "table",
            headers=("mode", "tasks", "trials", "passes", *(f"pass@{k}" for k in ks), "test classes passed", f"suite {cfg.time_metric}", "output tokens/trial", "input tokens/trial", "total cost USD"),
            rows=tuple(
                (
                    s.mode, str(s.tasks), str(s.trials), str(s.passes),
                    *(f"{_f(s.pass_at.get(k), 3)} ({s.pass_at_tasks.get(k, 0)} tasks)" for k in ks),
                    _pct(s.test_class_rate), _f(s.suite_s), f"{s.output_tokens:.0f}", f"{s.input_tokens:.0f}", _f(s.cost_usd, 4),
                )
                for s in group.summaries
            ),
        ),
        _Block("h3", "Per task"),
    ]
    rows: list[tuple[str, ...]] = []
    for task in group.tasks:
        by_mode = {c.mode: c for c in task.comparisons}
        for s in task.modes:
            c = by_mode.get(s.mode)
            ran = ", ".join(f"{m} x{n}" for m, n in s.ran_as.items())
            rows.append((
                task.task, _f(task.coupling_score), s.mode, str(s.trials), str(s.passes),
                *(_f(s.pass_at.get(k), 3) for k in ks), _pct(s.test_class_rate), _f(s.median_s),
                "baseline" if c is None else _speedup(c), "" if c is None else _p(c), "" if c is None else _dz(c), ran,
            ))
    blocks.append(_Block(
        "table",
        headers=("task", "coupling", "mode", "n", "c", *(f"pass@{k}" for k in ks), "test classes", f"median {cfg.time_metric}", "speedup [CI]", "Wilcoxon p", "d_z", "ran as"),
        rows=tuple(rows),
    ))
    blocks.append(_Block("img", f"Median {cfg.time_metric} per mode and task", src=images["time"]))
    blocks += [
        _Block("h3", "Speedup per task"),
        _Block("p", f"Forest plot: each task's median paired speedup over {group.baseline} with its bootstrap interval, the pooled estimate over all tasks last (diamond)."),
        _Block("img", "Speedup per task (forest plot)", src=images["forest"]),
        _Block("h3", "Tokens and cost per mode"),
        _Block("img", "Tokens and cost per mode", src=images["tokens"]),
        _Block("h3", "Cumulative solves vs wall time"),
        _Block(
            "p",
            "Fraction of tasks whose trial passed by time t (a trial counts at its wall_s), averaged over runs; area is normalized by the "
            "longest trial. The area mixes how many tasks pass with how soon: it is not a speedup, and a ratio of areas overstates one "
            "(read speedups from the table and forest plot above).",
        ),
        _Block("table", headers=("mode", "solved at end", "normalized area"), rows=tuple((c.mode, _pct(c.final), f"{c.area:.3f}") for c in group.curves)),
        _Block("img", "Cumulative solves vs time", src=images["solves"]),
        _Block("h3", "Speedup vs coupling"),
        _Block("table", headers=("mode", "tasks", "Spearman rho"), rows=tuple((c.mode, str(c.tasks), _f(c.rho) if c.rho is not None else f"n/a ({c.note})") for c in group.correlations)),
        _Block("table", headers=("task", "coupling", *(f"speedup {m}" for m in group.modes if m != group.baseline)), rows=tuple(
            (p.task, _f(p.coupling_score), *(_f(p.speedup.get(m)) for m in group.modes if m != group.baseline)) for p in group.coupling
        )),
        _Block("img", "Speedup vs coupling", src=images["coupling"]),
        _Block("h3", f"Unpaired trials ({len(group.unpaired)})"),
    ]
    if group.unpaired:
        blocks.append(_Block("table", headers=("task", "seed", "mode", "run_id", "row", "reason"), rows=tuple((u.task, str(u.seed), u.mode, u.run_id, u.origin, u.reason) for u in group.unpaired)))
    else:
        blocks.append(_Block("p", "Every trial has a partner."))
    return blocks


def _blocks(report: Report, images: list[dict[str, str]]) -> list[_Block]:
    cfg = report.config
    blocks = [
        _Block("h1", "crdt-bench report"),
        _Block("p", "Sources: " + ", ".join(f"{s.name} ({s.rows} rows)" for s in report.sources) + "."),
        _Block("p", "Providers: " + "; ".join(report.providers) + "."),
        _Block("warn" if report.offline_only else "p", report.quality_note),
        _Block(
            "p",
            f"Baseline: {cfg.baseline}. Time: {cfg.time_metric}. Trials pair by (task, seed) within a run_id; speedup is the median of "
            f"baseline/mode over pairs; Wilcoxon and d_z use {'ln(baseline/mode)' if cfg.paired_scale == 'log' else 'baseline - mode in seconds'}; "
            f"{int(round(100 * cfg.confidence))}% percentile bootstrap intervals from {cfg.resamples} resamples, seed {cfg.seed}. "
            "With few pairs (under about 10) percentile intervals come out too narrow, and the smallest possible "
            "two-sided Wilcoxon p is 2/2^n (0.125 for 4 pairs): read such figures as descriptive.",
        ),
        *[_Block("warn", n) for n in report.notes],
    ]
    for i, group in enumerate(report.groups, start=1):
        blocks += _group_blocks(i, group, report, images[i - 1])
    return blocks


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown(blocks: list[_Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append("#" * int(b.kind[1]) + " " + b.text)
        elif b.kind == "p":
            out.append(b.text)
        elif b.kind == "warn":
            out.append(f"> **Note:** {b.text}")
        elif b.kind == "table":
            out.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            out.append("|" + "---|" * len(b.headers))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
        elif b.kind == "img":
            out.append(f"![{b.text}]({b.src})")
        out.append("")
    return "\n".join(out)


_CSS = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}"
    "th{background:#f2f2f2}.warn{background:#fff4e5;border-left:4px solid #e69500;padding:0.5em 1em}img{max-width:100%}"
)


def _html(blocks: list[_Block], pngs: dict[str, bytes]) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>crdt-bench report</title>', f"<style>{_CSS}</style></head><body>"]
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{html.escape(b.text)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{html.escape(b.text)}</p>")
        elif b.kind == "warn":
            out.append(f'<p class="warn"><strong>Note:</strong> {html.escape(b.text)}</p>')
        elif b.kind == "table":
            out.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in b.headers) + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in b.rows]
            out.append("</tbody></table>")
        elif b.kind == "img":
            data = base64.b64encode(pngs[b.src]).decode("ascii")
            out.append(f'<figure><img alt="{html.escape(b.text)}" src="data:image/png;base64,{data}"></figure>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _names(index: int) -> dict[str, str]:
    return {
        "time": f"time-per-task-g{index}.png",
        "forest": f"speedup-forest-g{index}.png",
        "tokens": f"tokens-cost-g{index}.png",
        "solves": f"solves-vs-time-g{index}.png",
        "coupling": f"speedup-vs-coupling-g{index}.png",
    }


def _figures(report: Report) -> tuple[list[dict[str, str]], dict[str, bytes]]:
    # matplotlib takes seconds to import: only pay for it when figures are drawn.
    from ._plots import forest_png, solves_png, speedup_coupling_png, time_per_task_png, tokens_cost_png

    names: list[dict[str, str]] = []
    pngs: dict[str, bytes] = {}
    for i, group in enumerate(report.groups, start=1):
        files = _names(i)
        pngs[files["time"]] = time_per_task_png(group, report.config.time_metric)
        pngs[files["forest"]] = forest_png(group)
        pngs[files["tokens"]] = tokens_cost_png(group)
        pngs[files["solves"]] = solves_png(group)
        pngs[files["coupling"]] = speedup_coupling_png(group)
        names.append(files)
    return names, pngs


def render_markdown(report: Report) -> str:
    """The report as Markdown (figures referenced by file name, as :func:`write_report` writes them)."""
    return _markdown(_blocks(report, [_names(i) for i in range(1, len(report.groups) + 1)]))


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (figures inlined as data URIs)."""
    names, pngs = _figures(report)
    return _html(_blocks(report, names), pngs)


def write_report(report: Report, out_dir: Path | str) -> dict[str, Path]:
    """Write report.md, report.html, report.json and the PNGs into ``out_dir``; returns name -> path."""
    out = Path(out_dir)
    try:  # before plotting, so a bad destination fails fast
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot write the report into {out}: {exc.strerror or exc}") from exc
    try:
        names, pngs = _figures(report)
    except Exception as exc:  # matplotlib raises assorted types; one boundary translates them
        raise RenderError(f"plotting failed: {type(exc).__name__}: {exc}") from exc
    blocks = _blocks(report, names)
    files: dict[str, bytes] = {
        "report.md": _markdown(blocks).encode("utf-8"),
        "report.html": _html(blocks, pngs).encode("utf-8"),
        "report.json": (json.dumps(report.model_dump(mode="json"), indent=1, sort_keys=True) + "\n").encode("utf-8"),
        **pngs,
    }
    written: dict[str, Path] = {}
    try:
        for name, data in files.items():
            (out / name).write_bytes(data)
            written[name] = out / name
    except OSError as exc:
        raise RenderError(f"cannot write the report into {out}: {exc.strerror or exc}") from exc
    return written
