"""One exception root per package, and every root mapped by the CLIs to one line and an exit code."""

from __future__ import annotations

import ast
import builtins
import subprocess
import sys
from pathlib import Path

import pytest

from bench import _cli, _exit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("crdt_ws", "claim_protocol", "merge", "agents", "bench", "web")
_BUILTIN_EXCEPTIONS = {
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException) and not issubclass(value, Warning)
}
# Exceptions that never leave their process on purpose (path:class -> why).
INTERNAL = {
    "agents/judge/_reference_runner.py:_TimedOut": "control flow inside the sandboxed reference runner (a BaseException by design)",
}


def exception_roots() -> dict[str, list[str]]:
    """package -> ``path:Class`` of each exception class whose bases are only builtin exceptions."""
    roots: dict[str, list[str]] = {p: [] for p in PACKAGES}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/frontend/" in rel or "/bundled/" in rel:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ClassDef) or not node.bases:
                    continue
                names = [b.id if isinstance(b, ast.Name) else None for b in node.bases]
                if all(n in _BUILTIN_EXCEPTIONS for n in names) and f"{rel}:{node.name}" not in INTERNAL:
                    roots[package].append(f"{rel}:{node.name}")
    return roots


def test_one_exception_root_per_package() -> None:
    roots = exception_roots()
    assert {p: [r.split(":")[1] for r in found] for p, found in roots.items()} == {
        "crdt_ws": ["WorkspaceError"],
        "claim_protocol": ["ClaimError"],
        "merge": ["MergeError"],
        "agents": ["AgentsError"],
        "bench": ["BenchError"],
        "web": ["ViewerError"],
    }, roots


def test_every_root_is_mapped_to_its_own_exit_code() -> None:
    mapped = _exit.exit_codes()
    names = {root.__name__ for root, _ in mapped}
    assert names == {r.split(":")[1] for found in exception_roots().values() for r in found}
    codes = [code for _, code in mapped]
    assert len(set(codes)) == len(codes) and not {0, 1, 2} & set(codes)  # 1 and 2 stay typer's
    from agents.mcp._cli import EXIT_CODES

    # The MCP server meets every root but bench's and the viewer's, with the same codes as crdt-bench.
    assert {(r.__name__, c) for r, c in EXIT_CODES} == {(r.__name__, c) for r, c in mapped if r.__name__ not in ("BenchError", "ViewerError")}


@pytest.mark.parametrize("index", range(6))
def test_an_escaped_root_is_one_line_and_its_code(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    root, code = _exit.exit_codes()[index]
    name = f"raise-{root.__name__.lower()}"
    if name not in {c.name for c in _cli.app.registered_commands}:

        def fail() -> None:
            raise type(f"Probe{root.__name__}", (root,), {})("first line\n  second line")

        _cli.app.command(name, hidden=True)(fail)
    with pytest.raises(SystemExit) as exited:
        _cli.main([name])
    assert exited.value.code == code
    err = capsys.readouterr().err
    assert err == f"crdt-bench: error: Probe{root.__name__}: first line second line\n"


def test_an_error_that_is_not_ours_keeps_its_traceback() -> None:
    if "raise-bug" not in {c.name for c in _cli.app.registered_commands}:

        def bug() -> None:
            raise ZeroDivisionError("a bug")

        _cli.app.command("raise-bug", hidden=True)(bug)
    with pytest.raises(ZeroDivisionError):
        _cli.main(["raise-bug"])


def test_a_failing_command_prints_one_line_and_the_root_code(tmp_path: Path) -> None:
    """A real command, a real process: an unknown recording is the models' ConfigError (under AgentsError: 4)."""
    (tmp_path / "ClassEval_data.json").write_text("[]")
    (tmp_path / "recorded").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "bench", "implement", "--model", "replay:Nope", "--url", "ws://127.0.0.1:9", "--room", "r", "--agent-id", "a"],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "CLASSEVAL_DATA": str(tmp_path)}, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("crdt-bench: error: ConfigError: unknown recording 'Nope'"), done.stderr
    assert str(tmp_path) in done.stderr  # $CLASSEVAL_DATA reached the provider through the CLI's --data-dir

