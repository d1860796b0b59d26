"""A prompt cache for the fake servers: usage reported as the real APIs report it.

Anthropic caches what a request marks: the prefix up to each ``cache_control``
block (tools, system, then messages, in order), once it reaches the model's
minimum.  A request whose marked prefix this server saw before reads it
(``cache_read_input_tokens``); the part up to its last mark that was not seen
is written (``cache_creation_input_tokens``); ``input_tokens`` is the rest.
OpenAI caches by itself: the longest prefix of 1024 tokens or more, in 128-token
steps, that an earlier request sent (``prompt_tokens_details.cached_tokens``,
included in ``prompt_tokens``).  Tokens are the offline count
(:func:`~agents.models.count_tokens`); lifetimes are not modelled (a fake
server lives for one test).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from ._fakeserver import RecordedRequest, SSEReply
from ._tokens import count_tokens, tokenize
from ._wire import anthropic_stream, openai_stream

__all__ = ["FakePromptCache"]

Reply = str | Callable[[RecordedRequest], str]


def _digest(parts: list[Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _blocks(content: object) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []  # pyright: ignore[reportUnknownVariableType]


class FakePromptCache:
    """What one server instance has cached; ``anthropic(reply)`` / ``openai(reply)`` are ``FakeServer`` responders.

    ``log`` keeps each answered request's (uncached input, cache write, cache read) tokens, in order.
    """

    def __init__(self, *, min_tokens: int = 1024, openai_min_tokens: int = 1024, openai_step: int = 128) -> None:
        self.min_tokens = min_tokens
        self.openai_min_tokens = openai_min_tokens
        self.openai_step = openai_step
        self._anthropic: set[str] = set()
        self._openai: set[str] = set()
        self.log: list[tuple[int, int, int]] = []

    def anthropic_usage(self, body: dict[str, Any]) -> tuple[int, int, int]:
        """(input_tokens, cache_creation_input_tokens, cache_read_input_tokens) of a Messages API request body."""
        seq: list[tuple[str, dict[str, Any]]] = [("system", b) for b in _blocks(body.get("system", []))]
        for message in body.get("messages", []):
            seq += [(str(message.get("role")), b) for b in _blocks(message.get("content"))]
        total = 0
        marks: list[tuple[str, int]] = []  # (prefix digest, prefix tokens) at each cache_control block
        for i, (_, block) in enumerate(seq):
            total += count_tokens(str(block.get("text", "")))
            if "cache_control" in block:
                prefix = [[role, b.get("text", "")] for role, b in seq[: i + 1]]
                marks.append((_digest([body.get("model"), prefix]), total))
        marks = [(d, t) for d, t in marks if t >= self.min_tokens]
        read = max((t for d, t in marks if d in self._anthropic), default=0)
        write = marks[-1][1] - read if marks and marks[-1][1] > read else 0
        self._anthropic.update(d for d, _ in marks)
        usage = (total - read - write, write, read)
        self.log.append(usage)
        return usage

    def openai_usage(self, body: dict[str, Any]) -> tuple[int, int]:
        """(prompt_tokens, cached_tokens) of a chat completions request body."""
        tokens: list[str] = []
        for message in body.get("messages", []):
            tokens += [f"<{message.get('role')}>", *tokenize(str(message.get("content", "")))]
        cached = 0
        at = self.openai_min_tokens
        while at <= len(tokens):
            digest = _digest([body.get("model"), tokens[:at]])
            if digest in self._openai:
                cached = at
            self._openai.add(digest)
            at += self.openai_step
        self.log.append((len(tokens) - cached, 0, cached))
        return len(tokens), cached

    def anthropic(self, reply: Reply) -> Callable[[RecordedRequest], SSEReply]:
        """A responder streaming ``reply`` (or ``reply(request)``) with this cache's usage."""

        def respond(request: RecordedRequest) -> SSEReply:
            uncached, write, read = self.anthropic_usage(request.json())
            text = reply(request) if callable(reply) else reply
            return anthropic_stream(text, input_tokens=uncached, cache_write_tokens=write, cache_read_tokens=read)

        return respond

    def openai(self, reply: Reply) -> Callable[[RecordedRequest], SSEReply]:
        """A responder streaming ``reply`` (or ``reply(request)``) with this cache's usage."""

        def respond(request: RecordedRequest) -> SSEReply:
            prompt, cached = self.openai_usage(request.json())
            text = reply(request) if callable(reply) else reply
            return openai_stream(text, prompt_tokens=prompt, cached_tokens=cached)

        return respond
