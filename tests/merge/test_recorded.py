"""Extraction and assembly over real recorded ClassEval replies (data read from the data dir, never copied)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.micro.merge_recorded import measure_file
from merge import MergeError, assemble, extract, find_stub


def load(classeval_dir: Path, stem: str) -> list[dict]:
    return json.loads((classeval_dir / "recorded" / f"{stem}_greedy.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("stem", ["GPT-4-Turbo_method_C", "WizardCoder-15B-V1.0_method_C", "instruct-codegen-16B_method_I"])
def test_sample_extracts_and_assembles(classeval_dir: Path, stem: str) -> None:
    tasks = load(classeval_dir, stem)[:12]
    total = ok = 0
    for task in tasks:
        replies = [(f"{task['class_name']}.{m['method_name']}", r) for m, r in zip(task["methods_info"], task["raw_output"][0])]
        for qualname, reply in replies:
            total += 1
            try:
                extract(reply, qualname, stub=find_stub(task["skeleton"], qualname))
                ok += 1
            except MergeError:
                pass
        assembly = assemble(task["skeleton"], replies)
        compile(assembly.source, task["task_id"], "exec")  # every sampled skeleton parses, so must the result
        assert len(assembly.results) + len(assembly.failures) == len(replies)
    floor = {"GPT-4-Turbo_method_C": 0.97, "WizardCoder-15B-V1.0_method_C": 0.8, "instruct-codegen-16B_method_I": 0.6}[stem]
    assert ok / total >= floor, f"{stem}: extracted {ok}/{total}"


def test_merge_keeps_an_import_the_benchmark_assembly_drops(classeval_dir: Path) -> None:
    task = load(classeval_dir, "GPT-4-Turbo_method_C")[0]  # get_jwt_user's reply imports jwt inside a whole class
    assert "import jwt" not in task["predict"][0]
    replies = [(f"{task['class_name']}.{m['method_name']}", r) for m, r in zip(task["methods_info"], task["raw_output"][0])]
    assembly = assemble(task["skeleton"], replies)
    assert not assembly.failures
    assert "import jwt" in assembly.source and assembly.source.count("def filter") == 1


@pytest.mark.slow
def test_every_recorded_file(classeval_dir: Path) -> None:
    for path in sorted((classeval_dir / "recorded").glob("*_method_*_greedy.json")):
        figs, _ = measure_file(path)
        assert figs.methods == 410
        assert figs.ours_valid >= 97, figs
        assert figs.extracted / figs.methods >= 0.6, figs
