"""Tuning of the claim protocol; every figure is in seconds of the observer's own clock."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

__all__ = ["ClaimConfig"]


class ClaimConfig(BaseModel):
    """How agents claim, keep and give up TODOs."""

    heartbeat_interval: float = Field(
        default=0.5, gt=0, description="Seconds between the holder's heartbeat bumps while it works."
    )
    lease: float = Field(
        default=2.0,
        gt=0,
        description="Seconds without an observed heartbeat change after which an observer judges a claim stale "
        "and may reclaim it. Written into the entry (`lease_s`), so observers use the holder's own lease.",
    )
    safety_factor: float = Field(
        default=1.25, ge=1.0, description="Multiplier on the measured round-trip bounds that gives the verify wait."
    )
    margin: float = Field(
        default=0.002, ge=0, description="Seconds added to the verify wait for local processing of updates."
    )
    min_wait: float = Field(default=0.001, gt=0, description="Floor of the verify wait.")
    max_wait: float = Field(default=5.0, gt=0, description="Ceiling of the verify wait.")
    initial_wait: float = Field(
        default=0.05, gt=0, description="Verify wait used until the first round trip has been measured."
    )
    rtt_deviations: float = Field(
        default=2.0, ge=0, description="Mean deviations added to the smoothed round trip in its bound."
    )
    rtt_window: int = Field(
        default=8, ge=1, description="Recent round-trip samples whose maximum also bounds the wait (spikes count)."
    )
    initial_probes: int = Field(
        default=3, ge=0, description="Round trips measured before the agent's first claim (0: start at once)."
    )
    probe_interval: float = Field(
        default=1.0, gt=0, description="Seconds between sync round-trip probes while the agent runs."
    )
    backoff: float = Field(
        default=0.01,
        ge=0,
        description="Base pause after a lost claim; each agent/TODO pair scales it by a fixed hash in [0.5, 1.5), "
        "so losers spread out deterministically instead of colliding again.",
    )
    max_attempts: int = Field(
        default=5, ge=1, description="Claims of one TODO after which it is marked failed instead of reclaimed."
    )
    optimistic_start: bool = Field(
        default=True,
        description="Start the work as soon as the claim is written, during the verify wait; a claim lost at verify "
        "cancels it, and nothing is committed (nor, for implementers, streamed) before the claim is verified.",
    )
    claim_ahead: bool = Field(
        default=True,
        description="Claim the next TODO as soon as the work hands off (Claimer.handoff: its model call is over), "
        "while the last one's extraction and commit finish beside it; the agent's next call then waits for no commit.",
    )
    sync_before_claim: bool = Field(
        default=True,
        description="Do a sync round trip right before each claim, so the claim is made on a fresh view.",
    )
    prefer_ready: bool = Field(
        default=True, description="Rank TODOs whose dependencies are all done before the others."
    )
    prefer_repairs: bool = Field(
        default=True, description="Rank TODOs the judge reopened (pending with a fail verdict) before everything else: a repair is on the critical path."
    )

    @model_validator(mode="after")
    def _check(self) -> ClaimConfig:
        if self.lease <= self.heartbeat_interval:
            raise ValueError(
                f"lease ({self.lease}s) must exceed heartbeat_interval ({self.heartbeat_interval}s), "
                "or every live holder looks stale between two bumps"
            )
        if self.min_wait > self.max_wait:
            raise ValueError(f"min_wait ({self.min_wait}s) exceeds max_wait ({self.max_wait}s)")
        return self
