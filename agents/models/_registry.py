"""Short model names -> providers.

``anthropic:<model>``, ``openai:<model>@<base_url>``, ``replay:<recording>``,
``recorded:<dir>`` (a run captured with ``--record``), ``scripted`` (or ``scripted:classeval``). Keyword options go to the provider's
pydantic config; a bad name or option is a ``ConfigError`` that says what is
known. Other providers plug in with ``register_provider``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ._anthropic import AnthropicConfig, AnthropicModel
from ._base import StreamingModel
from ._budget import Budget
from ._errors import ConfigError, UnknownProvider
from ._limiter import ProviderLimiter
from ._openai import OpenAIConfig, OpenAIModel
from ._record import RecordedConfig, RecordedModel
from ._references import ClassEvalReferences, ReferenceSource
from ._replay import ReplayConfig, ReplayModel
from ._scripted import ScriptedConfig, ScriptedModel

__all__ = ["ProviderFactory", "known_providers", "register_provider", "resolve_model"]

ProviderFactory = Callable[[str, "Budget | None", dict[str, Any]], StreamingModel]
"""(text after 'provider:', shared budget, keyword options) -> model."""

_OPENAI_SPEC = re.compile(r"^(?P<model>[^@]+)@(?P<url>https?://\S+)$")


def _validated(config_type: type[Any], values: dict[str, Any], spec: str) -> Any:
    try:
        return config_type.model_validate(values)
    except ValidationError as err:
        raise ConfigError(f"invalid options for {spec!r}: {err}") from err


def _limiter(options: dict[str, Any]) -> tuple[ProviderLimiter | None, dict[str, Any]]:
    """Pop the shared ``limiter=`` option (one object for every client of a provider, not a config value)."""
    options = dict(options)
    limiter = options.pop("limiter", None)
    if limiter is not None and not isinstance(limiter, ProviderLimiter):
        raise ConfigError(f"limiter must be a ProviderLimiter, got {type(limiter).__name__}")
    return limiter, options


def _anthropic(rest: str, budget: Budget | None, options: dict[str, Any]) -> StreamingModel:
    if not rest:
        raise ConfigError("anthropic needs a model id: 'anthropic:claude-sonnet-4-5'")
    limiter, options = _limiter(options)
    model = AnthropicModel(_validated(AnthropicConfig, {**options, "model": rest}, f"anthropic:{rest}"), budget=budget)
    model.limiter = limiter
    return model


def _openai(rest: str, budget: Budget | None, options: dict[str, Any]) -> StreamingModel:
    match = _OPENAI_SPEC.match(rest)
    if match is None:
        raise ConfigError(f"expected 'openai:<model>@<base_url>' (e.g. openai:qwen2.5-coder@http://127.0.0.1:8000/v1), got 'openai:{rest}'")
    limiter, options = _limiter(options)
    values = {**options, "model": match["model"], "base_url": match["url"]}
    model = OpenAIModel(_validated(OpenAIConfig, values, f"openai:{rest}"), budget=budget)
    model.limiter = limiter
    return model


def _replay(rest: str, budget: Budget | None, options: dict[str, Any]) -> StreamingModel:
    if not rest:
        raise ConfigError("replay needs a recording: 'replay:GPT-4-Turbo'")
    return ReplayModel(_validated(ReplayConfig, {**options, "recording": rest}, f"replay:{rest}"), budget=budget)


def _recorded(rest: str, budget: Budget | None, options: dict[str, Any]) -> StreamingModel:
    if not rest:
        raise ConfigError("recorded needs the directory a run was recorded into: 'recorded:runs/paid-1/replies'")
    values = {**options, "directory": rest}
    return RecordedModel(_validated(RecordedConfig, values, f"recorded:{rest}"), budget=budget)


def _scripted(rest: str, budget: Budget | None, options: dict[str, Any]) -> StreamingModel:
    options = dict(options)
    references = options.pop("references", None)
    data_dir = options.pop("data_dir", None)
    if references is None:
        if rest not in ("", "classeval"):
            raise ConfigError(f"unknown scripted reference source {rest!r}; known: classeval (or pass references=...)")
        references = ClassEvalReferences(data_dir)
    if not isinstance(references, ReferenceSource):
        raise ConfigError(f"references must implement ReferenceSource, got {type(references).__name__}")
    return ScriptedModel(references, _validated(ScriptedConfig, options, "scripted"), budget=budget)


_REGISTRY: dict[str, ProviderFactory] = {
    "anthropic": _anthropic,
    "openai": _openai,
    "replay": _replay,
    "recorded": _recorded,
    "scripted": _scripted,
}


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Add (or replace) a provider short name."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise ConfigError(f"provider names are lower-case identifiers, got {name!r}")
    _REGISTRY[name] = factory


def known_providers() -> list[str]:
    """Registered short names."""
    return list(_REGISTRY)


def resolve_model(spec: str, *, budget: Budget | None = None, **options: Any) -> StreamingModel:
    """A model from its short name, e.g. ``resolve_model("replay:GPT-4-Turbo", latency={"time_scale": 0.1})``."""
    provider, _, rest = spec.strip().partition(":")
    factory = _REGISTRY.get(provider)
    if factory is None:
        raise UnknownProvider(f"unknown provider {provider!r} in {spec!r}; known: {', '.join(_REGISTRY)}")
    return factory(rest, budget, options)
