"""Agent roles: the outliner, implementers and the judge, coordinating only through the document.

- :class:`Outliner` writes a task's skeleton into ``files``, one TODO per
  stub (with ``deps`` from the coupling classifier) and the :class:`~agents.scheduler.Plan`
  into ``meta``.
- :class:`Implementer` claims TODOs (``claim_protocol``), asks its model with
  the outline plus the committed code of the TODO's dependencies, streams the
  code into the symbol's region live and commits an :class:`Implementation`
  (the extraction, spliced through ``merge``) on the verified claim.
- :func:`join_as_implementer` runs an implementer against a remote relay room
  (another process, another agent system).
- :class:`JudgeAgent` runs the visible checks as TODOs complete, reopens
  failures for repair (bounded), reconciles semantic conflicts, and marks the
  run finished.

Errors::

    AgentError                     (under agents.AgentsError, the package's one root)
    ├── OutlineError        no usable skeleton (given one broken, model's unusable)
    │   └── NoTodos         the skeleton has no stubs
    └── RunTimeout          agents did not finish in time (also a TimeoutError)
"""

from ._commit import Implementation
from ._errors import AgentError, NoTodos, OutlineError, RunTimeout
from ._implementer import Implementer, ImplementerConfig
from ._records import CallRecord, ImplementerStats
from ._samples import DraftCheck
from ._join import JoinConfig, join_as_implementer
from ._judge_agent import FinalCheck, JudgeAgent, JudgeConfig, JudgeSummary
from ._package_checks import pytest_check
from ._package_judge import todo_at
from ._package import outline_of
from ._outliner import OUTLINE_SYMBOL, Outliner, OutlinerConfig, TaskSpec, find_stubs, plan_from
from ._phase import OUT_OF_BUDGET, TERMINAL_PHASES, is_over, phase_of
from ._prompt import SYSTEM_PROMPT, Context, build_context
from ._snapshot import Snapshot, committed_module
from ._stream import FenceFilter

__all__ = [
    "SYSTEM_PROMPT",
    "AgentError",
    "CallRecord",
    "DraftCheck",
    "Implementation",
    "Implementer",
    "ImplementerConfig",
    "ImplementerStats",
    "JoinConfig",
    "FinalCheck",
    "JudgeAgent",
    "JudgeConfig",
    "JudgeSummary",
    "Outliner",
    "OutlinerConfig",
    "RunTimeout",
    "Snapshot",
    "TaskSpec",
    "build_context",
    "outline_of",
    "find_stubs",
    "todo_at",
    "pytest_check",
    "is_over",
    "join_as_implementer",
    "phase_of",
    "plan_from",
]
