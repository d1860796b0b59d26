"""From rows to figures: pairing by (task, seed), per-task and overall comparisons.

Modes are compared as *requested* (``auto`` is a strategy; what it ran as is
counted in ``ModeStats.ran_as``).  Rows are grouped by (suite, provider,
agent cap) and each group is reported on its own — never pooled — with a
note saying so (``ReportConfig.mixed="refuse"`` raises instead).  The agent
cap of a row is the most implementers any row of its ``run_id`` used, since a
serial trial always runs one.

``run_id`` is the runner's fingerprint of a configuration (seed, latency,
policies...), so a group may hold several; the report lists them and says
so.  A baseline trial pairs with a trial of another mode of the same task and
seed *within one run_id* (never across configurations); if such a (run_id,
task, seed, mode) occurs more than once (rows appended twice), the trials
pair in run order and a note says so.  Trials without a partner, or without
the time metric, are listed in ``GroupReport.unpaired`` with the reason.
Every result is independent of the order of the rows.
"""

from __future__ import annotations

import math
import statistics
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._curves import solve_curve
from ._errors import BaselineMissingError, MixedResultsError, NoResultsError, UndefinedStatisticError
from ._load import Row, is_offline
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
    Unpaired,
)
from ._stats import bootstrap_ci, effect_size_dz, pass_at_k, spearman, wilcoxon

__all__ = ["build_report", "quality_note"]

_KNOWN_MODES = ("serial", "parallel", "waves", "auto")
Pair = tuple[str, float, float]  # (task, baseline time, mode time)


def _ordered_modes(modes: set[str], baseline: str) -> list[str]:
    rest = [m for m in _KNOWN_MODES if m in modes and m != baseline]
    rest += sorted(m for m in modes if m not in _KNOWN_MODES and m != baseline)
    return ([baseline] if baseline in modes else []) + rest


def _sort_key(row: Row) -> tuple[str, int, int, float]:
    return (row.run_id or "", row.seed, row.run or 0, row.wall_s)


def _where(row: Row) -> str:
    file, _, line = row.origin.rpartition(":")
    return f"{Path(file).name}:{line}"


def quality_note(provider: str) -> str:
    """What pass rates from this provider measure."""
    if not is_offline(provider):
        return f"Pass rates measure the live model {provider}."
    if "replay" in provider.lower():
        return f"Pass rates measure recorded replies replayed offline ({provider}), not live calls to an LLM."
    kind = provider.split(" ")[0] or provider
    return f"Pass rates measure the offline {kind} model, not a real LLM."


def _seed(config: ReportConfig, *parts: str) -> list[int]:
    # crc32, not hash(): str hashes change from process to process.
    return [config.seed, zlib.crc32("|".join(parts).encode())]


def _time(row: Row, config: ReportConfig) -> float | None:
    value = row.time[config.time_metric]
    return value if value is not None and math.isfinite(value) and value > 0 else None


def _pair(task: str, base: list[Row], other: list[Row], mode: str, config: ReportConfig, unpaired: list[Unpaired]) -> list[Pair]:
    """Pairs of (baseline, mode) times for one task; trials left without a partner go to ``unpaired``."""
    pairs: list[Pair] = []
    usable: dict[str, dict[tuple[str, int], list[Row]]] = {"b": defaultdict(list), "m": defaultdict(list)}
    for side, rows in (("b", base), ("m", other)):
        for row in rows:
            if _time(row, config) is None:
                if side == "m":  # baseline rows without a time are listed once, by _group
                    unpaired.append(_no_time(row, config))
                continue
            usable[side][(row.run_id or "", row.seed)].append(row)
    for key in sorted(set(usable["b"]) | set(usable["m"])):
        bs, ms = usable["b"].get(key, []), usable["m"].get(key, [])
        matched = list(zip(bs, ms))
        for b in bs[len(ms) :]:
            unpaired.append(_unpaired(b, f"no {mode!r} trial of this task and seed in its run"))
        for m in ms[len(bs) :]:
            unpaired.append(_unpaired(m, f"no {config.baseline!r} (baseline) trial of this task and seed in its run"))
        for b, m in sorted(matched, key=lambda bm: (_sort_key(bm[0]), _sort_key(bm[1]))):
            tb, tm = _time(b, config), _time(m, config)
            assert tb is not None and tm is not None
            pairs.append((task, tb, tm))
    return pairs


def _no_time(row: Row, config: ReportConfig) -> Unpaired:
    return _unpaired(row, f"no positive {config.time_metric} ({row.time[config.time_metric]})")


def _unpaired(row: Row, reason: str) -> Unpaired:
    return Unpaired(task=row.task, seed=row.seed, mode=row.requested, run_id=row.run_id or "", origin=_where(row), reason=reason)


