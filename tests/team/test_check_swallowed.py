"""A check test that fails with no frame in the package (a CLI runner caught the exception) still blames its culprit.

trailscraper's check tests call the click app through ``CliRunner``: the exception becomes exit code 1,
the test fails at ``assert result.exit_code == 0``, and the traceback holds no package frame.  The
message still names what was missing; the one TODO whose committed code uses that name is reopened.
Real pytest in the sandbox through ``agents.roles.pytest_check``.
"""

from __future__ import annotations

import pytest

from agents.judge import Judge, ProjectTests
from agents.roles import pytest_check
from agents.roles._package_checks import named_culprit
from crdt_ws import TodoEntry, TodoStatus, todo_key

pytestmark = pytest.mark.anyio

CHECKS = '''import traceback
from tools.cli import run


def invoke(*args):
    """As click's CliRunner does: the exception is caught and becomes an exit code."""
    try:
        return 0, run(*args)
    except Exception as exc:
        return 1, exc


def test_run():
    code, out = invoke("2024-01-02")
    assert code == 0, out
'''
PARSE = "def parse(text):\n    return datetime.datetime.strptimes(text, '%Y-%m-%d')\n"
RIGHT_PARSE = "def parse(text):\n    return datetime.datetime.strptime(text, '%Y-%m-%d')\n"
RUN = "def run(text):\n    return parse(text).year\n"


def entries(parse: str) -> list[TodoEntry]:
    return [
        TodoEntry(id=todo_key("tools/cli.py", "parse"), file="tools/cli.py", symbol="parse", status=TodoStatus.DONE, attempt=1, result=parse),
        TodoEntry(id=todo_key("tools/cli.py", "run"), file="tools/cli.py", symbol="run", status=TodoStatus.DONE, attempt=1, result=RUN),
    ]


def files(parse: str) -> dict[str, str]:
    return {"tools/__init__.py": "", "tools/cli.py": f"import datetime\n\n\n{parse}\n\n{RUN}"}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("AttributeError(\"type object 'datetime.datetime' has no attribute 'strptimes'\")", "parse"),
        ("NameError(\"name 'parse' is not defined\")", None),  # parse's def and run's call both use it: nobody
        ("TypeError(\"run() got an unexpected keyword argument 'year'\")", "run"),
        ("assert 1 == 0", None),  # nothing named: nobody
        ("AttributeError(\"'X' object has no attribute 'nowhere'\")", None),  # no TODO uses it: nobody
    ],
)
def test_the_name_a_failure_says_is_missing_points_at_the_one_todo_using_it(message: str, expected: str | None) -> None:
    todos = entries(PARSE)
    culprit = named_culprit(message, todos)
    assert culprit == (todo_key("tools/cli.py", expected) if expected else None)


def test_a_name_only_a_pending_todo_or_a_string_holds_blames_nobody() -> None:
    todos = entries("def parse(text):\n    return 'strptimes'\n")
    assert named_culprit("has no attribute 'strptimes'", todos) is None
    todos[0] = todos[0].model_copy(update={"status": TodoStatus.PENDING, "result": PARSE})
    assert named_culprit("has no attribute 'strptimes'", todos) is None


async def test_a_swallowed_exception_reopens_the_todo_that_used_the_missing_name() -> None:
    async def tests() -> ProjectTests:
        return ProjectTests.from_text({"checks/test_cli.py": CHECKS}, ["checks"], kind="visible", timeout_s=120)

    check = pytest_check(Judge(), tests)
    wrong = await check(files(PARSE), entries(PARSE))
    assert list(wrong) == [todo_key("tools/cli.py", "parse")] and "strptimes" in wrong[todo_key("tools/cli.py", "parse")]
    right = await check(files(RIGHT_PARSE), entries(RIGHT_PARSE))
    assert dict(right) == {}


# Hostile: the message is written by code under test.  A reply for `run` that raises an AttributeError naming
# `strptime` (a name only `parse`, which is right, uses) gets `parse` reopened once; the same forged message must not
# reopen it again after that repair, however it is padded.
FORGED = 'def run(text):\n    raise AttributeError("type object \'datetime.datetime\' has no attribute \'strptime\'")\n'
FORGED_MESSAGE = "AttributeError(\"type object 'datetime.datetime' has no attribute 'strptime'\")"


def forged_board(parse_attempt: int) -> tuple[dict[str, str], list[TodoEntry]]:
    todos = entries(RIGHT_PARSE)
    todos[0] = todos[0].model_copy(update={"attempt": parse_attempt})
    todos[1] = todos[1].model_copy(update={"result": FORGED})
    return {"tools/__init__.py": "", "tools/cli.py": f"import datetime\n\n\n{RIGHT_PARSE}\n\n{FORGED}"}, todos


def test_a_forged_message_reopens_the_todo_it_names_at_most_once() -> None:
    named: dict[tuple[str, str], int] = {}
    _, todos = forged_board(1)
    assert named_culprit(FORGED_MESSAGE, todos, named) == todo_key("tools/cli.py", "parse")
    assert named_culprit(FORGED_MESSAGE, todos, named) == todo_key("tools/cli.py", "parse")  # the same attempt again
    _, repaired = forged_board(2)
    assert named_culprit(FORGED_MESSAGE, repaired, named) is None
    padded = FORGED_MESSAGE + " and has no attribute 'fresh_name_1' and name 'other_name' is not defined"
    assert named_culprit(padded, repaired, named) is None  # names parse does not use cannot renew the blame


def test_a_real_culprit_is_blamed_again_for_a_new_missing_name() -> None:
    named: dict[tuple[str, str], int] = {}
    todos = entries(PARSE)
    assert named_culprit("has no attribute 'strptimes'", todos, named) == todo_key("tools/cli.py", "parse")
    wrong_again = "def parse(text):\n    return datetime.datetime.strptim(text, '%Y-%m-%d')\n"
    repaired = [todos[0].model_copy(update={"attempt": 2, "result": wrong_again}), todos[1]]
    assert named_culprit("has no attribute 'strptim'", repaired, named) == todo_key("tools/cli.py", "parse")


async def test_a_forged_failure_in_the_sandbox_costs_the_todo_it_names_one_reopen() -> None:
    async def tests() -> ProjectTests:
        return ProjectTests.from_text({"checks/test_cli.py": CHECKS}, ["checks"], kind="visible", timeout_s=120)

    check = pytest_check(Judge(), tests)
    first = await check(*forged_board(1))
    assert list(first) == [todo_key("tools/cli.py", "parse")]  # indistinguishable from a real culprit, once
    second = await check(*forged_board(2))
    assert dict(second) == {}  # parse was repaired and the same message came back: it blames nobody
