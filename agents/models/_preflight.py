"""Preflight: prove a provider works with its cheapest real request before anything is paid for.

Each online provider implements ``check(timeout_s)`` with the cheapest call
its API offers (Anthropic: ``GET /v1/models/{id}``, free and it proves key and
model id at once; OpenAI-compatible servers: ``GET {base_url}/models``).
:func:`preflight` bounds it in time and turns every way it can fail into one
:class:`PreflightFailed` line that names the provider and the fix: missing or
rejected key, no permission, unknown model, a host that does not resolve, a
port nobody listens on, an endpoint that does not answer.
"""

from __future__ import annotations

import errno
import socket

import anyio

from ._base import StreamingModel
from ._errors import ConfigError

__all__ = ["PreflightFailed", "connection_problem", "preflight"]


class PreflightFailed(ConfigError):
    """The provider cannot be used; the message is one line: provider, what is wrong, how to fix it."""


async def preflight(model: StreamingModel, *, timeout_s: float = 8.0) -> str:
    """Check ``model``'s credentials and endpoint; returns what was checked, raises ``PreflightFailed``."""
    if model.info.offline:
        return await model.check(timeout_s)
    await model.warm_up()  # the SDK import is not the endpoint's time: it stays outside the bound
    try:
        # The provider's own HTTP timeouts are set from timeout_s too; this bounds everything else (DNS, TLS).
        with anyio.fail_after(timeout_s):
            return await model.check(timeout_s)
    except TimeoutError:
        raise PreflightFailed(
            f"{model.info.label}: no answer from {model.endpoint} within {timeout_s:g} s; "
            "check the URL, your network and proxy settings"
        ) from None
    except PreflightFailed:
        raise
    except ConfigError as exc:
        raise PreflightFailed(str(exc)) from exc


def _chain(err: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def connection_problem(err: BaseException, host: str) -> str:
    """What went wrong with a connection, from the causes the HTTP client chained (DNS, refused, TLS...)."""
    chain = _chain(err)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, socket.gaierror) for e in chain) or "name or service not known" in text or "nodename nor servname" in text:
        return f"cannot resolve host {host!r} (DNS lookup failed)"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or f"errno {errno.ECONNREFUSED}" in text or "connection refused" in text:
        return f"connection refused by {host} (nothing listening on that port)"
    if "temporary failure in name resolution" in text:
        return f"cannot resolve host {host!r} (no DNS answer)"
    if "certificate" in text or "ssl" in text:
        return f"TLS handshake with {host} failed"
    return f"cannot connect to {host} ({type(chain[-1]).__name__})"
