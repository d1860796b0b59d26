"""The judge vs ClassEval's own harness code, per test class, for every recording.

ClassEval's harness (``classeval_evaluation/test_pipeline.py`` and
``path_util.py`` of the benchmark's repository) is third-party code and is not
shipped here: point ``--harness-dir`` at a copy.  For each recording the
harness runs in a scratch directory exactly as its ``evaluation.py`` drives it
(``AutoTest.test_pipeline``: one process, one work dir, ``func_timeout`` 5 s per
test class, as the current user), and its per-test-class answers
(``get_test_answer``) are compared with the judge's on the same ``predict``.
Prints, per recording, judge vs harness vs the authors' published greedy
figures (class % / method %), then every test class the two judge differently
with the judge's reason.

    python -m bench.micro.classeval_harness --harness-dir DIR [--python PY] [--files F ...] [--answers-dir DIR]

``--python`` must have ``func_timeout`` and ``scipy`` (the harness imports
them) besides the ``classeval`` extra.  ``--answers-dir`` reuses answers a
previous run saved (``<recording>.answers.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio

from agents.judge import data_dir, judge_recorded, load_recorded, load_tasks

# Runs inside the harness's scratch root: argv = recording name, answers path.
_DRIVER = r"""
import json, os, sys, tempfile
root = os.getcwd()
sys.path.insert(0, root)
import path_util
from test_pipeline import AutoTest
if not hasattr(path_util.PathUtil, "log_output_data"):
    def log_output_data(self, filename, ext):
        p = os.path.join(path_util.OUTPUT_DIR, "log"); os.makedirs(p, exist_ok=True)
        return os.path.join(p, filename + "." + ext)
    path_util.PathUtil.log_output_data = log_output_data
name, out = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="harness-work-")
os.chdir(work)
sys.path.insert(0, work)
AutoTest.tear_down = lambda self: None
at = AutoTest("ClassEval_data")
at.test_pipeline(name, path_util.PathUtil().model_output_data(name, "json"))
res = json.load(open(path_util.PathUtil().test_result_data(name + "_class_result", "json")))
answers = {t: {c: at.get_test_answer(r) for c, r in v[t + "_0"].items()} for t, v in res.items()}
json.dump(answers, open(out, "w"), indent=1)
os._exit(0)
"""


def run_harness(harness_dir: Path, python: str, root: Path, name: str, out: Path) -> None:
    """Run the harness on one recording; its answers go to ``out``."""
    scratch = Path(tempfile.mkdtemp(prefix="classeval-harness-"))
    try:
        for file in ("test_pipeline.py", "path_util.py"):
            shutil.copy(harness_dir / file, scratch / file)
        (scratch / "data").mkdir()
        (scratch / "data" / "ClassEval_data.json").symlink_to(root / "ClassEval_data.json")
        (scratch / "output" / "model_output").mkdir(parents=True)
        (scratch / "output" / "model_output" / f"{name}.json").symlink_to(root / "recorded" / f"{name}.json")
        subprocess.run([python, "-c", _DRIVER, name, str(out)], cwd=scratch, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _official(root: Path) -> dict[str, tuple[float, float]]:
    try:
        rows = json.loads((root / "official_pass_at_k_v1.0.0.json").read_text(encoding="utf-8"))["pass_1_greedy"]
    except (OSError, ValueError, KeyError):
        return {}
    return {k: (float(v["class_success"]), float(v["fun_success"])) for k, v in rows.items()}


def _figures(answers: dict[str, dict[str, bool]]) -> tuple[float, float, int, int]:
    classes = len(answers)
    passed = sum(1 for v in answers.values() if v and all(v.values()))
    tc = sum(len(v) for v in answers.values())
    ok = sum(1 for v in answers.values() for a in v.values() if a)
    return 100 * passed / classes, 100 * ok / tc, ok, tc


async def _main(args: argparse.Namespace) -> None:
    root = data_dir(args.data)
    tasks = load_tasks(root)
    official = _official(root)
    names = args.files or sorted(p.stem for p in (root / "recorded").glob("*.json"))
    answers_dir = Path(args.answers_dir) if args.answers_dir else Path(tempfile.mkdtemp(prefix="harness-answers-"))
    print(f"load={os.getloadavg()[0]:.2f}")
    print(f"{'recording':44s} {'judge':>16s} {'harness':>16s} {'official':>14s}  differing test classes")
    for name in names:
        out = answers_dir / f"{name}.answers.json"
        if not out.exists():
            if args.harness_dir is None:
                raise SystemExit(f"no {out} and no --harness-dir to produce it")
            run_harness(Path(args.harness_dir), args.python, root, name, out)
        raw = json.loads(out.read_text())
        harness = {t: {c: a == "success" for c, a in v.items()} for t, v in raw.items()}
        path = root / "recorded" / f"{name}.json"
        verdicts = await judge_recorded(tasks, load_recorded(path), model_name=str(path), workers=args.workers)
        judge = {v.task_id: {o.name: o.passed for o in v.verdict.test_classes} for v in verdicts}
        reasons = {
            (v.task_id, o.name): (o.crash or (o.problems[0].detail if o.problems else o.status)).strip().splitlines()[-1][:110]
            for v in verdicts
            for o in v.verdict.test_classes
            if not o.passed
        }
        jc, jm, jok, tc = _figures(judge)
        hc, hm, hok, _ = _figures({t: harness.get(t, {c: False for c in judge[t]}) for t in judge})
        off = official.get(name)
        off_text = f"{100 * off[0]:.0f}% / {100 * off[1]:.1f}%" if off else "-"
        diff = [(t, c) for t in judge for c in judge[t] if judge[t][c] != harness.get(t, {}).get(c, False)]
        print(f"{name:44s} {jc:4.0f}% / {jm:4.1f}% {hc:4.0f}% / {hm:4.1f}% {off_text:>14s}  {len(diff)} (judge {jok}, harness {hok} of {tc})")
        for t, c in diff:
            why = "passes" if judge[t][c] else reasons.get((t, c), "?")
            print(f"    {t} {c}: judge={'pass' if judge[t][c] else 'fail'} harness={'pass' if harness.get(t, {}).get(c) else 'fail'}  judge says: {why}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="ClassEval data dir (default: $CLASSEVAL_DATA)")
    parser.add_argument("--harness-dir", default=None, help="dir holding ClassEval's test_pipeline.py and path_util.py")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the harness (func_timeout, scipy, classeval extra)")
    parser.add_argument("--files", nargs="*", default=None, help="recording names (default: every file under DATA/recorded)")
    parser.add_argument("--answers-dir", default=None, help="read/write <recording>.answers.json here")
    parser.add_argument("--workers", type=int, default=2)
    anyio.run(_main, parser.parse_args())


if __name__ == "__main__":
    main()
