"""The ClassEval replay experiment: parallel vs serial vs auto on recorded GPT replies.

    python -m bench.micro.classeval_replay --data ../shared/data/classeval \\
        [--recording GPT-4-Turbo --recording GPT-3.5-Turbo] [--time-scale 0.1] [--limit N] \\
        [--out results/classeval]            # runs (resumably), then prints the table
    python -m bench.micro.classeval_replay --table-only --out results/classeval   # the table from the JSONL alone

Each ClassEval class is one task: its skeleton is the outline, every method a
TODO, its unittest classes the hidden tests.  The model is ``replay:<recording>``:
real replies recorded from the model, byte for byte, chosen by the world
rule of ``agents.models._replay``: the incremental recording when the prompt
showed the committed code of every method ClassEval's ground-truth
``method_dependencies`` lists for it (and of at least one other method), the
compositional one otherwise.  The rule reads the benchmark's data and the
prompt only, never the classifier, the plan or the mode, so every mode and
classifier is measured in the same world.  Replies are streamed with the sonnet latency profile scaled by ``--time-scale``
(the recordings carry no timings).  Replayed replies do not depend on our
prompts' wording or on the judge's feedback: a repair would ask for the
same method again and get the same reply, so these pass rates measure which
recording each mode drew, next to ClassEval's own figures for those
recordings, and the times measure coordination on real reply lengths.  The
judge therefore asks for no repairs (``max_repairs=0``, no conflict rounds):
it still judges every method and reports pyright's conflicts.

Per recording and mode the table gives the suite time (sum over classes),
the median per-class speedup over serial with a bootstrap CI (paired by class
and seed), class pass % (every test class passes) and method % (test classes
passed over all test classes, as ClassEval counts them), next to ClassEval's
own assembled classes (``predict``) of the recording the mode resembles
(serial: incremental, parallel: compositional), judged on the same classes by
the same judge.  The suite leaves out 11 classes (``ClassEvalSuite.excluded``).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import anyio

from bench.report import Row, bootstrap_ci, load_results

RECORDINGS = ("GPT-4-Turbo", "GPT-3.5-Turbo")
MODES = ("serial", "parallel", "waves", "seeded", "speculate", "revise", "auto")
TRUTH = "waves-truth"
"""Pseudo-mode of the table: waves planned from ClassEval's ground-truth dependencies (an upper bound for the classifier)."""
STRATEGY = {"serial": "method_I", "parallel": "method_C"}
"""The recording whose conditions a mode resembles most: incremental (earlier methods in view) or compositional."""


_DATA: list[Path] = []
"""The ClassEval data directory main() resolved (--data or $CLASSEVAL_DATA): the library reads no environment."""


def data() -> Path:
    if not _DATA:
        raise SystemExit("error: pass --data DIR or set CLASSEVAL_DATA")
    return _DATA[0]


async def predict_figures(recording: str, task_ids: list[str], out: Path) -> dict[str, dict[str, int]]:
    """ClassEval's own assembled classes (``predict``) for these tasks, judged as the benchmark judges them.

    The same recordings, the same classes and the same judge as the trials, so
    the only difference left is how the methods were put together: by ClassEval's
    scripts offline, or by agents through the shared document.  Cached in ``out``.
    """
    from agents.judge import judge_recorded, load_recorded, load_tasks

    cache = out / f"{recording}.predict.json"
    if cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("tasks") == task_ids:
            return cached["figures"]
    tasks = [t for t in load_tasks(data()) if t.task_id in set(task_ids)]
    figures: dict[str, dict[str, int]] = {}
    for strategy in ("method_C", "method_I"):
        recorded = data() / "recorded" / f"{recording}_{strategy}_greedy.json"
        verdicts = await judge_recorded(tasks, load_recorded(recorded), model_name=recording)
        figures[strategy] = {
            "classes": len(verdicts),
            "classes_passed": sum(1 for v in verdicts if v.passed),
            "tests": sum(len(v.verdict.test_classes) for v in verdicts),
            "tests_passed": sum(v.verdict.passed_classes for v in verdicts),
        }
    cache.write_text(json.dumps({"tasks": task_ids, "figures": figures}, indent=1))
    return figures


def select(ids: list[str], args: argparse.Namespace) -> list[str] | None:
    """The classes to run: ``--split`` even/odd ids (the tuning / held-out halves), then the first ``--limit``."""
    chosen = [i for i in ids if args.split == "all" or int(i.rsplit("_", 1)[1]) % 2 == (0 if args.split == "even" else 1)]
    chosen = chosen[: args.limit] if args.limit else chosen
    return None if chosen == ids else chosen


