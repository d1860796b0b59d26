"""The README's viewer screenshots: a watched real run while agents stream, and its replay a third of the way in.

    python docs/img/make_screenshots.py      # writes docs/img/viewer-live.png and docs/img/viewer-replay.png

Bundled ``calculator`` task, serial then parallel, offline scripted model at
0.6x real speed, through a relay serving the viewer; Debian's Chromium via
Playwright.  PNGs are reduced to 128 colours to stay small.
"""
import tempfile
from pathlib import Path

import anyio
from PIL import Image
from pydantic import SecretStr
from bench._run import RunConfig, run_suite
from bench._watch import RunWatch
from crdt_ws import RelayConfig
from web import Viewer
from playwright.async_api import async_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
RW = "token"
OUT = Path(__file__).resolve().parent

async def main() -> None:
    config = RunConfig(tasks=["calculator"], modes=["serial", "parallel"], time_scale=0.6, pyright=False, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        async with Viewer(RelayConfig(port=0, store_dir=Path(tmp), write_tokens=[SecretStr(RW)])) as viewer:
            async with RunWatch(viewer.relay.url, RW, config.run_id()) as watch, async_playwright() as pw:
                b = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = await (await b.new_context(viewport={"width": 1280, "height": 760})).new_page()
                async with anyio.create_task_group() as tg:
                    async def run() -> None:
                        await run_suite(config, print, watch)
                    tg.start_soon(run)
                    await page.goto(watch.url)
                    await page.wait_for_function("window.__watch && window.__watch.synced")
                    # serial first? wait for the parallel trial with >= 2 regions drawn
                    await page.wait_for_function("""window.__watch.trials().some(t => t.mode === 'parallel' && t.status === 'running')
                        && document.querySelectorAll('.cm-agent-caret').length >= 2 && document.querySelectorAll('#lanes rect[data-kind="call"]').length >= 1
                        && window.__watch.trials().some(t => t.mode === 'serial' && t.status === 'done')""", timeout=120000)
                    await anyio.sleep(0.3)
                    await page.screenshot(path=str(OUT / "viewer-live.png"))
                rows = await page.evaluate("window.__watch.trials()")
                par = next(t for t in rows if t["mode"] == "parallel")
                await page.evaluate(f"window.__watch.show('{par['room']}', 'replay')")
                await page.wait_for_function("window.__viewer.mode === 'replay' && window.__viewer.ready")
                n = await page.evaluate("window.__viewer.length")
                # Play at 10x from the start, pause a third of the way in (a person's way of getting there).
                await page.select_option("#speed", "10")
                await page.evaluate("window.__viewer.scrub(0)")
                await page.locator("#play").click()
                await page.wait_for_function(f"window.__viewer.position >= {n // 3}", timeout=60000)
                await page.locator("#play").click()
                await page.screenshot(path=str(OUT / "viewer-replay.png"))
                await b.close()

anyio.run(main)
for name in ("viewer-live.png", "viewer-replay.png"):
    image = Image.open(OUT / name).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(OUT / name, optimize=True)
