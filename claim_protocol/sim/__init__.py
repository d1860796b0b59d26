"""claim_protocol.sim: a deterministic network simulator driving real pycrdt replicas.

Virtual time, seeded per-link delay and jitter (reordering), duplication,
partitions with resync on heal, and crashes; the agents run the real
:class:`~claim_protocol.ClaimLoop`.  Used by the property tests and by
``python -m bench.micro.claim_latency``.
"""

from ._network import LinkConfig, Network, Node
from ._scenario import Crash, Partition, Scenario, SimResult, code_for, run_scenario, settled_counts

__all__ = [
    "LinkConfig",
    "Network",
    "Node",
    "Scenario",
    "run_scenario",
]
