"""Judge: sandboxed test execution, warm pyright, agreement with official harnesses.

- :class:`Sandbox` runs code in a subprocess with rlimits, a wall timeout that
  kills the process group, a minimal environment and (where available) private
  network/PID/mount namespaces and an unprivileged uid.
- :func:`run_unittest_classes` (ClassEval style) and :func:`run_humaneval`
  (``check(candidate)``) judge code against tests.
- :meth:`Judge.run_project` runs a multi-file project's pytest tests
  (:class:`ProjectTests`) in the sandbox: a :class:`ProjectScore` with one
  :class:`TestOutcome` per test; :class:`ProjectEnvs` makes the cached venv
  (:class:`EnvConfig`, :class:`ProjectEnv`) whose interpreter runs them.
  Inside :meth:`Judge.warm_runs` those runs fork from a warm sandboxed server
  per interpreter instead of starting cold (``_warm.py`` says what keeps one
  run from reaching the next).
- :class:`VisibleChecks` feed :meth:`Judge.feedback` (agents may see it);
  :class:`HiddenTests` feed :meth:`Judge.score` (scores only).
- :class:`PyrightServer` keeps pyright warm and reports :class:`Diagnostic`
  and :class:`SemanticConflict` events tied to qualified symbols.

Exceptions::

    JudgeError                     (under agents.AgentsError, the package's one root)
    ├── SandboxError
    │   └── SandboxSetupError        work dir or process could not be set up
    ├── EnvSetupError                 a per-project venv could not be made (interpreter, cache dir)
    ├── JudgeInputError (ValueError)  bad file names, test class names, ...
    ├── DataError                     ClassEval / HumanEval data missing or malformed
    ├── JudgeMisuseError (TypeError)  hidden tests passed where visible checks belong (or vice versa)
    └── PyrightError
        ├── PyrightStartError         pyright not found / not running
        ├── PyrightProtocolError      LSP error, malformed reply, server died
        └── PyrightTimeoutError (TimeoutError)

Code under test that misbehaves is never an exception: it is a verdict.
"""

from ._agreement import Agreement, Disagreement, ReferenceVerdict, compare, run_reference
from ._checks import (
    DoctestResult,
    Feedback,
    HiddenTests,
    Judge,
    Score,
    TestClassScore,
    VisibleChecks,
    outline_doctests,
)
from ._classeval import (
    KNOWN_ENVIRONMENT_TASKS,
    ClassEvalTask,
    ClassEvalVerdict,
    build_program,
    data_dir,
    extract_code,
    judge_recorded,
    judge_task,
    load_recorded,
    load_tasks,
)
from ._envs import EnvConfig, ProjectEnv, ProjectEnvs
from ._errors import (
    DataError,
    EnvSetupError,
    JudgeError,
    JudgeInputError,
    JudgeMisuseError,
    PyrightError,
    PyrightProtocolError,
    PyrightStartError,
    PyrightTimeoutError,
    SandboxError,
    SandboxSetupError,
)
from ._project import ProjectScore, ProjectTests, TestOutcome
from ._humaneval import HumanEvalProblem, HumanEvalVerdict, load_problems, run_humaneval, run_humaneval_many
from ._pyright import Diagnostic, PyrightConfig, PyrightServer, SemanticConflict, check_cold, conflicts_from
from ._sandbox import Sandbox, SandboxConfig, SandboxResult
from ._symbols import SymbolMap
from ._unittest import TestClassOutcome, TestProblem, UnittestVerdict, classify, run_unittest_classes

__all__ = [
    "KNOWN_ENVIRONMENT_TASKS",
    "Agreement",
    "ClassEvalTask",
    "DataError",
    "EnvConfig",
    "EnvSetupError",
    "Feedback",
    "HiddenTests",
    "HumanEvalProblem",
    "HumanEvalVerdict",
    "Judge",
    "ProjectEnv",
    "ProjectEnvs",
    "ProjectScore",
    "ProjectTests",
    "PyrightServer",
    "Sandbox",
    "SandboxConfig",
    "SandboxResult",
    "Score",
    "TestOutcome",
    "SemanticConflict",
    "UnittestVerdict",
    "VisibleChecks",
    "check_cold",
    "compare",
    "conflicts_from",
    "data_dir",
    "extract_code",
    "judge_recorded",
    "judge_task",
    "load_problems",
    "load_recorded",
    "load_tasks",
    "outline_doctests",
    "run_humaneval_many",
    "run_reference",
]
