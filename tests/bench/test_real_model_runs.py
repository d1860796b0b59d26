"""``crdt-bench run`` against real-model providers as a new user meets them: fake servers on 127.0.0.1 speaking
the Anthropic wire format, the real SDK in a real subprocess."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from agents.models.testing import (
    FakeServer,
    JSONReply,
    RecordedRequest,
    Step,
    anthropic_error,
    anthropic_model_info,
    anthropic_stream,
)
from bench.suites import SuiteReferences, get_suite

pytestmark = pytest.mark.anyio

MODEL = "claude-sonnet-4-6"
ONE = ["--task", "unit_convert", "--mode", "serial", "--no-pyright"]


def _env(base_url: str | None = None, key: str | None = "sk-ant-test-key") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")}
    if key is not None:
        env["ANTHROPIC_API_KEY"] = key
    if base_url is not None:
        env["ANTHROPIC_BASE_URL"] = base_url
    return env


def crdt_bench(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bench", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env or _env(), cwd=cwd)


async def acrdt_bench(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "bench", *args]
    with anyio.fail_after(300):
        return await anyio.run_process(command, env=env, cwd=cwd, check=False)


def _error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("error:")]


def test_missing_key_fails_before_any_trial_with_one_line(tmp_path: Path) -> None:
    results = tmp_path / "out" / "results.jsonl"
    done = crdt_bench("run", *ONE, "--model", f"anthropic:{MODEL}", "--results", str(results), env=_env(key=None))
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = _error_lines(done)
    assert line.startswith(f"error: anthropic:{MODEL}") and "ANTHROPIC_API_KEY" in line
    assert "[1/" not in done.stdout, "no trial ran"
    assert not (tmp_path / "out").exists(), "a failed preflight leaves nothing behind"


def test_nothing_listening_fails_in_seconds_not_minutes(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = crdt_bench("run", *ONE, "--model", f"openai:foo@http://127.0.0.1:{port}/v1", "--results", str(tmp_path / "r.jsonl"))
    assert done.returncode == 2
    [line] = _error_lines(done)
    assert "openai:foo@" in line and "connection refused" in line and "check the URL" in line


def test_unwritable_results_fail_before_the_preflight(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    done = crdt_bench("run", *ONE, "--model", f"anthropic:{MODEL}", "--results", str(blocker / "results.jsonl"), env=_env(key=None))
    assert done.returncode == 2
    [line] = _error_lines(done)
    assert "cannot write results file" in line and "ANTHROPIC_API_KEY" not in line


def test_dry_run_estimates_and_calls_nothing(tmp_path: Path) -> None:
    done = crdt_bench("run", "--task", "unit_convert", "--task", "calculator", "--runs", "2", "--model", f"anthropic:{MODEL}",
                      "--concurrency", "4", "--dry-run", env=_env(base_url="http://127.0.0.1:9", key=None), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "plan: 12 trials" in out and f"model anthropic:{MODEL}" in out and "nothing was called" in out
    cost = re.search(r"cost:\s+~\$(\d+\.\d\d)", out)
    assert cost is not None and float(cost[1]) > 0, out
    assert re.search(r"at --concurrency 4", out)
    assert not (tmp_path / "runs").exists(), "a dry run writes nothing"
    assert all(len(line) <= 100 for line in out.splitlines())


def _replies(request: RecordedRequest) -> Step:
    """A model that answers every symbol with the suite's reference implementation (and passes preflight)."""
    if request.method == "GET":
        return anthropic_model_info(MODEL)
    prompt = json.loads(request.body)["messages"][-1]["content"]
    if isinstance(prompt, list):  # a turn with cache-marked blocks
        prompt = "".join(block["text"] for block in prompt)  # pyright: ignore[reportUnknownVariableType]
    symbol = re.findall(r"Implement `([^`]+)`", prompt)[-1]
    file = re.findall(r"Outline of `([^`]+)`", prompt)[0]
    task = next(t for t in SUITE.tasks if t.file == file)
    reference = REFERENCES.get(task.id, symbol)
    assert reference is not None
    return anthropic_stream(f"```python\n{reference.code}\n```\n", model=MODEL)


