"""pyright kept warm: a persistent ``pyright-langserver --stdio`` session.

:class:`PyrightServer` opens documents in a private workspace, updates them on
each :meth:`~PyrightServer.check` and pulls diagnostics (LSP pull
diagnostics), mapping each to the enclosing qualified symbol.  Diagnostics
that mean two pieces of code disagree (duplicate declarations, unknown
attributes or names, signature mismatches) become :class:`SemanticConflict`
events.  :func:`check_cold` runs the pyright CLI once, for comparison.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, Literal

import anyio
from anyio.abc import Process, TaskGroup
from pydantic import BaseModel, Field

from ._errors import JudgeInputError, PyrightProtocolError, PyrightStartError
from ._lsp import LspClient
from ._symbols import SymbolMap

Severity = Literal["error", "warning", "information", "hint"]
_SEVERITY: dict[int, Severity] = {1: "error", 2: "warning", 3: "information", 4: "hint"}
ConflictKind = Literal["duplicate_declaration", "unknown_attribute", "unknown_name", "signature_mismatch", "unresolved_import"]


class PyrightConfig(BaseModel):
    """How pyright is run."""

    type_checking_mode: Literal["off", "basic", "standard", "strict"] = Field(default="basic", description="pyright's typeCheckingMode.")
    python_version: str = Field(default=f"{sys.version_info.major}.{sys.version_info.minor}", description="pythonVersion pyright assumes.")
    python_path: str = Field(default=sys.executable, description="Interpreter whose site-packages resolve third-party imports.")
    request_timeout_s: float = Field(default=60.0, gt=0, description="Limit for one LSP request (the first check includes warm-up).")
    langserver: str | None = Field(default=None, description="pyright-langserver executable; default: next to the interpreter, else on PATH.")


class Diagnostic(BaseModel):
    """One pyright diagnostic, tied to the symbol it sits in."""

    file: str = Field(description="Path as given to check().")
    line: int = Field(description="1-based start line.")
    column: int = Field(description="1-based start column.")
    end_line: int = Field(description="1-based end line.")
    end_column: int = Field(description="1-based end column.")
    severity: Severity = Field(description="LSP severity.")
    message: str = Field(description="pyright's message.")
    rule: str | None = Field(default=None, description="pyright rule, e.g. 'reportAttributeAccessIssue'.")
    symbol: str = Field(description="Enclosing qualified symbol, e.g. 'Stack.push', or '<module>'.")


class SemanticConflict(BaseModel):
    """A typed event: code that contradicts other code (or the outline)."""

    kind: ConflictKind = Field(description="What kind of contradiction.")
    file: str = Field(description="File it was found in.")
    symbol: str = Field(description="Qualified symbol where it shows up.")
    name: str | None = Field(default=None, description="The identifier involved (attribute, name, redeclared symbol), when known.")
    message: str = Field(description="pyright's message.")
    line: int = Field(description="1-based line.")


_RULE_KIND: dict[str, ConflictKind] = {
    "reportRedeclaration": "duplicate_declaration",
    "reportAttributeAccessIssue": "unknown_attribute",
    "reportUndefinedVariable": "unknown_name",
    "reportCallIssue": "signature_mismatch",
    "reportIncompatibleMethodOverride": "signature_mismatch",
    "reportMissingImports": "unresolved_import",
}
_QUOTED = re.compile(r'"([^"]+)"')


def conflicts_from(diagnostics: list[Diagnostic]) -> list[SemanticConflict]:
    """Pick the diagnostics that are semantic conflicts and type them."""
    out: list[SemanticConflict] = []
    for diag in diagnostics:
        kind = _RULE_KIND.get(diag.rule or "")
        if kind is None and diag.rule is None and "obscured by a declaration of the same name" in diag.message:
            kind = "duplicate_declaration"
        if kind is None:
            continue
        quoted = _QUOTED.search(diag.message)
        out.append(
            SemanticConflict(
                kind=kind,
                file=diag.file,
                symbol=diag.symbol,
                name=quoted.group(1) if quoted else None,
                message=diag.message,
                line=diag.line,
            )
        )
    return out


def _check_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.suffix not in (".py", ".pyi"):
        raise JudgeInputError(f"pyright file names must be relative .py/.pyi paths inside the workspace: {name!r}")
    return path


def _tool(name: str, override: str | None) -> str:
    candidates = [override] if override else [str(Path(sys.executable).with_name(name)), shutil.which(name)]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise PyrightStartError(f"cannot find {name}; install the 'pyright[nodejs]' package")


def _to_diagnostics(name: str, items: list[dict[str, Any]], symbols: SymbolMap) -> list[Diagnostic]:
    out = []
    for item in items:
        start, end = item["range"]["start"], item["range"]["end"]
        code = item.get("code")
        out.append(
            Diagnostic(
                file=name,
                line=start["line"] + 1,
                column=start["character"] + 1,
                end_line=end["line"] + 1,
                end_column=end["character"] + 1,
                severity=_SEVERITY.get(int(item.get("severity", 1)), "error"),
                message=str(item.get("message", "")),
                rule=str(code) if code is not None else None,
                symbol=symbols.symbol_at(start["line"] + 1),
            )
        )
    return sorted(out, key=lambda d: (d.line, d.column))


class PyrightServer:
    """Warm pyright language server; use as ``async with PyrightServer() as server``."""

    def __init__(self, config: PyrightConfig | None = None) -> None:
        self.config = config or PyrightConfig()
        self._root: Path | None = None
        self._process: Process | None = None
        self._client: LspClient | None = None
        self._tg: TaskGroup | None = None
        self._versions: dict[str, int] = {}
        self._texts: dict[str, tuple[str, SymbolMap]] = {}  # what pyright holds of each file, and its symbols
        self._lock = anyio.Lock()

    async def __aenter__(self) -> PyrightServer:
        exe = _tool("pyright-langserver", self.config.langserver)
        self._root = Path(tempfile.mkdtemp(prefix="judge-pyright-"))
        (self._root / "pyrightconfig.json").write_text(
            json.dumps({"typeCheckingMode": self.config.type_checking_mode, "pythonVersion": self.config.python_version})
        )
        try:
            self._process = await anyio.open_process([exe, "--stdio"], stderr=-3)  # DEVNULL
        except OSError as exc:
            shutil.rmtree(self._root, ignore_errors=True)
            raise PyrightStartError(f"cannot start {exe}: {exc}") from exc
        self._client = LspClient(self._process, on_notification=lambda m, p: None, on_request=self._on_request)
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._client.read_loop)
        try:
            await self._client.request(
                "initialize",
                {
                    "processId": os.getpid(),
                    "rootUri": self._root.as_uri(),
                    "workspaceFolders": [{"uri": self._root.as_uri(), "name": "judge"}],
                    "capabilities": {
                        "workspace": {"configuration": True, "workspaceFolders": True},
                        "textDocument": {
                            "diagnostic": {"dynamicRegistration": False},
                            "publishDiagnostics": {"versionSupport": True},
                            "synchronization": {"didSave": False},
                        },
                    },
                },
                timeout=self.config.request_timeout_s,
            )
            await self._client.notify("initialized", {})
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    def _on_request(self, method: str, params: Any) -> Any:
        if method == "workspace/configuration":
            settings = {
                "python": {"pythonPath": self.config.python_path},
                "python.analysis": {"typeCheckingMode": self.config.type_checking_mode, "diagnosticMode": "openFilesOnly"},
            }
            return [settings.get(str(item.get("section")), {}) for item in params.get("items", [])]
        return None  # registerCapability, workDoneProgress/create, ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        client, process, tg = self._client, self._process, self._tg
        self._client = None
        if client is not None and process is not None and process.returncode is None:
            with anyio.move_on_after(3), anyio.CancelScope(shield=True):
                try:
                    await client.request("shutdown", None, timeout=3)
                    await client.notify("exit", None)
                except (PyrightProtocolError, TimeoutError):
                    pass
        if process is not None:
            with anyio.CancelScope(shield=True):
                if process.returncode is None:
                    process.kill()
                await process.aclose()
        if tg is not None:
            tg.cancel_scope.cancel()
            await tg.__aexit__(None, None, None)
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

    async def check(self, files: Mapping[str, str]) -> list[Diagnostic]:
        """Update ``files`` (relative path -> text) and return their diagnostics.

        Files from earlier checks stay in the workspace (so imports between them
        resolve); pass them again to change them, or :meth:`forget` them.
        """
        client, root = self._client, self._root
        if client is None or root is None:
            raise PyrightStartError("PyrightServer is not running (use 'async with')")
        paths = {name: _check_path(name) for name in files}
        async with self._lock:
            created = [name for name in files if name not in self._versions]
            for name, text in files.items():
                held = self._texts.get(name)
                if held is not None and held[0] == text:
                    continue  # unchanged: pyright re-checks it anyway if a file it imports changed
                self._texts[name] = (text, SymbolMap(text))
                target = root.joinpath(*paths[name].parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                uri = target.as_uri()
                version = self._versions.get(name, 0) + 1
                if name in self._versions:
                    await client.notify(
                        "textDocument/didChange",
                        {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
                    )
                else:
                    await client.notify(
                        "textDocument/didOpen",
                        {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}},
                    )
                self._versions[name] = version
            if created:
                # pyright caches directory listings for import resolution: tell it about new files.
                changes = [{"uri": root.joinpath(*paths[n].parts).as_uri(), "type": 1} for n in created]
                await client.notify("workspace/didChangeWatchedFiles", {"changes": changes})
            results: list[Diagnostic] = []
            for name, text in files.items():
                uri = root.joinpath(*paths[name].parts).as_uri()
                report = await client.request(
                    "textDocument/diagnostic", {"textDocument": {"uri": uri}}, timeout=self.config.request_timeout_s
                )
                if not isinstance(report, dict) or not isinstance(report.get("items"), list):
                    raise PyrightProtocolError(f"unexpected diagnostic report for {name}: {report!r}")
                results += _to_diagnostics(name, report["items"], self._texts[name][1])
            return results

    async def forget(self, names: list[str]) -> None:
        """Close and delete files from the workspace."""
        client, root = self._client, self._root
        if client is None or root is None:
            raise PyrightStartError("PyrightServer is not running (use 'async with')")
        async with self._lock:
            for name in names:
                if name not in self._versions:
                    continue
                target = root.joinpath(*_check_path(name).parts)
                await client.notify("textDocument/didClose", {"textDocument": {"uri": target.as_uri()}})
                target.unlink(missing_ok=True)
                await client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": target.as_uri(), "type": 3}]})
                del self._versions[name]
                self._texts.pop(name, None)


async def check_cold(files: Mapping[str, str], config: PyrightConfig | None = None) -> list[Diagnostic]:
    """Run the pyright CLI once on ``files`` (a fresh process: the cold path)."""
    cfg = config or PyrightConfig()
    exe = _tool("pyright", None)
    paths = {name: _check_path(name) for name in files}
    with tempfile.TemporaryDirectory(prefix="judge-pyright-cold-") as tmp:
        root = Path(tmp)
        (root / "pyrightconfig.json").write_text(
            json.dumps({"typeCheckingMode": cfg.type_checking_mode, "pythonVersion": cfg.python_version})
        )
        for name, text in files.items():
            target = root.joinpath(*paths[name].parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        argv = [exe, "--outputjson", "--pythonpath", cfg.python_path, *(str(root.joinpath(*p.parts)) for p in paths.values())]
        try:
            done = await anyio.run_process(argv, cwd=root, check=False)
        except OSError as exc:
            raise PyrightStartError(f"cannot run {exe}: {exc}") from exc
        try:
            report = json.loads(done.stdout)
        except ValueError as exc:
            raise PyrightProtocolError(f"pyright CLI printed no JSON: {done.stderr.decode(errors='replace')[-500:]}") from exc
        by_file: dict[str, list[dict[str, Any]]] = {name: [] for name in files}
        reverse = {str(root.joinpath(*p.parts)): name for name, p in paths.items()}
        for item in report.get("generalDiagnostics", []):
            name = reverse.get(item.get("file", ""))
            if name is None:
                continue
            severity = {"error": 1, "warning": 2, "information": 3}.get(item.get("severity", "error"), 1)
            by_file[name].append({"range": item["range"], "severity": severity, "message": item["message"], "code": item.get("rule")})
        out: list[Diagnostic] = []
        for name, items in by_file.items():
            out += _to_diagnostics(name, items, SymbolMap(files[name]))
        return out
