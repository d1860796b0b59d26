"""``replay:<recording>``: real recorded LLM replies from ClassEval, byte for byte.

Recordings live in ``<data_dir>/recorded/<Model>_<strategy>_greedy.json``. The
strategy is chosen per request by one rule, the *world rule*, fixed by the
benchmark's ground truth:

* ``method_I`` (incremental: generated seeing the other methods' code) when the
  prompt showed (``request.shown``) the committed code of **every** method that
  ClassEval's ground-truth ``methods_info[].dependencies.method_dependencies``
  lists for the requested method, **and** of at least one other method of the
  class;
* ``method_C`` (compositional: generated from the skeleton alone) otherwise;
* ``class_H`` when ``symbol=None`` (holistic: the whole class in one reply; the
  recordings keep only the assembled class, ``predict[0]``).

The rule reads only the benchmark's data and what the prompt showed. It never
reads a classifier's predictions, the plan or the mode (``ModelRequest`` carries
none of them): the world is the same for every system measured in it, so a
weaker classifier cannot make a mode look better by predicting fewer
dependencies.  Ground-truth names that are not methods of the class (the
constructor, helpers outside ``methods_info``) are not TODOs and are ignored.

Method replies are ``raw_output[0][i]`` in ``methods_info`` order, prose and
markdown fences included. A request the recording cannot answer is an
``UnknownRequest`` naming what is available.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ._base import OfflineModel, OfflineReply
from ._budget import Budget
from ._classeval import classeval_dir, load_json, symbol_of
from ._errors import ConfigError, UnknownRequest
from ._latency import LatencyConfig
from ._types import ModelRequest, ProviderInfo

__all__ = ["ReplayConfig", "ReplayModel", "available_recordings", "ground_truth_deps", "world_strategy"]

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


def ground_truth_deps(data_dir: str | Path | None = None) -> dict[str, dict[str, frozenset[str]]]:
    """Task id -> method symbol -> symbols of the class's methods it calls, from ``ClassEval_data.json``.

    The benchmark's own ``method_dependencies``, restricted to the class's methods
    (the TODOs); a method never depends on itself.
    """
    out: dict[str, dict[str, frozenset[str]]] = {}
    for task in load_json(classeval_dir(data_dir) / "ClassEval_data.json"):
        class_name = str(task["class_name"])
        infos: list[dict[str, Any]] = task["methods_info"]
        names = {str(m["method_name"]) for m in infos}
        deps: dict[str, frozenset[str]] = {}
        for info in infos:
            name = str(info["method_name"])
            listed = (info.get("dependencies") or {}).get("method_dependencies") or []
            deps[symbol_of(class_name, name)] = frozenset(
                symbol_of(class_name, str(d)) for d in listed if str(d) in names and str(d) != name
            )
        out[str(task["task_id"])] = deps
    return out


def world_strategy(symbol: str, shown: tuple[str, ...] | frozenset[str], class_deps: dict[str, frozenset[str]]) -> Literal["method_I", "method_C"]:
    """The world rule: ``method_I`` iff the prompt showed every ground-truth dependency and another method."""
    seen = set(shown) & set(class_deps) - {symbol}
    return "method_I" if seen and class_deps.get(symbol, frozenset()) <= seen else "method_C"


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
        self._truth: dict[str, dict[str, frozenset[str]]] | None = None

    def strategy_for(self, request: ModelRequest) -> str:
        """Which recording answers ``request`` (see the module docstring: the world rule)."""
        if request.symbol is None:
            return "class_H"
        if self._truth is None:
            self._truth = ground_truth_deps(self.data_dir)
        class_deps = self._truth.get(request.task_id or "")
        if class_deps is None:
            raise UnknownRequest(f"replay: no task {request.task_id!r} in {self.data_dir / 'ClassEval_data.json'}")
        return world_strategy(request.symbol, request.shown, class_deps)

    def _tasks(self, strategy: str) -> dict[str, dict[str, Any]]:
        if strategy not in self._index:
            path = self.data_dir / "recorded" / f"{self.config.recording}_{strategy}{_SUFFIX}"
            self._index[strategy] = {str(task["task_id"]): task for task in load_json(path)}
        return self._index[strategy]

    def reply(self, request: ModelRequest) -> OfflineReply:
        if request.task_id is None:
            raise UnknownRequest("replay needs the request's task_id (e.g. 'ClassEval_0')")
        strategy = self.strategy_for(request)
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