def _compare(mode: str, pairs: Sequence[Pair], config: ReportConfig, key: str, by_task: bool) -> Comparison:
    if not pairs:
        return Comparison(
            mode=mode, pairs=0, baseline_median_s=None, mode_median_s=None, speedup=None, speedup_ci=None,
            saving_s=None, saving_ci=None, wilcoxon=None, dz=None, dz_note="no pairs",
        )
    tb = np.array([p[1] for p in pairs])
    tm = np.array([p[2] for p in pairs])
    ratios, savings = tb / tm, tb - tm
    diffs = np.log(ratios) if config.paired_scale == "log" else savings
    clusters = [p[0] for p in pairs] if by_task else None
    options = {"resamples": config.resamples, "confidence": config.confidence, "clusters": clusters}
    dz: float | None = None
    note: str | None = None
    try:
        dz = effect_size_dz(diffs)
    except UndefinedStatisticError as exc:
        note = str(exc)
    many = len(pairs) >= 2
    return Comparison(
        mode=mode,
        pairs=len(pairs),
        baseline_median_s=float(np.median(tb)),
        mode_median_s=float(np.median(tm)),
        speedup=float(np.median(ratios)),
        speedup_ci=bootstrap_ci(ratios, statistic="median", seed=_seed(config, key, "speedup"), **options) if many else None,
        saving_s=float(np.mean(savings)),
        saving_ci=bootstrap_ci(savings, statistic="mean", seed=_seed(config, key, "saving"), **options) if many else None,
        wilcoxon=wilcoxon(diffs),
        dz=dz,
        dz_note=note,
    )


def _mode_stats(mode: str, rows: list[Row], config: ReportConfig) -> ModeStats:
    n, c = len(rows), sum(r.passed for r in rows)
    times = [t for r in rows if (t := r.time[config.time_metric]) is not None]
    classes = sum(r.test_classes for r in rows)
    costs = [r.cost_usd for r in rows if r.cost_usd is not None]
    return ModeStats(
        mode=mode,
        trials=n,
        passes=c,
        pass_at={k: pass_at_k(n, c, k) if k <= n else None for k in config.pass_ks},
        median_s=statistics.median(times) if times else None,
        quartiles_s=(float(np.percentile(times, 25)), float(np.percentile(times, 75))) if times else None,
        test_class_rate=sum(r.test_classes_passed for r in rows) / classes if classes else None,
        output_tokens=statistics.fmean(r.output_tokens for r in rows),
        output_tokens_sd=statistics.stdev(r.output_tokens for r in rows) if n > 1 else None,
        input_tokens=statistics.fmean(r.input_tokens for r in rows),
        cost_usd=statistics.fmean(costs) if costs else None,
        ran_as=dict(sorted(Counter(r.mode for r in rows).items())),
    )


def _summary(mode: str, stats: list[ModeStats], rows: list[Row], config: ReportConfig) -> ModeSummary:
    pass_at: dict[int, float | None] = {}
    counts: dict[int, int] = {}
    for k in config.pass_ks:
        values = [v for s in stats if (v := s.pass_at.get(k)) is not None]
        pass_at[k] = statistics.fmean(values) if values else None
        counts[k] = len(values)
    medians = [s.median_s for s in stats]
    classes = sum(r.test_classes for r in rows)
    costs = [r.cost_usd for r in rows if r.cost_usd is not None]
    return ModeSummary(
        mode=mode,
        tasks=len(stats),
        trials=len(rows),
        passes=sum(r.passed for r in rows),
        pass_at=pass_at,
        pass_at_tasks=counts,
        suite_s=math.fsum(m for m in medians if m is not None) if all(m is not None for m in medians) else None,
        test_class_rate=sum(r.test_classes_passed for r in rows) / classes if classes else None,
        output_tokens=statistics.fmean(r.output_tokens for r in rows),
        input_tokens=statistics.fmean(r.input_tokens for r in rows),
        cost_usd=math.fsum(costs) if costs else None,
    )


