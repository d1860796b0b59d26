"""Requests, usage records, the live stream object and the ``Model`` protocol."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._errors import ModelError, StreamNotFinished
from ._tokens import count_tokens

__all__ = ["Completion", "Message", "Model", "ModelRequest", "ModelStream", "ProviderInfo", "Usage"]


class Message(BaseModel):
    """One conversation turn."""

    model_config = ConfigDict(frozen=True)

    role: Literal["user", "assistant"] = Field(description="Who spoke: the caller ('user') or the model ('assistant').")
    content: str = Field(description="Plain text of the turn.")


class ModelRequest(BaseModel):
    """Everything a provider needs for one call.

    Online providers use the prompt fields; offline providers (``replay``,
    ``scripted``) look replies up by the task metadata instead, and use the
    prompt only for input-token accounting.
    """

    model_config = ConfigDict(frozen=True)

    system: str = Field(default="", description="System prompt; long ones are marked for prompt caching by `anthropic`.")
    messages: tuple[Message, ...] = Field(default=(), description="Conversation so far, oldest first; normally ends with a user turn.")
    max_tokens: int = Field(default=2048, gt=0, description="Cap on output tokens (also what a budget reserves for this call).")
    temperature: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Sampling temperature (0 = greedy); None = the provider's default."
    )
    task_id: str | None = Field(default=None, description="Benchmark task, e.g. 'ClassEval_0'; required by offline providers.")
    symbol: str | None = Field(
        default=None,
        description="Qualified name of the symbol to implement, e.g. 'Stack.push'; None asks for the whole task (holistic).",
    )
    shown: tuple[str, ...] = Field(
        default=(),
        description="Qualified symbols whose implemented code the prompt showed (the context an implementer observed); "
        "`replay` picks the incremental (method_I) recording only when this covers the symbol's ground-truth "
        "dependencies and at least one other method.",
    )
    attempt: int = Field(default=0, ge=0, description="Repair attempt number (0 = first try); keys `scripted` fault draws.")
    seed: int | None = Field(default=None, description="Seed for offline randomness (faults, latency jitter); None = the provider's.")
    edit_of: str | None = Field(
        default=None,
        description="The code a repair prompt showed and asked SEARCH/REPLACE edits to (`merge.apply_edits`); `scripted` "
        "then replies with the edits that turn it into its draw. None: the prompt asks for the whole definition.",
    )
    cache_points: tuple[int, ...] = Field(
        default=(),
        description="Character offsets into the first message, ascending, where a prefix that other calls send too ends "
        "(a task's spec; then what a file's calls share). `anthropic` ends a cache_control block at each; "
        "OpenAI-compatible servers cache repeated prefixes by themselves; offline providers ignore them.",
    )

    @model_validator(mode="after")
    def _check_cache_points(self) -> ModelRequest:
        if self.cache_points:
            first = self.messages[0].content if self.messages else ""
            points = self.cache_points
            if any(b <= a for a, b in zip(points, points[1:])) or points[0] <= 0 or points[-1] > len(first):
                raise ValueError(f"cache_points {points} must ascend within the first message (length {len(first)})")
        return self

    def content_key(self) -> str:
        """The request as JSON without its cache marks (they change how a prompt is billed, not what is asked):
        the key of offline latency draws, the same as before the marks existed."""
        # edit_of left out when unset: the draws of every request without it stay what they were before it existed.
        return self.model_dump_json(exclude={"cache_points"} | ({"edit_of"} if self.edit_of is None else set()))

    def first_blocks(self) -> list[str]:
        """The first message cut at ``cache_points``: each shared prefix's new part, then the rest (if any)."""
        first = self.messages[0].content if self.messages else ""
        cuts = [0, *self.cache_points]
        blocks = [first[a:b] for a, b in zip(cuts, cuts[1:])]
        rest = first[cuts[-1] :]
        return [*blocks, rest] if rest else blocks

    def prompt_tokens(self) -> int:
        """Approximate input tokens (:func:`~agents.models.count_tokens`): the system prompt, the first message's
        :meth:`first_blocks`, the other messages.

        Counted block by block because ``count_tokens`` keeps its last answers: the prefix every call of a task
        shares (the spec, ~100k characters on a large package) is tokenized once, not on every call, where it was
        most of an offline model's CPU.  A token a cut splits counts twice: at most one more per cache point than
        the joined text would count.
        """
        blocks = [self.system, *self.first_blocks(), *(m.content for m in self.messages[1:])]
        return sum(count_tokens(block) for block in blocks if block)

    @classmethod
    def prompt(cls, text: str, **fields: object) -> ModelRequest:
        """Shorthand for a one-user-turn request."""
        return cls.model_validate({"messages": (Message(role="user", content=text),), **fields})


