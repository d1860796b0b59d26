"""claim_protocol: agents take work only through the shared TODO map.

Write-verify claims with an adaptive wait, leases kept by heartbeats and
judged stale on the observer's own clock, reclaim, hashed loser back-off,
dependency-aware selection, idempotent completion, and an audit trail of
every claim, verify, loss, expiry and reclaim in the ``events`` log.

Layers: :class:`ClaimBoard` (reads and writes on one replica, sans-IO),
:class:`ClaimLoop` (the one claim driver: holds an agent's claims and its
double-claim repair, push-style ``poll`` or pull-style ``claim``/``verify``/
``tick``/``commit``, sans-IO), :class:`Claimer` (the anyio driver over a real
transport; ``agents.embed.Session`` is the pull-style one) and
:mod:`claim_protocol.sim` (the same loop in virtual time).

Errors::

    ClaimError
    ├── NotClaimable
    ├── NotHolder
    └── CommitFailed
"""

from ._board import Claim, ClaimBoard, ClaimStats, Commit, reopened, round_of
from ._claimer import Claimer, RoundTrip, Work
from ._regions import commit_symbol, restore_regions
from ._config import ClaimConfig
from ._errors import ClaimError, CommitFailed, NotClaimable, NotHolder
from ._latency import SyncEstimator, peer_bounds
from ._loop import Action, CancelWork, Chooser, ClaimLoop, Finished, Sleep, StartWork, Sync

__all__ = [
    "reopened",
    "Claim",
    "ClaimBoard",
    "ClaimConfig",
    "ClaimError",
    "Claimer",
    "ClaimLoop",
    "ClaimStats",
    "CommitFailed",
    "NotClaimable",
    "NotHolder",
    "RoundTrip",
    "SyncEstimator",
    "peer_bounds",
    "restore_regions",
]
