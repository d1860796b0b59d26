"""Fault injection on real processes: kill implementers and the relay, cut connections, check nothing is lost.

    from bench.faults import FaultKind, FaultTrialConfig, run_fault_trial
    result = anyio.run(run_fault_trial, FaultTrialConfig(kind=FaultKind.RELAY), judge=Judge())
    assert result.ok, result

A trial runs ``crdt-bench relay --store`` and 2-4 ``crdt-bench implement``
processes, the outliner and the judge in this process, every client behind a
:class:`CuttingProxy`; one fault strikes (see :class:`FaultKind`), the run
goes on to the end, and the relay's store is checked: nothing persisted
before the fault is lost, each stub is defined exactly once, every TODO is
done and its region in the buffer is its recorded result, the hidden tests pass (the scripted model runs with its faults off).
``python -m bench.micro.fault_injection`` runs many trials and prints the figures.

Errors::

    FaultError                     (under bench.BenchError, the package's one root)
    ├── ProcessStartError   a relay / implementer process did not start
    └── StoreReadError      the relay's SQLite store cannot be read back
"""

from ._checks import copy_doc, definition_counts, diverged_regions, lost_updates, not_done, read_store
from ._errors import FaultError, ProcessStartError, StoreReadError
from ._inject import Context, FaultKind
from ._procs import ImplementerOptions, ImplementerProcess, RelayProcess
from ._proxy import CuttingProxy
from ._trial import FaultTrialConfig, FaultTrialResult, run_fault_trial

__all__ = [
    "FaultKind",
    "FaultTrialConfig",
    "FaultTrialResult",
    "run_fault_trial",
]
