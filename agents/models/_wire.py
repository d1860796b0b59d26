"""Wire formats of the real APIs, for the fake servers.

Anthropic Messages API streaming (``POST /v1/messages`` with ``stream: true``):
``message_start`` (usage with input and cache token counts), ``content_block_start``,
``ping``, ``content_block_delta`` (``text_delta``) ..., ``content_block_stop``,
``message_delta`` (stop reason, cumulative ``output_tokens``), ``message_stop``;
errors as ``{"type": "error", "error": {"type": ..., "message": ...}}`` bodies
(429 ``rate_limit_error``, 529 ``overloaded_error``) or as an ``error`` event
mid-stream.

OpenAI-compatible chat completions (``POST /v1/chat/completions``, ``stream: true``,
``stream_options: {"include_usage": true}``): ``data:`` lines of
``chat.completion.chunk`` objects, a final chunk with empty ``choices`` and
``usage``, then ``data: [DONE]``.
"""

from __future__ import annotations

import json

from ._fakeserver import JSONReply, SSEReply
from ._tokens import count_tokens, tokenize

__all__ = [
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


def split_chunks(text: str, tokens_per_chunk: int = 3) -> list[str]:
    """Split text into small deltas like the real APIs send."""
    pieces = tokenize(text)
    return ["".join(pieces[i : i + tokens_per_chunk]) for i in range(0, len(pieces), tokens_per_chunk)]


def _sse(event: str | None, data: object) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def anthropic_events(
    text: str,
    *,
    model: str = "claude-sonnet-4-5",
    input_tokens: int = 20,
    output_tokens: int | None = None,
    cache_write_tokens: int = 0,
    cache_read_tokens: int = 0,
    stop_reason: str = "end_turn",
    chunks: list[str] | None = None,
) -> list[bytes]:
    """The full SSE event sequence of one successful streamed message."""
    out_tokens = count_tokens(text) if output_tokens is None else output_tokens
    usage_start = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_write_tokens,
        "cache_read_input_tokens": cache_read_tokens,
        "output_tokens": 1,
    }
    message = {"id": "msg_fake01", "type": "message", "role": "assistant", "content": [], "model": model,
               "stop_reason": None, "stop_sequence": None, "usage": usage_start}  # fmt: skip
    events = [
        _sse("message_start", {"type": "message_start", "message": message}),
        _sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        _sse("ping", {"type": "ping"}),
    ]
    for piece in chunks if chunks is not None else split_chunks(text):
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
        events.append(_sse("content_block_delta", delta))
    events += [
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _sse(
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
             "usage": {"output_tokens": out_tokens}},
        ),  # fmt: skip
        _sse("message_stop", {"type": "message_stop"}),
    ]
    return events


def anthropic_stream(text: str, **kwargs: object) -> SSEReply:
    """A successful streamed reply (see ``anthropic_events`` for the options)."""
    options = {k: v for k, v in kwargs.items() if k in SSEReply.__dataclass_fields__}
    event_args = {k: v for k, v in kwargs.items() if k not in options}
    return SSEReply(events=anthropic_events(text, **event_args), **options)  # type: ignore[arg-type]


def anthropic_error(status: int = 429, *, retry_after: float | None = None, message: str | None = None) -> JSONReply:
    """An error response as the Messages API sends it (429 rate limit, 529 overloaded, ...)."""
    kind = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
            429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}.get(status, "api_error")  # fmt: skip
    headers = {"request-id": "req_fake01"}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    body = {"type": "error", "error": {"type": kind, "message": message or kind.replace("_", " ")}, "request_id": "req_fake01"}
    return JSONReply(status, body, headers)


def anthropic_error_event(kind: str = "overloaded_error") -> bytes:
    """An ``error`` event sent inside an otherwise successful stream."""
    return _sse("error", {"type": "error", "error": {"type": kind, "message": kind.replace("_", " ")}})


def openai_chunks(
    text: str,
    *,
    model: str = "local-model",
    prompt_tokens: int = 20,
    completion_tokens: int | None = None,
    cached_tokens: int = 0,
    finish_reason: str = "stop",
    include_usage: bool = True,
    chunks: list[str] | None = None,
) -> list[bytes]:
    """The SSE lines of one streamed chat completion, ending with ``data: [DONE]``."""
    base = {"id": "chatcmpl-fake01", "object": "chat.completion.chunk", "created": 1700000000, "model": model}

    def chunk(delta: dict[str, str], finish: str | None) -> bytes:
        return _sse(None, {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    events = [chunk({"role": "assistant", "content": ""}, None)]
    events += [chunk({"content": piece}, None) for piece in (chunks if chunks is not None else split_chunks(text))]
    events.append(chunk({}, finish_reason))
    if include_usage:
        done = count_tokens(text) if completion_tokens is None else completion_tokens
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": done, "total_tokens": prompt_tokens + done,
                 "prompt_tokens_details": {"cached_tokens": cached_tokens}}  # fmt: skip
        events.append(_sse(None, {**base, "choices": [], "usage": usage}))
    events.append(_sse(None, "[DONE]"))
    return events


def openai_stream(text: str, **kwargs: object) -> SSEReply:
    """A successful streamed chat completion (see ``openai_chunks`` for the options)."""
    options = {k: v for k, v in kwargs.items() if k in SSEReply.__dataclass_fields__}
    chunk_args = {k: v for k, v in kwargs.items() if k not in options}
    return SSEReply(events=openai_chunks(text, **chunk_args), **options)  # type: ignore[arg-type]


def openai_error(status: int = 429, *, retry_after: float | None = None, message: str | None = None) -> JSONReply:
    """An error response in the OpenAI format (vLLM, llama.cpp server and Ollama use it too)."""
    kind = {429: "rate_limit_exceeded", 400: "invalid_request_error", 401: "invalid_api_key"}.get(status, "server_error")
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
    return JSONReply(status, {"error": {"message": message or kind, "type": kind, "code": status}}, headers)


def anthropic_model_info(model: str = "claude-sonnet-4-6") -> JSONReply:
    """``GET /v1/models/{id}``'s answer (what preflight asks for)."""
    body = {"type": "model", "id": model, "display_name": model, "created_at": "2026-01-01T00:00:00Z"}
    return JSONReply(200, body, {"request-id": "req_fake02"})


def openai_models(*ids: str) -> JSONReply:
    """``GET /v1/models``'s answer of an OpenAI-compatible server."""
    data = [{"id": i, "object": "model", "created": 1700000000, "owned_by": "local"} for i in ids]
    return JSONReply(200, {"object": "list", "data": data})
