"""AST-level merging of model replies into shared code (libcst).

- :func:`extract` finds the implementation of a qualified name in a raw reply
  (prose, fences, echoed prompts, whole classes, body-only replies, bad
  indentation, truncated code).
- A name defined more than once is addressed by occurrence, ``Cls.x#2`` (see
  :func:`crdt_ws.numbered`); extraction tells a getter from its setter, or
  overloads from the implementation, by the stub's decorators.
- :func:`splice` replaces that symbol's stub in a module, keeping the stub's
  decorators and signature contract, merging imports and hoisting helpers
  without clobbering names; :func:`assemble` does it for many symbols
  (repairing an outline's open docstring first, see :func:`repair_outline`,
  and borrowing a symbol's implementation from another reply when its own
  reply has none).
- :func:`apply_edits` applies a repair written as SEARCH/REPLACE blocks to the
  code it was shown; :func:`write_edits` writes such blocks (the offline model's
  repairs).
- :func:`find_conflicts`, :func:`signature_changes` and :func:`reconcile`
  handle structural conflicts (duplicate definitions, conflicting imports).
- Which functions are still stubs is :func:`crdt_ws.find_stubs`: the parse
  lock, symbol spans and stub finding live in crdt_ws's source toolkit.
- :func:`commit_to_text` applies a merge to a shared ``pycrdt.Text`` as
  minimal local edits; :func:`reconcile_text` likewise for the reconciler;
  :func:`symbol_region` is where such a commit wrote, in a buffer that
  parses or not.

Errors (parse failures, already ``SyntaxError`` from :func:`crdt_ws.parse_cst`, are translated once, in ``merge._cst``)::

    MergeError
    ├── ExtractError                 the reply holds no usable implementation
    │   ├── UnparsableReply          no code in it parses, even after repairs
    │   ├── NoImplementationFound    code parses, but only stubs / other names
    │   ├── EditNotApplied           SEARCH/REPLACE edits that do not apply to the code shown
    │   └── AmbiguousImplementation  several different ones (ambiguity="error")
    ├── SpliceError
    │   ├── UnparsableModule         the target module does not parse
    │   ├── SymbolNotInModule        no definition with that qualified name
    │   └── SpliceConflict           the merge would break a contract or a name
    │       ├── SignatureChanged     parameters renamed and not allowed
    │       ├── ImportConflict       an import would rebind a module name
    │       └── NameClash            a helper's name is taken (on_name_clash="error")
    └── InvalidMerge                 the merged module would not compile
"""

from ._assemble import Assembly, assemble
from ._config import MergeConfig
from ._conflict_types import Conflict, ConflictKind
from ._conflicts import ReconcileResult, find_conflicts, reconcile, signature_changes
from ._crdt import CommitResult, apply_source, commit_to_text, reconcile_text
from ._errors import (
    AmbiguousImplementation,
    ExtractError,
    ImportConflict,
    InvalidMerge,
    MergeError,
    NameClash,
    NoImplementationFound,
    SignatureChanged,
    SpliceConflict,
    SpliceError,
    SymbolNotInModule,
    UnparsableModule,
    UnparsableReply,
)
from ._edits import apply_edits, write_edits
from ._extract import Extraction, extract
from ._outline import repair_outline
from ._region import symbol_region
from ._splice import SpliceResult, find_stub, splice

__all__ = [
    "MergeConfig",
    "Extraction",
    "extract",
    "splice",
    "find_stub",
    "assemble",
    "apply_edits",
    "write_edits",
    "commit_to_text",
    "reconcile_text",
    "symbol_region",
    "MergeError",
    "ExtractError",
    "UnparsableReply",
]
