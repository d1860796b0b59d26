"""``replay:<recording>``: real recorded LLM replies from ClassEval, byte for byte.

Recordings live in ``<data_dir>/recorded/<Model>_<strategy>_greedy.json``. The
strategy is chosen per request, mirroring what the implementer saw:

* ``saw_dependencies=False`` -> ``method_C`` (compositional: each method
  generated from the skeleton alone);
* ``saw_dependencies=True`` -> ``method_I`` (incremental: generated seeing the
  methods before it);
* ``symbol=None`` -> ``class_H`` (holistic: the whole class in one reply; the
  recordings keep only the assembled class, ``predict[0]``).

Method replies are ``raw_output[0][i]`` in ``methods_info`` order, prose and
markdown fences included. A request the recording cannot answer is an
``UnknownRequest`` naming what is available.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ._base import OfflineModel, OfflineReply
from ._budget import Budget
from ._classeval import classeval_dir, load_json, symbol_of
from ._errors import ConfigError, UnknownRequest
from ._latency import LatencyConfig
from ._types import ModelRequest, ProviderInfo

__all__ = ["ReplayConfig", "ReplayModel", "available_recordings"]

_STRATEGIES = ("method_C", "method_I", "class_H")
_SUFFIX = "_greedy.json"


class ReplayConfig(BaseModel):
    """Options of the ``replay`` provider."""

    recording: str = Field(description="Recorded model name, e.g. 'GPT-4-Turbo' (see available_recordings()).")
    data_dir: Path | None = Field(default=None, description="ClassEval data directory; None = $CLASSEVAL_DATA.")
    latency: LatencyConfig = Field(default_factory=LatencyConfig, description="Stream pacing.")


def available_recordings(data_dir: str | Path | None = None) -> dict[str, list[str]]:
    """Recording name -> strategies present."""
    found: dict[str, list[str]] = {}
    for path in sorted((classeval_dir(data_dir) / "recorded").glob(f"*{_SUFFIX}")):
        stem = path.name[: -len(_SUFFIX)]
        for strategy in _STRATEGIES:
            if stem.endswith("_" + strategy):
                found.setdefault(stem[: -len(strategy) - 1], []).append(strategy)
    return found


class ReplayModel(OfflineModel):
    """Streams recorded replies, paced by the latency model."""

    def __init__(self, config: ReplayConfig, *, budget: Budget | None = None) -> None:
        self.config = config
        self.data_dir = classeval_dir(config.data_dir)
        recordings = available_recordings(self.data_dir)
        if config.recording not in recordings:
            known = ", ".join(recordings) or "none"
            raise ConfigError(f"unknown recording {config.recording!r} in {self.data_dir / 'recorded'}; known: {known}")
        self.strategies = recordings[config.recording]
        info = ProviderInfo(
            provider="replay",
            model=config.recording,
            offline=True,
            label=f"replay:{config.recording} (offline: recorded ClassEval generations)",
        )
        super().__init__(info, latency=config.latency, budget=budget)
        self._index: dict[str, dict[str, dict[str, Any]]] = {}

    def _tasks(self, strategy: str) -> dict[str, dict[str, Any]]:
        if strategy not in self._index:
            path = self.data_dir / "recorded" / f"{self.config.recording}_{strategy}{_SUFFIX}"
            self._index[strategy] = {str(task["task_id"]): task for task in load_json(path)}
        return self._index[strategy]

    def reply(self, request: ModelRequest) -> OfflineReply:
        if request.task_id is None:
            raise UnknownRequest("replay needs the request's task_id (e.g. 'ClassEval_0')")
        strategy = "class_H" if request.symbol is None else ("method_I" if request.saw_dependencies else "method_C")
        if strategy not in self.strategies:
            raise UnknownRequest(
                f"replay:{self.config.recording} has no {strategy} recording (has: {', '.join(self.strategies)})"
            )
        task = self._tasks(strategy).get(request.task_id)
        if task is None:
            raise UnknownRequest(f"replay:{self.config.recording}: no task {request.task_id!r} in the {strategy} recording")
        where = f"{self.config.recording}_{strategy}{_SUFFIX}#{request.task_id}"
        if request.symbol is None:
            predict = task.get("predict")
            if not isinstance(predict, list) or not predict or not isinstance(predict[0], str):
                raise UnknownRequest(f"{where}: no holistic prediction recorded")
            return OfflineReply(text=predict[0], source=where)
        class_name = str(task["class_name"])
        methods = [str(m["method_name"]) for m in task["methods_info"]]
        symbols = [symbol_of(class_name, m) for m in methods]
        if request.symbol not in symbols:
            raise UnknownRequest(
                f"{where}: no method {request.symbol!r}; recorded symbols: {', '.join(symbols)}"
            )
        raw: list[str] = task["raw_output"][0]
        return OfflineReply(text=raw[symbols.index(request.symbol)], source=f"{where}/{request.symbol}")
