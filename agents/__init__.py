"""Agents: model providers, outliner, implementer, judge, scheduler and coupling classifier.

Errors: one root, :class:`AgentsError`; each component's tree (drawn in its
own package docstring) hangs under it::

    AgentsError
    ├── ModelError       agents.models: providers, model names, API keys, budgets
    ├── AgentError       agents.roles: outliner/implementer/judge agents (OutlineError, NoTodos, RunTimeout)
    ├── JudgeError       agents.judge: sandbox, pyright, test data
    ├── CouplingError    agents.coupling: the coupling classifier
    ├── PlanError        agents.scheduler: a plan that cannot be followed (also a ValueError)
    └── EmbedError       agents.embed: the embedding API (and the MCP server built on it)
"""

from ._errors import AgentsError

__all__ = ["AgentsError"]
