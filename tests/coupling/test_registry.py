"""The Classifier extension point: registry, oracle, and one contract test over every implementation."""

from __future__ import annotations

import pytest

from agents.coupling import (
    Classifier,
    ClassifierConfigError,
    OracleClassifier,
    UnknownClassifierError,
    get_classifier,
    known_classifiers,
    register_classifier,
)

CHAIN = '''
class Pipeline:
    def load(self, path):
        """Read the raw records from path."""

    def clean_records(self, path):
        """Calls self.load(path) and drops empty records."""

    def summarize(self, path):
        """Counts the output of clean_records() by key."""
'''
TRUE_DEPS = {"Pipeline.clean_records": ["Pipeline.load"], "Pipeline.summarize": ["Pipeline.clean_records"]}


def test_unknown_name_lists_known_classifiers() -> None:
    with pytest.raises(UnknownClassifierError) as info:
        get_classifier("x")
    assert str(info.value) == "unknown classifier 'x'; known: oracle, static"


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ClassifierConfigError, match="needs deps="):
        get_classifier("oracle")
    with pytest.raises(ClassifierConfigError, match="invalid options for classifier 'static'"):
        get_classifier("static", colour="red")
    with pytest.raises(ClassifierConfigError, match="mapping of stub name"):
        OracleClassifier({"a": "b"})


@pytest.mark.parametrize("name", ["static", "oracle"])
def test_every_classifier_plans_the_chain(name: str) -> None:
    classifier = get_classifier(name, deps=TRUE_DEPS) if name == "oracle" else get_classifier(name)
    assert isinstance(classifier, Classifier)
    report = classifier.classify(CHAIN)
    assert report.classifier == name
    assert report.deps == {"Pipeline.load": [], **TRUE_DEPS}
    assert report.waves == [["Pipeline.load"], ["Pipeline.clean_records"], ["Pipeline.summarize"]]
    assert report.decision == "serial"


def test_oracle_reports_given_deps_and_ignores_unknown_names() -> None:
    deps = {"Pipeline.summarize": ["Pipeline.load", "Pipeline.nowhere"]}
    report = OracleClassifier(deps).classify(CHAIN)
    assert report.deps == {"Pipeline.load": [], "Pipeline.clean_records": [], "Pipeline.summarize": ["Pipeline.load"]}
    assert [(e.kind, e.weight) for e in report.edges] == [("oracle", 1.0)]
    assert report.decision == "waves"
    assert any("Pipeline.summarize -> Pipeline.nowhere" in r for r in report.reasons)


def test_oracle_breaks_cycles_like_static() -> None:
    deps = {"Pipeline.load": ["Pipeline.summarize"], **TRUE_DEPS}
    report = OracleClassifier(deps).classify(CHAIN)
    assert report.dropped == [("Pipeline.summarize", "Pipeline.clean_records")]
    assert report.waves == [["Pipeline.summarize"], ["Pipeline.load"], ["Pipeline.clean_records"]]


def test_registered_classifier_is_found() -> None:
    register_classifier("chain-oracle", lambda **kw: OracleClassifier(TRUE_DEPS, **kw))
    assert "chain-oracle" in known_classifiers()
    assert get_classifier("chain-oracle").classify(CHAIN).decision == "serial"
