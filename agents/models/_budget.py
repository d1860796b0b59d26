"""A run-wide budget shared by all model calls: token cap, cost cap, parallelism cap.

Admission reserves the call's worst case (estimated prompt tokens +
``max_tokens``, and their cost at list price when known) *before* the call,
so concurrent calls can never jointly overshoot a cap: the call that would is
refused with ``BudgetExceeded`` and nothing is lost. When the call ends, the
reservation is replaced by the real usage. (A prompt estimate that was low can
leave the settled total slightly above the cap; every later call is refused.)

The bookkeeping is synchronous between awaits (safe for any number of anyio
tasks) and guarded by a lock (safe for worker threads too).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import anyio
from pydantic import BaseModel, Field

from ._errors import BudgetExceeded
from ._types import Usage

__all__ = ["Budget", "BudgetConfig", "BudgetSnapshot", "Reservation"]


class BudgetConfig(BaseModel):
    """Caps for one run; ``None`` means unlimited."""

    max_tokens: int | None = Field(default=None, gt=0, description="Cap on all tokens (prompt + output) of the run.")
    max_cost_usd: float | None = Field(default=None, gt=0, description="Cap on the run's cost in USD at list prices.")
    max_parallel: int | None = Field(default=None, gt=0, description="Cap on concurrent model calls.")


class BudgetSnapshot(BaseModel):
    """Figures at one moment (for reports)."""

    tokens_used: int = Field(description="Tokens of finished calls.")
    cost_usd: float = Field(description="Cost of finished calls with a known price.")
    unpriced_calls: int = Field(description="Finished calls whose cost is unknown (not in cost_usd).")
    calls: int = Field(description="Finished calls.")
    refused: int = Field(description="Calls refused with BudgetExceeded.")
    reserved_tokens: int = Field(description="Tokens held by calls in flight.")
    reserved_cost_usd: float = Field(description="Cost held by calls in flight.")
    in_flight: int = Field(description="Calls in flight.")


@dataclass
class Reservation:
    """What an admitted call holds until it is settled."""

    tokens: int
    cost_usd: float
    settled: bool = False


class Budget:
    """Shared by every call of a run (pass the same object to each model)."""

    def __init__(self, config: BudgetConfig | None = None, **caps: int | float | None) -> None:
        self.config = config if config is not None else BudgetConfig.model_validate(caps)
        self._lock = threading.Lock()
        self._limiter = anyio.CapacityLimiter(self.config.max_parallel or math.inf)
        self._tokens = 0
        self._cost = 0.0
        self._unpriced = 0
        self._calls = 0
        self._refused = 0
        self._reserved_tokens = 0
        self._reserved_cost = 0.0
        self._in_flight = 0

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """Limits concurrent calls to ``max_parallel``."""
        return self._limiter

    def reserve(self, tokens: int, cost_usd: float | None) -> Reservation:
        """Admit a call that may use up to ``tokens`` / ``cost_usd``, or raise ``BudgetExceeded``.

        ``cost_usd=None`` (unknown price) is admitted against the cost cap only
        when no cost cap is set: an unpriced call could overspend it silently.
        """
        with self._lock:
            cap_t = self.config.max_tokens
            if cap_t is not None and self._tokens + self._reserved_tokens + tokens > cap_t:
                self._refused += 1
                raise BudgetExceeded("token", self._tokens + self._reserved_tokens, tokens, cap_t)
            cap_c = self.config.max_cost_usd
            if cap_c is not None:
                if cost_usd is None:
                    self._refused += 1
                    raise BudgetExceeded("cost (model has no known price)", self._cost + self._reserved_cost, math.inf, cap_c)
                if self._cost + self._reserved_cost + cost_usd > cap_c:
                    self._refused += 1
                    raise BudgetExceeded("cost", self._cost + self._reserved_cost, cost_usd, cap_c)
            reservation = Reservation(tokens=tokens, cost_usd=cost_usd or 0.0)
            self._reserved_tokens += reservation.tokens
            self._reserved_cost += reservation.cost_usd
            self._in_flight += 1
            return reservation

    def settle(self, reservation: Reservation, usage: Usage | None) -> None:
        """Replace a reservation by what the call really used (``None``: nothing billed)."""
        with self._lock:
            if reservation.settled:
                return
            reservation.settled = True
            self._reserved_tokens -= reservation.tokens
            self._reserved_cost -= reservation.cost_usd
            self._in_flight -= 1
            if usage is None:
                return
            self._calls += 1
            self._tokens += usage.total_tokens
            if usage.cost_usd is None:
                self._unpriced += 1
            else:
                self._cost += usage.cost_usd

    def snapshot(self) -> BudgetSnapshot:
        """Current figures."""
        with self._lock:
            return BudgetSnapshot(
                tokens_used=self._tokens,
                cost_usd=self._cost,
                unpriced_calls=self._unpriced,
                calls=self._calls,
                refused=self._refused,
                reserved_tokens=self._reserved_tokens,
                reserved_cost_usd=max(self._reserved_cost, 0.0),
                in_flight=self._in_flight,
            )

    def __repr__(self) -> str:
        s = self.snapshot()
        return f"Budget(tokens={s.tokens_used}/{self.config.max_tokens}, cost={s.cost_usd:.4f}/{self.config.max_cost_usd})"
