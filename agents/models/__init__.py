"""Model providers behind one async streaming interface, with a latency model and a budget.

Providers by short name (``resolve_model``)::

    anthropic:<model>             Claude via the anthropic SDK (key from $ANTHROPIC_API_KEY)
    openai:<model>@<base_url>     OpenAI-compatible servers: vLLM, llama.cpp server, Ollama
    replay:<recording>            real recorded ClassEval replies (offline)
    recorded:<dir>                the replies of a run recorded with RecordingModel / --record (offline)
    scripted                      reference implementations + seeded faults (offline)

Streaming::

    async with resolve_model("scripted", budget=budget) as model:
        async with model.stream(ModelRequest(task_id=..., symbol="Stack.push")) as stream:
            async for chunk in stream:
                ...                      # write live into the shared document
        print(stream.usage)              # tokens, cost, ttft, provider label

Errors (one root)::

    ModelError                     (under agents.AgentsError, the package's one root)
    ├── ConfigError                 bad name/option/environment
    │   ├── UnknownProvider         provider short name not registered
    │   └── PreflightFailed         key/endpoint/model check before a run failed (one line: provider + fix)
    ├── UnknownRequest              offline provider has no reply for this request
    ├── StreamNotFinished           usage read before the stream ended
    ├── BudgetExceeded              token or cost cap would be exceeded (raised before the call)
    └── ProviderError               call failed (after retries); .status, .attempts
        ├── RateLimited             429 / rate_limit_error
        ├── ProviderUnavailable     529 overloaded, 5xx, connection failure
        │   └── ProviderTimeout     no answer / stalled stream within the timeout
        ├── ProviderRejected        400/401/403/404...: retrying cannot help
        └── StreamInterrupted       broke after text was delivered; .partial_text

Fake servers that speak the real wire formats are in ``agents.models.testing``.
"""

from ._anthropic import AnthropicConfig, AnthropicModel
from ._base import OfflineModel, OfflineReply, OnlineModel, RetryConfig, StreamingModel
from ._budget import Budget, BudgetConfig, BudgetSnapshot
from ._errors import (
    BudgetExceeded,
    ConfigError,
    ModelError,
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StreamInterrupted,
    StreamNotFinished,
    UnknownProvider,
    UnknownRequest,
)
from ._faults import FAULT_KINDS, Fault, FaultKind, inject_fault, inject_one_of
from ._latency import PROFILES, LatencyConfig, LatencyModel, LatencyProfile, StreamPlan, get_profile
from ._limiter import LimiterConfig, ProviderLimiter
from ._openai import OpenAIConfig, OpenAIModel
from ._preflight import PreflightFailed, connection_problem, preflight
from ._pricing import CachePolicy, Pricing, cache_min_tokens, claude_pricing, known_claude_models, openai_pricing
from ._record import RecordedConfig, RecordedModel, RecordingModel, request_fingerprint
from ._references import ClassEvalReferences, DictReferences, Reference, ReferenceSource
from ._registry import ProviderFactory, known_providers, register_provider, resolve_model
from ._replay import ReplayConfig, ReplayModel, available_recordings, ground_truth_deps
from ._scripted import ScriptedConfig, ScriptedModel
from ._tokens import count_tokens
from ._types import Completion, Message, Model, ModelRequest, ModelStream, ProviderInfo, Usage

__all__ = [
    "Budget",
    "BudgetConfig",
    "BudgetExceeded",
    "CachePolicy",
    "Completion",
    "ConfigError",
    "DictReferences",
    "LatencyConfig",
    "LimiterConfig",
    "Message",
    "ModelError",
    "ModelRequest",
    "OfflineModel",
    "ProviderLimiter",
    "RecordingModel",
    "Reference",
    "ReplayConfig",
    "ReplayModel",
    "ScriptedConfig",
    "ScriptedModel",
    "StreamingModel",
    "UnknownRequest",
    "Usage",
    "ground_truth_deps",
    "count_tokens",
    "get_profile",
    "preflight",
    "resolve_model",
]
