"""Speculative merge: ranking by cheap checks, first-to-pass with a real subprocess check."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import AsyncIterator

import anyio
import pytest

from merge import (
    CHECKS,
    Candidate,
    NoCandidatePassed,
    UnknownCheck,
    first_to_pass,
    get_check,
    speculative_merge,
)

MODULE = '''class Counter:
    def __init__(self):
        self.count = 0

    def add(self, n: int = 1) -> int:
        """Add n and return the new count.
        >>> Counter().add(2)
        2
        """
'''

BROKEN = "I think the method is fine as it is."
RENAMED = "def add(self, amount):\n    self.count += amount\n    return self.count\n"
UNKNOWN_NAME = "def add(self, n=1):\n    self.count = helper(self.count, n)\n    return self.count\n"
UNKNOWN_ATTR = "def add(self, n=1):\n    self.total += n\n    return self.total\n"
WRONG = "def add(self, n=1):\n    self.count -= n\n    return self.count\n"
GOOD = "```python\ndef add(self, n=1):\n    self.count += n\n    return self.count\n```"


def test_ranking_by_cheap_checks() -> None:
    ranked = speculative_merge(MODULE, "Counter.add", [BROKEN, RENAMED, UNKNOWN_NAME, UNKNOWN_ATTR, GOOD])
    assert [c.index for c in ranked] == [4, 1, 2, 3, 0]
    assert ranked[0].checks == dict.fromkeys(CHECKS, True)
    assert ranked[1].checks["signature_kept"] is False
    assert ranked[2].checks["names_resolved"] is False
    assert ranked[3].checks["self_attrs_known"] is False
    assert ranked[-1].result is None and ranked[-1].score == -1 and ranked[-1].error is not None


def test_unknown_check_names_the_known_ones() -> None:
    with pytest.raises(UnknownCheck, match="unknown check 'pyflakes'; known: compiles, names_resolved"):
        get_check("pyflakes")


async def run_doctest(candidate: Candidate) -> bool:
    """The expensive check: run the candidate's doctests in a real subprocess."""
    assert candidate.source is not None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "candidate.py"
        path.write_text(candidate.source, encoding="utf-8")
        with anyio.fail_after(20):
            proc = await anyio.run_process([sys.executable, "-m", "doctest", str(path)], check=False)
    return proc.returncode == 0


@pytest.mark.anyio
async def test_the_doctest_check_can_fail() -> None:
    (wrong,) = speculative_merge(MODULE, "Counter.add", [WRONG])
    (good,) = speculative_merge(MODULE, "Counter.add", [GOOD])
    assert not await run_doctest(wrong) and await run_doctest(good)


@pytest.mark.anyio
async def test_first_to_pass_runs_real_checks() -> None:
    winner = await first_to_pass(MODULE, "Counter.add", [BROKEN, WRONG, GOOD, RENAMED], run_doctest)
    assert winner.index in (2, 3)  # both pass the doctest; whichever finished first wins
    assert winner.source is not None and "self.count += " in winner.source


@pytest.mark.anyio
async def test_first_to_pass_takes_replies_as_they_arrive() -> None:
    checked: list[int] = []

    async def arrivals() -> AsyncIterator[str]:
        for reply in (WRONG, GOOD, GOOD):
            await anyio.sleep(0.01)
            yield reply

    async def slow_check(candidate: Candidate) -> bool:
        checked.append(candidate.index)
        if candidate.index == 2:
            await anyio.sleep(30)  # would time the test out unless cancelled
        return await run_doctest(candidate)

    with anyio.fail_after(25):
        winner = await first_to_pass(MODULE, "Counter.add", arrivals(), slow_check)
    assert winner.index == 1


@pytest.mark.anyio
async def test_no_candidate_passed() -> None:
    with pytest.raises(NoCandidatePassed, match="#0: UnparsableReply; #1: check failed"):
        await first_to_pass(MODULE, "Counter.add", [BROKEN, WRONG], run_doctest)
