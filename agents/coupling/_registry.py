"""The ``Classifier`` extension point and the short-name registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from ._errors import ClassifierConfigError, UnknownClassifierError
from ._models import CouplingConfig, CouplingReport
from ._oracle import OracleClassifier
from ._static import StaticClassifier


@runtime_checkable
class Classifier(Protocol):
    """Anything that turns an outline into a ``CouplingReport``."""

    def classify(self, outline: str, symbols: list[str] | None = None, config: CouplingConfig | None = None) -> CouplingReport: ...


@runtime_checkable
class PackageClassifier(Protocol):
    """A classifier that also takes a whole package (both built-ins do): ids ``"<path>::<symbol>"``."""

    def classify_package(self, modules: Mapping[str, str], stubs: Mapping[str, Sequence[str]], config: CouplingConfig | None = None) -> CouplingReport: ...


ClassifierFactory = Callable[..., Classifier]
"""Keyword options -> classifier."""


def _oracle(**options: Any) -> Classifier:
    if "deps" not in options:
        raise ClassifierConfigError("the oracle classifier needs deps=<dict of stub -> stubs it depends on>")
    return OracleClassifier(**options)


_REGISTRY: dict[str, ClassifierFactory] = {"static": StaticClassifier, "oracle": _oracle}


def known_classifiers() -> list[str]:
    """Registered short names, sorted."""
    return sorted(_REGISTRY)


def register_classifier(name: str, factory: ClassifierFactory) -> None:
    """Make ``get_classifier(name, **options)`` call ``factory(**options)``."""
    _REGISTRY[name] = factory


def get_classifier(name: str, **options: Any) -> Classifier:
    """A classifier by short name; ``options`` go to its constructor (e.g. ``deps=`` for oracle)."""
    factory = _REGISTRY.get(name)
    if factory is None:
        raise UnknownClassifierError(f"unknown classifier {name!r}; known: {', '.join(known_classifiers())}")
    try:
        return factory(**options)
    except TypeError as err:
        raise ClassifierConfigError(f"invalid options for classifier {name!r}: {err}") from err
