"""Scheduler: which TODO each implementer takes next, read off the shared document.

:class:`SchedulerConfig` holds the knobs (mode, parallelism cap P, priority,
k-way drafts, token/cost budget, backpressure on the judge).  A :class:`Plan`
(mode, order, dependencies, waves) is decided once per run and published in
``meta``; :func:`make_chooser` turns it into each agent's claim chooser.

Errors::

    PlanError (ValueError)    dependencies on unknown TODOs
"""

from ._config import Mode, Objective, Priority, SchedulerConfig
from ._plan import Plan, PlanError, awaiting_verdict, decide, dependents, make_chooser, topological_order

__all__ = ["Mode", "Objective", "Plan", "PlanError", "Priority", "awaiting_verdict", "decide", "SchedulerConfig", "dependents", "make_chooser", "topological_order"]
