"""What a person at a terminal sees: live progress on a TTY, plain lines in a pipe, --version, tasks, --help."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

FAST = ["run", "--task", "unit_convert", "--task", "inventory", "--mode", "serial", "--mode", "parallel",
        "--time-scale", "0.3", "--no-pyright"]  # fmt: skip


def crdt_bench(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_live_display_on_a_tty(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "40"}
    proc = subprocess.Popen([sys.executable, "-m", "bench", *FAST, "--concurrency", "2"], stdout=follower,
                            stderr=subprocess.PIPE, cwd=tmp_path, env=env)  # fmt: skip
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "\x1b[" in screen, "a TTY gets the redrawn status block"
    assert re.search(r"── \d/4 trials done, [12] running, eta", screen)
    # A running trial's phase and TODO counts, read from its replica.
    assert re.search(r"(unit_convert|inventory)\s+(serial|parallel)\s+implementing: \d+/\d+ done, \d+ claimed", screen)
    assert "[4/4]" in screen and "next: crdt-bench report runs/" in screen


def test_version_tasks_and_help() -> None:
    version = crdt_bench("--version")
    assert version.returncode == 0 and re.fullmatch(r"crdt-bench \d+\.\d+\.\d+\S*\n", version.stdout)
    listing = crdt_bench("tasks", "--suite", "bundled")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["task", "todos", "coupling", "expects", "title"]
    unit = next(line for line in lines if line.startswith("unit_convert "))
    assert re.match(r"unit_convert\s+\d+\s+(low|medium|high)\s+(parallel|waves|serial)\s+\S", unit)
    assert re.fullmatch(r"\d+ tasks, \d+ TODOs in suite bundled", lines[-1])
    assert all(len(line) <= 100 for line in lines)
    bad = crdt_bench("tasks", "--suite", "nowhere")
    assert bad.returncode == 2 and "unknown suite 'nowhere'" in bad.stderr
    helped = crdt_bench("run", "--help")
    text = " ".join(helped.stdout.split())
    for mode in ("serial", "parallel", "waves", "auto"):
        assert re.search(rf"\b{mode}\s+\S", helped.stdout), mode
    assert "--dry-run" in text and "--concurrency" in text and "--executor" in text and "--record" in text
