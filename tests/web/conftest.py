"""Fixtures for the viewer tests: a relay serving the page, and real headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``, or ``$CRDT_CHROMIUM``), driven by
Playwright's async API (``pip install playwright``; its bundled browsers are
never downloaded).  Each browser context is fresh, and Playwright gives the
browser a new empty profile directory.  Screenshots go to
``$CRDT_ARTIFACTS/web`` (default ``/tmp/crdt-artifacts/web``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from crdt_ws import RelayConfig, WebsocketConfig, WebsocketTransport, Workspace
from web import Viewer

from ._helpers import ARGS, CHROMIUM, RO, ROOM, RW, ARTIFACTS


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives real headless Chromium (Debian `chromium` + pip `playwright`)")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CRDT_CHROMIUM)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed (pip install playwright)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def viewer(tmp_path: Path) -> AsyncIterator[Viewer]:
    config = RelayConfig(
        port=0,
        store_dir=tmp_path / "store",
        write_tokens=[SecretStr(RW)],
        read_tokens=[SecretStr(RO)],
    )
    async with Viewer(config) as running:
        yield running


Connect = Callable[..., Any]


@pytest.fixture
def connect(viewer: Viewer) -> Connect:
    """``async with connect("agent-1") as ws:`` a Python replica of the test room through the relay."""

    @asynccontextmanager
    async def start(agent_id: str, token: str = RW, room: str = ROOM) -> AsyncIterator[Workspace]:
        ws = Workspace(agent_id)
        link = WebsocketConfig(url=viewer.relay.url, room=room, token=SecretStr(token))
        async with WebsocketTransport(link).connect(ws):
            yield ws

    return start


@pytest.fixture
async def open_page(browser: Any, viewer: Viewer) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``page = await open_page(token, mode="view")``: a fresh browser context on the test room."""
    contexts: list[Any] = []
    errors: list[str] = []

    async def start(token: str, *, mode: str = "view", room: str = ROOM, name: str | None = None) -> Any:
        context = await browser.new_context(viewport={"width": 1280, "height": 720})
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(viewer.page_url(room, token, mode=mode, name=name))  # type: ignore[arg-type]
        if mode == "view":
            await page.wait_for_function("window.__viewer && (window.__viewer.synced || window.__viewer.error)")
        else:
            await page.wait_for_function("window.__viewer && (window.__viewer.ready || window.__viewer.error)")
        return page

    yield start
    for context in contexts:
        await context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def shot() -> Callable[[Any, str], Awaitable[Path]]:
    """``await shot(page, "name")`` saves a screenshot artefact and returns its path."""

    async def save(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        return path

    return save
