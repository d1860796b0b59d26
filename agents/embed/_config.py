"""Configuration of an embedded session."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from claim_protocol import ClaimConfig

__all__ = ["EmbedConfig", "Role"]

Role = Literal["implementer", "observer"]


class EmbedConfig(BaseModel):
    """Where to join, as whom, and how to hold claims."""

    url: str = Field(description="Relay websocket URL, e.g. ws://127.0.0.1:8765 (ours, or any y-websocket server).")
    room: str = Field(description="Room (workspace) name, e.g. the one `crdt-bench run` prints for a trial.")
    token: SecretStr | None = Field(
        default=None, description="Access token, sent as the `token` query parameter (None: no token; the CLI reads $CRDT_WS_TOKEN)."
    )
    agent_id: str = Field(description="This agent's id; unique in the room (it is the `assignee` of its claims).")
    role: Role = Field(
        default="implementer",
        description="implementer: may claim and commit; observer: read only, every write raises ReadOnlySession.",
    )
    claim: ClaimConfig = Field(
        default_factory=ClaimConfig,
        description="Claim protocol timing (heartbeat interval, lease, verify wait); use the room's own values.",
    )
    connect_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds to wait for the first sync with the relay, and for the sync round trips a claim needs "
        "before it is written and before it is verified (a session that cannot reach the relay wins no claim).",
    )
    check_write_access: bool = Field(
        default=True,
        description="Implementers only: after connecting, check that the relay keeps this agent's writes (a "
        "read-only token's writes are silently dropped); if it does not, the session becomes read-only.",
    )
    write_check_timeout: float = Field(
        default=2.0, gt=0, description="Seconds to wait for this agent's own write to come back before judging it dropped."
    )
    color: str = Field(default="#7f7f7f", description="Colour the web viewer draws this agent in.")

    @field_validator("agent_id")
    @classmethod
    def _agent_id(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("agent_id must be a non-empty string")
        return value