class ProviderInfo(BaseModel):
    """What produced a reply; reports print ``label`` next to every figure."""

    model_config = ConfigDict(frozen=True)

    provider: str = Field(description="Registry short name: anthropic, openai, replay, scripted.")
    model: str = Field(description="Model id or recording name after the colon.")
    offline: bool = Field(description="True when no real model answered (recorded or scripted replies).")
    label: str = Field(description="Human-readable origin, e.g. 'scripted (offline: reference + seeded faults)'.")


class Usage(BaseModel):
    """Accounting for one finished call.

    ``input_tokens`` counts *uncached* prompt tokens; the full prompt is
    ``input_tokens + cache_write_tokens + cache_read_tokens`` (Anthropic's
    convention; OpenAI-style ``prompt_tokens`` are converted).
    """

    provider: str = Field(description="Registry short name of the provider.")
    model: str = Field(description="Model id or recording name.")
    label: str = Field(description="Origin label (see ProviderInfo.label).")
    offline: bool = Field(description="True for recorded or scripted replies.")
    input_tokens: int = Field(default=0, ge=0, description="Uncached prompt tokens.")
    output_tokens: int = Field(default=0, ge=0, description="Generated tokens.")
    cache_write_tokens: int = Field(default=0, ge=0, description="Prompt tokens written to the provider's cache.")
    cache_read_tokens: int = Field(default=0, ge=0, description="Prompt tokens served from the provider's cache.")
    cost_usd: float | None = Field(default=None, description="Cost at list prices; None when the model has no known price.")
    ttft_s: float | None = Field(default=None, description="Wall seconds from the call's start to its first text chunk.")
    duration_s: float = Field(default=0.0, ge=0, description="Wall seconds from the call's start to the end of the stream.")
    attempts: int = Field(default=1, ge=1, description="HTTP attempts made (1 + retries).")
    estimated: bool = Field(default=False, description="Token counts are the offline approximation, not the provider's.")
    time_scale: float | None = Field(default=None, description="Latency-model time scale (offline providers only).")
    stop_reason: str | None = Field(default=None, description="Why generation stopped, as the provider said (end_turn, length...).")
    source: str | None = Field(default=None, description="Where an offline reply came from (recording file, reference source).")
    fault: str | None = Field(default=None, description="`scripted` only: the injected fault, or None for a clean reply.")

    @property
    def total_tokens(self) -> int:
        """All prompt and output tokens of the call."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens + self.output_tokens


class Completion(BaseModel):
    """A whole reply with its accounting."""

    text: str = Field(description="The reply text exactly as streamed.")
    usage: Usage = Field(description="Accounting for the call.")


class ModelStream:
    """A live reply: ``async for chunk in stream`` yields text chunks as they arrive.

    After the iteration ends, ``usage`` holds the call's accounting and ``text``
    the whole reply. Obtained from ``Model.stream(request)`` (an async context
    manager that also settles the budget and closes the connection).
    """

    def __init__(self, events: AsyncGenerator[str | Usage, None]) -> None:
        self._events = events
        self._parts: list[str] = []
        self._usage: Usage | None = None

    def __aiter__(self) -> ModelStream:
        return self

    async def __anext__(self) -> str:
        if self._usage is not None:
            raise StopAsyncIteration
        try:
            item = await self._events.__anext__()
        except StopAsyncIteration:
            raise ModelError("provider stream ended without usage (provider bug)") from None
        if isinstance(item, Usage):
            self._usage = item
            raise StopAsyncIteration
        self._parts.append(item)
        return item

    @property
    def text(self) -> str:
        """Text received so far (the whole reply once finished)."""
        return "".join(self._parts)

    @property
    def finished(self) -> bool:
        """True once the provider reported usage."""
        return self._usage is not None

    @property
    def usage(self) -> Usage:
        """Accounting; raises ``StreamNotFinished`` until the stream is consumed."""
        if self._usage is None:
            raise StreamNotFinished("read the whole stream before its usage")
        return self._usage

    async def collect(self) -> Completion:
        """Consume the rest of the stream and return the whole reply."""
        async for _ in self:
            pass
        return Completion(text=self.text, usage=self.usage)

    async def aclose(self) -> None:
        """Stop the stream early (closes the provider connection)."""
        await self._events.aclose()

    async def __aenter__(self) -> ModelStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


@runtime_checkable
class Model(Protocol):
    """One async streaming interface for every provider.

    Usage::

        async with resolve_model("scripted") as model:
            async with model.stream(request) as stream:
                async for chunk in stream:
                    buffer.insert(chunk)
            print(stream.usage)
    """

    @property
    def info(self) -> ProviderInfo:
        """What this model is (provider, model id, offline label)."""
        ...

    def stream(self, request: ModelRequest) -> AbstractAsyncContextManager[ModelStream]:
        """Start a call; the context manager yields the live stream."""
        ...

    async def complete(self, request: ModelRequest) -> Completion:
        """Non-streaming convenience: the whole reply and its usage."""
        ...

    async def aclose(self) -> None:
        """Release connections (idempotent)."""
        ...
