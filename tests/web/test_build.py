"""The shipped bundle is what the lockfile builds (the same check `.ci/run` makes)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "web" / "frontend"


@pytest.mark.node
def test_shipped_assets_match_a_fresh_build() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    if not (FRONTEND / "node_modules" / "esbuild").is_dir():
        pytest.skip("web/frontend/node_modules missing: run `npm ci --prefix web/frontend`")
    done = subprocess.run([npm, "run", "build", "--silent", "--", "--check"], cwd=FRONTEND, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "viewer.js matches a fresh build" in done.stdout
