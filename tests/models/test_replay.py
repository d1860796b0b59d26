"""replay: real recorded ClassEval replies, byte for byte, chosen by strategy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.models import (
    ConfigError,
    LatencyConfig,
    ModelRequest,
    UnknownRequest,
    available_recordings,
    count_tokens,
    resolve_model,
)

pytestmark = pytest.mark.anyio

INSTANT = LatencyConfig(profile="instant")


def _recorded(data: Path, strategy: str, task_index: int) -> dict[str, object]:
    return json.loads((data / "recorded" / f"GPT-4-Turbo_{strategy}_greedy.json").read_text())[task_index]


@pytest.mark.parametrize("strategy", ["method_C", "method_I"])
@pytest.mark.parametrize("task_index", [0, 5, 37, 99])
async def test_replay_streams_recorded_reply_byte_for_byte(classeval_data: Path, strategy: str, task_index: int) -> None:
    task = _recorded(classeval_data, strategy, task_index)
    methods = task["methods_info"]
    assert isinstance(methods, list) and len(methods) > 1
    symbols = [f"{task['class_name']}.{m['method_name']}" for m in methods]
    async with resolve_model("replay:GPT-4-Turbo", latency=INSTANT, data_dir=classeval_data) as model:
        for i, method in enumerate(methods):
            symbol = f"{task['class_name']}.{method['method_name']}"
            # Every other method in view covers any ground-truth dependency: incremental; nothing in view: compositional.
            shown = tuple(s for s in symbols if s != symbol) if strategy == "method_I" else ()
            request = ModelRequest(task_id=str(task["task_id"]), symbol=symbol, shown=shown)
            chunks: list[str] = []
            async with model.stream(request) as stream:
                async for chunk in stream:
                    chunks.append(chunk)
            expected = task["raw_output"][0][i]  # type: ignore[index]
            assert "".join(chunks) == expected
            assert "".join(chunks).encode() == expected.encode()
            usage = stream.usage
            assert usage.offline and usage.provider == "replay" and "offline" in usage.label
            assert usage.output_tokens == count_tokens(expected) and usage.estimated
            assert usage.source is not None and strategy in usage.source and symbol in usage.source
            assert usage.cost_usd == 0.0


async def test_compositional_and_incremental_recordings_differ(classeval_data: Path) -> None:
    c, i = _recorded(classeval_data, "method_C", 0), _recorded(classeval_data, "method_I", 0)
    differing = [k for k, (a, b) in enumerate(zip(c["raw_output"][0], i["raw_output"][0])) if a != b]  # type: ignore[index]
    assert differing, "data sanity: the two strategies' replies differ somewhere"
    k = differing[0]
    symbol = f"{c['class_name']}.{c['methods_info'][k]['method_name']}"  # type: ignore[index]
    async with resolve_model("replay:GPT-4-Turbo", latency=INSTANT, data_dir=classeval_data) as model:
        others = tuple(f"{c['class_name']}.{m['method_name']}" for m in c["methods_info"])  # type: ignore[index, union-attr]
        seen = await model.complete(ModelRequest(task_id="ClassEval_0", symbol=symbol, shown=others))
        blind = await model.complete(ModelRequest(task_id="ClassEval_0", symbol=symbol))
    assert seen.text == i["raw_output"][0][k]  # type: ignore[index]
    assert blind.text == c["raw_output"][0][k]  # type: ignore[index]


async def test_holistic_request_replays_class_prediction(classeval_data: Path) -> None:
    task = _recorded(classeval_data, "class_H", 3)
    async with resolve_model("replay:GPT-4-Turbo", latency=INSTANT, data_dir=classeval_data) as model:
        result = await model.complete(ModelRequest(task_id=str(task["task_id"])))
    assert result.text == task["predict"][0]  # type: ignore[index]


async def test_unknown_requests_are_clear_errors(classeval_data: Path) -> None:
    async with resolve_model("replay:WizardCoder-15B-V1.0", latency=INSTANT, data_dir=classeval_data) as model:
        with pytest.raises(UnknownRequest, match="recorded symbols: AccessGatewayFilter.filter"):
            await model.complete(ModelRequest(task_id="ClassEval_0", symbol="AccessGatewayFilter.nope"))
        with pytest.raises(UnknownRequest, match="no task 'ClassEval_1000'"):
            await model.complete(ModelRequest(task_id="ClassEval_1000", symbol="X.y"))
        with pytest.raises(UnknownRequest, match="no class_H recording"):
            await model.complete(ModelRequest(task_id="ClassEval_0"))
        with pytest.raises(UnknownRequest, match="task_id"):
            await model.complete(ModelRequest.prompt("hello"))


def test_unknown_recording_lists_known_ones(classeval_data: Path) -> None:
    with pytest.raises(ConfigError, match="known: .*GPT-4-Turbo"):
        resolve_model("replay:GPT-5-Imaginary", data_dir=classeval_data)
    assert set(available_recordings(classeval_data)["GPT-3.5-Turbo"]) == {"method_C", "method_I", "class_H"}


def test_missing_data_dir_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLASSEVAL_DATA", str(tmp_path))  # the library never reads it: only the CLI does
    with pytest.raises(ConfigError, match="CLASSEVAL_DATA"):
        resolve_model("replay:GPT-4-Turbo")
    with pytest.raises(ConfigError, match="not a ClassEval data directory"):
        resolve_model("replay:GPT-4-Turbo", data_dir=tmp_path)


async def test_max_tokens_cuts_the_reply_like_a_real_model(classeval_data: Path) -> None:
    async with resolve_model("replay:GPT-4-Turbo", latency=INSTANT, data_dir=classeval_data) as model:
        full = await model.complete(ModelRequest(task_id="ClassEval_0", symbol="AccessGatewayFilter.filter"))
        cut = await model.complete(ModelRequest(task_id="ClassEval_0", symbol="AccessGatewayFilter.filter", max_tokens=10))
    assert full.usage.stop_reason == "end_turn" and cut.usage.stop_reason == "max_tokens"
    assert full.text.startswith(cut.text) and cut.usage.output_tokens == 10
