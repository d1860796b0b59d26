"""Pydantic models: the classifier's configuration, its evidence edges and its report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EdgeKind = Literal[
    "call", "attr_call", "doc_ref", "doc_word", "doc_tokens", "doctest", "state", "type_flow", "oracle",
    "import_ref", "import_word", "import_use", "signature", "decorator", "inherited", "override",
]
"""Where an edge's evidence comes from (see ``Edge.kind``)."""

Decision = Literal["parallel", "waves", "serial"]
"""How the TODOs of one task should be scheduled."""


class CouplingConfig(BaseModel):
    """Weights and thresholds of the static classifier and of the decision rule.

    Evidence weights are confidences in [0, 1] that ``src`` needs ``dst``. Edges of
    different kinds between the same pair combine by noisy-OR
    (``1 - prod(1 - w)``, strongest edge per kind), and a pair becomes a dependency
    when the combined confidence reaches ``dep_threshold``.

    Decision rule, with ``n`` stubs, ``W`` waves and ``D`` stubs that have deps:
    ``parallel`` when there are no deps, or when ``W <= 2`` and
    ``D / n <= parallel_max_dependent_fraction`` (nearly a one-wave plan);
    ``serial`` when ``score = (W - 1) / (n - 1) >= serial_min_score`` (the plan is
    essentially one chain); ``waves`` otherwise.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dep_threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="Combined confidence at which a pair (src, dst) becomes a dependency in `deps`.")
    parallel_max_dependent_fraction: float = Field(default=0.15, ge=0.0, le=1.0, description="`parallel` is still chosen when at most this fraction of stubs have deps and the plan has at most two waves.")
    serial_min_score: float = Field(default=0.75, ge=0.0, le=1.0, description="`serial` is chosen when (waves - 1) / (stubs - 1) reaches this: the plan is essentially one chain.")
    w_call: float = Field(default=1.0, ge=0.0, le=1.0, description="A body calls or references the stub via self./cls./Class. or its bare top-level name.")
    w_attr_call_specific: float = Field(default=0.7, ge=0.0, le=1.0, description="A body calls `.name(` on another object, and `name` is a specific (multi-word or rare) stub name.")
    w_attr_call_common: float = Field(default=0.2, ge=0.0, le=1.0, description="As `w_attr_call_specific` for a common-word name such as `add` (could be list.add, set.add...).")
    w_doc_ref: float = Field(default=0.9, ge=0.0, le=1.0, description="A docstring refers to the stub explicitly: self.name, Class.name, name(), :meth:`name`, a backticked or quoted name, or 'calls/uses/invokes name'.")
    w_doc_word_specific: float = Field(default=0.75, ge=0.0, le=1.0, description="A docstring's prose names the stub as a word and the name is specific (several words, e.g. get_gpa).")
    w_doc_word_plain: float = Field(default=0.5, ge=0.0, le=1.0, description="As `w_doc_word_specific` for a one-word name that is not a common word (e.g. factorial).")
    w_doc_word_common: float = Field(default=0.15, ge=0.0, le=1.0, description="As `w_doc_word_specific` for a common word (get, set, run, check...), or a word that is also one of the mentioning stub's parameters.")
    w_doc_tokens_phrase: float = Field(default=0.7, ge=0.0, le=1.0, description="Every content word of a multi-word stub name occurs, adjacent and in order, in the prose of another stub (\"remove the stop words\" -> remove_stop_words).")
    w_doc_tokens_all: float = Field(default=0.55, ge=0.0, le=1.0, description="Every content word of a multi-word stub name occurs in another stub's prose, not adjacent.")
    w_doc_tokens_one: float = Field(default=0.5, ge=0.0, le=1.0, description="The one content word of a stub name (e.g. 'path' of has_path) occurs in another stub's prose; halved for common words.")
    w_private_bonus: float = Field(default=0.2, ge=0.0, le=1.0, description="Added to doc_tokens weights when the named stub is a private helper (_name): helpers exist to be used; half its words then suffice.")
    domain_word_fraction: float = Field(default=0.6, ge=0.0, le=1.0, description="In a class of 3+ stubs, a word in more than this fraction of the stubs' docstrings is domain vocabulary and is not evidence.")
    w_doctest: float = Field(default=0.25, ge=0.0, le=1.0, description="A stub's doctest example calls the other stub (to set up state): that stub must work for the example to pass, not evidence that the code calls it.")
    w_state: float = Field(default=0.3, ge=0.0, le=1.0, description="The other stub is documented (or implemented) as producing a field this stub reads.")
    w_type_flow: float = Field(default=0.3, ge=0.0, le=1.0, description="The other stub returns an outline-defined type this stub takes as a parameter.")
    # Across modules (classify_package): evidence from the skeletons' imports, signatures, docstrings and bases.
    w_import_ref: float = Field(default=0.8, ge=0.0, le=1.0, description="Across modules: a docstring names an imported stub explicitly: `name(`, a backticked or :role:`name`, `Cls.method`, or a dotted package path.")
    w_import_class: float = Field(default=0.3, ge=0.0, le=1.0, description="Across modules: a docstring calls or backticks an imported class (`Cls(`, :class:`Cls`): an edge to its constructor stub. Below the threshold alone: on the projects' tuning half 2 of 16 such mentions were real constructions.")
    w_import_word_specific: float = Field(default=0.6, ge=0.0, le=1.0, description="Across modules: a docstring's prose names an imported function stub as a plain word and the name is specific (several words or _private).")
    w_import_word_plain: float = Field(default=0.3, ge=0.0, le=1.0, description="As `w_import_word_specific` for a one-word name that is not a common word; common words give no edge.")
    w_import_sole: float = Field(default=0.9, ge=0.0, le=1.0, description="Across modules: the module imports a package function (or a class with a constructor stub) and has only this one stub: the import is there for it.")
    w_import_sole_mention: float = Field(default=0.45, ge=0.0, le=1.0, description="As `w_import_tokens` when exactly one stub of the module mentions the imported name's words.")
    w_import_tokens: float = Field(default=0.4, ge=0.0, le=1.0, description="Across modules: the module imports a package function or class and every content word of its name (to_bytes -> bytes) occurs in this stub's docstring or signature.")
    w_return_class: float = Field(default=0.3, ge=0.0, le=1.0, description="The return annotation is a package class of another module whose constructor is a stub: the function may build one. Below the threshold alone: 2 of 19 real on the projects' tuning half.")
    w_param_class: float = Field(default=0.1, ge=0.0, le=1.0, description="A parameter annotation is a package class of another module: an edge to its constructor (weak: a parameter is usually built by the caller).")
    w_decorator: float = Field(default=0.3, ge=0.0, le=1.0, description="A decorator is a package function stub: it runs at definition time, the body rarely calls it.")
    w_inherited: float = Field(default=0.85, ge=0.0, le=1.0, description="A docstring names `self.x`, `x()` or :meth:`x` and x is a stub method the class inherits from a base (same module or another).")
    w_override: float = Field(default=0.5, ge=0.0, le=1.0, description="A method overrides a base class's stub method (it may extend it with super(); bodies are stubs, so this is a guess). On the projects' tuning half 3 of 7 such pairs were real, against 0.17 for all predicted pairs.")
    w_override_init: float = Field(default=0.5, ge=0.0, le=1.0, description="As `w_override` for __init__, which usually calls super().__init__.")


class Edge(BaseModel):
    """One piece of evidence that stub ``src`` needs stub ``dst``."""

    model_config = ConfigDict(frozen=True)

    src: str = Field(description="Qualified name of the stub that needs the other one (e.g. 'Stack.peek'; a TODO id 'pkg/mod.py::Stack.peek' for a package).")
    dst: str = Field(description="Qualified name of the stub it needs (e.g. 'Stack.push'; a TODO id for a package).")
    kind: EdgeKind = Field(description="Evidence kind: call, attr_call, doc_ref, doc_word, doc_tokens, doctest, state, type_flow, oracle, or across modules import_ref, import_word, import_use, signature, decorator, inherited, override.")
    weight: float = Field(ge=0.0, le=1.0, description="Confidence in [0, 1] that the dependency is real, from `CouplingConfig`.")
    evidence: str = Field(description="Human-readable evidence: the source text that produced the edge.")


class CouplingReport(BaseModel):
    """What the classifier found and what it decided for one outline."""

    classifier: str = Field(description="Name of the classifier that produced this report (e.g. 'static', 'oracle').")
    stubs: list[str] = Field(description="The stubs considered, in outline order.")
    edges: list[Edge] = Field(description="Every evidence edge (at most one per src, dst and kind: the strongest), sorted.")
    deps: dict[str, list[str]] = Field(description="stub -> the stubs it depends on (combined confidence >= threshold, cycles broken); every stub is a key.")
    dropped: list[tuple[str, str]] = Field(default_factory=list, description="(src, dst) dependencies removed to break cycles, in removal order.")
    waves: list[list[str]] = Field(description="Topological levels of `deps`: wave k holds stubs whose deps all lie in earlier waves.")
    score: float = Field(ge=0.0, le=1.0, description="How serial the plan is: (waves - 1) / (stubs - 1); 0 for one wave, 1 for a single chain.")
    decision: Decision = Field(description="parallel, waves or serial, by the rule documented on `CouplingConfig`.")
    reasons: list[str] = Field(description="Human-readable reasons for the deps and the decision.")
    fields: dict[str, list[str]] = Field(default_factory=dict, description="Shared state: field name -> stubs whose docstring or body mentions it (static classifier only).")
