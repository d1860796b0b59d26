"""Environment variables are read only at the command-line boundary.

Library code takes its configuration in pydantic configs; the CLIs
(``bench/_cli.py``, ``agents/mcp/_cli.py``, ...) read the environment and pass
it on.  The scan reads every library module's syntax tree for
``os.environ``/``os.getenv``/``os.putenv``/``os.environb`` (however imported),
so neither a read nor a write slips through.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("crdt_ws", "claim_protocol", "merge", "agents", "bench", "web")
_NAMES = {"environ", "getenv", "putenv", "environb", "unsetenv"}

# path (or folder prefix ending in "/") -> why it may touch the environment
ALLOWED = {
    "bench/_cli.py": "the crdt-bench CLI: the boundary itself",
    "bench/suites/_cli.py": "`crdt-bench data`: defaults for --dest at the boundary",
    "bench/micro/": "each micro-benchmark is its own command line (a main(argv)); some build child processes' environments",
    "bench/_executor.py": "hands the driver's provider keys (read by the providers through api_key_env, see below) to Ray "
    "workers as SecretStr actor arguments and sets them in the worker process, whose environment is where providers read keys",
    "agents/judge/_sandbox.py": "builds the sandboxed child's environment from an allow-list of host variables (scrubbing)",
    "agents/judge/_warm_server.py": "a standalone script in the sandbox: gives each forked run the judge's minimal environment (a cold run's execve)",
    "bench/faults/_procs.py": "builds child `crdt-bench implement` processes' environments (the token stays out of `ps`)",
    "agents/models/_anthropic.py": "reads the key from the variable its config names (api_key_env) when it calls, as the SDK does: "
    "a key copied into a config would travel with run configs saved beside results and to Ray workers",
    "agents/models/_openai.py": "as agents/models/_anthropic.py (api_key_env)",
}


def env_uses(source: str) -> list[str]:
    """``"line: name"`` for each use of the process environment through :mod:`os`."""
    tree = ast.parse(source)
    os_names = {"os"}
    direct: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            direct |= {a.asname or a.name for a in node.names if a.name in _NAMES}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in os_names and node.attr in _NAMES:
            found.append(f"{node.lineno}: os.{node.attr}")
        elif isinstance(node, ast.Name) and node.id in direct:
            found.append(f"{node.lineno}: {node.id}")
    return found


def _allowed(rel: str) -> bool:
    return any(rel == key or (key.endswith("/") and rel.startswith(key)) for key in ALLOWED)


def test_the_scanner_finds_reads_and_writes() -> None:
    code = (
        "import os\nimport os as o\nfrom os import getenv, environ as env\n"
        "a = os.environ.get('A')\nb = o.getenv('B')\nc = getenv('C')\nenv['D'] = '1'\n"
        "os.path.join('x')\n"
    )
    assert sorted(env_uses(code)) == ["4: os.environ", "5: os.getenv", "6: getenv", "7: env"]


def test_library_code_reads_no_environment() -> None:
    offenders: list[str] = []
    scanned = 0
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if _allowed(rel) or "/frontend/" in rel or "node_modules" in rel:
                continue
            scanned += 1
            offenders += [f"{rel}:{use}" for use in env_uses(path.read_text(encoding="utf-8"))]
    assert scanned > 100
    assert offenders == [], "read the environment in the CLI and pass it in a config:\n" + "\n".join(offenders)


def test_every_exemption_still_touches_the_environment() -> None:
    for key in ALLOWED:
        paths = sorted((ROOT / key).rglob("*.py")) if key.endswith("/") else [ROOT / key]
        assert any(env_uses(p.read_text(encoding="utf-8")) for p in paths), f"stale exemption: {key}"
