"""web: a live viewer for the shared workspace, replay of stored runs, human co-editing.

The relay serves the page (``Viewer`` = ``Relay`` + ``ViewerApp`` on its HTTP
side).  The page joins a room as a Yjs peer (npm ``yjs`` + ``y-websocket``,
token in the URL): file tabs with a CodeMirror 6 editor bound to each
``Y.Text``, every agent's region drawn in its colour with its name (resolved
from the symbol it works on, so it stays on its method), following the
action, a run panel (elapsed, phase, critical-path bound, per-agent
swimlanes), a TODO board and events as sentences.  Read-only tokens get a
non-editable page (and the relay drops their changes anyway); read-write
tokens let a person edit alongside the agents.  ``/replay/<room>`` plays
every stored update of the room from the first; ``/run/<index room>`` lists
a benchmark run's trials and follows the running one (``crdt-bench run
--watch``; docs/viewer.md).  ``run_demo_writers`` gives a person
something to watch: offline demo agents (no model, labelled as such) writing
into a room round after round (``crdt-bench serve --demo``).

The front end lives in ``web/frontend`` (npm lockfile, esbuild); its bundle is
shipped in ``web/static`` so installing the package needs no node.

Errors::

    ViewerError
    ├── AssetsMissing
    └── HistoryError
"""

from ._app import ViewerApp
from ._config import STATIC_DIR, ViewerConfig
from ._demo import DemoWriterConfig, run_demo_writers
from ._errors import AssetsMissing, HistoryError, ViewerError
from ._history import HistoryEntry, bucket, read_history
from ._viewer import Viewer

__all__ = [
    "DemoWriterConfig",
    "Viewer",
    "ViewerConfig",
    "ViewerError",
    "run_demo_writers",
]
