"""Typed views of the entries stored in the shared document (schema in DESIGN.md).

The document stores plain JSON-like values (pycrdt turns ints into floats on the
way through Yjs' ``Any`` encoding); these models are the one place where such
values become typed Python again, so a malformed entry fails here with a
:class:`SchemaError` naming the field instead of deep inside an agent.
"""

from __future__ import annotations

import time
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._errors import SchemaError

__all__ = ["TodoStatus", "TodoEntry", "Event", "Region", "Presence", "parse_model"]


class TodoStatus(str, Enum):
    """Lifecycle of a TODO: ``pending`` → ``claimed`` → ``done`` or ``failed``."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"


class TodoEntry(BaseModel):
    """One unit of work: implement ``symbol`` in ``file``.

    Extra keys are kept, so later protocol versions can add fields without
    older replicas dropping them on a read-modify-write.
    """

    model_config = ConfigDict(extra="allow", use_enum_values=False)

    id: str = Field(description="Stable TODO id, also its key in the `todos` map.")
    file: str = Field(description="Path of the file buffer the symbol lives in.")
    symbol: str = Field(description="Qualified name of the symbol to implement, e.g. `Stack.push`.")
    deps: list[str] = Field(default_factory=list, description="Ids of TODOs whose code this one needs.")
    status: TodoStatus = Field(default=TodoStatus.PENDING, description="Where the TODO is in its lifecycle.")
    assignee: str | None = Field(default=None, description="Agent id of the current holder, if any.")
    heartbeat: int = Field(default=0, description="Counter the holder bumps to keep its lease alive.")
    attempt: int = Field(default=0, description="How many times the TODO has been claimed.")
    result: str | None = Field(default=None, description="The committed implementation text.")
    verdict: str | None = Field(default=None, description="The judge's verdict on the committed code.")
    lease_s: float | None = Field(
        default=None,
        description="The holder's lease in seconds, written with each claim; observers judge staleness by it "
        "(None: the observer's own configured lease).",
    )
    done_by: str | None = Field(default=None, description="Agent whose completion the entry records (the winner).")
    doubles: dict[str, str] = Field(
        default_factory=dict,
        description="Double claims: loser agent -> the winner its completion lost to. Stored as one key per loser, "
        "`double.<loser>`, so flags two losers raise at once both survive the merge.",
    )
    repaired: dict[str, str] = Field(
        default_factory=dict,
        description="Repairs made for a double claim: loser agent -> the agent that put the winner's result back. "
        "Stored as one key per loser, `repaired.<loser>`.",
    )

    @model_validator(mode="before")
    @classmethod
    def _gather_flat_keys(cls, value: Any) -> Any:
        # The document keeps one Map key per loser (concurrent sets of one key keep one
        # writer); older replicas and other clients read and write exactly these keys.
        if not isinstance(value, dict) or not any(isinstance(k, str) and k.startswith(_FLAT) for k in value):
            return value
        out: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {name: dict(value.get(name) or {}) for name in _FLAT_FIELDS.values()}
        for key, item in value.items():
            prefix = key.split(".", 1)[0] + "." if isinstance(key, str) and "." in key else None
            if prefix in _FLAT_FIELDS and item is not None:
                nested[_FLAT_FIELDS[prefix]][key[len(prefix) :]] = item
            elif key not in _FLAT_FIELDS.values():
                out[key] = item
        return out | nested

    def to_doc(self) -> dict[str, Any]:
        """Plain values for the document; ``None`` fields are stored too, so keys are stable.

        ``doubles`` and ``repaired`` become their flat ``double.<agent>`` /
        ``repaired.<agent>`` keys (see :func:`doc_keys`).
        """
        values = self.model_dump(mode="json")
        for prefix, name in _FLAT_FIELDS.items():
            values.update({prefix + agent: v for agent, v in values.pop(name).items()})
        return values

    @staticmethod
    def doc_keys(changes: dict[str, Any]) -> list[str]:
        """The document keys a set of field changes writes (a flat field: one key per agent given)."""
        keys: list[str] = []
        for name, value in changes.items():
            prefix = next((p for p, n in _FLAT_FIELDS.items() if n == name), None)
            keys += [prefix + agent for agent in value] if prefix is not None else [name]
        return keys


_FLAT_FIELDS = {"double.": "doubles", "repaired.": "repaired"}
"""Dict fields of :class:`TodoEntry` stored as one document key per agent: prefix -> field."""
_FLAT = tuple(_FLAT_FIELDS)


class Event(BaseModel):
    """An entry of the append-only audit log."""

    model_config = ConfigDict(extra="forbid")

    time: float = Field(default_factory=time.time, description="Wall-clock time (Unix seconds) on the writer.")
    agent: str = Field(description="Id of the agent that wrote the event.")
    type: str = Field(description="What happened, e.g. `claim`, `commit`, `verdict`.")
    todo: str | None = Field(default=None, description="The TODO the event is about, if any.")
    data: dict[str, Any] = Field(default_factory=dict, description="Type-specific details (JSON values).")


class Region(BaseModel):
    """A span of a file an agent is working on (character indices into its buffer)."""

    file: str = Field(description="Path of the file buffer.")
    symbol: str | None = Field(
        default=None,
        description="Qualified name being edited, if known: the anchor. Readers resolve it in the text they hold "
        "(the viewer does), so the region stays on its symbol while others edit above it.",
    )
    start: int = Field(default=0, description="Start character index when published (a fallback when symbol is None or not found).")
    end: int = Field(default=0, description="End character index when published (a fallback, like start).")


class Presence(BaseModel):
    """What an agent shows others through awareness (the viewer draws it as a cursor)."""

    agent: str = Field(description="Agent id.")
    role: str = Field(default="implementer", description="outliner, implementer, judge, human, observer...")
    color: str = Field(default="#888888", description="Colour the viewer uses for this agent.")
    region: Region | None = Field(default=None, description="Where the agent is editing now.")


_M = TypeVar("_M", bound=BaseModel)


def parse_model(model: type[_M], value: Any, what: str) -> _M:
    """Validate a document value as ``model``; raise :class:`SchemaError` naming ``what``."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise SchemaError(f"{what} does not match the schema: {exc}") from exc