def _group(key: tuple[str, str, int], rows: list[Row], config: ReportConfig) -> GroupReport:
    suite, provider, cap = key
    label = f"{suite}|{provider}|{cap}"
    base = config.baseline
    modes = _ordered_modes({r.requested for r in rows}, base)
    tasks = sorted({r.task for r in rows})
    cells: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in sorted(rows, key=_sort_key):
        cells[(row.task, row.requested)].append(row)
    unpaired: list[Unpaired] = []
    notes: list[str] = []
    pooled: dict[str, list[Pair]] = {m: [] for m in modes if m != base}
    reports: list[TaskReport] = []
    unpaired += [_no_time(r, config) for r in rows if r.requested == base and _time(r, config) is None]
    for task in tasks:
        present = [m for m in modes if cells.get((task, m))]
        comparisons: list[Comparison] = []
        for mode in (m for m in modes if m != base):
            pairs = _pair(task, cells.get((task, base), []), cells.get((task, mode), []), mode, config, unpaired)
            pooled[mode] += pairs
            comparisons.append(_compare(mode, pairs, config, f"{label}|{task}|{mode}", by_task=False))
        scores = [r.coupling_score for r in rows if r.task == task and r.coupling_score is not None]
        reports.append(
            TaskReport(
                task=task,
                coupling_score=statistics.median(scores) if scores else None,
                modes=[_mode_stats(m, cells[(task, m)], config) for m in present],
                comparisons=comparisons,
            )
        )
    if len({r.run_id for r in rows}) > 1:
        notes.append(
            f"This group pools {len({r.run_id for r in rows})} run_ids (configurations of the same suite, provider and "
            "agent cap that differ in e.g. seed, latency or policies); trials pair only within their own run_id."
        )
    if base not in modes:
        notes.append(f"No {base!r} (baseline) trial in this group: nothing is compared.")
    tampered = [r for r in rows if r.tampered]
    if tampered:
        what = sorted({t for r in tampered for t in r.tampered})
        notes.append(f"{len(tampered)} trials scored 'tampered' (counted as failed): the code tried " + "; ".join(what[:5]) + ("; ..." if len(what) > 5 else "") + ".")
    unisolated = [r for r in rows if r.isolation is not None and "fsview" not in r.isolation]
    if unisolated:
        notes.append(f"{len(unisolated)} trials were judged without the filesystem view (isolation 'fsview'): their code could read the host's files, answers included.")
    duplicates = sum(n > 1 for n in Counter((r.run_id, r.task, r.seed, r.requested) for r in rows).values())
    if duplicates:
        notes.append(
            f"{duplicates} (run_id, task, seed, mode) combinations occur more than once (the same rows read twice?): "
            "such trials were paired in run order."
        )
    overall = [_compare(m, pooled[m], config, f"{label}|overall|{m}", by_task=True) for m in pooled]
    summaries = []
    for mode in modes:
        stats = [s for t in reports for s in t.modes if s.mode == mode]
        summaries.append(_summary(mode, stats, [r for r in rows if r.requested == mode], config))
    horizon = max(r.wall_s for r in rows)
    curves = []
    for mode in modes:
        trials = {t: [(r.wall_s, r.passed) for r in cells.get((t, mode), [])] for t in tasks}
        curves.append(solve_curve(mode, trials, tasks, horizon))
    points = [
        CouplingPoint(task=t.task, coupling_score=t.coupling_score, speedup={c.mode: c.speedup for c in t.comparisons})
        for t in reports
    ]
    correlations = []
    for mode in pooled:
        xy = [(p.coupling_score, s) for p in points if p.coupling_score is not None and (s := p.speedup.get(mode)) is not None]
        try:
            rho, why = spearman([x for x, _ in xy], [y for _, y in xy]), None
        except UndefinedStatisticError as exc:
            rho, why = None, str(exc)
        correlations.append(CouplingCorrelation(mode=mode, tasks=len(xy), rho=rho, note=why))
    return GroupReport(
        suite=suite,
        provider=provider,
        agents=cap,
        run_ids=sorted({r.run_id or "" for r in rows}),
        offline=is_offline(provider),
        quality_note=quality_note(provider),
        baseline=base,
        modes=modes,
        rows=len(rows),
        tasks=reports,
        overall=overall,
        summaries=summaries,
        curves=curves,
        coupling=points,
        correlations=correlations,
        unpaired=sorted(unpaired, key=lambda u: (u.task, u.run_id, u.seed, u.mode, u.reason, u.origin)),
        notes=notes,
    )


def build_report(rows: Sequence[Row], config: ReportConfig | None = None) -> Report:
    """Every figure of the report (see the module docstring for grouping and pairing)."""
    config = config or ReportConfig()
    if not rows:
        raise NoResultsError("no trial rows to report on")
    if not any(r.requested == config.baseline for r in rows):
        present = ", ".join(sorted({r.requested for r in rows}))
        raise BaselineMissingError(f"no trial ran the baseline mode {config.baseline!r}; modes present: {present}")
    caps: dict[str, int] = {}
    for row in rows:
        caps[row.run_id or ""] = max(caps.get(row.run_id or "", 0), row.agents)
    grouped: dict[tuple[str, str, int], list[Row]] = defaultdict(list)
    for row in rows:
        grouped[(row.suite, row.provider, caps[row.run_id or ""])].append(row)
    notes: list[str] = []
    if len(grouped) > 1:
        listing = "; ".join(f"suite {s}, provider {p}, {a} agents ({len(grouped[(s, p, a)])} rows)" for s, p, a in sorted(grouped))
        if config.mixed == "refuse":
            raise MixedResultsError(f"results mix {len(grouped)} configurations: {listing}")
        notes.append(f"The rows mix {len(grouped)} (suite, provider, agent cap) configurations; each is reported separately, never pooled: {listing}.")
    sources: dict[str, int] = {}
    for row in rows:
        name = _where(row).rpartition(":")[0]
        sources[name] = sources.get(name, 0) + 1
    providers = sorted({r.provider for r in rows})
    offline = all(is_offline(p) for p in providers)
    if offline:
        overall = "Every model in these results is offline: pass rates measure offline models, not a real LLM."
    elif any(is_offline(p) for p in providers):
        overall = "Some groups use offline models; each group's pass rates are labelled with what they measure."
    else:
        overall = "Every model in these results is a live model."
    return Report(
        config=config,
        sources=[SourceFile(name=n, rows=c) for n, c in sorted(sources.items())],
        providers=providers,
        offline_only=offline,
        quality_note=overall,
        groups=[_group(k, grouped[k], config) for k in sorted(grouped)],
        notes=notes,
    )
