"""``crdt-bench run --watch`` as a person runs it: one URL, a store kept for replay, Ctrl-C to stop serving."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from queue import Empty, Queue

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def _reader(process: subprocess.Popen[str]) -> Queue[str]:
    lines: Queue[str] = Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _until(lines: Queue[str], pattern: str, seen: list[str], timeout: float = 180.0) -> re.Match[str]:
    while True:
        try:
            line = lines.get(timeout=timeout)
        except Empty:
            raise AssertionError(f"no {pattern!r} within {timeout}s; output: {''.join(seen[-30:])}") from None
        seen.append(line)
        if found := re.search(pattern, line):
            return found


def test_watch_prints_one_url_keeps_the_store_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    results = tmp_path / "runs.jsonl"
    argv = [sys.executable, "-m", "bench", "run", "--task", "calculator", "--mode", "serial", "--mode", "parallel",
            "--time-scale", "0.05", "--no-pyright", "--results", str(results), "--watch"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CRDT_WS_TOKEN", None)
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    try:
        lines = _reader(process)
        url = _until(lines, r"watch the run: (http://127\.0\.0\.1:\d+/run/run-[0-9a-f]+-[0-9a-f]{6}\?token=\S+)$", seen).group(1)
        rooms = [_until(lines, r"trial calculator (\w+) seed 0: room (calculator-\w+-0-[0-9a-f]{6})$", seen).group(2) for _ in range(2)]
        _until(lines, r"run finished; the viewer stays up for replay at ", seen)
        # Still serving after the run: the page, and each trial's whole history from the store next to the results.
        assert httpx.get(url).status_code == 200
        token = url.split("token=")[1]
        base = url.split("/run/")[0]
        for room in rooms:
            assert (tmp_path / "runs.jsonl.rooms" / f"{room}.sqlite").is_file()
            history = httpx.get(f"{base}/api/rooms/{room}/history", params={"token": token}).json()
            assert history["stored_updates"] == len(history["updates"]) > 0
        assert httpx.get(f"{base}/api/rooms/{rooms[0]}/history", params={"token": "wrong"}).status_code == 401
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert any(line.startswith("| calculator |") for line in seen), "".join(seen[-20:])
    assert len(results.read_text().splitlines()) == 2


def test_page_url_maps_the_relay_scheme_and_keeps_its_path() -> None:
    from bench._watch import page_url

    assert page_url("ws://127.0.0.1:8765", "run-abc-123456", "t k") == "http://127.0.0.1:8765/run/run-abc-123456?token=t+k"
    assert page_url("wss://relay.example/ws/", "r", None) == "https://relay.example/ws/run/r"


@pytest.mark.anyio
async def test_a_failed_trial_is_listed_as_failed() -> None:
    import anyio
    from pydantic import SecretStr

    from bench._watch import RunWatch
    from crdt_ws import Relay, RelayConfig, WebsocketConfig, WebsocketTransport, Workspace

    async with Relay(RelayConfig(port=0, write_tokens=[SecretStr("T")])) as relay:
        async with RunWatch(relay.url, "T", "abc") as watch:
            watch.plan([(0, "calculator", "parallel", 0), (1, "calculator", "serial", 0)], "scripted", "abc")
            room = watch.room_for(0)
            watch.running(room)
            watch.failed(room, "RunTimeout: calculator in mode parallel did not finish" + "x" * 500)
            reader = Workspace("reader")
            async with WebsocketTransport(WebsocketConfig(url=relay.url, room=watch.room, token=SecretStr("T"))).connect(reader):
                from pycrdt import Map

                trials = reader.doc.get("trials", type=Map)
                with anyio.fail_after(10):
                    while len(trials) < 2 or trials.to_py()[room]["status"] != "failed":
                        await anyio.sleep(0.02)
                entries = trials.to_py()
                assert entries[room]["error"].startswith("RunTimeout") and len(entries[room]["error"]) == 200
                assert entries[watch.room_for(1)]["status"] == "queued"
                assert reader.get_meta()["model"] == "scripted"
