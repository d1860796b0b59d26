"""Deterministic fakes for tests: local servers that speak the providers' real wire formats.

``FakeServer`` binds 127.0.0.1:0 and answers each request with the next
scripted step; the builders produce the exact SSE sequences of the Anthropic
Messages API and OpenAI chat completions, and their error bodies::

    async with FakeServer([anthropic_error(429, retry_after=0.01), anthropic_stream("hi")]) as server:
        model = resolve_model("anthropic:claude-sonnet-4-5", base_url=server.base_url)

``FakePromptCache`` makes a server report prompt-cache usage as the real APIs do (a marked or
repeated prefix seen before is read, else written).  ``GivenReplies`` is an offline model that streams reply texts you give it per
symbol (hostile or garbled replies for one method, a fallback model for the rest).
"""

from ._fakecache import FakePromptCache
from ._fakeserver import FakeServer, JSONReply, RecordedRequest, SSEReply, Step
from ._given import GivenReplies
from ._wire import (
    anthropic_error,
    anthropic_error_event,
    anthropic_events,
    anthropic_model_info,
    anthropic_stream,
    openai_chunks,
    openai_error,
    openai_models,
    openai_stream,
    split_chunks,
)

__all__ = [
    "FakePromptCache",
    "FakeServer",
    "GivenReplies",
    "JSONReply",
    "RecordedRequest",
    "SSEReply",
    "Step",
    "anthropic_error",
    "anthropic_error_event",
    "anthropic_events",
    "anthropic_model_info",
    "anthropic_stream",
    "openai_chunks",
    "openai_error",
    "openai_models",
    "openai_stream",
    "split_chunks",
]
