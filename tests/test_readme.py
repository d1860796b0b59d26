"""The README's Python example, and those it moved into docs/, run as written."""

from __future__ import annotations

import re
import subprocess
import sys

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_readme_example_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme, re.S)
    assert code is not None, "README lost its Python example"
    done = subprocess.run([sys.executable, "-c", code.group(1)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # It only ends once bob's replica holds alice's implementation.
    assert re.search(r"^(FileAdded|TodoChanged|FileEdited)\(", done.stdout, re.M), done.stdout


def test_readme_claim_example_runs() -> None:
    readme = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    code = next((b for b in blocks if "Claimer" in b), None)
    assert code is not None, "README lost its claim example"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "self.items.append(x)" in done.stdout and "return self.items.pop()" in done.stdout
    assert done.stdout.count("'verify'") == 2 and done.stdout.count("'complete'") == 2


def test_readme_trial_example_runs() -> None:
    readme = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    code = next((b for b in blocks if "run_task" in b), None)
    assert code is not None, "docs/architecture.md lost its pipeline example"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    mode, _, rest = done.stdout.strip().partition(" ")
    assert mode in ("parallel", "serial", "waves") and "hidden tests passed:" in rest
    assert "scripted (offline" in rest
    assert "bench" not in code  # embedders run the pipeline from the library alone
