"""Adaptive verify wait from measured sync round trips (no clock sync needed).

A claim is safe once every concurrent claim has reached every claimer.  Two
agents A and B that both claim before seeing the other's write need their
waits to cover ``A → B → A``: through a relay that is about ``rtt(A) + rtt(B)``.
Each agent measures its own sync round trip (a sync step 1 answered by step 2
through the real transport), keeps a TCP-style estimate (smoothed RTT plus
two mean deviations, and never less than the largest recent sample), and
publishes that bound in ``meta["sync_rtt.<agent>"]`` so peers can cover *its*
side of the path.  The wait is ``safety × (own bound + largest peer bound)``.
"""

from __future__ import annotations

from collections import deque

from crdt_ws import Workspace

from ._config import ClaimConfig

__all__ = ["SyncEstimator", "META_PREFIX"]

META_PREFIX = "sync_rtt."


class SyncEstimator:
    """Round-trip statistics of one agent, and the verify wait they imply."""

    def __init__(self, config: ClaimConfig) -> None:
        self.config = config
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.samples = 0
        self._recent: deque[float] = deque(maxlen=config.rtt_window)
        self._published: float | None = None

    def record(self, rtt: float) -> None:
        """Add one measured round trip (seconds)."""
        rtt = max(0.0, rtt)
        self._recent.append(rtt)
        self.samples += 1
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:  # RFC 6298 gains
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt

    def bound(self) -> float | None:
        """An upper estimate of this agent's round trip, or None before any sample."""
        if self.srtt is None:
            return None
        return max(self.srtt + self.config.rtt_deviations * self.rttvar, max(self._recent))

    def wait(self, workspace: Workspace) -> float:
        """The verify wait to use now, clamped to the configured range."""
        own = self.bound()
        if own is None:
            return self.config.initial_wait
        peers = [b for agent, b in peer_bounds(workspace).items() if agent != workspace.agent_id]
        other = max(peers, default=own)
        wait = self.config.safety_factor * (own + other) + self.config.margin
        return min(self.config.max_wait, max(self.config.min_wait, wait))

    def publish(self, workspace: Workspace) -> bool:
        """Write this agent's bound for its peers when it moved by more than a quarter."""
        own = self.bound()
        if own is None:
            return False
        last = self._published
        if last is not None and abs(own - last) <= 0.25 * max(last, 1e-6):
            return False
        workspace.set_meta(**{META_PREFIX + workspace.agent_id: own})
        self._published = own
        return True


def peer_bounds(workspace: Workspace) -> dict[str, float]:
    """Published round-trip bounds by agent id."""
    out: dict[str, float] = {}
    for key, value in workspace.get_meta().items():
        if key.startswith(META_PREFIX) and isinstance(value, (int, float)):
            out[key[len(META_PREFIX) :]] = float(value)
    return out
