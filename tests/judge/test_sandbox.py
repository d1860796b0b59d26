"""Hostile code is contained, reported, and the sandbox keeps working."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import uuid
from pathlib import Path

import anyio
import pytest

from agents.judge import JudgeInputError, Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio

FAST = SandboxConfig(wall_timeout_s=3.0, cpu_s=10, memory_bytes=1 << 30, max_processes=64)


async def run(code: str, config: SandboxConfig = FAST):
    return await Sandbox(config).run(["python", "main.py"], {"main.py": code})


async def test_plain_program_runs_isolated() -> None:
    os.environ["JUDGE_TEST_SECRET"] = "s3cret"
    try:
        res = await run("import os, sys; print('hello', os.getcwd() == os.environ['HOME'], 'JUDGE_TEST_SECRET' in os.environ)")
    finally:
        del os.environ["JUDGE_TEST_SECRET"]
    assert res.status == "ok" and res.returncode == 0
    assert res.stdout.strip() == "hello True False"
    assert {"rlimits", "pgroup", "minimal-env"} <= set(res.isolation)


async def test_infinite_loop_is_killed_by_wall_timeout() -> None:
    res = await run("while True:\n    pass\n", FAST.model_copy(update={"wall_timeout_s": 1.0}))
    assert res.status == "timeout" and res.signal == "SIGKILL"
    assert 0.9 < res.duration_s < 5


async def test_cpu_limit() -> None:
    res = await run("while True:\n    pass\n", FAST.model_copy(update={"wall_timeout_s": 20.0, "cpu_s": 1}))
    assert res.status == "signaled" and res.resource == "cpu", res
    assert res.duration_s < 10


async def test_memory_bomb_is_contained() -> None:
    # A small cap and a generous wall clock: on a loaded 2-core machine the
    # interpreter can take seconds to unwind after the MemoryError.
    config = FAST.model_copy(update={"memory_bytes": 256 << 20, "wall_timeout_s": 15.0})
    res = await run("blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))\n", config)
    assert res.status == "exit_nonzero" and res.resource == "memory", res.stderr[-500:]


async def test_fork_bomb_is_contained_and_leaves_nothing_behind() -> None:
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    # A unique file name, so the leftover check only sees this run's processes.
    script = f"bomb_{uuid.uuid4().hex}.py"
    res = await Sandbox(FAST.model_copy(update={"wall_timeout_s": 2.0})).run(["python", script], {script: code})
    assert res.status in ("timeout", "exit_nonzero")
    # Every forked process is gone: nothing runs the bomb any more.
    await anyio.sleep(0.2)
    leftovers = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if script.encode() in cmdline:
                leftovers.append(pid)
    assert leftovers == []
    after = await run("print('still working')")
    assert after.stdout.strip() == "still working"


async def test_writing_outside_the_work_dir_does_not_reach_the_host(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    code = (
        "import os\nresults = []\n"
        f"for path in [{str(target)!r}, '/etc/judge_escape', '/tmp/judge_escape_probe', os.path.expanduser('~/../escape')]:\n"
        "    try:\n        open(path, 'w').write('x')\n        results.append('wrote')\n"
        "    except OSError as exc:\n        results.append(type(exc).__name__)\n"
        "print(results)\nopen('inside.txt', 'w').write('fine')\n"
    )
    res = await run(code)
    assert res.status == "ok", res.stderr
    assert not target.exists()
    assert not Path("/etc/judge_escape").exists()
    assert not Path("/tmp/judge_escape_probe").exists()


async def test_socket_cannot_reach_host_services() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    port = server.getsockname()[1]
    try:
        res = await run(f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('connected')\n")
        assert "netns" in res.isolation, "unshare -n is available on this machine; the run must use it"
        assert res.status == "exit_nonzero" and "connected" not in res.stdout
        with pytest.raises(BlockingIOError):
            server.accept()
    finally:
        server.close()


async def test_killing_the_parent_fails_and_judge_survives() -> None:
    me = os.getpid()
    code = (
        "import os, signal\nfor pid in (os.getppid(), %d):\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n        print('sent', pid)\n"
        "    except OSError as exc:\n        print('refused', type(exc).__name__)\n" % me
    )
    res = await run(code)
    assert f"sent {me}" not in res.stdout
    assert "refused" in res.stdout
    assert os.getpid() == me  # we are still alive to assert this


async def test_huge_output_is_truncated_and_killed() -> None:
    cfg = FAST.model_copy(update={"output_keep_bytes": 4096, "output_kill_bytes": 1 << 20, "wall_timeout_s": 10.0})
    res = await run("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", cfg)
    assert res.status == "output_limit"
    assert res.truncated and res.stdout_bytes > 1 << 20
    assert len(res.stdout) < 4096 + 200 and "truncated" in res.stdout


async def test_file_size_limit() -> None:
    cfg = FAST.model_copy(update={"max_file_bytes": 1 << 20})
    res = await run("open('big.bin', 'wb').write(b'0' * (4 << 20))\n", cfg)
    assert res.status == "exit_nonzero" and res.resource == "file_size", res.stderr[-300:]


async def test_bad_file_names_are_rejected() -> None:
    with pytest.raises(JudgeInputError):
        await Sandbox(FAST).run(["python", "x.py"], {"../x.py": "print(1)"})
    with pytest.raises(JudgeInputError):
        await Sandbox(FAST).run([], {})



async def test_a_command_kept_under_tmp_still_runs_but_cannot_write_there() -> None:
    # A checkout (and its venv) in a mktemp dir lives under /tmp, which the sandbox
    # hides: its files must come back read-only, and /tmp itself stay private.
    home = Path(tempfile.mkdtemp(prefix="judge-tool-", dir="/tmp"))
    home.chmod(0o755)  # a checkout others may read, as the sandbox's private uid must
    try:
        tool = home / "tool.py"
        tool.write_text(
            "import pathlib\nprint('tool ran')\n"
            "for target in [pathlib.Path(__file__).with_name('written'), pathlib.Path('/tmp/judge_kept_probe')]:\n"
            "    try:\n        target.write_text('x')\n        print('wrote', target)\n"
            "    except OSError as exc:\n        print(type(exc).__name__)\n"
        )
        res = await Sandbox(FAST).run(["python", str(tool)], {})
        assert res.status == "ok", res.stderr
        assert res.stdout.startswith("tool ran")
        assert not (home / "written").exists()
        assert not Path("/tmp/judge_kept_probe").exists()
    finally:
        shutil.rmtree(home, ignore_errors=True)


async def test_a_venv_under_a_private_tmp_dir_works_in_the_view(tmp_path: Path) -> None:
    """CI's layout: a fresh clone in /tmp with its venv inside; the private uid must reach the venv, not the clone."""
    clone = Path(tempfile.mkdtemp(prefix="judge-clone-", dir="/tmp"))
    try:
        (clone / "README.md").write_text("the checkout")
        venv = clone / ".ci-venv"
        done = await anyio.run_process([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=False)
        assert done.returncode == 0, done.stderr
        probe = "import os, sys, numpy\nprint(sys.prefix)\nprint(sorted(os.listdir(os.path.dirname(sys.prefix))))\n"
        res = await Sandbox(SandboxConfig(python=str(venv / "bin" / "python"))).run(["python", "probe.py"], {"probe.py": probe})
        assert res.status == "ok", res.stderr
        assert "fsview" in res.isolation
        prefix, listing = res.stdout.splitlines()[:2]
        assert prefix == str(venv)
        assert listing == "['.ci-venv']"  # the clone around the venv is empty in the view
    finally:
        shutil.rmtree(clone, ignore_errors=True)
