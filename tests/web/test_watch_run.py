"""A real benchmark run watched from one URL (``crdt-bench run --watch``), in real headless Chromium.

The run is the bundled ``calculator`` task in serial and parallel mode with the
offline scripted model, through the test relay (real websockets, real store).
Screenshots are taken at fixed moments: a trial running, the run finished, a
finished trial replayed from its first stored update.  Checks read text and DOM
positions, never pixels, and wait for states, never for times.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import anyio
import pytest

from bench._run import RunConfig, run_suite
from bench._watch import RunWatch
from web import Viewer

from ._helpers import RW, eventually

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


async def test_watch_a_real_run_then_replay_all_of_it(viewer: Viewer, browser: Any, shot: Any) -> None:
    config = RunConfig(tasks=["calculator"], modes=["serial", "parallel"], time_scale=0.1, pyright=False)
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        async with RunWatch(viewer.relay.url, RW, config.run_id()) as watch:
            assert watch.url.startswith(viewer.base_url + "/run/run-") and f"token={RW}" in watch.url
            outcome: list[Any] = []

            async def run() -> None:
                outcome.extend(await run_suite(config, None, watch))

            async with anyio.create_task_group() as tg:
                tg.start_soon(run)
                await page.goto(watch.url)
                await page.wait_for_function("window.__watch && window.__watch.synced")
                # Fixed moment 1: a trial is running, the page shows it live, some agent holds a TODO and its region is drawn.
                # Read in one evaluate: the run goes on meanwhile, and separate reads could straddle two trials.
                moment = await eventually(lambda: page.evaluate(MOMENT), timeout=60, what="the running trial shown live with a claimed TODO")
                running = [t for t in moment["trials"] if t["status"] == "running"]
                assert len(running) == 1 and moment["viewer_room"] == running[0]["room"]
                assert moment["shown"] == {"room": running[0]["room"], "kind": "live"}  # the page follows the running trial
                assert moment["cells"][1:5] == ["calculator", running[0]["mode"], "0", "running"]
                assert re.fullmatch(r"\d+(\.\d)? s \(running\)", moment["elapsed"]), moment["elapsed"]
                counts = dict((label, int(n)) for n, label in re.findall(r"(\d+) (done|claimed|pending|failed)", moment["counts"]))
                assert sum(counts.values()) == len(moment["todos"]) and counts["claimed"] >= 1
                # Who works where: every drawn region is anchored on its agent's method, in the code as it is now.
                assert sorted(r["agent"] for r in moment["regions"]) == sorted(moment["people"])
                for region in moment["regions"]:
                    assert region["anchored"], region
                    lines = moment["text"][region["from"] : region["to"]].splitlines()
                    header = next(line for line in lines if not line.lstrip().startswith("@"))
                    assert re.match(rf"\s*(async\s+)?def {region['symbol'].split('.')[-1]}\(", header), (region, header)
                await shot(page, "watch_running")
            assert len(outcome) == 2
            rows = await eventually(lambda: _all_done(page), timeout=10, what="every trial marked done")
            assert sorted(t["mode"] for t in rows) == ["parallel", "serial"]
            # The followed (last) trial's panel learns its wall time after its room said finished, and updates.
            last = max(rows, key=lambda t: t["order"])
            assert await page.evaluate("window.__watch.shown()") == {"room": last["room"], "kind": "live"}
            expected = r"this is the serial trial" if last["mode"] == "serial" else r"serial took \d+(\.\d)? s: \d+\.\d\d× (faster|slower)"
            await eventually(lambda: _vs_serial_matches(page, expected), what="the followed trial's speedup in its panel")
            by_mode = {r.mode: r for r in outcome}
            parallel = next(t for t in rows if t["mode"] == "parallel")
            assert parallel["wall_s"] == pytest.approx(by_mode["parallel"].wall_s, abs=1e-3)
            speed = await page.locator(f'#trials tr[data-room="{parallel["room"]}"] td').nth(6).inner_text()
            assert speed == f"{by_mode['serial'].wall_s / by_mode['parallel'].wall_s:.2f}×"

            # Fixed moment 2: the finished parallel trial, live page at its end (run panel, lanes, board, events).
            await page.evaluate(f"window.__watch.show('{parallel['room']}', 'live')")
            await page.wait_for_function("window.__viewer && window.__viewer.synced")
            await eventually(lambda: _phase(page, "finished"), what="the finished phase in the run panel")
            await _check_run_panel(page, finished=True)
            vs = await page.locator('#run dd[data-key="vs serial"]').inner_text()
            assert re.fullmatch(r"serial took \d+(\.\d)? s: \d+\.\d\d× (faster|slower)", vs), vs
            assert vs.split(": ")[1].split("×")[0] + "×" == speed  # the panel and the table agree
            # The panel's critical-path bound is a lower bound of the benchmark's (which solves the makespan exactly).
            bound = await page.locator('#run dd[data-key="critical path"]').inner_text()
            shown = float(re.match(r"(\d+(?:\.\d+)?) s: the model calls alone", bound).group(1))  # type: ignore[union-attr]
            assert 0 < shown <= by_mode["parallel"].bound_s + 0.1, (bound, by_mode["parallel"].bound_s)
            await _check_board_and_events(page)
            await _check_lanes(page)
            await shot(page, "watch_finished")

            # Fixed moment 3: replay of that trial, every stored update from the first.
            await page.locator(f'#trials tr[data-room="{parallel["room"]}"] button').click()
            await page.wait_for_function("window.__viewer && window.__viewer.mode === 'replay' && window.__viewer.ready")
            stored = _stored_rows(viewer, parallel["room"])
            assert stored > 0
            assert await page.evaluate("window.__viewer.length") == stored
            assert await page.locator("#scrub").get_attribute("max") == str(stored)
            await page.locator("#scrub").focus()
            await page.keyboard.press("Home")
            assert await page.evaluate("window.__viewer.position") == 0
            assert await page.evaluate("window.__viewer.editorText()") is None  # the beginning: nothing written yet
            await page.keyboard.press("ArrowRight")
            first = await page.evaluate("window.__viewer.todos()")
            assert all(t.get("status", "pending") == "pending" for t in first.values())  # the outline, nobody working yet
            # Play at 10x: the position moves forward by itself and the file being edited is shown.
            await page.select_option("#speed", "10")
            await page.locator("#play").click()
            await eventually(lambda: page.evaluate("window.__viewer.position > 5"), timeout=30, what="playback to advance")
            await page.locator("#play").click()  # pause
            assert await page.evaluate("window.__viewer.playing") is False
            assert await page.evaluate("window.__viewer.activePath()") == "calculator.py"
            await shot(page, "watch_replay")
    finally:
        await context.close()
    assert not errors, errors


MOMENT = """(() => {
  const w = window.__watch, v = window.__viewer
  const running = w.trials().find((t) => t.status === 'running')
  if (!running || !v || v.mode !== 'live' || v.room !== running.room || !v.todos) return null
  const todos = v.todos()
  const elapsed = document.querySelector('#run dd[data-key="elapsed"]')
  if (!Object.values(todos).some((t) => t.status === 'claimed') || !elapsed || !elapsed.textContent.endsWith('(running)')) return null
  // The panel redraws at most every 50 ms: wait until it shows the claim too.
  if (!/[1-9][0-9]* claimed/.test(document.querySelector('#run dd[data-key="TODOs"]').textContent)) return null
  if (!v.regions().length) return null // and some agent's region is drawn
  const row = document.querySelector(`#trials tr[data-room="${running.room}"]`)
  return {
    trials: w.trials(), shown: w.shown(), viewer_room: v.room, todos, elapsed: elapsed.textContent,
    counts: document.querySelector('#run dd[data-key="TODOs"]').textContent,
    regions: v.regions(), text: v.editorText(), people: v.presences().filter((p) => p.region).map((p) => p.agent),
    cells: row ? [...row.querySelectorAll('td')].map((td) => td.textContent) : []
  }
})()"""


async def _vs_serial_matches(page: Any, pattern: str) -> bool:
    cell = page.locator('#run dd[data-key="vs serial"]')
    return await cell.count() == 1 and re.fullmatch(pattern, await cell.inner_text()) is not None


async def _all_done(page: Any) -> list[dict[str, Any]] | None:
    rows: list[dict[str, Any]] = await page.evaluate("window.__watch.trials()")
    return rows if rows and all(t["status"] == "done" for t in rows) else None


async def _phase(page: Any, phase: str) -> bool:
    return (await page.locator('#run dd[data-key="phase"]').inner_text()) == phase


async def _check_run_panel(page: Any, *, finished: bool) -> None:
    elapsed = await page.locator('#run dd[data-key="elapsed"]').inner_text()
    assert re.fullmatch(r"\d+(\.\d)? s" + ("" if finished else r" \(running\)"), elapsed), elapsed
    todos = await page.evaluate("window.__viewer.todos()")
    counts = await page.locator('#run dd[data-key="TODOs"]').inner_text()
    numbers = dict((label, int(n)) for n, label in re.findall(r"(\d+) (done|claimed|pending|failed)", counts))
    assert sum(numbers.values()) == len(todos)
    # No raw floats or JSON anywhere in the panel.
    panel = await page.locator("#run").inner_text()
    assert not re.search(r"\d\.\d{5,}", panel) and "{" not in panel, panel


async def _check_board_and_events(page: Any) -> None:
    todos: dict[str, Any] = await page.evaluate("window.__viewer.todos()")
    for todo_id, todo in todos.items():
        column = "failed" if todo["status"] == "failed" or (todo["status"] == "done" and todo.get("verdict") == "fail") else todo["status"]
        card = page.locator(f'div.column[data-status="{column}"] .card[data-todo="{todo_id}"]')
        assert await card.count() == 1, (todo_id, column)
        text = await card.inner_text()
        assert "calculator.py" in text and f"attempt {int(todo['attempt'])}" in text
    sentences = await page.locator("#timeline li .sentence").all_inner_texts()
    assert any(re.fullmatch(r"implementer-\d claimed Calculator\.\w+ \(attempt \d+\)", s) for s in sentences), sentences[:10]
    assert any(re.fullmatch(r"judge: Calculator\.\w+ (passes|fails) its checks.*", s) for s in sentences)
    assert not any("{" in s for s in sentences)


async def _check_lanes(page: Any) -> None:
    events: list[dict[str, Any]] = await page.evaluate("window.__viewer.doc.getArray('events').toJSON()")
    calls: dict[str, int] = {}
    for e in events:
        if e["type"] == "model_call":
            calls[e["agent"]] = calls.get(e["agent"], 0) + 1
    assert calls
    for agent, n in calls.items():
        drawn = await page.locator(f'#lanes rect[data-agent="{agent}"]:is([data-kind="call"],[data-kind="blind"],[data-kind="redraft"])').count()
        assert drawn == n, (agent, drawn, n)
    names = await page.locator("#lanes .lane-name").all_text_contents()
    assert "judge" in names and all(agent in names for agent in calls)
    # Every bar lies inside the lane area, left of the right edge, at or after the start.
    box = await page.locator("#lanes svg").bounding_box()
    for rect in await page.locator("#lanes rect").all():
        r = await rect.bounding_box()
        assert r is not None and box is not None
        assert box["x"] <= r["x"] and r["x"] + r["width"] <= box["x"] + box["width"] + 1


def _stored_rows(viewer: Viewer, room: str) -> int:
    path = viewer.relay.config.store_path(room)
    assert path is not None
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM yupdates WHERE path = ?", (room,)).fetchone()[0])
    finally:
        db.close()
