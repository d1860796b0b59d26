"""Secrets never leak: a real trial over a token-protected relay with the anthropic provider.

The API key and the relay token are recognizable strings; the trial runs the
real anthropic SDK against the package's fake Messages API server on
127.0.0.1 and real websocket clients against a relay that requires the token.
Every log record (all loggers, DEBUG), stdout/stderr, the results row and the
whole final document (every root, and the relay's SQLite store) are searched:
neither secret may appear anywhere.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pycrdt import Doc
from pydantic import SecretStr

from agents.judge import Judge
from agents.models import resolve_model
from agents.models.testing import FakeServer, RecordedRequest, Step, anthropic_error, anthropic_stream
from agents.scheduler import SchedulerConfig
from bench._run import task_inputs
from bench._trial import TrialConfig, run_trial
from bench.suites import SuiteReferences, get_suite
from crdt_ws import Relay, RelayConfig, redact

pytestmark = pytest.mark.anyio

API_KEY = f"sk-ant-api03-LEAKCHECK{uuid.uuid4().hex}"
RELAY_TOKEN = f"relay-LEAKCHECK{uuid.uuid4().hex}"
SECRETS = (API_KEY, RELAY_TOKEN)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # message, args and any traceback, as a handler would write them


def _every_logger() -> Iterator[logging.Logger]:
    yield logging.getLogger()
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            yield logger


def _responder(task_id: str, references: SuiteReferences) -> tuple[list[RecordedRequest], object]:
    seen: list[RecordedRequest] = []

    def answer(request: RecordedRequest) -> Step:
        seen.append(request)
        if _key(request) != API_KEY:
            return anthropic_error(401)
        messages = request.json()["messages"]
        assert isinstance(messages, list)
        prompt = json.dumps(messages[-1])
        match = re.search(r"Implement `([\w.]+)`", prompt)
        ref = references.get(task_id, match.group(1)) if match else None
        if ref is None:
            return anthropic_error(400, message="no such symbol")
        code = "\n".join([*ref.imports, "", ref.code]) if ref.imports else ref.code
        return anthropic_stream(f"Here it is:\n```python\n{code}\n```\n")

    return seen, answer


def _key(request: RecordedRequest) -> str | None:
    """The API key the SDK sent (``x-api-key``, or ``authorization: Bearer``)."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    bearer = headers.get("authorization", "")
    return headers.get("x-api-key") or (bearer[len("Bearer ") :] if bearer.startswith("Bearer ") else None)


def _document_text(doc: Doc) -> str:
    roots = {name: str(doc[name]) for name in doc.keys()}  # type: ignore[attr-defined]
    return json.dumps(roots, ensure_ascii=False)


async def test_no_secret_in_logs_output_results_or_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("CRDT_WS_TOKEN", "env-token-the-library-never-reads")  # only the CLI reads it: the token comes from the trial's config
    suite = get_suite("bundled")
    task = suite.task("calculator")
    spec, hidden = task_inputs(task, outline=True)
    seen, answer = _responder(task.id, SuiteReferences(suite))
    capture = _Capture()
    levels: dict[logging.Logger, int] = {}
    config = RelayConfig(port=0, write_tokens=[SecretStr(RELAY_TOKEN)], store_dir=tmp_path / "store")
    try:
        async with Relay(config) as relay, FakeServer(responder=answer) as server:  # type: ignore[arg-type]
            for logger in _every_logger():  # after uvicorn configured its loggers: everything, at DEBUG
                levels[logger] = logger.level
                logger.setLevel(logging.DEBUG)
                logger.addHandler(capture)
            model = resolve_model("anthropic:claude-sonnet-4-5", base_url=server.base_url, retry={"max_retries": 0})
            trial = TrialConfig(
                transport="websocket",
                relay_url=relay.url,
                relay_token=SecretStr(RELAY_TOKEN),
                scheduler=SchedulerConfig(agents=2),
                timeout_s=90,
            )
            async with model:
                result = await run_trial(spec, hidden, "parallel", model, trial, judge=Judge())
            await relay.flush()
            room = next(iter(relay.server.rooms.values()))
            document = _document_text(room.ydoc) + repr(room.ydoc.get_update())
    finally:
        for logger, level in levels.items():
            logger.removeHandler(capture)
            logger.setLevel(level)
    out, err = capfd.readouterr()
    row = result.model_dump_json()
    store = b"".join(p.read_bytes() for p in (tmp_path / "store").iterdir())
    logs = "\n".join(capture.lines)

    # The run was real: the key reached the API server, the token the relay, and the code was written.
    assert result.passed and result.provider.startswith("anthropic") and result.transport == "websocket"
    assert len(seen) >= len(task.stubs()) and all(_key(r) == API_KEY for r in seen)
    assert "def run_script" in document and len(store) > 1000
    # Libraries did log the URLs that carried the token, redacted.
    assert re.search(r"GET /[\w.-]+\?token=\*\*\*(&[\w=]+)* HTTP/1.1", logs), "the websockets client's request line was not logged"
    assert re.search(r'\?token=\*\*\*(&[\w=]+)*" \[accepted\]', logs), "uvicorn's accepted-websocket line was not logged"
    for secret in SECRETS:
        for where, text in [("logs", logs), ("stdout", out), ("stderr", err), ("results row", row), ("document", document)]:
            assert secret not in text, f"secret leaked into the {where}"
        assert secret.encode() not in store, "secret leaked into the relay's store"


def test_redact_masks_token_parameters() -> None:
    assert redact("GET /room?token=abc&x=1 HTTP/1.1") == "GET /room?token=***&x=1 HTTP/1.1"
    assert redact('"WebSocket /r?token=s3cr3t" [accepted]') == '"WebSocket /r?token=***" [accepted]'
    assert redact("ws://h:1/r?access_token=zz#f") == "ws://h:1/r?access_token=***#f"
    assert redact("no secrets here, tokenizer=fine") == "no secrets here, tokenizer=fine"
