"""The pipeline as one call: a team of agents outlines, implements and judges a task.

    from agents.team import TeamConfig, run_task
    async with MemoryHub() as hub, model:
        result = await run_task(spec, model, hub.connect, judge=Judge(), mode="auto")

:func:`run_task` takes the transport (``connect``: one replica -> a linked
connection) and gives every agent its own replica on it;
:class:`TeamHooks` observe the run and inject faults (``TeamRun.crash``);
:class:`TeamResult` is what the outliner's replica holds at the end.  The
whole pipeline reads in ``agents/team/_team.py``.  ``bench`` measures it,
the demos and other agent systems run it.

Errors: those of :mod:`agents.roles` (``RunTimeout`` when the run does not
finish in time, ``OutlineError`` for no usable skeleton).
"""

from ._team import Connect, TeamConfig, TeamHooks, TeamResult, TeamRun, run_task

__all__ = [
    "TeamConfig",
    "TeamHooks",
    "TeamResult",
    "TeamRun",
    "run_task",
]
