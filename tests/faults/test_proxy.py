"""The cutting proxy between real clients and a real relay: cuts, reconnects, and a relay that is down."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from bench.faults import CuttingProxy
import crdt_ws
from crdt_ws import Relay, RelayConfig, WebsocketConfig, WebsocketTransport, Workspace

pytestmark = pytest.mark.anyio


async def converged(workspaces: list[Workspace], timeout: float = 10.0) -> None:
    assert await crdt_ws.converged(workspaces, timeout), "replicas did not converge"


async def test_cut_drops_every_client_and_they_reconnect_with_offline_edits(tmp_path: Path) -> None:
    async with Relay(RelayConfig(port=0, store_dir=tmp_path)) as relay, CuttingProxy(relay.port) as proxy:
        link = WebsocketConfig(url=f"ws://127.0.0.1:{proxy.port}", room="cut", backoff_initial=0.3, backoff_max=0.3)
        a, b = Workspace("a"), Workspace("b")
        async with WebsocketTransport(link).connect(a) as ca, WebsocketTransport(link).connect(b) as cb:
            a.create_file("f.py", "x = 1\n")
            await converged([a, b])
            assert proxy.live == 2 and proxy.bridged == 2
            assert proxy.cut() == 2
            with anyio.fail_after(5):
                while ca.connected or cb.connected:
                    await anyio.sleep(0.005)
            a.edit("f.py", 0, 0, "# written while cut off — ✓\n")  # reaches b only through a resync
            assert await proxy.wait_live(2, timeout=10) is not None
            await converged([a, b])
            assert b.read("f.py") == "# written while cut off — ✓\nx = 1\n"
            assert ca.stats.connects == 2 and cb.stats.connects == 2
            assert proxy.bridged == 4 and proxy.cuts == 1 and proxy.cut_connections == 2


async def test_a_client_behind_the_proxy_survives_a_dead_relay_and_resyncs(tmp_path: Path) -> None:
    """With the relay down the proxy accepts and closes at once: the handshake ends with no response.

    That used to escape the client's reconnect loop (``InvalidMessage``) and
    take the whole agent down; now it is retried like a refused connection.
    """
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        relay = await tg.start(_serve, RelayConfig(port=0, store_dir=tmp_path), stop)
        port = relay.port
        async with CuttingProxy(port) as proxy:
            link = WebsocketConfig(url=f"ws://127.0.0.1:{proxy.port}", room="down", backoff_initial=0.05, backoff_max=0.2)
            a, b = Workspace("a"), Workspace("b")
            async with WebsocketTransport(link).connect(a) as ca, WebsocketTransport(link).connect(b):
                a.create_file("f.py", "before\n")
                await converged([a, b])
                stop.set()  # the relay flushes its store and goes away
                with anyio.fail_after(10):
                    while ca.connected:
                        await anyio.sleep(0.01)
                b.edit("f.py", 0, 0, "during\n")
                await anyio.sleep(0.5)  # several refused handshakes through the proxy
                assert proxy.accepted > proxy.bridged
                assert any("InvalidMessage" in e for e in ca.stats.errors), ca.stats.errors
                stop = anyio.Event()
                await tg.start(_serve, RelayConfig(port=port, store_dir=tmp_path), stop)
                await converged([a, b], timeout=15)
                assert a.read("f.py") == "during\nbefore\n"
                stop.set()


async def _serve(config: RelayConfig, stop: anyio.Event, *, task_status: anyio.abc.TaskStatus[Relay] = anyio.TASK_STATUS_IGNORED) -> None:
    async with Relay(config) as relay:
        task_status.started(relay)
        await stop.wait()
