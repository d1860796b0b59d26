"""Task suites: the bundled offline tasks, loading tasks from directories, references for ``scripted``.

``crdt-bench run`` uses the ``bundled`` suite by default: ten single-file Python
tasks shipped inside the package (no download), from independent methods
(low coupling, best run in parallel) to call chains (high coupling, best run
serially).

Task directory format (the bundled suite and user suites alike)::

    <suite dir>/<task_id>/
        task.toml     id            = "inventory"           (must equal the directory name)
                      title         = "Warehouse inventory"
                      file          = "inventory.py"        (module the agents build; its stem is the module name)
                      spec          = '''multi-line prose: what to build'''
                      expected_coupling = "low" | "medium" | "high"
                      expected_decision = "parallel" | "waves" | "serial"
                      test_classes  = ["TestAdd", ...]      (optional; default: every unittest.TestCase
                                                             subclass defined in tests.py)
        reference.py  the full reference solution, one module, stdlib only
        tests.py      hidden unittest tests, run CONCATENATED after the solution in one module
                      (program = solution + "\\n" + tests, ClassEval style): they must not import the
                      solution; stdlib imports only. A first line
                      ``# pyright: reportUndefinedVariable=false`` keeps pyright quiet about the
                      solution's names it uses.
        outline.py    optional skeleton given to the agents; when absent it is derived from reference.py

Subdirectories whose names start with ``.`` or ``_`` are ignored; any other
subdirectory must be a valid task.

Skeleton (:meth:`Task.skeleton`, :func:`skeleton_of` for the derived case): the
module docstring, imports, constants and class statements are kept, and so
are the bodies of ``__init__`` / ``__post_init__`` (they declare the shared
state); every other function or method keeps its decorators, signature and
docstring and gets the body ``pass``. Every stub's docstring must hold ``>>>``
doctest examples: they are the visible checks agents repair against (run with
the whole module as globals); the hidden tests only score. Loading checks this,
and that every stub has a reference implementation.

Use::

    suite = get_suite("bundled")                  # or get_suite("path/to/tasks")
    task = suite.task("bank_ledger")
    task.skeleton(), task.stubs(), task.true_dependencies()
    model = ScriptedModel(SuiteReferences(suite))  # offline replies for every stub

Errors (one root)::

    SuiteError
    ├── TaskFormatError (ValueError)   a task directory breaks the format; .path, .field
    ├── UnparsableSource (ValueError)  skeleton_of() given code libcst cannot parse
    ├── UnknownSuite (LookupError)     neither a registered name nor a directory
    └── UnknownTask (LookupError)      Suite.task() with an id the suite lacks
"""

from ._errors import SuiteError, TaskFormatError, UnknownSuite, UnknownTask, UnparsableSource
from ._references import OUTLINE_SYMBOL, SuiteReferences
from ._registry import (
    BUNDLED_DIR,
    BundledSuite,
    DirectorySuite,
    SuiteFactory,
    SuiteSource,
    get_suite,
    known_suites,
    register_suite,
)
from ._skeleton import skeleton_of
from ._task import Coupling, Decision, Suite, Task, load_suite_dir, load_task

__all__ = [
    "BUNDLED_DIR",
    "OUTLINE_SYMBOL",
    "BundledSuite",
    "Coupling",
    "Decision",
    "DirectorySuite",
    "Suite",
    "SuiteError",
    "SuiteFactory",
    "SuiteReferences",
    "SuiteSource",
    "Task",
    "TaskFormatError",
    "UnknownSuite",
    "UnknownTask",
    "UnparsableSource",
    "get_suite",
    "known_suites",
    "load_suite_dir",
    "load_task",
    "register_suite",
    "skeleton_of",
]
