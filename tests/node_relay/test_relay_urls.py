"""Relay URLs as gateways and other y-websocket servers hand them out: a path prefix, a query, odd tokens.

Runs against our relay (no Node needed): the room goes into the path after
any prefix, a query already in the URL is kept, and the token is URL-encoded.
"""

from __future__ import annotations

import anyio
import pytest
from pydantic import SecretStr

from crdt_ws import AuthError, Relay, RelayConfig, WebsocketConfig, WebsocketTransport, Workspace

pytestmark = pytest.mark.anyio

TOKEN = "t&ok=en/+?#"  # every character that breaks a hand-built query string


def test_endpoint_keeps_the_query_and_encodes_the_token() -> None:
    config = WebsocketConfig(url="wss://example.test/collab/?apiKey=k1", room="room-1", token=SecretStr(TOKEN))
    assert config.endpoint() == "wss://example.test/collab/room-1?apiKey=k1&token=t%26ok%3Den%2F%2B%3F%23&durable=1"
    assert WebsocketConfig(url="ws://127.0.0.1:9/", room="r", durable_acks=False).endpoint() == "ws://127.0.0.1:9/r"


async def test_a_token_with_special_characters_and_a_url_query_reach_our_relay() -> None:
    async with Relay(RelayConfig(port=0, write_tokens=[SecretStr(TOKEN)])) as relay:
        a, b = Workspace("a"), Workspace("b")
        good = WebsocketConfig(url=relay.url + "/?client=test", room="urls", token=SecretStr(TOKEN))
        async with WebsocketTransport(good).connect(a), WebsocketTransport(good).connect(b) as link_b:
            a.create_file("x.py", "x = 1\n")
            with anyio.fail_after(5):
                while "x.py" not in b.files:
                    await link_b.round_trip()
            assert b.read("x.py") == "x = 1\n"
        bad = good.model_copy(update={"token": SecretStr(TOKEN[:1]), "connect_timeout": 3})
        with pytest.raises(AuthError):
            async with WebsocketTransport(bad).connect(Workspace("c")):
                pass
