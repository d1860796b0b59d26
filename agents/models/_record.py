"""Record every real reply of a paid run, and replay them offline: ``--record DIR`` and ``recorded:DIR``.

:class:`RecordingModel` wraps any model: each reply that streams to its end
is appended to ``DIR/replies/<fingerprint>.jsonl`` with its chunks and their
times since the call started, its usage, TTFT and tokens/s.  The fingerprint
is a hash of what the provider was asked (the model's label, system prompt,
messages, ``max_tokens``, temperature) and of the caller's ``seed`` and
``attempt``, so the same request in two runs of a sweep keeps both replies.
``DIR/manifest.json`` names the recorded model; one directory holds one model.

:class:`RecordedModel` (``recorded:DIR``) answers a request with the recorded
reply of the same fingerprint, chunk for chunk at the recorded pacing (times
``time_scale``), and its recorded usage; a request seen *n* times gets the
*n*-th recording of it in turn.  In parallel modes a prompt shows the code
committed at the moment it was built, so a rerun can ask for the same thing
with a slightly different prompt: by default (``match="slot"``) it then gets
the reply recorded for the same task, symbol, attempt and seed, and the
call's ``usage.source`` says the prompt differed.  A request for something
never recorded (or any differing prompt with ``match="exact"``) is
``UnknownRequest`` naming the task, the symbol and the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import anyio
from pydantic import BaseModel, Field

from ._base import CallState, StreamingModel
from ._errors import ConfigError, UnknownRequest
from ._pricing import CachePolicy
from ._types import ModelRequest, ModelStream, ProviderInfo, Usage

__all__ = ["RecordedConfig", "RecordedModel", "RecordingModel", "request_fingerprint"]

_MANIFEST = "manifest.json"


def slot_key(model_label: str, request: ModelRequest) -> str:
    """What a call is *for* (task, symbol, attempt, seed), whatever its prompt showed."""
    data = [model_label, request.task_id, request.symbol, request.attempt, request.seed]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:24]


def request_fingerprint(model_label: str, request: ModelRequest) -> str:
    """Hash of what a provider is asked (and the caller's seed and attempt): the key of a recorded reply."""
    data = {
        "model": model_label,
        "system": request.system,
        "messages": [[m.role, m.content] for m in request.messages],
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "seed": request.seed,
        "attempt": request.attempt,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:24]


class RecordingModel(StreamingModel):
    """``inner``, with each finished reply stored under ``directory`` (see the module docstring)."""

    def __init__(self, inner: StreamingModel, directory: Path) -> None:
        super().__init__(inner.info, budget=None, pricing=None)
        self.inner = inner
        self.directory = directory
        (directory / "replies").mkdir(parents=True, exist_ok=True)
        manifest = directory / _MANIFEST
        if manifest.exists():
            found = json.loads(manifest.read_text(encoding="utf-8")).get("model")
            if found != inner.info.label:
                raise ConfigError(f"--record {directory} holds replies of {found!r}, not {inner.info.label!r}: use another directory")
        else:
            body = {"model": inner.info.label, "provider": inner.info.provider, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            manifest.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")

    @property
    def endpoint(self) -> str:
        return self.inner.endpoint

    @property
    def prompt_cache(self) -> CachePolicy | None:
        return self.inner.prompt_cache

    async def warm_up(self) -> None:
        await self.inner.warm_up()

    async def check(self, timeout_s: float) -> str:
        return await self.inner.check(timeout_s)

    def stream(self, request: ModelRequest) -> _RecordingCall:
        return _RecordingCall(self, request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _generate(self, request: ModelRequest, state: CallState) -> AsyncIterator[str]:
        raise NotImplementedError("RecordingModel streams through its inner model")

    def save(self, request: ModelRequest, chunks: list[tuple[float, str]], usage: Usage) -> None:
        generating = (usage.duration_s - (usage.ttft_s or 0.0)) or 0.0
        line = {
            "slot": slot_key(self.info.label, request),
            "task": request.task_id,
            "symbol": request.symbol,
            "chunks": [[round(t, 6), text] for t, text in chunks],
            "usage": usage.model_dump(mode="json"),
            "ttft_s": usage.ttft_s,
            "tokens_per_s": usage.output_tokens / generating if generating > 0 else None,
        }
        path = self.directory / "replies" / f"{request_fingerprint(self.info.label, request)}.jsonl"
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class _RecordingCall:
    def __init__(self, model: RecordingModel, request: ModelRequest) -> None:
        self._model = model
        self._request = request
        self._inner = model.inner.stream(request)
        self._stream: ModelStream | None = None

    async def __aenter__(self) -> ModelStream:
        inner = await self._inner.__aenter__()
        self._stream = ModelStream(self._events(inner))
        return self._stream

    async def _events(self, inner: ModelStream) -> AsyncGenerator[str | Usage, None]:
        started = anyio.current_time()
        chunks: list[tuple[float, str]] = []
        async for chunk in inner:
            chunks.append((anyio.current_time() - started, chunk))
            yield chunk
        self._model.save(self._request, chunks, inner.usage)  # only replies that streamed to their end
        yield inner.usage

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        try:
            if self._stream is not None:
                await self._stream.aclose()
        finally:
            handled = await self._inner.__aexit__(exc_type, exc, tb)  # the inner call settles the budget
        return handled


class RecordedConfig(BaseModel):
    """Options of ``recorded:<dir>``."""

    directory: Path = Field(description="A directory written by --record (manifest.json, replies/).")
    time_scale: float = Field(default=1.0, ge=0, description="Recorded pacing times this (1 = as recorded, 0 = no waits).")
    match: Literal["exact", "slot"] = Field(
        default="slot",
        description="exact: only a request identical to a recorded one is answered. slot: a request whose prompt "
        "differs (in parallel modes a prompt shows what was committed at that moment) gets the reply recorded for "
        "the same task, symbol, attempt and seed, and its usage says so; a request for a slot never recorded fails.",
    )


class RecordedModel(StreamingModel):
    """Replays a recorded paid run (see the module docstring)."""

    def __init__(self, config: RecordedConfig, *, budget: Any = None) -> None:
        manifest = config.directory / _MANIFEST
        if not manifest.is_file():
            raise ConfigError(f"recorded:{config.directory}: no {_MANIFEST} there; record a run into it with --record DIR")
        self.recorded_label = str(json.loads(manifest.read_text(encoding="utf-8"))["model"])
        info = ProviderInfo(
            provider="recorded",
            model=str(config.directory),
            offline=True,
            label=f"recorded:{config.directory} (offline: replies of {self.recorded_label} replayed)",
        )
        super().__init__(info, budget=budget, pricing=None)
        self.config = config
        self._seen: dict[str, int] = {}
        self._replies: dict[str, list[dict[str, Any]]] = {}
        self._costs: dict[int, float | None] = {}  # id(call state) -> its recorded cost
        self._slot_index: dict[str, list[dict[str, Any]]] | None = None

    def _lookup(self, request: ModelRequest) -> dict[str, Any]:
        key = request_fingerprint(self.recorded_label, request)
        if key not in self._replies:
            path = self.config.directory / "replies" / f"{key}.jsonl"
            slot = slot_key(self.recorded_label, request)
            if not path.is_file() and self.config.match == "slot" and slot in self._slots():
                key = f"slot:{slot}"
                self._replies.setdefault(key, self._slots()[slot])
            elif not path.is_file():
                raise UnknownRequest(
                    f"recorded:{self.config.directory} never saw this request (task {request.task_id}, "
                    f"symbol {request.symbol}, attempt {request.attempt}, fingerprint {key}): the recorded run did not ask it"
                )
            else:
                self._replies[key] = _read(path)
        n = self._seen.get(key, 0)
        self._seen[key] = n + 1
        replies = self._replies[key]
        return replies[n % len(replies)]

    def _slots(self) -> dict[str, list[dict[str, Any]]]:
        if self._slot_index is None:
            self._slot_index = {}
            for path in sorted((self.config.directory / "replies").glob("*.jsonl")):
                for reply in _read(path):
                    self._slot_index.setdefault(str(reply.get("slot")), []).append({**reply, "inexact": True})
        return self._slot_index

    async def _generate(self, request: ModelRequest, state: CallState) -> AsyncIterator[str]:
        reply = self._lookup(request)  # fails before any wait
        state.attempts = 1
        usage = Usage.model_validate(reply["usage"])
        state.input_tokens, state.output_tokens = usage.input_tokens, usage.output_tokens
        state.cache_write_tokens, state.cache_read_tokens = usage.cache_write_tokens, usage.cache_read_tokens
        state.stop_reason, state.source = usage.stop_reason, f"recorded {self.recorded_label}"
        if reply.get("inexact"):
            state.source += " (prompt differed from the recorded one: matched by task, symbol, attempt, seed)"
        state.estimated = usage.estimated
        self._costs[id(state)] = usage.cost_usd
        for at, text in reply["chunks"]:
            wait = state.started + at * self.config.time_scale - anyio.current_time()
            if wait > 0:
                await anyio.sleep(wait)
            yield text

    def cost(self, state: CallState) -> float | None:
        # What the recorded call cost: a replay reproduces the paid run's figures (its label says offline).
        return self._costs.get(id(state))

    def final_usage(self, state: CallState) -> Usage:
        usage = self.usage(state, time_scale=self.config.time_scale)
        self._costs.pop(id(state), None)
        return usage
