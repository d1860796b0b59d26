"""What ``crdt-bench run`` shows while it works: a live display on a terminal, plain lines elsewhere.

Both print one line per finished trial (``[done/total] task mode ... eta``,
with the spend so far for priced models).  On a TTY a status block under
those lines is redrawn twice a second: trials done/total, ETA, spend, and
each running trial's phase and TODO counts, read from its outliner replica.
Piped or redirected output gets only the plain lines (no escape codes), so
logs and CI stay readable.  Lines wrap at 100 columns (the live status lines are cut).
"""

from __future__ import annotations

import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from typing import TextIO

import anyio

from crdt_ws import TodoStatus, Workspace

from ._metrics import TrialResult
from ._runner import Job
from ._trial import NOT_SCORED

__all__ = ["Progress", "trial_line", "WIDTH"]

WIDTH = 100


def fit(line: str, width: int = WIDTH) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def trial_line(done: int, total: int, r: TrialResult) -> str:
    """The finished-trial line (also the plain-output format); leaves room for `` eta=.. spent=$..``."""
    mode = r.mode if r.requested == r.mode else f"{r.requested}->{r.mode}"
    task = r.task if len(r.task) <= 24 else "…" + r.task[-23:]  # a project id's end names it (CodeProjectEval/flask)
    head = f"[{done}/{total}] {task:<24} {mode:<14.14}"
    if r.status == "error":
        return f"{head} ERROR {r.error or ''}"
    verdict = "pass" if r.passed else f"FAIL {r.test_classes_passed}/{r.test_classes}"
    if r.verdict == NOT_SCORED:
        verdict = "not scored"  # hidden tests not run (a multi-file task before its scorer is wired): no pass, no fail
    if r.tampered:
        verdict = "TAMPERED"  # counts as failed; what was tried is in the row
    if r.isolation and "fsview" not in r.isolation:
        verdict += " [unisolated]"
    failed = f" failed={r.model_failures}" if r.model_failures else ""
    return f"{head} a={r.agents} {r.wall_s:6.1f}s calls={r.calls:<3} rep={r.reopened:<2} {verdict:<9}{failed}"


class Progress:
    """Counts finished trials and their spend; ``live=True`` adds the redrawn status block."""

    def __init__(self, echo: Callable[[str], None] | None = None, *, live: bool | None = None, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.echo = echo
        self.live = live if live is not None else (echo is None and self.out.isatty())
        self.total = 0
        self.done = 0
        self.todo = 0
        self.finished_now = 0
        self.cost = 0.0
        self.priced = False
        self.began = time.monotonic()
        self.running: dict[int, tuple[Job, float, Workspace | None]] = {}
        self._drawn = 0

    # -- what the runner tells it ---------------------------------------------------------------

    def start(self, total: int, already: int) -> None:
        self.total, self.done, self.todo = total, already, total - already
        self.began = time.monotonic()

    def line(self, text: str) -> None:
        """A permanent line (above the live block), wrapped at 100 columns: nothing a user must read is cut."""
        self._clear()
        for line in text.split("\n"):
            whole = line.startswith("|") or "://" in line  # table rows and URLs stay whole (copied, parsed)
            for part in [line] if whole else textwrap.wrap(line, WIDTH, subsequent_indent="    ", break_on_hyphens=False) or [""]:
                if self.echo is not None:
                    self.echo(part)
                else:
                    print(part, file=self.out, flush=True)
        self._draw()

    def __call__(self, text: str) -> None:
        """A plain ``say`` callable (for code that prints through a function)."""
        self.line(text)

    def observe(self, job: Job, workspace: Workspace | None) -> None:
        """A trial started (``None``) or published its plan (its outliner's replica)."""
        since = self.running[job.order][1] if job.order in self.running else time.monotonic()
        self.running[job.order] = (job, since, workspace)

    def finished(self, row: TrialResult) -> None:
        self.running.pop(row.order, None)
        self.done += 1
        self.finished_now += 1
        if row.cost_usd is not None and "offline" not in row.provider:
            self.cost += row.cost_usd
            self.priced = True
        tail = f" eta={self.eta()}" + (f" spent=${self.cost:.2f}" if self.priced else "")
        self.line(trial_line(self.done, self.total, row) + tail)

    def eta(self) -> str:
        if not self.finished_now:
            return "?"
        left = (time.monotonic() - self.began) / self.finished_now * (self.todo - self.finished_now)
        return f"{left / 60:.0f}m" if left >= 90 else f"{left:.0f}s"

    # -- the live block -------------------------------------------------------------------------

    async def redraw_forever(self, every_s: float = 0.5) -> None:
        """Redraw the status block until cancelled (does nothing when not live)."""
        if not self.live:
            return
        while True:
            self._clear()
            self._draw()
            await anyio.sleep(every_s)

    def status(self) -> list[str]:
        spend = f"  spent ${self.cost:.2f}" if self.priced else ""
        head = f"── {self.done}/{self.total} trials done, {len(self.running)} running, eta {self.eta()}{spend}"
        lines = [head]
        now = time.monotonic()
        for job, since, ws in sorted(self.running.values(), key=lambda v: v[0].order):
            lines.append(f"   {job.task:<18.18} {job.mode:<8} {_phase(ws):<34} {now - since:5.0f}s")
        return lines

    def _width(self) -> int:
        return min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns)

    def _draw(self) -> None:
        if not self.live:
            return
        lines = [fit(line, self._width()) for line in self.status()]
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self._drawn = len(lines)

    def _clear(self) -> None:
        if self.live and self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")  # up to the block's first line, clear to the end
            self._drawn = 0

    def close(self) -> None:
        self._clear()


def _phase(ws: Workspace | None) -> str:
    if ws is None:
        return "outlining"
    todos = ws.list_todos()
    done = sum(1 for t in todos if t.status == TodoStatus.DONE)
    claimed = sum(1 for t in todos if t.status == TodoStatus.CLAIMED)
    phase = ws.meta.get("phase") or "?"
    return f"{phase}: {done}/{len(todos)} done, {claimed} claimed"
