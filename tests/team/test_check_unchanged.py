"""A repair that leaves a check failure exactly as it was: the blamed TODO is closed failing, not drafted again.

Real pytest in the sandbox, real pyright, real replicas, offline replies.  ``save`` writes nothing
(wrong on every ask); ``load`` raises as its docstring says when nothing was saved, so the check
test's innermost frame is ``load``'s right code, blamed for ``save``'s fault.
"""

from __future__ import annotations

import pytest

from agents.judge import Judge, ProjectTests, PyrightServer
from agents.models import LatencyConfig, ModelRequest, OfflineModel, OfflineReply, ProviderInfo
from agents.roles import JudgeConfig, TaskSpec, pytest_check
from agents.roles._package_checks import failure_signature
from agents.scheduler import SchedulerConfig
from agents.team import TeamConfig, run_task
from crdt_ws import MemoryHub, todo_key

pytestmark = pytest.mark.anyio

FILES = '''def save(path, value):
    """Write value to the file at path."""
    raise NotImplementedError


def load(path):
    """The value saved at path; ValueError when nothing was saved."""
    raise NotImplementedError
'''
CHECKS = '''from store.files import load, save


def test_round_trip(tmp_path):
    path = tmp_path / "v.txt"
    save(path, "x")
    assert load(path) == "x"
'''
REPLIES = {
    "save": "def save(path, value):\n    open(path, 'w').close()\n",  # wrong on every ask: writes nothing
    "load": "def load(path):\n    with open(path) as f:\n        text = f.read()\n    if not text:\n        raise ValueError('nothing saved')\n    return text\n",
}
SAVE, LOAD = todo_key("store/files.py", "save"), todo_key("store/files.py", "load")


class Replies(OfflineModel):
    def __init__(self) -> None:
        super().__init__(ProviderInfo(provider="scripted", model="test", offline=True, label="test replies (offline)"), latency=LatencyConfig(profile="instant", time_scale=0.0))
        self.asked: list[str] = []

    def reply(self, request: ModelRequest) -> OfflineReply:
        name = str(request.symbol).rsplit("::", 1)[-1]  # a multi-file TODO's symbol is its id, file::name
        self.asked.append(name)
        return OfflineReply(text=f"```python\n{REPLIES[name]}```\n", source="test")


async def test_a_failure_a_repair_left_as_it_was_closes_the_todo_instead_of_redrafting_it() -> None:
    model = Replies()
    spec = TaskSpec(id="store", spec="Save and load a value.", files={"store/files.py": FILES})
    # Attempt 2 is checked by a run beside the agents or by the second final round, whichever comes first.
    config = TeamConfig(scheduler=SchedulerConfig(agents=2), judge=JudgeConfig(check_during_run="always", max_repairs=2, final_check_rounds=2), timeout_s=120)
    async with PyrightServer() as pyright:
        judge = Judge(pyright=pyright)

        async def tests() -> ProjectTests:
            return ProjectTests.from_text({"tests/test_store.py": CHECKS}, ["tests"], kind="visible", timeout_s=120)

        async with MemoryHub() as hub:
            result = await run_task(spec, model, hub.connect, judge=judge, mode="parallel", config=config, pyright=pyright, final_check=pytest_check(judge, tests))
    # load was blamed and repaired once; the repair (the same right code) changed nothing about the failure,
    # so it was closed failing rather than asked a third time (max_repairs would have allowed it).
    trace = [(e.type, e.todo, {k: v for k, v in e.data.items() if k in ("reason", "reopened", "attempt", "failing")}) for e in result.events if e.type in ("verdict", "check_tests", "final_check", "complete")]
    assert model.asked.count("load") == 2, trace
    unchanged = [e for e in result.events if e.type == "verdict" and str(e.data.get("reason", "")).endswith("_unchanged")]
    assert [(e.todo, e.data.get("reopened")) for e in unchanged] == [(LOAD, False)], trace
    assert result.judge.check_unchanged == 1
    (load,) = [t for t in result.todos if t.id == LOAD]
    assert load.verdict == "fail" and load.attempt == 2 and "nothing saved" in str((load.model_extra or {}).get("feedback"))


def test_a_signature_leaves_out_what_a_repair_elsewhere_shifts() -> None:
    report = "check test tests/t.py::test_x failed: store/files.py:12: in load\n    raise ValueError(x) <Box at 0x7f3a2c>\nE   ValueError: nothing saved"
    moved = report.replace(":12:", ":15:").replace("0x7f3a2c", "0x55e1")
    assert failure_signature(report) == failure_signature(moved)
    assert failure_signature(report) != failure_signature(report.replace("nothing saved", "bad header"))
    assert failure_signature(report) != failure_signature(report.replace("test_x", "test_y"))
