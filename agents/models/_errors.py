"""Exception tree of the model layer (drawn in the package docstring).

Third-party errors (anthropic, httpx, libcst, json) are translated into these at
one boundary per provider with ``raise ... from``, so callers never need to
import a provider's SDK to handle its failures.
"""

from __future__ import annotations

from agents._errors import AgentsError


class ModelError(AgentsError):
    """Root of every error raised by ``agents.models``."""


class ConfigError(ModelError):
    """A model name, option or environment setting is invalid or missing."""


class UnknownProvider(ConfigError):
    """The provider part of a model name is not registered."""


class UnknownRequest(ModelError):
    """An offline provider has no reply for this request (task, symbol, strategy)."""


class StreamNotFinished(ModelError):
    """``usage`` was read before the stream was consumed to its end."""


class BudgetExceeded(ModelError):
    """A call would take the run past its token or cost cap.

    Raised *before* the call is made, so nothing is lost: the spent figures are
    still exact and the request can be retried with a larger budget.
    """

    def __init__(self, kind: str, used: float, requested: float, cap: float) -> None:
        self.kind = kind
        self.used = used
        self.requested = requested
        self.cap = cap
        super().__init__(
            f"{kind} budget exceeded: used {used:g} + this call up to {requested:g} > cap {cap:g}"
        )


class ProviderError(ModelError):
    """A provider call failed (after any retries).

    ``attempts`` counts the HTTP attempts made, ``status`` is the HTTP status
    when there was one.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.attempts = attempts


class RateLimited(ProviderError):
    """HTTP 429 (or a ``rate_limit_error`` event) persisted through all retries."""

    retryable = True


class ProviderUnavailable(ProviderError):
    """Overloaded (529), server error (5xx) or connection failure, through all retries."""

    retryable = True


class ProviderTimeout(ProviderUnavailable):
    """The provider did not answer (or stalled mid-stream) within the timeout."""


class ProviderRejected(ProviderError):
    """The provider refused the request (400, 401, 403, 404, ...); retrying cannot help."""


class StreamInterrupted(ProviderError):
    """The stream broke after text had already been delivered to the caller.

    Such a stream is not retried transparently: the caller has seen (and may have
    written) ``partial_text``. It decides whether to discard it and ask again.
    """

    def __init__(self, message: str, *, partial_text: str, attempts: int = 1) -> None:
        super().__init__(message, attempts=attempts)
        self.partial_text = partial_text
