"""Claim counters of one agent, shared by the board and the double-claim repair."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ClaimStats"]


@dataclass
class ClaimStats:
    """Counters for reports; latencies are choose→verified, in seconds."""

    claims: int = 0
    reclaims: int = 0
    wins: int = 0
    losses: int = 0
    expiries: int = 0
    preempted: int = 0
    double_claims: int = 0
    completions: int = 0
    repairs: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
