"""Agents: model providers, outliner, implementer, judge, scheduler and coupling classifier."""