def results_path(out: Path, recording: str, *, truth: bool = False) -> Path:
    return out / f"{recording}{'.truth' if truth else ''}.jsonl"


class TruthClassifier:
    """The ground-truth ``method_dependencies`` of whichever ClassEval class the outline is (for ``waves-truth``).

    A class is recognised by its set of stubs; the benchmark's dependencies are
    then planned exactly as the oracle classifier plans given deps.
    """

    name = "classeval-truth"

    def __init__(self) -> None:
        from agents.models import ground_truth_deps

        self.by_stubs = {frozenset(deps): deps for deps in ground_truth_deps(data()).values()}

    def classify(self, outline: str, symbols: list[str] | None = None, config: Any = None) -> Any:
        from agents.coupling import OracleClassifier
        from agents.roles import find_stubs

        stubs = frozenset(symbols or find_stubs(outline))
        deps = next((d for key, d in self.by_stubs.items() if key >= stubs), None)
        if deps is None:
            raise KeyError(f"no ClassEval class has the stubs {sorted(stubs)}")
        return OracleClassifier({k: sorted(v) for k, v in deps.items() if k in stubs}).classify(outline, symbols, config)


async def run(recording: str, args: argparse.Namespace, *, truth: bool = False) -> None:
    from agents.coupling import register_classifier
    from bench import RunConfig, run_suite
    from bench.suites import get_suite

    suite = get_suite("classeval", data_dir=data())
    tasks = select(suite.ids, args)
    register_classifier(TruthClassifier.name, lambda **_: TruthClassifier())
    config = RunConfig.model_validate(
        {
            "suite": "classeval",
            "data_dir": data(),
            "tasks": tasks,
            "modes": ["waves"] if truth else [m for m in (args.mode or MODES) if m != TRUTH],
            "runs": args.runs,
            "seed": args.seed,
            "model": f"replay:{recording}",
            "time_scale": args.time_scale,
            "profile": "sonnet",
            "pyright": not args.no_pyright,
            "results": results_path(args.out, recording, truth=truth),
            # A replayed reply does not change with feedback, so repairs would only add identical calls.
            "trial": {
                "scheduler": {"agents": args.agents},
                "timeout_s": 600,
                "judge": {"max_repairs": 0, "conflict_rounds": 0},
                **({"outliner": {"classifier": TruthClassifier.name}} if truth else {}),
            },
        }
    )
    label = f"{recording} (ground-truth waves)" if truth else recording
    await run_suite(config, lambda line: print(f"{label}: {line}", flush=True))


def _extra(row: Row, name: str) -> float:
    value = (row.model_extra or {}).get(name, 0)
    return float(value) if isinstance(value, (int, float)) else 0.0


def _speedups(
    serial: dict[tuple[str, int], Row], trials: dict[tuple[str, int], Row], seconds: Callable[[Row], float | None]
) -> list[float]:
    """Serial's time over each trial's, paired by (class, seed); trials without a time are left out."""
    out: list[float] = []
    for key, row in trials.items():
        base, mine = (seconds(serial[key]), seconds(row)) if key in serial else (None, None)
        if base is not None and mine is not None and mine > 0:
            out.append(base / mine)
    return out


