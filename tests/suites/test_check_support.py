"""Check tests that import a helper from the unit tests' tree (trailscraper's do) get it, and nothing more of that tree.

The benchmark runs check tests inside the whole repository; the judge's sandbox sees only what
``project_tests`` gives it.  A synthetic project in a temp dir, judged for real in the sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.judge import Judge
from bench.suites import Task, TaskModule
from bench.suites._projects_reference import check_support, project_tests

pytestmark = pytest.mark.anyio

MODULE = "def total(numbers):\n    return sum(numbers)\n"
FILES = {
    "pkg/__init__.py": "",
    "pkg/calc.py": MODULE,
    "unit_tests/__init__.py": "",
    "unit_tests/test_utils_data.py": "import os\n\ndef data(name):\n    return os.path.join(os.path.dirname(__file__), 'fixtures', name)\n",
    "unit_tests/fixtures/numbers.txt": "1 2 3\n",
    "unit_tests/test_calc.py": "from pkg.calc import total\n\ndef test_total():\n    assert total([1]) == 1\n",  # the score
    "unit_tests/deep/__init__.py": "",
    "unit_tests/deep/helpers.py": "LIMIT = 10\n",
    "check_tests/__init__.py": "",
    "check_tests/calc_test.py": (
        "from unit_tests.test_utils_data import data\nimport unit_tests.deep.helpers as helpers\nfrom pkg.calc import total\n\n"
        "def test_total_of_the_fixture():\n    numbers = [int(x) for x in open(data('numbers.txt')).read().split()]\n"
        "    assert total(numbers) == 6 < helpers.LIMIT\n"
    ),
}


def _task(root: Path) -> Task:
    for path, text in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    module = TaskModule(path="pkg/calc.py", outline="def total(numbers):\n    pass\n", reference=MODULE, stubs=("total",))
    return Task(
        id="synthetic/calc", title="calc", spec="", file="pkg", reference="", tests="", test_classes=[], expected_coupling="low",
        expected_decision="parallel", source_dir=root, modules=(module,), given=("pkg/__init__.py",), test_paths=("unit_tests",),
        check_paths=("check_tests",),
    )  # fmt: skip


def test_only_the_imported_helpers_their_packages_and_the_trees_data_are_given(tmp_path: Path) -> None:
    task = _task(tmp_path)
    assert check_support(task, task.check_paths) == [
        "unit_tests/__init__.py", "unit_tests/deep/__init__.py", "unit_tests/deep/helpers.py", "unit_tests/test_utils_data.py",
        "unit_tests/fixtures/numbers.txt",
    ]  # fmt: skip
    visible = project_tests(task, task.check_paths, kind="visible")
    assert "unit_tests/test_calc.py" not in visible.files and "pkg/calc.py" not in visible.files
    hidden = project_tests(task, task.test_paths)
    assert "check_tests/calc_test.py" not in hidden.files


async def test_the_check_tests_collect_and_pass_on_the_reference_and_fail_on_a_fault(tmp_path: Path) -> None:
    task = _task(tmp_path)
    judge = Judge()
    visible = project_tests(task, task.check_paths, kind="visible")
    right = await judge.run_project({"pkg/calc.py": MODULE}, visible)
    assert right.collection_error is None and [t.outcome for t in right.tests] == ["passed"]
    wrong = await judge.run_project({"pkg/calc.py": MODULE.replace("sum(numbers)", "max(numbers)")}, visible)
    assert [t.outcome for t in wrong.tests] == ["failed"]
    bare = visible.model_copy(update={"files": {k: v for k, v in visible.files.items() if not k.startswith("unit_tests/")}})
    without = await judge.run_project({"pkg/calc.py": MODULE}, bare)
    assert without.collection_error is not None and "unit_tests" in without.collection_error  # as before: nothing ran
