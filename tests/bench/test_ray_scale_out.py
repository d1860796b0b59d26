"""A sweep on a real local Ray cluster against the Anthropic fake server: one provider limit over every worker,
and the API key handed to workers that do not have it in their environment, never written anywhere."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from pydantic import SecretStr

from agents.models.testing import FakeServer, RecordedRequest, Step, anthropic_error, anthropic_model_info, anthropic_stream
from bench._executor import _SharedLimiter, forwarded_env  # pyright: ignore[reportPrivateUsage]
from bench.suites import SuiteReferences, get_suite

pytestmark = pytest.mark.anyio

MODEL = "claude-sonnet-4-6"
KEY = "sk-ant-ray-test-7f3a9c1e-DO-NOT-LEAK"
CREDENTIALS = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY")
SUITE = get_suite("bundled")
REFERENCES = SuiteReferences(SUITE)


@pytest.fixture(scope="module")
def keyless_cluster() -> Iterator[tuple[str, Path]]:
    """A local Ray cluster whose processes were started without any provider credential in their environment."""
    ray = pytest.importorskip("ray", reason="the ray extra: pip install 'crdt-agents[ray]'")
    saved = {name: os.environ.pop(name) for name in CREDENTIALS if name in os.environ}
    try:
        context = ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    finally:
        os.environ.update(saved)
    try:
        seen = ray.get(ray.remote(lambda: [n for n in CREDENTIALS if n in os.environ]).remote())
        assert seen == [], f"the cluster's workers must not have {seen} of their own"
        yield context.address_info["gcs_address"], Path(context.address_info["session_dir"])
    finally:
        ray.shutdown()


class Provider:
    """The suite's reference for every method asked, only for the right key; each stream lasts about a second."""

    def __init__(self) -> None:
        self.posts: list[str] = []  # the task file each message request was about, in arrival order
        self.rejected = 0

    def __call__(self, request: RecordedRequest) -> Step:
        if KEY not in (request.headers.get("x-api-key"), request.headers.get("authorization", "").removeprefix("Bearer ")):
            self.rejected += 1
            return anthropic_error(401)
        if request.method == "GET":
            return anthropic_model_info(MODEL)
        prompt = json.loads(request.body)["messages"][-1]["content"]
        if isinstance(prompt, list):  # a turn with cache-marked blocks
            prompt = "".join(block["text"] for block in prompt)  # pyright: ignore[reportUnknownVariableType]
        symbol = re.findall(r"Implement `([^`]+)`", prompt)[-1]
        file = re.findall(r"Outline of `([^`]+)`", prompt)[0]
        self.posts.append(file)
        task = next(t for t in SUITE.tasks if t.file == file)
        reference = REFERENCES.get(task.id, symbol)
        assert reference is not None
        step = anthropic_stream(f"```python\n{reference.code}\n```\n", model=MODEL)
        step.delay_between_events_s = 1.0 / max(1, len(step.events) - 1)
        return step


def _env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIALS}
    return {**env, "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": base_url}


@pytest.mark.slow
async def test_one_call_cap_and_the_key_hold_over_every_ray_worker(tmp_path: Path, keyless_cluster: tuple[str, Path]) -> None:
    address, session = keyless_cluster
    results = tmp_path / "r.jsonl"
    provider = Provider()
    args = [sys.executable, "-m", "bench", "run", "--task", "unit_convert", "--task", "calculator", "--task", "inventory",
            "--mode", "serial", "--no-pyright", "--model", f"anthropic:{MODEL}", "--executor", "ray", "--ray-address", address,
            "--concurrency", "3", "--max-calls", "1", "--results", str(results)]  # fmt: skip
    async with FakeServer(responder=provider) as server:
        with anyio.fail_after(600):
            done = await anyio.run_process(args, env=_env(server.base_url), check=False)
    out = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 0, out
    assert "3 worker(s)" in out
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["status"] for r in rows] == ["ok"] * 3 and all(r["model_failures"] == 0 for r in rows), rows
    # Workers started without the key authenticated with the one the driver forwarded.
    assert provider.rejected == 0 and sum(r["calls"] for r in rows) == len(provider.posts) >= 9
    # Three workers' trials were under way at once (their requests interleave), yet never two requests at a time.
    blocks = [f for i, f in enumerate(provider.posts) if i == 0 or provider.posts[i - 1] != f]
    assert len(blocks) > 3, f"the trials did not overlap, so the cap was not exercised: {provider.posts}"
    assert server.peak_in_flight == 1, f"{server.peak_in_flight} requests at once with --max-calls 1"
    # The key is nowhere: not in the output, the results, nor any log of the cluster.
    assert KEY not in out and KEY not in results.read_text()
    leaked = [p for p in session.rglob("*") if p.is_file() and KEY.encode() in _read(p)]
    assert leaked == [], f"the API key was written to {leaked}"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # sockets and files Ray removed meanwhile


def test_forwarded_env_takes_only_what_the_run_needs_and_hides_it() -> None:
    environ = {"ANTHROPIC_API_KEY": KEY, "OPENAI_API_KEY": "sk-other", "CLASSEVAL_DATA": "/data/ce", "HOME": "/root",
               "ANTHROPIC_BASE_URL": ""}  # fmt: skip
    env = forwarded_env(f"anthropic:{MODEL}", environ)
    assert sorted(env) == ["ANTHROPIC_API_KEY", "CLASSEVAL_DATA"], "no other provider's key, nothing empty, nothing else"
    assert all(isinstance(v, SecretStr) for v in env.values())
    assert KEY not in repr(env) and KEY not in str(env)
    assert env["ANTHROPIC_API_KEY"].get_secret_value() == KEY
    assert sorted(forwarded_env("scripted", environ)) == ["CLASSEVAL_DATA"]


async def test_shared_limiter_frees_slots_of_cancelled_callers_and_lost_workers() -> None:
    shared = _SharedLimiter({"max_concurrent": 1})
    with anyio.fail_after(10):  # a leaked slot hangs: fail instead
        await shared.acquire("t1", "worker-a", 10)
        async with anyio.create_task_group() as tg:
            tg.start_soon(shared.acquire, "t2", "worker-b", 10)  # queued behind t1
            await anyio.wait_all_tasks_blocked()
            await shared.release("t2", 0)  # its caller gave up while it queued
            await shared.release("t1", 5)
        assert (await shared.stats())["held"] == 0, "t2 was granted after its caller left, and freed at once"
        await shared.acquire("t3", "worker-a", 10)  # worker a holds the only slot, then its process dies
        assert await shared.release_holder("worker-a") == 1
        await shared.acquire("t4", "worker-c", 10)  # the slot came back
        await shared.release("t4", 0)
    assert await shared.stats() == {"peak": 1, "held": 0, "pauses": 0}


async def test_a_retry_after_told_by_one_worker_holds_back_every_workers_next_call() -> None:
    shared = _SharedLimiter({})
    await shared.pause(60.0)  # worker a was told retry-after 60 s
    with anyio.move_on_after(0.05) as waited:
        await shared.acquire("t1", "worker-b", 10)  # worker b never saw the 429
    assert waited.cancelled_caught, "worker b's call went out during worker a's retry-after"
    assert (await shared.stats())["pauses"] == 1
