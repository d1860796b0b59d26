"""Merge every recorded ClassEval reply with :mod:`merge` and compare with the benchmark's own assembly.

Figures per recorded file (real LLM generations, greedy; see SOURCE.md in the data dir):
extraction success (a non-stub implementation found per method reply),
merge success (spliced into the class skeleton; a method whose own reply has
none may borrow one from another reply of the class, counted apart), and the syntax-valid rate of
the assembled classes, ours vs the file's ``predict`` field.  For the files
named by ``--run-tests`` the ClassEval tests are run on both assemblies by the
judge (:mod:`agents.judge`: unittest per test class, 5 s each, in the sandbox;
class success = all its test classes pass).

    python -m bench.micro.merge_recorded --data ../shared/data/classeval
    python -m bench.micro.merge_recorded --run-tests GPT-4-Turbo_method_C --jsonl out.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio

from agents.judge import ClassEvalTask, extract_code, judge_task
from crdt_ws import compiles
from merge import MergeError, assemble, extract, find_stub

@dataclass
class FileFigures:
    file: str
    methods: int = 0
    extracted: int = 0
    merged: int = 0
    borrowed: int = 0
    outline_repaired: int = 0
    classes: int = 0
    ours_valid: int = 0
    predict_valid: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    ours_class_pass: int | None = None
    predict_class_pass: int | None = None
    test_classes: int | None = None
    ours_test_classes_pass: int | None = None
    predict_test_classes_pass: int | None = None


def _compiles(code: str) -> bool:
    return compiles(code)


def _replies(task: dict[str, Any], holistic: bool) -> list[tuple[str, str]]:
    cls = task["class_name"]
    if holistic:
        # One reply for the whole class: every method (and the constructor) comes from it.
        reply = task["predict"][0]
        return [(f"{cls}.__init__", reply)] + [(f"{cls}.{m['method_name']}", reply) for m in task["methods_info"]]
    return [(f"{cls}.{m['method_name']}", r) for m, r in zip(task["methods_info"], task["raw_output"][0])]


def base_module(task: dict[str, Any]) -> str:
    """The skeleton plus the task's ``import_statement`` lines it lacks.

    ClassEval's own assembly starts from ``import_statement`` (some skeletons
    omit imports the constructor or the tests use, e.g. ``deque``, ``ImageChops``),
    so ours starts from the same information.
    """
    skeleton: str = task["skeleton"]
    present = {line.strip() for line in skeleton.splitlines()}
    missing = [line.strip() for line in task.get("import_statement", []) if line.strip() not in present]
    return "".join(f"{line}\n" for line in missing) + skeleton


def _predict_code(task: dict[str, Any], holistic: bool) -> str:
    code = task["predict"][0]
    if holistic and "```" in code:  # ClassEval strips the fence of holistic replies before testing
        start = code.find("```")
        body = code[code.find("\n", start) + 1 :]
        code = body[: body.find("```")] if "```" in body else body
    return code


def measure_file(path: Path, only: set[str] | None = None) -> tuple[FileFigures, list[dict[str, Any]]]:
    tasks = json.loads(path.read_text(encoding="utf-8"))
    if only:
        tasks = [t for t in tasks if t["task_id"] in only]
    name = path.name.removesuffix("_greedy.json")
    holistic = "_class_H" in name
    figs = FileFigures(file=name)
    rows: list[dict[str, Any]] = []
    for task in tasks:
        replies = _replies(task, holistic)
        base = base_module(task)
        for qualname, reply in replies:
            figs.methods += 1
            try:
                stub = find_stub(base, qualname)
            except MergeError:
                stub = None
            try:
                extract(reply, qualname, stub=stub)
                figs.extracted += 1
            except MergeError:
                pass
        assembly = assemble(base, replies)
        figs.merged += len(assembly.results)
        figs.borrowed += len(assembly.borrowed)
        figs.outline_repaired += bool(assembly.outline_repairs)
        for err in assembly.failures.values():
            figs.errors[type(err).__name__] = figs.errors.get(type(err).__name__, 0) + 1
        ours, predict = assembly.source, _predict_code(task, holistic)
        figs.classes += 1
        figs.ours_valid += _compiles(ours)
        figs.predict_valid += _compiles(predict)
        rows.append({"task_id": task["task_id"], "ours": ours, "predict": predict, "task": task})
    return figs, rows


async def run_tests(rows: list[dict[str, Any]], jobs: int) -> dict[str, dict[str, list[bool]]]:
    """Per task and variant ('ours'/'predict'): one verdict per test class, from the judge.

    Both assemblies go through :func:`agents.judge.judge_task`, the harness whose
    verdicts agree with ClassEval's class by class; ``predict`` is extracted the
    way ClassEval extracts it.
    """
    limiter = anyio.CapacityLimiter(jobs)
    verdicts: dict[str, dict[str, list[bool]]] = {}

    async def one(row: dict[str, Any], variant: str) -> None:
        task = ClassEvalTask.model_validate(row["task"])
        code = row["ours"] if variant == "ours" else extract_code(row["task"]["predict"][0])
        async with limiter:
            result = await judge_task(task, code)
        verdicts[row["task_id"]][variant] = [outcome.passed for outcome in result.verdict.test_classes]

    async with anyio.create_task_group() as tg:
        for row in rows:
            verdicts[row["task_id"]] = {}
            for variant in ("ours", "predict"):
                tg.start_soon(one, row, variant)
    return verdicts


def _pct(n: int | None, d: int | None) -> str:
    return "-" if n is None or not d else f"{100 * n / d:5.1f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("CLASSEVAL_DATA"), help="ClassEval data dir (or $CLASSEVAL_DATA)")
    parser.add_argument("--files", nargs="*", help="recorded file stems (default: all)")
    parser.add_argument("--run-tests", nargs="*", default=[], help="file stems whose classes are tested (slow)")
    parser.add_argument("--tasks", nargs="*", help="only these task ids (e.g. ClassEval_0)")
    parser.add_argument("--jobs", type=int, default=2, help="test subprocesses at once")
    parser.add_argument("--jsonl", type=Path, help="write one row per class (with verdicts) here")
    args = parser.parse_args(argv)
    if not args.data:
        parser.error("no data directory: pass --data DIR or set CLASSEVAL_DATA")
    recorded = Path(args.data) / "recorded"
    if not recorded.is_dir():
        parser.error(f"{recorded} does not exist (expected ClassEval's recorded/ directory)")
    paths = sorted(recorded.glob("*_greedy.json"))
    if args.files:
        paths = [p for p in paths if p.name.removesuffix("_greedy.json") in args.files]
    print("provider: recorded real LLM replies (ClassEval greedy generations); judge: ClassEval tests, unittest, 5 s/test class")
    print(f"{'file':38} {'methods':>7} {'extract':>8} {'merged':>8} {'ours ok':>8} {'pred ok':>8} {'ours pass':>10} {'pred pass':>10}")
    out = args.jsonl.open("w", encoding="utf-8") if args.jsonl else None
    for path in paths:
        t0 = time.perf_counter()
        figs, rows = measure_file(path, set(args.tasks) if args.tasks else None)
        verdicts: dict[str, dict[str, list[bool]]] = {}
        if figs.file in args.run_tests:
            verdicts = anyio.run(run_tests, rows, args.jobs)
            figs.ours_class_pass = sum(all(v["ours"]) for v in verdicts.values())
            figs.predict_class_pass = sum(all(v["predict"]) for v in verdicts.values())
            figs.test_classes = sum(len(v["ours"]) for v in verdicts.values())
            figs.ours_test_classes_pass = sum(sum(v["ours"]) for v in verdicts.values())
            figs.predict_test_classes_pass = sum(sum(v["predict"]) for v in verdicts.values())
        print(
            f"{figs.file:38} {figs.methods:7d} {_pct(figs.extracted, figs.methods):>8} {_pct(figs.merged, figs.methods):>8} "
            f"{_pct(figs.ours_valid, figs.classes):>8} {_pct(figs.predict_valid, figs.classes):>8} "
            f"{_pct(figs.ours_class_pass, figs.classes):>10} {_pct(figs.predict_class_pass, figs.classes):>10}"
            f"   ({time.perf_counter() - t0:.0f} s)"
        )
        print(f"{'':38} merge: {figs.borrowed} method(s) borrowed from another reply, {figs.outline_repaired} outline(s) repaired")
        if figs.test_classes:
            print(
                f"{'':38} test classes passed: ours {figs.ours_test_classes_pass}/{figs.test_classes}, "
                f"predict {figs.predict_test_classes_pass}/{figs.test_classes}"
            )
        if out is not None:
            out.write(json.dumps({"summary": asdict(figs)}) + "\n")
            for row in rows:
                record = {"file": figs.file, "task_id": row["task_id"], "ours": row["ours"]}
                if row["task_id"] in verdicts:
                    record["verdicts"] = verdicts[row["task_id"]]
                out.write(json.dumps(record) + "\n")
    if out is not None:
        out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
