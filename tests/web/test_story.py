"""The viewer's reading of the event log (``web/frontend/src/story.js``), run by the real node on given events.

What the run panel draws must agree with the benchmark: a spare reply (drawn beside a repair and kept for
the next reopen, ``agents.roles._spares``) has its own lane kind and stays out of the critical-path bound,
as it does in ``bench._metrics``; a repair asked as edits, and edits that did not apply, are told as such.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

STORY = Path(__file__).parents[2] / "web" / "frontend" / "src" / "story.js"

EVENTS = [
    {"type": "claim", "agent": "a1", "todo": "m.py::f", "time": 0.0, "data": {"attempt": 1}},
    {"type": "model_call", "agent": "a1", "todo": "m.py::f", "time": 4.0, "data": {"seconds": 4.0, "tokens": 10}},
    {"type": "complete", "agent": "a1", "todo": "m.py::f", "time": 4.1, "data": {"attempt": 1}},
    {"type": "claim", "agent": "a1", "todo": "m.py::f", "time": 5.0, "data": {"attempt": 2}},
    {"type": "model_call", "agent": "a1", "todo": "m.py::f", "time": 8.0, "data": {"seconds": 3.0, "tokens": 10}},
    {"type": "model_call", "agent": "a1", "todo": "m.py::f", "time": 8.2, "data": {"seconds": 3.2, "tokens": 11, "spare": True}},
    {"type": "complete", "agent": "a1", "todo": "m.py::f", "time": 8.3, "data": {"attempt": 2}},
    {"type": "spares_kept", "agent": "a1", "todo": "m.py::f", "time": 8.4, "data": {"count": 1, "attempt": 2}},
    {"type": "spare_used", "agent": "a1", "todo": "m.py::f", "time": 9.0, "data": {"attempt": 3}},
    {"type": "model_call", "agent": "a1", "todo": "m.py::g", "time": 12.0, "data": {"seconds": 1.0, "tokens": 4, "edit": True}},
    {"type": "edit_failed", "agent": "a1", "todo": "m.py::g", "time": 12.1, "data": {"error": "edit 1: not in the code shown"}},
]

SCRIPT = """
import { lanes, bounds, describe } from %s
const events = JSON.parse(process.argv[1])
const kinds = lanes(events, 0)[0].items.filter((i) => i.from !== i.to && i.kind !== 'claim').map((i) => i.kind)
console.log(JSON.stringify({ kinds, bound: bounds(events, { mode: 'parallel', deps: {} }).bound, said: events.map((e) => describe(e)) }))
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_spares_have_their_own_lane_kind_and_stay_out_of_the_bound() -> None:
    script = SCRIPT % json.dumps(STORY.as_uri())
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(EVENTS)], capture_output=True, text=True, timeout=60, check=True
    )
    out = json.loads(done.stdout)
    assert sorted(out["kinds"]) == ["call", "call", "redraft", "spare"]
    # f's draft and repair and g's repair as edits: 8 s; the spare's 3.2 s is not work anyone waited on
    assert out["bound"] == pytest.approx(8.0)
    said = out["said"]
    assert "kept as a spare" in said[5] and "kept as a spare" not in said[4]
    assert "kept 1 spare repair of" in said[7]
    assert "without a model call" in said[8]
    assert "edits to the code that failed" in said[9] and "edits" not in said[4]
    assert "did not apply" in said[10] and "whole definition" in said[10]