def table(recordings: Iterable[str], out: Path) -> str:
    """The table, from the JSONL files alone (``{recording}.jsonl`` and ``{recording}.truth.jsonl``)."""
    lines = [
        "| recording | mode | suite time | speedup vs serial (median, 95% CI) | implement-phase speedup (median) "
        "| class pass | method pass "
        "| calls / class | output tokens / class (× serial) | blind drafts / re-drafts per class | waves / class "
        "| ClassEval's own assembly, same classes (class / method) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for recording in recordings:
        path = results_path(out, recording)
        if not path.exists():
            notes.append(f"{recording}: no results at {path}")
            continue
        rows = load_results([path])
        truth_path = results_path(out, recording, truth=True)
        if truth_path.exists():
            rows += [r.model_copy(update={"requested": TRUTH}) for r in load_results([truth_path])]
        by_mode: dict[str, dict[tuple[str, int], Row]] = {}
        for row in rows:
            by_mode.setdefault(row.requested, {})[(row.task, row.seed)] = row
        serial = by_mode.get("serial", {})
        serial_tokens = sum(r.output_tokens for r in serial.values()) / max(1, len(serial))
        cache = out / f"{recording}.predict.json"
        official = json.loads(cache.read_text())["figures"] if cache.exists() else {}
        for mode in [m for m in (*MODES, TRUTH) if m in by_mode]:
            trials = by_mode[mode]
            n = len(trials)
            total = sum(r.wall_s for r in trials.values())
            classes = sum(1 for r in trials.values() if r.passed)
            tests = sum(r.test_classes for r in trials.values())
            tests_passed = sum(r.test_classes_passed for r in trials.values())
            ratios = _speedups(serial, trials, lambda r: r.wall_s)
            # The implement phase ends at the last final commit: without the judge's last verdicts, whose time
            # follows the machine's load more than the schedule.
            implement = _speedups(serial, trials, lambda r: r.implement_s)
            implement_speedup = "1.00" if mode == "serial" else f"{statistics.median(implement):.2f}×" if implement else "-"
            if mode == "serial" or not ratios:
                speedup = "1.00 (baseline)" if mode == "serial" else "-"
            else:
                ci = bootstrap_ci(ratios, statistic="median", seed=0)
                speedup = f"{statistics.median(ratios):.2f}× ({ci.low:.2f}–{ci.high:.2f}), n={len(ratios)}"
            ran: dict[str, int] = {}
            for r in trials.values():
                ran[r.mode] = ran.get(r.mode, 0) + 1
            label = mode if set(ran) == {mode} or mode == TRUTH else f"{mode} (ran {', '.join(f'{m} {c}' for m, c in sorted(ran.items()))})"
            reference = STRATEGY.get(mode)
            figures = _percent(official[reference], reference) if reference is not None and reference in official else ""
            tokens = sum(r.output_tokens for r in trials.values()) / n
            calls = sum(_extra(r, "calls") for r in trials.values()) / n
            blind = sum(_extra(r, "blind_drafts") for r in trials.values()) / n
            redrafts = sum(_extra(r, "redrafts") for r in trials.values()) / n
            waves = sum(_extra(r, "waves") for r in trials.values()) / n
            lines.append(
                f"| {recording} | {label} | {total:.0f} s | {speedup} | {implement_speedup} | {classes}/{n} ({100 * classes / n:.0f}%) "
                f"| {tests_passed}/{tests} ({100 * tests_passed / max(1, tests):.1f}%) | {calls:.2f} "
                f"| {tokens:.0f} ({tokens / max(1.0, serial_tokens):.2f}×) | {blind:.2f} / {redrafts:.2f} | {waves:.2f} | {figures} |"
            )
        provider = rows[0].provider if rows else "-"
        notes.append(f"{recording}: {len(rows)} trials; provider: {provider}")
    return "\n".join(lines) + "\n\n" + "\n".join(notes)


def _percent(figures: dict[str, int], strategy: str) -> str:
    classes = 100 * figures["classes_passed"] / max(1, figures["classes"])
    tests = 100 * figures["tests_passed"] / max(1, figures["tests"])
    return f"{classes:.0f}% / {tests:.1f}% ({strategy} `predict`)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="ClassEval data directory (default: $CLASSEVAL_DATA).")
    parser.add_argument("--recording", action="append", default=None, help="Recording to replay (repeatable).")
    parser.add_argument(
        "--mode", action="append", default=None, help=f"Mode (repeatable; default {', '.join(MODES)} and {TRUTH}: waves planned from the ground truth)."
    )
    parser.add_argument("--time-scale", type=float, default=0.1, help="Latency scale (1 = real sonnet speed).")
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="Only the first N classes.")
    parser.add_argument(
        "--split", choices=("all", "even", "odd"), default="all", help="even: the tuning half of the ids; odd: the held-out half."
    )
    parser.add_argument("--no-pyright", action="store_true", help="Skip the judge's semantic-conflict check.")
    parser.add_argument("--out", type=Path, default=Path("results/classeval"), help="Directory of the JSONL results.")
    parser.add_argument("--table-only", action="store_true", help="Only print the table from the JSONL files.")
    args = parser.parse_args(argv)
    raw = args.data or os.environ.get("CLASSEVAL_DATA")
    if raw:
        _DATA[:] = [Path(raw).resolve()]
    recordings = args.recording or list(RECORDINGS)
    if not args.table_only:
        args.out.mkdir(parents=True, exist_ok=True)
        from bench.suites import get_suite

        ids = select(get_suite("classeval", data_dir=data()).ids, args) or get_suite("classeval", data_dir=data()).ids
        for recording in recordings:
            anyio.run(run, recording, args)
            if args.mode is None or TRUTH in args.mode:
                anyio.run(functools.partial(run, recording, args, truth=True))
            anyio.run(predict_figures, recording, ids, args.out)
    print(table(recordings, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
