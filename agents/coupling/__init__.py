"""Coupling classifier: should a task's TODOs run in parallel, in waves, or serially?

Input is an outline (a Python skeleton: classes, implemented ``__init__``, other
functions are stubs whose body is a docstring plus ``pass``/``...``) and
optionally the stub symbols (``"Stack.push"``, ``"parse"``). The static
classifier reads only the outline (``ast``) and collects evidence edges
``src -> dst`` ("src needs dst") of these kinds, strongest first:

- ``call`` — an implemented body references ``self.x``, ``cls.x``, ``Class.x``
  or a top-level stub ``x(`` (partial outlines, reference solutions);
- ``doc_ref`` — a docstring names the stub explicitly (``self.x``, ``x()``,
  ``:meth:`x```, backticks, "invokes x", "x method");
- ``doc_word`` — prose names the stub as a plain word, weighted by how specific
  the name is (``get_gpa`` > ``factorial`` > ``check``);
- ``attr_call`` — a body calls ``obj.x(`` on some other object;
- ``state`` / ``type_flow`` — a stub reads a field another one is documented to
  produce, or takes an outline type another returns;
- ``doctest`` — an example sets up state by calling the other stub (weak: that
  stub must work for the example to pass, not that the code calls it).

Weights combine by noisy-OR per pair; pairs at or over ``dep_threshold`` become
``deps``; cycles are broken by dropping the weakest edge; ``waves`` are the
topological levels; the decision rule is documented on ``CouplingConfig``.

    from agents.coupling import classify, get_classifier
    report = classify(outline, ["Stack.push", "Stack.peek"])
    report.decision, report.waves, report.deps

A package (many modules, TODO ids ``"<path>::<symbol>"``) is classified as one
graph by ``classify_package(modules, stubs)``: the in-module rules per module,
plus evidence across modules through the resolved imports (see ``_package``).

Errors::

    CouplingError                     (under agents.AgentsError, the package's one root)
    ├── OutlineSyntaxError      the outline is not valid Python (from SyntaxError)
    ├── UnknownSymbolError      a requested symbol is not defined in the outline
    ├── UnknownClassifierError  get_classifier() with an unregistered name
    └── ClassifierConfigError   invalid classifier options (e.g. oracle deps)
"""

from ._errors import ClassifierConfigError, CouplingError, OutlineSyntaxError, UnknownClassifierError, UnknownSymbolError
from ._models import CouplingConfig, CouplingReport, Decision, Edge, EdgeKind
from ._oracle import OracleClassifier
from ._package import classify_package, todo_id
from ._imports import PackageIndex, Target
from ._registry import Classifier, ClassifierFactory, PackageClassifier, get_classifier, known_classifiers, register_classifier
from ._static import StaticClassifier, classify
from ._words import COMMON_WORDS, specificity, split_identifier

__all__ = [
    "CouplingConfig",
    "CouplingError",
    "CouplingReport",
    "OracleClassifier",
    "classify",
    "classify_package",
    "get_classifier",
    "register_classifier",
]
