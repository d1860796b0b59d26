"""What an implementer did, call by call: the records a run's results are built from."""

from __future__ import annotations

from dataclasses import dataclass, field

from claim_protocol import ClaimStats

__all__ = ["CallRecord", "ImplementerStats"]


@dataclass
class CallRecord:
    """One model call, as the results need it."""

    todo: str
    agent: str
    started: float
    seconds: float
    output_tokens: int
    input_tokens: int  # the whole prompt: uncached, cache writes and cache reads
    cost_usd: float | None
    shown: tuple[str, ...]
    missing: tuple[str, ...]
    fault: str | None
    used: bool = False
    redraft: bool = False
    cut: bool = False  # the reply stopped at max_tokens: its code may end mid-function
    spare: bool = False  # drawn beside a repair and kept on the TODO (agents.roles._spares)
    edit: bool = False  # a repair asked as SEARCH/REPLACE edits to the code that failed
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass
class ImplementerStats:
    """What one implementer did."""

    agent: str
    calls: list[CallRecord] = field(default_factory=list)
    commits: int = 0
    extract_failures: int = 0
    spares_used: int = 0  # repairs committed from a kept spare, without a model call
    edit_failures: int = 0  # repairs whose edits did not apply to the code shown (then asked whole)
    model_failures: int = 0
    last_model_error: str | None = None  # why the last failed call failed (runners report it: a bad key, a dead server)
    claims: list[ClaimStats] = field(default_factory=list)
