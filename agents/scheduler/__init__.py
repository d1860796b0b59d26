"""Scheduler: which TODO each implementer takes next, read off the shared document.

:class:`SchedulerConfig` holds the knobs (mode, parallelism cap P, priority,
k-way drafts, token/cost budget, backpressure on the judge).  A :class:`Plan`
(mode, order, dependencies, waves) is decided once per run and published in
``meta``; :func:`make_chooser` turns it into each agent's claim chooser.
``auto`` resolves to the schedule :func:`decide_schedule` expects to reach
the first all-pass soonest (simulated over the classifier's graph, weighed by
the measured risks in :class:`DecisionConfig`).

Errors::

    PlanError (ValueError)    dependencies on unknown TODOs (under agents.AgentsError)
"""

from ._config import Mode, Objective, Priority, SchedulerConfig
from ._decide import Decision, DecisionConfig, Estimate, decide_schedule, estimate
from ._graph import dependents, seed_of
from ._plan import Plan, PlanError, awaiting_verdict, make_chooser, topological_order

__all__ = [
    "DecisionConfig",
    "Estimate",
    "Mode",
    "Objective",
    "Plan",
    "SchedulerConfig",
    "awaiting_verdict",
    "decide_schedule",
    "estimate",
    "make_chooser",
    "seed_of",
    "topological_order",
]
