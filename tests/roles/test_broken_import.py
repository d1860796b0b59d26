"""A package that would not import at the end: bounded extra check rounds, and a broken buffer restored (real pytest, pyright, pycrdt).

``shapes/geometry.py`` calls ``area`` at import (``UNIT = area(1, 1)``), so a wrong ``area`` that raises
breaks the import of the whole package: the check tests cannot be collected, and the benchmark would
score every hidden test 0.  pyright cannot see the fault (an attribute of an untyped parameter).  Each
test scripts ``area``'s replies in order (the last one repeats); every other reply is right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from agents.judge import Judge, ProjectTests, PyrightServer
from agents.models import LatencyConfig, ModelRequest, OfflineModel, OfflineReply, ProviderInfo
from agents.roles import FinalCheck, JudgeConfig, TaskSpec, pytest_check
from agents.roles._package_checks import CheckFailures, collection_error_of
from agents.scheduler import SchedulerConfig
from agents.team import TeamConfig, TeamHooks, TeamResult, TeamRun, run_task
from crdt_ws import Event as DocEvent
from crdt_ws import MemoryHub, TodoEntry, todo_key

pytestmark = pytest.mark.anyio

GEOMETRY = '''def area(width, height):
    """Area of a width x height rectangle."""
    raise NotImplementedError


def perimeter(width, height):
    """Perimeter of a width x height rectangle."""
    raise NotImplementedError


UNIT = area(1, 1)
'''
CHECKS = '''from shapes.geometry import UNIT, area, perimeter


def test_area():
    assert area(2, 3) == 6 and UNIT == 1


def test_perimeter():
    assert perimeter(2, 3) == 10
'''
AREA, PERIMETER = todo_key("shapes/geometry.py", "area"), todo_key("shapes/geometry.py", "perimeter")
RIGHT_AREA = "def area(width, height):\n    return width * height\n"
WRONG_AREA = "def area(width, height):\n    return width * height if width == 1 else width.size * height\n"  # imports; raises in test_area
BROKEN_AREA = "def area(width, height):\n    return width.scale * height\n"  # raises at import: nothing collects
REPLIES = {PERIMETER: ["def perimeter(width, height):\n    return 2 * (width + height)\n"]}
SPEC = TaskSpec(id="shapes", spec="Rectangle helpers.", files={"shapes/geometry.py": GEOMETRY})


class Scripted(OfflineModel):
    """Offline replies in a fixed order per TODO (the last one repeats)."""

    def __init__(self, replies: Mapping[str, Sequence[str]]) -> None:
        info = ProviderInfo(provider="scripted", model="test", offline=True, label="test replies (offline)")
        super().__init__(info, latency=LatencyConfig(profile="instant", time_scale=0.0))
        self.replies = {**REPLIES, **replies}
        self.asked: list[str] = []

    def reply(self, request: ModelRequest) -> OfflineReply:
        key = str(request.symbol)
        options = self.replies[key]
        code = options[min(self.asked.count(key), len(options) - 1)]
        self.asked.append(key)
        return OfflineReply(text=f"Here:\n```python\n{code}```\n", source="test")


def checks(judge: Judge) -> FinalCheck:
    async def tests() -> ProjectTests:
        return ProjectTests.from_text({"tests/test_shapes.py": CHECKS}, ["tests"], kind="visible", timeout_s=120)

    return pytest_check(judge, tests)


async def run(model: Scripted, **options: object) -> TeamResult:
    judge_config = JudgeConfig.model_validate({"check_during_run": "off", **options})
    config = TeamConfig(scheduler=SchedulerConfig(agents=2), judge=judge_config, timeout_s=120)
    async with PyrightServer() as pyright, MemoryHub() as hub:
        judge = Judge(pyright=pyright)
        return await run_task(SPEC, model, hub.connect, judge=judge, mode="parallel", config=config, pyright=pyright, final_check=checks(judge))


def finals(result: TeamResult) -> list[DocEvent]:
    return [e for e in result.events if e.type == "final_check"]


async def test_a_repair_that_breaks_the_import_gets_one_more_round_and_then_stops() -> None:
    # The regular round reopens area (a wrong value); its repair breaks the import; one import round
    # reopens it again; the next check imports cleanly and ends the run.
    model = Scripted({AREA: [WRONG_AREA, BROKEN_AREA, RIGHT_AREA]})
    result = await run(model)
    rounds = [(e.data.get("round"), e.data.get("collection_error"), e.data.get("reopened")) for e in finals(result)]
    assert rounds == [("regular", False, True), ("import", True, True), ("import", False, False)]
    assert model.asked.count(AREA) == 3 and model.asked.count(PERIMETER) == 1
    assert "width * height\n" in result.sources["shapes/geometry.py"] and "scale" not in result.sources["shapes/geometry.py"]
    assert result.judge.import_reopened == 1 and all(t.verdict == "pass" for t in result.todos)


async def test_without_import_rounds_the_broken_repair_is_left_as_before() -> None:
    model = Scripted({AREA: [WRONG_AREA, BROKEN_AREA, RIGHT_AREA]})
    result = await run(model, import_rounds=0)
    assert [e.data.get("round") for e in finals(result)] == ["regular"]
    assert model.asked.count(AREA) == 2 and "width.scale" in result.sources["shapes/geometry.py"], "the import stays broken"


async def test_an_extra_round_acts_on_a_collection_error_only() -> None:
    # The repair still fails test_area (raising in area) but imports: the extra check runs once, sees no collection error,
    # reopens nothing (the regular rounds are spent).
    model = Scripted({AREA: [WRONG_AREA, WRONG_AREA.replace("width.size", "width.extent"), RIGHT_AREA]})
    result = await run(model)
    rounds = [(e.data.get("round"), e.data.get("collection_error"), e.data.get("reopened")) for e in finals(result)]
    assert rounds == [("regular", False, True), ("import", False, False)]
    assert model.asked.count(AREA) == 2 and "width.extent" in result.sources["shapes/geometry.py"]
    assert result.judge.import_reopened == 0


async def test_a_todo_that_keeps_breaking_the_import_cannot_keep_the_judge_going() -> None:
    # Every reply raises at import, and area has a single repair: the regular round and each import round
    # reopen it past max_repairs (nothing runs otherwise), then the cap ends the run.
    model = Scripted({AREA: [BROKEN_AREA]})
    result = await run(model, max_repairs=1, import_rounds=2)
    rounds = [(e.data.get("round"), e.data.get("collection_error"), e.data.get("reopened")) for e in finals(result)]
    assert rounds == [("regular", True, True), ("import", True, True), ("import", True, True)]
    assert model.asked.count(AREA) == 1 + 1 + 2, "the first draft, the regular round's repair, one per import round"
    assert result.phase == "finished" and result.judge.import_reopened == 3


async def test_a_collection_error_blaming_no_todo_ends_the_rounds() -> None:
    # The check's collection error names no TODO (it raised outside every region): nobody to reopen, no loop.
    calls = 0

    async def broken(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        nonlocal calls
        calls += 1
        return CheckFailures(collection_error="conftest.py: ImportError: cannot import name 'shapes'")

    judge_config = JudgeConfig(check_during_run="off", import_rounds=5)
    config = TeamConfig(scheduler=SchedulerConfig(agents=2), judge=judge_config, timeout_s=120)
    model = Scripted({AREA: [RIGHT_AREA]})
    async with PyrightServer() as pyright, MemoryHub() as hub:
        result = await run_task(SPEC, model, hub.connect, judge=Judge(pyright=pyright), mode="parallel", config=config, pyright=pyright, final_check=broken)
    assert calls == 1 and [e.data.get("collection_error") for e in finals(result)] == [True]
    assert result.phase == "finished" and model.asked.count(AREA) == 1


def test_check_failures_read_as_a_plain_dict() -> None:
    found = CheckFailures({"a::f": "boom"}, collection_error="no import")
    assert found == {"a::f": "boom"} and collection_error_of(found) == "no import"
    assert collection_error_of({"a::f": "boom"}) is None and collection_error_of(CheckFailures()) is None


class Corrupting(TeamHooks):
    """Keeps the run so the final check can damage the judge's replica outside every TODO's region."""

    run: TeamRun | None = None

    async def published(self, run: TeamRun) -> None:
        self.run = run


async def test_a_buffer_broken_outside_every_region_is_restored_to_the_committed_text() -> None:
    # Once every TODO passed, the buffer gets text no region holds: an unparseable fragment in geometry.py
    # (the package would not import: every hidden test 0) and a harmless comment in notes.py.
    notes = "def note():\n    \"\"\"A note.\"\"\"\n    raise NotImplementedError\n"
    spec = SPEC.model_copy(update={"files": {"shapes/geometry.py": GEOMETRY, "shapes/notes.py": notes}})
    model = Scripted({AREA: [RIGHT_AREA], todo_key("shapes/notes.py", "note"): ["def note():\n    return 'ok'\n"]})
    hooks = Corrupting()
    inner: FinalCheck | None = None

    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        assert hooks.run is not None and inner is not None
        ws = hooks.run.judge
        with ws.transaction():
            ws.edit("shapes/geometry.py", 0, 0, "class Datetimes will raise TypeError\n    )\n")
            ws.edit("shapes/notes.py", 0, 0, "# a comment no region holds\n")
        return await inner(files, todos)

    config = TeamConfig(scheduler=SchedulerConfig(agents=2), judge=JudgeConfig(check_during_run="off"), timeout_s=120)
    async with PyrightServer() as pyright, MemoryHub() as hub:
        judge = Judge(pyright=pyright)
        inner = checks(judge)
        result = await run_task(spec, model, hub.connect, judge=judge, mode="parallel", config=config, pyright=pyright, final_check=check, hooks=hooks)
    geometry = result.sources["shapes/geometry.py"]
    assert "Datetimes" not in geometry and "return width * height" in geometry and "UNIT = area(1, 1)" in geometry
    compile(geometry, "geometry.py", "exec")
    assert result.sources["shapes/notes.py"].startswith("# a comment no region holds\n"), "a buffer that parses is left alone"
    assert [e.data.get("file") for e in result.events if e.type == "file_restored"] == ["shapes/geometry.py"]
    assert result.judge.files_restored == 1 and all(t.verdict == "pass" for t in result.todos)


REGISTRY = '''COMMANDS = []


def command(fn):
    """Registers ``fn`` as a command."""
    raise NotImplementedError


@command
def hello():
    """Says hello."""
    raise NotImplementedError


@command
def bye():
    """Says bye."""
    raise NotImplementedError
'''


async def test_a_definition_committed_without_the_skeletons_decorators_gets_them_back_at_the_end() -> None:
    # Seen in trailscraper: a click command committed without its decorators, so the module-level
    # ``add_command`` fails at import.  Here the final check strips ``@command`` from hello in the buffer.
    path = "cli/commands.py"
    key = lambda symbol: todo_key(path, symbol)  # noqa: E731
    spec = TaskSpec(id="cli", spec="A command registry.", files={path: REGISTRY})
    model = Scripted({
        key("command"): ["def command(fn):\n    COMMANDS.append(fn)\n    return fn\n"],
        key("hello"): ["def hello():\n    return 'hi'\n"],
        key("bye"): ["@command\ndef bye():\n    return 'bye'\n"],
    })  # fmt: skip
    hooks = Corrupting()
    stripped: list[str] = []

    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        assert hooks.run is not None
        ws = hooks.run.judge
        text = ws.read(path)
        at = text.index("@command\ndef hello")
        ws.edit(path, at, at + len("@command\n"), "")
        stripped.append(ws.read(path))
        return CheckFailures()

    config = TeamConfig(scheduler=SchedulerConfig(agents=2), judge=JudgeConfig(check_during_run="off"), timeout_s=120)
    async with PyrightServer() as pyright, MemoryHub() as hub:
        result = await run_task(spec, model, hub.connect, judge=Judge(pyright=pyright), mode="parallel", config=config, pyright=pyright, final_check=check, hooks=hooks)
    assert stripped and "\n\ndef hello" in stripped[0], "the buffer lost hello's decorator"
    final = result.sources[path]
    assert "@command\ndef hello():\n" in final and "return 'hi'" in final and final.count("@command\n") == 2, final
    assert [e.todo for e in result.events if e.type == "decorators_restored"] == [key("hello")], "bye kept its own"
    assert ({t.id: t.result for t in result.todos}[key("hello")] or "").startswith("@command\ndef hello"), "the result follows its region"
    assert result.judge.decorators_restored == 1
    namespace: dict[str, object] = {}
    exec(compile(final, path, "exec"), namespace)  # noqa: S102 - the test's own package
    assert [f.__name__ for f in namespace["COMMANDS"]] == ["hello", "bye"]  # type: ignore[attr-defined]
