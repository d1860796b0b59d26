"""Loading results files: typed errors with line numbers, tolerated truncation, defaults for older rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.report import (
    InvalidRowError,
    MalformedLineError,
    NoResultsError,
    ResultsError,
    ResultsFileError,
    TruncatedLineWarning,
    load_results,
)

MakeTrial = Callable[..., dict[str, Any]]


def _lines(rows: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(r) for r in rows]


def test_rows_load_with_their_fields_and_extras(tmp_path: Path, make_trial: MakeTrial) -> None:
    row = make_trial("calculator", "parallel", 3, 4.5, run=1)
    row["propagation_p50_ms"] = 12.5  # a field the report does not know
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(row) + "\n")
    [loaded] = load_results([path])
    assert (loaded.task, loaded.requested, loaded.seed, loaded.run, loaded.run_id) == ("calculator", "parallel", 3, 1, "run-a")
    assert loaded.test_verdicts == {"Test0": True, "Test1": True, "Test2": True, "Test3": True}
    assert loaded.model_extra is not None and loaded.model_extra["propagation_p50_ms"] == 12.5
    assert loaded.origin == f"{path}:1"


def test_malformed_middle_line_names_file_and_line(tmp_path: Path, make_trial: MakeTrial) -> None:
    rows = _lines([make_trial("a", "serial", s, 5.0) for s in range(3)])
    rows[1] = rows[1][:40]  # cut in the middle, followed by more lines: corruption, not a killed run
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(MalformedLineError) as info:
        load_results([path])
    assert info.value.line == 2 and info.value.path == path
    assert f"{path}:2: not JSON" in str(info.value)
    assert isinstance(info.value, ResultsError)


def test_complete_last_line_that_is_not_json_is_an_error(tmp_path: Path, make_trial: MakeTrial) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(make_trial("a", "serial", 0, 5.0)) + "\n{oops\n")
    with pytest.raises(MalformedLineError, match=r":2: not JSON"):
        load_results([path])


def test_non_object_line_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl"
    path.write_text("\n[1, 2]\n")
    with pytest.raises(MalformedLineError, match=r"list.jsonl:2: expected a JSON object, got list"):
        load_results([path])


def test_missing_required_field_is_named(tmp_path: Path, make_trial: MakeTrial) -> None:
    row = make_trial("a", "serial", 0, 5.0)
    del row["wall_s"]
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(make_trial("a", "serial", 1, 5.0)) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(InvalidRowError) as info:
        load_results([path])
    assert info.value.line == 2 and info.value.fields == ["wall_s"]
    assert "r.jsonl:2: row lacks required field(s): wall_s" in str(info.value)


def test_wrong_type_is_invalid(tmp_path: Path, make_trial: MakeTrial) -> None:
    row = make_trial("a", "serial", 0, 5.0)
    row["seed"] = "zero"
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(InvalidRowError, match=r"r.jsonl:1: field 'seed'"):
        load_results([path])


def test_truncated_last_line_is_skipped_with_a_warning(tmp_path: Path, make_trial: MakeTrial) -> None:
    rows = _lines([make_trial("a", "serial", s, 5.0) for s in range(3)])
    path = tmp_path / "killed.jsonl"
    path.write_text("\n".join(rows[:2]) + "\n" + rows[2][:57])  # killed mid-write: no final newline
    with pytest.warns(TruncatedLineWarning, match=r"killed.jsonl:3: skipped an incomplete last line"):
        loaded = load_results([path])
    assert [r.seed for r in loaded] == [0, 1]


def test_older_rows_get_derived_defaults(tmp_path: Path, make_trial: MakeTrial) -> None:
    rows = [make_trial("a", mode, s, 5.0, new_fields=False) for s in (4, 5) for mode in ("serial", "parallel")]
    path = tmp_path / "old.jsonl"
    path.write_text("\n".join(_lines(rows)) + "\n")
    loaded = load_results([path])
    assert {r.run_id for r in loaded} == {"file:old.jsonl"}
    assert {r.suite for r in loaded} == {"unspecified"}
    assert [(r.requested, r.run) for r in loaded] == [("serial", 0), ("parallel", 0), ("serial", 1), ("parallel", 1)]
    assert all(r.test_verdicts == {} and r.versions == {} for r in loaded)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ResultsFileError, match="no such results file"):
        load_results([tmp_path / "absent.jsonl"])
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(NoResultsError):
        load_results([tmp_path / "empty.jsonl"])
    with pytest.raises(NoResultsError):
        load_results([])
    (tmp_path / "latin.jsonl").write_bytes(b"\xff\xfe{}")
    with pytest.raises(ResultsFileError, match="not UTF-8"):
        load_results([tmp_path / "latin.jsonl"])


def test_error_rows_are_left_out(tmp_path: Path, make_trial: MakeTrial) -> None:
    ok = make_trial("calculator", "parallel", 3, 4.5)
    error = {**make_trial("calculator", "serial", 3, 0.0), "status": "error", "error": "ProviderRejected: HTTP 401"}
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(_lines([error, ok])) + "\n")
    rows = load_results([path])
    assert [(r.task, r.requested) for r in rows] == [("calculator", "parallel")]