SUITE = get_suite("bundled")
REFERENCES = SuiteReferences(SUITE)


def _rejecting(request: RecordedRequest) -> Step:
    """A key that passes GET /v1/models but may not create messages."""
    return anthropic_model_info(MODEL) if request.method == "GET" else anthropic_error(403)


async def test_all_calls_failing_are_error_rows_the_run_stops_and_resume_reruns_them(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    args = ["run", "--task", "unit_convert", "--task", "calculator", "--task", "inventory", "--mode", "serial",
            "--no-pyright", "--model", f"anthropic:{MODEL}", "--results", str(results), "--max-consecutive-errors", "2"]  # fmt: skip
    async with FakeServer(responder=_rejecting) as server:
        done = await acrdt_bench(*args, env=_env(base_url=server.base_url))
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 1, stdout + stderr
    assert "stopped after 2 error trials in a row" in stderr and "HTTP 403" in stderr
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(rows) == 2, "the third trial never started"
    assert all(r["status"] == "error" and r["model_failures"] > 0 and r["calls"] == 0 for r in rows)
    assert all("ProviderRejected" in r["error"] for r in rows)
    assert "ERROR ProviderRejected" in stdout and "model failures:" in stdout

    async with FakeServer(responder=_replies) as server:
        again = await acrdt_bench(*args[:-2], "--max-consecutive-errors", "3", env=_env(base_url=server.base_url))
    assert again.returncode == 0, again.stdout.decode() + again.stderr.decode()
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(rows) == 5 and len(ok) == 3, "the error trials ran again; the error rows stay as a record"
    assert all(r["calls"] > 0 and r["model_failures"] == 0 for r in ok)


async def test_a_recorded_run_reruns_offline_with_the_same_rows(tmp_path: Path) -> None:
    paid, replayed, replies = tmp_path / "paid.jsonl", tmp_path / "replayed.jsonl", tmp_path / "replies"
    async with FakeServer(responder=_replies) as server:
        done = await acrdt_bench("run", *ONE, "--model", f"anthropic:{MODEL}", "--results", str(paid), "--record", str(replies),
                                 env=_env(base_url=server.base_url))  # fmt: skip
        calls = len([r for r in server.requests if r.method == "POST"])
    assert done.returncode == 0, done.stderr.decode()
    # No server, no key: the replay answers from the directory.
    again = await acrdt_bench("run", *ONE, "--model", f"recorded:{replies}", "--time-scale", "1", "--results", str(replayed),
                              env=_env(key=None))  # fmt: skip
    assert again.returncode == 0, again.stdout.decode() + again.stderr.decode()
    [a], [b] = ([json.loads(line) for line in p.read_text().splitlines()] for p in (paid, replayed))
    assert b["provider"].startswith(f"recorded:{replies} (offline: replies of anthropic:{MODEL}")
    same = ("calls", "input_tokens", "output_tokens", "cost_usd", "passed", "test_verdicts", "reopened", "stubs")
    assert {k: a[k] for k in same} == {k: b[k] for k in same}
    assert a["calls"] == calls and a["passed"] and a["cost_usd"] > 0


def test_default_results_path_and_next_command(tmp_path: Path) -> None:
    done = crdt_bench("run", *ONE, "--time-scale", "0.02", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [path] = list((tmp_path / "runs").glob("*/results.jsonl"))
    relative = str(path.relative_to(tmp_path))
    assert re.fullmatch(r"runs/\d{4}-\d\d-\d\d-[0-9a-f]{12}/results\.jsonl", relative)
    lines = done.stdout.splitlines()
    assert lines[0] == f"results: {relative}" and lines[-1] == f"next: crdt-bench report {relative}"
    assert all(len(line) <= 100 for line in lines if not line.startswith("|"))


def test_a_replay_run_checks_the_dry_run_estimate(tmp_path: Path, classeval_dir: Path) -> None:
    args = ["run", "--suite", "classeval", "--data-dir", str(classeval_dir), "--task", "ClassEval_1", "--task", "ClassEval_5",
            "--mode", "serial", "--mode", "parallel", "--model", "replay:GPT-4-Turbo", "--time-scale", "0.02", "--no-pyright",
            "--results", str(tmp_path / "r.jsonl")]  # fmt: skip
    dry = crdt_bench(*args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    estimated = re.search(r"tokens: ~([\d,]+) in, ~([\d,]+) out", dry.stdout)
    assert estimated is not None, dry.stdout
    assert re.search(r"time: +~\d+ s at --concurrency 1, judging on 1 core\(s\)", dry.stdout), dry.stdout
    started = time.monotonic()
    done = crdt_bench(*args)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    wall = re.search(r"estimate check: wall time (\d+) s estimated / (\d+) s taken \(([+-]\d+)%\) at --concurrency 1", text)
    assert wall is not None, done.stdout
    assert 0 < int(wall[2]) <= elapsed + 1, "the run's own wall time, within the subprocess's"
    # The error is computed before the seconds are rounded for printing: it lies within what the rounded figures allow.
    estimated_s, taken_s, error = int(wall[1]), int(wall[2]), int(wall[3])
    low = 100 * ((estimated_s - 0.5) / (taken_s + 0.5) - 1)
    high = 100 * ((estimated_s + 0.5) / max(0.5, taken_s - 0.5) - 1)
    assert low - 1 <= error <= high + 1, (estimated_s, taken_s, error)
    again = crdt_bench(*args)  # everything resumed: nothing ran, so no time to check
    assert again.returncode == 0 and "resuming: 4 of 4" in again.stdout and "wall time" not in again.stdout, again.stdout
    check = re.search(r"estimate check: calls (\d+) estimated / (\d+) made; tokens in ([\d,]+) / ([\d,]+) \(([+-]\d+)%\), "
                      r"out ([\d,]+) / ([\d,]+) \(([+-]\d+)%\)", text)  # fmt: skip
    assert check is not None, done.stdout
    assert (check[3], check[6]) == estimated.groups(), "the check compares the dry run's own figures"
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    measured_in, measured_out = sum(r["input_tokens"] for r in rows), sum(r["output_tokens"] for r in rows)
    assert (int(check[4].replace(",", "")), int(check[7].replace(",", ""))) == (measured_in, measured_out)
    est_in = int(check[3].replace(",", ""))
    assert int(check[5]) == round(100 * (est_in - measured_in) / measured_in)


async def test_concurrent_trials_share_one_limiter_per_provider(tmp_path: Path) -> None:
    # Three trials at once, but --max-calls 1: the server must never be asked while a stream is open.
    # Each reply streams for at least 0.1 s (>= 6 events, 20 ms apart), so arrivals are >= 0.1 s apart.
    # (Without --max-calls the three trials' first requests arrive together: this fails.)
    arrivals: list[float] = []

    def paced(request: RecordedRequest) -> Step:
        step = _replies(request)
        if request.method == "POST":
            arrivals.append(anyio.current_time())
            assert not isinstance(step, JSONReply) and len(step.events) >= 6
            step.delay_between_events_s = 0.02
        return step

    args = ["run", "--task", "unit_convert", "--task", "calculator", "--task", "inventory", "--mode", "serial",
            "--no-pyright", "--model", f"anthropic:{MODEL}", "--concurrency", "3", "--max-calls", "1",
            "--results", str(tmp_path / "r.jsonl")]  # fmt: skip
    async with FakeServer(responder=paced) as server:
        done = await acrdt_bench(*args, env=_env(base_url=server.base_url))
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert len(arrivals) >= 10
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert min(gaps) >= 0.1, gaps
