"""Task directories: loading, clear errors for broken ones, the suite registry, skeleton_of."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.suites import (
    BUNDLED_DIR,
    DirectorySuite,
    SuiteError,
    SuiteSource,
    TaskFormatError,
    UnknownSuite,
    UnknownTask,
    UnparsableSource,
    get_suite,
    load_suite_dir,
    load_task,
    register_suite,
    skeleton_of,
)
from bench.suites import _registry
from crdt_ws import parse_python


@pytest.fixture
def task_dir(tmp_path: Path) -> Path:
    """A writable copy of a bundled task (derived skeleton) to break."""
    target = tmp_path / "suite" / "bank_ledger"
    shutil.copytree(BUNDLED_DIR / "bank_ledger", target)
    return target


def _set_toml(task_dir: Path, old: str, new: str) -> None:
    path = task_dir / "task.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_copied_task_loads_like_the_bundled_one(task_dir: Path) -> None:
    task = load_task(task_dir)
    bundled = get_suite("bundled").task("bank_ledger")
    assert task.model_dump(exclude={"source_dir"}) == bundled.model_dump(exclude={"source_dir"})
    assert task.source_dir == task_dir and task.module_name == "ledger"
    assert task.test_classes == ["TestAccounts", "TestTransfers", "TestInterestAndStatements"]


@pytest.mark.parametrize("missing", ["task.toml", "reference.py", "tests.py"])
def test_missing_file_is_named(task_dir: Path, missing: str) -> None:
    (task_dir / missing).unlink()
    with pytest.raises(TaskFormatError, match="missing file") as info:
        load_task(task_dir)
    assert info.value.path == task_dir / missing


def test_bad_toml(task_dir: Path) -> None:
    _set_toml(task_dir, 'id = "bank_ledger"', 'id = "bank_ledger')
    with pytest.raises(TaskFormatError, match="invalid TOML") as info:
        load_task(task_dir)
    assert info.value.path.name == "task.toml"


def test_unknown_coupling_value_names_the_field(task_dir: Path) -> None:
    _set_toml(task_dir, 'expected_coupling = "medium"', 'expected_coupling = "extreme"')
    with pytest.raises(TaskFormatError) as info:
        load_task(task_dir)
    assert info.value.field == "expected_coupling"
    assert "'low', 'medium' or 'high'" in str(info.value) and "extreme" in str(info.value)
    assert str(info.value).startswith(str(task_dir / "task.toml"))


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ('title = "Bank ledger with transfers and interest"\n', "", "title", "required field missing"),
        ('file = "ledger.py"', 'file = "ledger.txt"', "file", "module file name"),
        ('id = "bank_ledger"', 'id = "ledger"', "id", "differs from the directory name"),
        ('file = "ledger.py"', 'file = "ledger.py"\ntest_classes = ["TestNope"]', "test_classes", "TestNope"),
        ('file = "ledger.py"', 'file = "ledger.py"\ncolour = "red"', "colour", "unknown field"),
    ],
)
def test_bad_fields_are_named(task_dir: Path, old: str, new: str, field: str, message: str) -> None:
    _set_toml(task_dir, old, new)
    with pytest.raises(TaskFormatError, match=message) as info:
        load_task(task_dir)
    assert info.value.field == field


def test_syntax_error_in_reference(task_dir: Path) -> None:
    (task_dir / "reference.py").write_text("def broken(:\n", encoding="utf-8")
    with pytest.raises(TaskFormatError, match="not valid Python: line 1") as info:
        load_task(task_dir)
    assert info.value.path.name == "reference.py"


def test_stub_without_doctest_is_rejected(task_dir: Path) -> None:
    path = task_dir / "reference.py"
    source = path.read_text(encoding="utf-8")
    start = source.index('        """Current balance.')
    end = source.index('        """', start + 10) + len('        """')
    path.write_text(source[:start] + '        """Current balance."""' + source[end:], encoding="utf-8")
    with pytest.raises(TaskFormatError, match="no >>> doctest examples") as info:
        load_task(task_dir)
    assert info.value.field == "Ledger.balance"


def test_outline_stub_without_reference_is_rejected(task_dir: Path) -> None:
    skeleton = skeleton_of((task_dir / "reference.py").read_text(encoding="utf-8"))
    extra = '\n\ndef audit(ledger):\n    """Check.\n\n    >>> audit(None)\n    True\n    """\n    pass\n'
    (task_dir / "outline.py").write_text(skeleton + extra, encoding="utf-8")
    with pytest.raises(TaskFormatError, match="no implementation in reference.py") as info:
        load_task(task_dir)
    assert info.value.field == "audit"


