"""Errors of the agent roles (tree in the package docstring)."""

from __future__ import annotations

from agents._errors import AgentsError

__all__ = ["AgentError", "OutlineError", "NoTodos", "RunTimeout"]


class AgentError(AgentsError):
    """Root of every error the outliner, implementer and judge agents raise."""


class OutlineError(AgentError):
    """No usable skeleton: the given one does not parse, or the model's did not after every attempt."""


class NoTodos(OutlineError):
    """The skeleton parses but has no stubs to implement."""


class RunTimeout(AgentError, TimeoutError):
    """The agents did not finish within the run's time limit."""
