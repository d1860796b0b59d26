"""The report's figures as PNG bytes (matplotlib's Agg canvas, no pyplot state).

PNGs are reproducible: the same report gives the same bytes, because the
``Software`` metadata entry (matplotlib's version) is left out and nothing
else in Agg's output depends on time or process.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ._model import GroupReport

__all__ = ["time_per_task_png", "solves_png", "speedup_coupling_png", "forest_png", "tokens_cost_png"]

_DPI = 150  # 7.5 x 5 in -> 1125 x 750 px: readable on a page and on a slide

_COLORS = {"serial": "#4c72b0", "parallel": "#dd8452", "waves": "#55a868", "auto": "#8172b3"}
_OTHER = ("#c44e52", "#937860", "#da8bc3", "#8c8c8c")


def _color(mode: str, modes: list[str]) -> str:
    if mode in _COLORS:
        return _COLORS[mode]
    others = [m for m in modes if m not in _COLORS]
    return _OTHER[others.index(mode) % len(_OTHER)] if mode in others else _OTHER[0]


def _png(fig: Figure, group: GroupReport) -> bytes:
    # Offline results say so on the figure itself, not only in the surrounding text.
    label = ("OFFLINE MODEL: " if group.offline else "model: ") + group.provider
    width = int(fig.get_figwidth() * 16)
    text = textwrap.shorten(label, width=2 * width, placeholder=" ...")
    fig.text(0.01, 0.01, textwrap.fill(text, width=width), fontsize=7, color="#a00000" if group.offline else "#333333", ha="left", va="bottom")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def time_per_task_png(group: GroupReport, metric: str) -> bytes:
    """Median time of each mode on each task (bars) with every trial (dots)."""
    many = len(group.tasks) > 6
    fig = Figure(figsize=(min(18.0, max(7.5, 0.9 * len(group.tasks) + 2)), 5.0 if not many else 5.6))
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(group.modes))
    for i, mode in enumerate(group.modes):
        xs, heights, low, high = [], [], [], []
        for j, task in enumerate(group.tasks):
            stats = next((s for s in task.modes if s.mode == mode), None)
            if stats is not None and stats.median_s is not None:
                xs.append(j + (i - (len(group.modes) - 1) / 2) * width)
                heights.append(stats.median_s)
                q1, q3 = stats.quartiles_s or (stats.median_s, stats.median_s)
                low.append(max(0.0, stats.median_s - q1))
                high.append(max(0.0, q3 - stats.median_s))
        ax.bar(xs, heights, width=width * 0.95, color=_color(mode, group.modes), label=mode, alpha=0.85,
               yerr=[low, high], capsize=2, error_kw={"elinewidth": 0.8, "ecolor": "#333333"})
    ax.set_xticks(
        range(len(group.tasks)),
        [t.task for t in group.tasks],
        rotation=60 if many else 0,
        ha="right" if many else "center",
        fontsize=max(4.0, min(10.0, 400.0 / max(1, len(group.tasks)))),
    )
    ax.set_ylabel(f"median {metric} (s); bars: interquartile range")
    ax.set_title(f"Time per mode and task ({group.suite}, agent cap {group.agents})")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.subplots_adjust(bottom=0.3 if many else 0.22)
    return _png(fig, group)


def solves_png(group: GroupReport) -> bytes:
    """Fraction of tasks solved against wall time, one step curve per mode.

    No area in the legend: the area under these curves is not a speedup (it
    mixes how many tasks pass with how soon), and read next to one it misleads.
    """
    fig = Figure(figsize=(7.5, 5.0))
    ax = fig.add_subplot()
    for curve in group.curves:
        xs = [*curve.times, max(curve.horizon, curve.times[-1])]
        ys = [*curve.solved, curve.solved[-1]]
        ax.step(xs, ys, where="post", color=_color(curve.mode, group.modes), label=f"{curve.mode} ({curve.final:.0%} solved at the end)")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("fraction of tasks solved")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    ax.set_title("Share of tasks solved by time t (mean over runs)")
    ax.legend(fontsize=9, loc="upper left")
    ax.grid(alpha=0.3)
    ax.text(0.99, 0.02, "when tasks pass, not how much faster:\nspeedups are in the forest plot", fontsize=8, color="#555555", ha="right", va="bottom", transform=ax.transAxes)
    fig.subplots_adjust(bottom=0.2)
    return _png(fig, group)


def speedup_coupling_png(group: GroupReport) -> bytes:
    """Each task's speedup over the baseline against its coupling score."""
    fig = Figure(figsize=(7.5, 5.0))
    ax = fig.add_subplot()
    plotted = False
    for corr in group.correlations:
        pts = [(p.coupling_score, s, p.task) for p in group.coupling if p.coupling_score is not None and (s := p.speedup.get(corr.mode)) is not None]
        if not pts:
            continue
        plotted = True
        rho = "n/a" if corr.rho is None else f"{corr.rho:.2f}"
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], color=_color(corr.mode, group.modes), label=f"{corr.mode} (Spearman rho {rho})")
        for x, y, task in pts if len(pts) <= 20 else ():  # names of many tasks only overprint each other
            ax.annotate(task, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(1.0, color="#666666", linewidth=0.8, linestyle="--")
    ax.set_xlabel("coupling score")
    ax.set_ylabel(f"speedup over {group.baseline} (median paired ratio)")
    ax.set_title("Speedup vs coupling")
    if plotted:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no task has both a coupling score and a speedup", ha="center", va="center", transform=ax.transAxes)
    ax.grid(alpha=0.3)
    fig.subplots_adjust(bottom=0.18)
    return _png(fig, group)


def forest_png(group: GroupReport) -> bytes:
    """Per task and mode, the median paired speedup over the baseline with its bootstrap CI; the pooled estimate last."""
    others = [m for m in group.modes if m != group.baseline]
    rows: list[tuple[str, str, float, float | None, float | None, bool]] = []
    for task in group.tasks:
        for c in task.comparisons:
            if c.speedup is not None:
                ci = c.speedup_ci
                rows.append((task.task, c.mode, c.speedup, ci.low if ci else None, ci.high if ci else None, False))
    for c in group.overall:
        if c.speedup is not None:
            ci = c.speedup_ci
            rows.append(("all tasks", c.mode, c.speedup, ci.low if ci else None, ci.high if ci else None, True))
    fig = Figure(figsize=(7.5, max(3.0, 0.32 * len(rows) + 1.6)))
    ax = fig.add_subplot()
    labels: list[str] = []
    for y, (task, mode, speedup, low, high, pooled) in enumerate(reversed(rows)):
        color = _color(mode, group.modes)
        if low is not None and high is not None:
            ax.hlines(y, low, high, color=color, linewidth=1.6)
        ax.plot([speedup], [y], marker="D" if pooled else "o", markersize=7 if pooled else 5, color=color, linestyle="none")
        labels.append(f"{task} · {mode}" if len(others) > 1 else task)
    ax.axvline(1.0, color="#666666", linewidth=0.9, linestyle="--")
    ax.set_xscale("log")
    ratio = FuncFormatter(lambda v, _pos: f"{v:g}×")
    ax.xaxis.set_major_formatter(ratio)
    ax.xaxis.set_minor_formatter(ratio)
    ax.tick_params(axis="x", which="both", labelsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel(f"speedup over {group.baseline} (median of paired ratios, log scale; >1 = faster)")
    ax.set_title("Speedup per task with 95% bootstrap CI (no bar: too few pairs)")
    ax.grid(axis="x", alpha=0.3, which="both")
    if not rows:
        ax.text(0.5, 0.5, "no paired trials", ha="center", va="center", transform=ax.transAxes)
    fig.subplots_adjust(left=0.3, bottom=max(0.08, 0.9 / fig.get_figheight()))
    return _png(fig, group)


def tokens_cost_png(group: GroupReport) -> bytes:
    """Mean output tokens per trial per mode (error bars: standard error over tasks), and mean cost when priced."""
    priced = any(s.cost_usd for t in group.tasks for s in t.modes)  # an offline model's cost is 0 or None: no panel
    fig = Figure(figsize=(7.5, 4.2))
    axes = fig.subplots(1, 2 if priced else 1, squeeze=False)[0]
    for ax, (field, label) in zip(axes, [("output_tokens", "output tokens per trial"), ("cost_usd", "cost per trial (USD)")]):
        means, errors = [], []
        for mode in group.modes:
            values = [float(v) for t in group.tasks for s in t.modes if s.mode == mode and (v := getattr(s, field)) is not None]
            mean = sum(values) / len(values) if values else 0.0
            sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5 if len(values) > 1 else 0.0
            means.append(mean)
            errors.append(sd / len(values) ** 0.5 if values else 0.0)
        ax.bar(range(len(group.modes)), means, yerr=errors, capsize=4, color=[_color(m, group.modes) for m in group.modes], alpha=0.85)
        ax.set_xticks(range(len(group.modes)), group.modes)
        ax.set_ylabel(f"mean {label}")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("What each mode spends (mean over tasks; bars: standard error)" + ("" if priced else "; no priced model, so no cost"), fontsize=10)
    fig.subplots_adjust(bottom=0.2, wspace=0.35)
    return _png(fig, group)
