"""``GivenReplies``: a deterministic fake that streams reply texts you give it.

For tests that need a model to say something specific, e.g. a hostile or
garbled reply for one symbol, without patching anything: replies are keyed by
the request's qualified ``symbol``; successive calls for a symbol get
successive texts (the last one repeats).  Requests for other symbols go to a
``fallback`` offline model (e.g. ``scripted`` with no faults), or fail with
``UnknownRequest``.  Offline, free, and labelled so in every usage record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._base import OfflineModel, OfflineReply
from ._budget import Budget
from ._errors import UnknownRequest
from ._latency import LatencyConfig
from ._types import ModelRequest, ProviderInfo

__all__ = ["GivenReplies"]


class GivenReplies(OfflineModel):
    """Streams the given reply texts per symbol; other symbols go to ``fallback``."""

    def __init__(
        self,
        replies: Mapping[str, str | Sequence[str]],
        *,
        fallback: OfflineModel | None = None,
        latency: LatencyConfig | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.replies = {symbol: (texts,) if isinstance(texts, str) else tuple(texts) for symbol, texts in replies.items()}
        for symbol, texts in self.replies.items():
            if not texts:
                raise ValueError(f"no reply text given for {symbol!r}")
        self.fallback = fallback
        self.calls: dict[str, int] = {}
        """How many replies each given symbol has received so far."""
        behind = f"; others: {fallback.info.label}" if fallback is not None else ""
        info = ProviderInfo(
            provider="given",
            model="given-replies",
            offline=True,
            label=f"given replies (offline: fixed texts for {', '.join(sorted(self.replies)) or 'no symbol'}{behind})",
        )
        super().__init__(info, latency=latency or LatencyConfig(profile="instant"), budget=budget)

    def reply(self, request: ModelRequest) -> OfflineReply:
        symbol = request.symbol or ""
        texts = self.replies.get(symbol)
        if texts is None:
            if self.fallback is None:
                raise UnknownRequest(f"given replies: none for {symbol or 'a whole-task request'!r}; given: {', '.join(sorted(self.replies))}")
            return self.fallback.reply(request)
        n = self.calls.get(symbol, 0)
        self.calls[symbol] = n + 1
        return OfflineReply(text=texts[min(n, len(texts) - 1)], source="given replies", fault=f"given reply #{n}")
