"""``crdt-bench run --watch``: one viewer URL for a whole benchmark run.

The run keeps an *index room* on the relay: its ``trials`` map lists every
trial (key: the trial's room; value: task, mode, seed, status, wall time,
hidden-test pass), and ``meta`` names the run and the model.  The viewer's
``/run/<index room>`` page reads it like any Yjs peer: it lists the trials,
follows the running one live, and replays a finished one.  Trials run through
the same relay (their rooms get a random suffix so a relay shared between runs
never mixes them), and a relay with a store keeps every trial for replay.

With no relay given, :func:`watch_relay` starts one (``web.Viewer``) whose
store sits next to the results file (``<results>.rooms/``), or in a temporary
directory when there is no results file.
"""

from __future__ import annotations

import secrets
import signal
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import anyio
from pycrdt import Map
from pydantic import SecretStr

from crdt_ws import RelayConfig, WebsocketConfig, WebsocketTransport, Workspace

from ._metrics import TrialResult
from ._trial import trial_room

if TYPE_CHECKING:
    from ._run import RunConfig

__all__ = ["RunWatch", "watch_relay", "page_url", "run_watched"]


def page_url(relay_url: str, index_room: str, token: str | None) -> str:
    """The ``/run/`` page of ``index_room`` on the relay at ``relay_url`` (ws[s]:// -> http[s]://)."""
    parts = urlsplit(relay_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    query = urlencode({"token": token}) if token else ""
    return urlunsplit((scheme, parts.netloc, f"{parts.path.rstrip('/')}/run/{quote(index_room, safe='')}", query, ""))


class RunWatch:
    """The index room of one run; ``async with RunWatch(url, token, run_id) as watch``."""

    def __init__(self, relay_url: str, token: str | None, run_id: str) -> None:
        self.relay_url = relay_url
        self.token = token
        self.room = f"run-{run_id}-{secrets.token_hex(3)}"
        self.workspace = Workspace("crdt-bench")
        self._rooms: dict[int, str] = {}
        self._stack = AsyncExitStack()

    @property
    def url(self) -> str:
        return page_url(self.relay_url, self.room, self.token)

    def link(self) -> dict[str, Any]:
        """TrialConfig fields that put a trial on the watched relay."""
        return {"transport": "websocket", "relay_url": self.relay_url, "relay_token": SecretStr(self.token) if self.token else None}

    def plan(self, trials: list[tuple[int, str, str, int]], model: str, run_id: str) -> None:
        """Announce every trial still to run: (order, task, mode, seed), all queued."""
        trials_map = self.workspace.doc.get("trials", type=Map)
        with self.workspace.transaction():
            self.workspace.set_meta(run_id=run_id, model=model)
            for order, task, mode, seed in trials:
                room = trial_room(task, mode, seed, shared=True)
                self._rooms[order] = room
                trials_map[room] = {"order": order, "task": task, "mode": mode, "seed": seed, "status": "queued"}

    def room_for(self, order: int) -> str:
        return self._rooms[order]

    def _set(self, room: str, **values: Any) -> None:
        trials_map = self.workspace.doc.get("trials", type=Map)
        with self.workspace.transaction():
            trials_map[room] = {**dict(trials_map[room]), **values}

    def running(self, room: str) -> None:
        self._set(room, status="running")

    def finished(self, room: str, result: TrialResult) -> None:
        self._set(room, status="done", wall_s=round(result.wall_s, 3), passed=result.passed, ran=result.mode)

    def failed(self, room: str, error: str) -> None:
        self._set(room, status="failed", error=error[:200])

    async def __aenter__(self) -> RunWatch:
        token = SecretStr(self.token) if self.token else None
        link = WebsocketConfig(url=self.relay_url, room=self.room, token=token)
        await self._stack.enter_async_context(WebsocketTransport(link).connect(self.workspace))
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._stack.aclose()


@asynccontextmanager
async def watch_relay(results: Path | None, port: int = 0) -> AsyncIterator[tuple[str, str, Any]]:
    """Start a relay with the viewer for a watched run: yields (ws url, read-write token, viewer)."""
    from web import Viewer  # only --watch needs the viewer

    token = secrets.token_urlsafe(18)
    with tempfile.TemporaryDirectory(prefix="crdt-watch-") as tmp:
        store = results.with_name(results.name + ".rooms") if results is not None else Path(tmp)
        config = RelayConfig(port=port, store_dir=store, write_tokens=[SecretStr(token)])
        async with Viewer(config) as viewer:
            yield viewer.relay.url, token, viewer


async def run_watched(config: RunConfig, say: Callable[[str], None], relay_url: str | None, token: str | None, *, linger: bool = True) -> list[TrialResult]:
    """``run_suite`` with a watch page; without ``relay_url`` a relay is started and, with ``linger``,
    kept serving after the run (for replay) until SIGINT/SIGTERM."""
    from ._run import comparison_table, run_suite  # _run imports this module

    own = relay_url is None
    async with AsyncExitStack() as stack:
        if relay_url is None:
            relay_url, token, _ = await stack.enter_async_context(watch_relay(config.results))
        watch = await stack.enter_async_context(RunWatch(relay_url, token, config.run_id()))
        say(f"watch the run: {watch.url}")
        outcome = await run_suite(config, say, watch)
        if own and linger:
            say("")
            say(comparison_table(outcome))
            say(f"run finished; the viewer stays up for replay at {watch.url} (Ctrl-C to stop)")
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    break
        return outcome
