"""Warm sandboxes: what one run could try against the server that forks it and against the runs after it.

Each test runs real commands through a real :class:`~agents.judge._warm.WarmPool`
(bubblewrap view, namespaces, a fresh private uid per run) and plays the
hostile run: a daemon left behind, signals and traces aimed at the server,
forged relay lines, a peek at the previous run's work dir, a hang.  The
verdict-level attacks (patching pytest, forging the channel) run warm and cold
in ``test_project_judge.py``.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator

import pytest

from agents.judge import SandboxConfig
from agents.judge._warm import WarmPool, WarmSandbox

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pool() -> AsyncIterator[WarmPool]:
    async with WarmPool() as pool:
        if not await pool.ready():
            pytest.skip(f"warm runs are not available here: {pool.unavailable}")
        yield pool


async def _run(box: WarmSandbox, code: str, **options: object):  # noqa: ANN202 - SandboxResult
    return await box.run(["python", "-I", "s.py"], {"s.py": textwrap.dedent(code)}, stdin_data=b"k" * 32, **options)  # type: ignore[arg-type]


PEEK = textwrap.dedent(
    """
    import json, os, sys
    others = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:  # the real uid from status: a process that is not dumpable has a root-owned /proc/PID
                uid = int(next(l for l in open(f"/proc/{pid}/status") if l.startswith("Uid:")).split()[1])
            except (OSError, StopIteration):
                continue
            if uid not in (0, os.getuid()):
                others.append(uid)
    print(json.dumps({"uid": os.getuid(), "others": others, "tmp": sorted(os.listdir("/tmp")), "cwd": os.getcwd(),
                      "key": sys.stdin.buffer.read().decode()}))
    """
)


async def test_a_run_is_a_fresh_private_uid_with_the_key_on_stdin_and_its_own_limits(pool: WarmPool) -> None:
    box = pool.sandbox(SandboxConfig(max_processes=77))
    first = await _run(box, PEEK + "import resource; print(resource.getrlimit(resource.RLIMIT_NPROC)[0])\n")
    second = await _run(box, PEEK)
    assert first.ok and second.ok, (first.stderr, second.stderr)
    a, b = json.loads(first.stdout.splitlines()[0]), json.loads(second.stdout.splitlines()[0])
    assert a["uid"] != 0 and b["uid"] != 0 and a["uid"] != b["uid"]
    assert a["key"] == b["key"] == "k" * 32
    assert first.stdout.splitlines()[1] == "77"
    assert a["cwd"] != b["cwd"]
    assert "warm" in first.isolation and "uid" in first.isolation and "fsview" in first.isolation
    assert pool.started == 1  # both runs were forked from the one server


async def test_a_daemon_left_behind_is_killed_and_its_files_are_gone_before_the_next_run(pool: WarmPool) -> None:
    box = pool.sandbox()
    daemon = """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                while True:  # would write into the next run's /tmp and outlive this one
                    with open("/tmp/left-behind", "w") as f:
                        f.write("x")
                    time.sleep(0.01)
            os._exit(0)
        time.sleep(0.2)
        print("parent exits")
    """
    before = json.loads((await _run(box, PEEK)).stdout.splitlines()[0])  # what the view itself shows in /tmp
    left = await _run(box, daemon)
    assert left.ok and "parent exits" in left.stdout
    after = json.loads((await _run(box, PEEK)).stdout.splitlines()[0])
    assert after["others"] == [], after  # no process of the earlier run's uid (nor any other) is alive
    assert after["tmp"] == before["tmp"] and "left-behind" not in after["tmp"], after


async def test_a_leftover_that_hides_and_keeps_moving_is_swept_too(pool: WarmPool) -> None:
    box = pool.sandbox()
    mover = """
        import ctypes, os, time
        if os.fork() == 0:
            os.setsid()
            ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # not dumpable: its /proc/PID turns root-owned
            while True:
                if os.fork() != 0:
                    os._exit(0)  # the parent leaves, its child goes on: a new pid every round
                time.sleep(0.001)
        time.sleep(0.1)
    """
    assert (await _run(box, mover)).ok
    after = json.loads((await _run(box, PEEK)).stdout.splitlines()[0])
    assert after["others"] == [], after


async def test_the_server_cannot_be_signalled_or_read_by_a_run(pool: WarmPool) -> None:
    box = pool.sandbox()
    attack = """
        import os, signal
        refused = []
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) != os.getpid():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except PermissionError:
                    refused.append("kill")
                for name in ("mem", "environ"):
                    try:
                        open(f"/proc/{pid}/{name}", "rb").read(1)
                    except OSError:
                        refused.append(name)
        os.kill(-1, signal.SIGKILL)  # every process this uid may signal: none but this run's own
        print(sorted(set(refused)))
    """
    attacked = await _run(box, attack)
    assert attacked.ok and attacked.stdout.strip() == "['environ', 'kill', 'mem']", attacked
    after = await _run(box, "print('still served')\n")
    assert after.ok and after.stdout.strip() == "still served"
    assert pool.started == 1  # the same server: no signal or read reached it


async def test_lines_a_run_prints_are_output_never_the_end_of_the_run(pool: WarmPool) -> None:
    box = pool.sandbox()
    forged = """
        import os, sys, time
        print('x {"code": 0}')
        print("r")
        sys.stdout.flush()
        os.write(2, b'x {"code": 0}\\n')
        time.sleep(0.3)
        sys.exit(3)
    """
    result = await _run(box, forged)
    assert result.status == "exit_nonzero" and result.returncode == 3, result
    assert result.stdout.splitlines() == ['x {"code": 0}', "r"]
    assert 'x {"code": 0}' in result.stderr


async def test_a_run_cannot_see_the_previous_runs_work_dir(pool: WarmPool) -> None:
    box = pool.sandbox()
    first = await _run(box, "import os\nopen('secret.txt', 'w').write('s3cret')\nprint(os.getcwd())\n")
    path = first.stdout.strip()
    peek = f"""
        import os
        seen = []
        for target in ({path!r} + "/secret.txt", {path!r}, os.path.dirname({path!r})):
            try:
                seen.append(open(target).read() if target.endswith(".txt") else os.listdir(target))
            except OSError:
                pass
        print(seen)
    """
    second = await _run(box, peek)
    assert second.ok and second.stdout.strip() == "[]", second


async def test_a_hang_kills_the_server_and_the_next_run_gets_a_new_one(pool: WarmPool) -> None:
    box = pool.sandbox()
    hung = await _run(box, "import time\nprint('started', flush=True)\ntime.sleep(10_000)\n", on_stdout_line=lambda _line: 1.0)
    assert hung.status == "stalled", hung
    again = await _run(box, "print('fresh')\n")
    assert again.ok and again.stdout.strip() == "fresh"
    assert pool.started == 2


async def test_other_commands_and_limits_still_run_cold(pool: WarmPool) -> None:
    box = pool.sandbox()
    cold = await box.run(["python", "-c", "print('cold')"])
    assert cold.ok and cold.stdout.strip() == "cold" and "warm" not in cold.isolation
    timed = await pool.sandbox(SandboxConfig(wall_timeout_s=1.5)).run(["python", "-I", "s.py"], {"s.py": "import time\ntime.sleep(60)\n"})
    assert timed.status == "timeout" and "warm" in timed.isolation


async def test_a_line_cut_by_a_hang_still_reaches_the_judge(pool: WarmPool) -> None:
    # Junk without its newline, then a hang: killed for the stall, the run's last bytes must still be handed over
    # (the verdict channel rejects them as tampering, as it does on a cold run at EOF).
    seen: list[str] = []

    def heard(line: str) -> float:
        seen.append(line)
        return 1.0

    box = pool.sandbox()
    code = "import os, time\nos.write(1, b'first\\n')\nos.write(1, b'junk')\ntime.sleep(10_000)\n"
    result = await _run(box, code, on_stdout_line=heard)
    assert result.status == "stalled", result
    assert seen == ["first", "junk"]