def test_tests_without_testcase(task_dir: Path) -> None:
    (task_dir / "tests.py").write_text("def test_x():\n    assert True\n", encoding="utf-8")
    with pytest.raises(TaskFormatError, match="no unittest.TestCase"):
        load_task(task_dir)


def test_suite_dir_loads_and_reports_broken_members(task_dir: Path) -> None:
    suite_dir = task_dir.parent
    (suite_dir / "__pycache__").mkdir()  # private directories are skipped
    suite = load_suite_dir(suite_dir, name="mine")
    assert suite.name == "mine" and suite.ids == ["bank_ledger"]
    (suite_dir / "half_done").mkdir()
    with pytest.raises(TaskFormatError, match="missing file"):
        load_suite_dir(suite_dir)
    with pytest.raises(TaskFormatError, match="no task directories"):
        load_suite_dir(suite_dir / "half_done")


def test_unknown_task_lists_known_ids() -> None:
    with pytest.raises(UnknownTask, match=r"no task 'nope'; known: bank_ledger, calculator, graph"):
        get_suite("bundled").task("nope")


def test_registry(task_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnknownSuite) as info:
        get_suite("classeval-lite")
    assert str(info.value) == "unknown suite 'classeval-lite'; known: bundled, classeval, humaneval, projects (or a directory of tasks)"
    assert isinstance(info.value, SuiteError) and isinstance(info.value, LookupError)

    assert get_suite(task_dir.parent).ids == ["bank_ledger"]  # a directory path works too
    assert get_suite(str(task_dir.parent)).name == str(task_dir.parent)

    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))
    source = DirectorySuite(task_dir.parent, name="mine")
    assert isinstance(source, SuiteSource)
    register_suite("mine", lambda: source)
    assert get_suite("mine").name == "mine" and get_suite("mine").ids == ["bank_ledger"]
    with pytest.raises(UnknownSuite, match="known: bundled, classeval, humaneval, mine, projects "):
        get_suite("theirs")
    with pytest.raises(ValueError, match="suite names"):
        register_suite("a/b", lambda: source)


def test_bundled_suite_is_found_next_to_the_package() -> None:
    suite = get_suite("bundled")
    assert suite.name == "bundled" and BUNDLED_DIR.is_dir() and len(suite.tasks) >= 9
    assert all(t.source_dir is not None and t.source_dir.parent == BUNDLED_DIR for t in suite.tasks)


SAMPLE = '''"""Module doc."""

import functools

LIMIT = 3  # a constant


def helper(x: int) -> int:
    """Double.

    >>> helper(2)
    4
    """
    def inner() -> int:
        return x
    return inner() * 2


def one_liner(): return 1


class Box:
    """A box."""

    size: int = 0

    def __init__(self, size: int) -> None:
        # state every method shares
        self.size = size

    @functools.cache
    def area(self) -> int:
        """Area.

        >>> Box(2).area()
        4
        """
        return self.size ** 2

    class Lid:
        def __post_init__(self) -> None:
            self.open = False

        async def lift(self) -> None:
            """Lift it."""
            self.open = True
'''

EXPECTED = '''"""Module doc."""

import functools

LIMIT = 3  # a constant


def helper(x: int) -> int:
    """Double.

    >>> helper(2)
    4
    """
    pass


def one_liner():
    pass


class Box:
    """A box."""

    size: int = 0

    def __init__(self, size: int) -> None:
        # state every method shares
        self.size = size

    @functools.cache
    def area(self) -> int:
        """Area.

        >>> Box(2).area()
        4
        """
        pass

    class Lid:
        def __post_init__(self) -> None:
            self.open = False

        async def lift(self) -> None:
            """Lift it."""
            pass
'''


def test_skeleton_of_keeps_what_it_promises_and_stubs_the_rest() -> None:
    skeleton = skeleton_of(SAMPLE)
    assert skeleton == EXPECTED
    parse_python(skeleton)
    assert skeleton_of(skeleton) == skeleton  # idempotent


def test_skeleton_of_rejects_unparsable_source() -> None:
    with pytest.raises(UnparsableSource, match="cannot derive a skeleton") as info:
        skeleton_of("def f(:\n")
    assert isinstance(info.value, SuiteError) and isinstance(info.value, ValueError)
