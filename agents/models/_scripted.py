"""``scripted``: reference implementations with seeded faults, paced like a real model.

The offline default for bundled tasks: repair paths run without any model.
For each request a RNG keyed on (seed, task, symbol, attempt) decides whether
to inject a fault (probability ``fault_rate``) and which one, so a run is
reproducible and a later attempt of the same symbol can come out right. The
reply looks like a model's: one sentence, then a fenced ``python`` block with
the imports the code needs and the code; a repair asked as edits (``ModelRequest.edit_of``)
gets the SEARCH/REPLACE blocks that turn the code it was shown into the same draw
(``merge.write_edits``), or the whole code when that is shorter. Every usage record says ``scripted``
and names the injected fault, so quality figures are never mistaken for a
model's.
"""

from __future__ import annotations

import hashlib
import random

from pydantic import BaseModel, Field

from merge import write_edits

from ._base import OfflineModel, OfflineReply
from ._budget import Budget
from ._errors import UnknownRequest
from ._faults import FAULT_KINDS, FaultKind, inject_one_of
from ._latency import LatencyConfig
from ._pricing import Pricing, claude_pricing
from ._references import ReferenceSource
from ._types import ModelRequest, ProviderInfo

__all__ = ["ScriptedConfig", "ScriptedModel"]

_PREFACES = (
    "Here is the implementation of `{symbol}`:",
    "Sure - `{symbol}` can be implemented like this:",
    "This implements `{symbol}` as specified:",
)


class ScriptedConfig(BaseModel):
    """Options of the ``scripted`` provider."""

    fault_rate: float = Field(default=0.3, ge=0, le=1, description="Probability that a reply carries one injected fault.")
    blind_fault_rate: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Extra fault probability per dependency (`Reference.depends_on`) whose code the request did not show "
        "(`ModelRequest.shown`): a model writing against code it cannot see guesses its interface. A modelling "
        "assumption of this offline provider, not a measured figure.",
    )
    faults: tuple[FaultKind, ...] = Field(default=FAULT_KINDS, min_length=1, description="Fault kinds to draw from.")
    seed: int = Field(default=0, description="Default seed (a request's own `seed` wins).")
    latency: LatencyConfig = Field(default_factory=LatencyConfig, description="Stream pacing.")
    price_as: str | None = Field(
        default=None, description="Claude model id whose list price simulates a cost (None: cost 0); still labelled offline."
    )


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x00".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class ScriptedModel(OfflineModel):
    """Answers from a ``ReferenceSource``, with seeded faults."""

    def __init__(self, references: ReferenceSource, config: ScriptedConfig | None = None, *, budget: Budget | None = None) -> None:
        self.config = config or ScriptedConfig()
        info = ProviderInfo(
            provider="scripted",
            model=references.name,
            offline=True,
            label=f"scripted (offline: {references.name} + seeded faults, rate {self.config.fault_rate:g}"
            f" + {self.config.blind_fault_rate:g} per unseen dependency)",
        )
        pricing: Pricing | None = claude_pricing(self.config.price_as) if self.config.price_as else None
        super().__init__(info, latency=self.config.latency, budget=budget, pricing=pricing)
        self.references = references

    def reply(self, request: ModelRequest) -> OfflineReply:
        if request.task_id is None or request.symbol is None:
            raise UnknownRequest("scripted answers per symbol: the request needs task_id and symbol")
        ref = self.references.get(request.task_id, request.symbol)
        if ref is None:
            known = self.references.symbols(request.task_id)
            hint = f"known symbols: {', '.join(known[:20])}" if known else "no reference for this task at all"
            raise UnknownRequest(f"scripted: no reference for {request.task_id} / {request.symbol}; {hint}")
        seed = self.config.seed if request.seed is None else request.seed
        rng = _rng(seed, request.task_id, request.symbol, request.attempt)
        code = ("\n".join(ref.imports) + "\n\n" + ref.code) if ref.imports else ref.code
        fault = None
        unseen = [dep for dep in ref.depends_on if dep not in request.shown]
        p_fault = 1 - (1 - self.config.fault_rate) * (1 - self.config.blind_fault_rate) ** len(unseen)
        if rng.random() < p_fault:
            code, fault = inject_one_of(code, self.config.faults, rng)
        preface = _PREFACES[rng.randrange(len(_PREFACES))].format(symbol=request.symbol)
        edits = _as_edits(request.edit_of, code) if request.edit_of is not None else None
        text = f"{preface}\n\n{edits}" if edits else f"{preface}\n\n```python\n{code.rstrip()}\n```\n"
        return OfflineReply(text=text, source=self.references.name, fault=str(fault) if fault else None)


def _as_edits(base: str, code: str) -> str | None:
    """The edits turning ``base`` (the code a repair showed, at its place's indentation) into ``code`` (a draw, flush
    left), or None when there are none or they are no shorter than the code itself."""
    heads = ("def ", "async def ", "@", "class ")
    lines = code.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith(heads)), None)
    at = next((line for line in base.splitlines() if line.lstrip().startswith(heads)), None)
    if start is None or at is None:
        return None
    pad = " " * ((len(at) - len(at.lstrip())) - (len(lines[start]) - len(lines[start].lstrip())))
    placed = "\n".join([*lines[:start], *(pad + line if line.strip() else line for line in lines[start:])]) + "\n"
    edits = write_edits(base, placed)
    return edits if edits and len(edits) < len(code) else None
