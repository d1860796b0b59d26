"""The viewer's configuration."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

__all__ = ["ViewerConfig", "STATIC_DIR"]

STATIC_DIR = Path(__file__).resolve().parent / "static"


class ViewerConfig(BaseModel):
    """What the relay's HTTP side serves for the viewer."""

    static_dir: Path = Field(default=STATIC_DIR, description="Directory holding index.html, viewer.js and viewer.css (the shipped build).")
    max_history_updates: int = Field(default=20000, gt=0, description="Most history entries one replay response carries; longer histories are merged into this many consecutive groups (the final state stays exact, scrubbing gets coarser).")
    public_url: str | None = Field(default=None, description="Base URL people reach the relay at (e.g. behind a proxy); default: the address it binds.")
