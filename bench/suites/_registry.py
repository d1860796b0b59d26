"""Suite sources by short name: ``bundled`` ships with the package, ``classeval``, ``humaneval`` and
``projects`` read third-party data; any directory of tasks works too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from ._classeval import ClassEvalSuite
from ._errors import UnknownSuite
from ._humaneval import HumanEvalSuite
from ._projects import ProjectsSuite
from ._task import Suite, load_suite_dir

__all__ = [
    "BUNDLED_DIR",
    "BundledSuite",
    "DirectorySuite",
    "SuiteFactory",
    "SuiteSource",
    "get_suite",
    "known_suites",
    "register_suite",
]

BUNDLED_DIR = Path(__file__).resolve().with_name("bundled")
"""Where the shipped tasks live (inside the installed package, so no download is needed)."""


@runtime_checkable
class SuiteSource(Protocol):
    """Something that can produce a :class:`Suite` (a shipped one, a directory, a downloaded benchmark)."""

    @property
    def name(self) -> str:
        """Short name used in reports."""
        ...

    def load(self) -> Suite:
        """Load (and validate) every task."""
        ...


class DirectorySuite:
    """A suite read from a directory of task directories."""

    def __init__(self, directory: str | Path, *, name: str | None = None) -> None:
        self.directory = Path(directory)
        self._name = name or str(self.directory)

    @property
    def name(self) -> str:
        return self._name

    def load(self) -> Suite:
        return load_suite_dir(self.directory, name=self._name)


class BundledSuite(DirectorySuite):
    """The tasks shipped in ``bench/suites/bundled`` (the offline default of ``crdt-bench run``)."""

    def __init__(self) -> None:
        super().__init__(BUNDLED_DIR, name="bundled")


SuiteFactory = Callable[[], SuiteSource]
_REGISTRY: dict[str, SuiteFactory] = {"bundled": BundledSuite, "classeval": ClassEvalSuite, "humaneval": HumanEvalSuite, "projects": ProjectsSuite}


def register_suite(name: str, factory: SuiteFactory) -> None:
    """Make ``get_suite(name)`` load ``factory()``; re-registering a name replaces it."""
    if not name or "/" in name or name != name.strip():
        raise ValueError(f"suite names are non-empty, without '/' or surrounding spaces: {name!r}")
    _REGISTRY[name] = factory


def known_suites() -> list[str]:
    """Registered suite names."""
    return sorted(_REGISTRY)


_DATA_SUITES: dict[str, Callable[[Path], SuiteSource]] = {
    "classeval": lambda path: ClassEvalSuite(data_dir=path),
    "projects": lambda path: ProjectsSuite(data_dir=path),
}


def get_suite(name_or_path: str | Path, *, data_dir: Path | None = None) -> Suite:
    """A registered suite by name, else a directory of tasks; ``UnknownSuite`` lists the known names.

    ``data_dir`` is where a suite of third-party data (classeval, projects) reads it;
    the other suites ignore it.
    """
    if isinstance(name_or_path, str) and data_dir is not None and name_or_path in _DATA_SUITES:
        return _DATA_SUITES[name_or_path](data_dir).load()
    if isinstance(name_or_path, str) and name_or_path in _REGISTRY:
        return _REGISTRY[name_or_path]().load()
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return DirectorySuite(path).load()
    raise UnknownSuite(f"unknown suite '{name_or_path}'; known: {', '.join(known_suites())} (or a directory of tasks)")
