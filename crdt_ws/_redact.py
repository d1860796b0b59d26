"""Keep access tokens out of log records.

Tokens travel in the ``token`` query parameter (that is how y-websocket
clients send them), and libraries log URLs: uvicorn logs every accepted
websocket and HTTP request with its query string (``uvicorn.error`` /
``uvicorn.access``), and the ``websockets`` client logs its request line at
DEBUG.  :class:`RedactTokens` rewrites such records before any handler sees
them; the relay installs it on uvicorn's loggers and the websocket client
passes websockets a logger that has it.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactTokens", "redact", "install_redaction"]

_TOKEN = re.compile(r"((?:^|[?&;\s\"'])(?:token|access_token|api_key|key)=)[^&\s\"'#]+", re.I)


def redact(text: str) -> str:
    """``text`` with the value of every ``token=`` (and ``access_token=``, ``api_key=``, ``key=``) parameter masked."""
    return _TOKEN.sub(r"\1***", text)


class RedactTokens(logging.Filter):
    """A logging filter that masks token query parameters in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is left to the handler to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactTokens()


def install_redaction(*names: str) -> None:
    """Add the redacting filter to the named loggers (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
