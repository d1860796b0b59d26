"""Latency model benchmark: do offline streams really arrive on the profile's schedule?

Streams real recorded ClassEval replies (``replay:GPT-4-Turbo``; with no data
directory, ``scripted`` replies from built-in code) through the full provider
path (``Model.stream`` -> ``ModelStream``), many at once, and measures on the
consumer side with ``time.perf_counter``:

* TTFT: call start -> first chunk;
* throughput: (tokens - 1) / (last chunk - first chunk), tokens by the offline
  tokenizer (the same count the provider reports).

Each is compared with the profile's figure (scaled by ``time_scale``): with
jitter 0 per stream (median and worst relative error), and with the default
jitter over many streams (relative error of the mean). Target: within 10% at
time scales 1 and 0.1.

Run: ``python -m bench.micro.latency_model [--streams 16] [--jitter-streams 48]``
(set ``CLASSEVAL_DATA`` to use recorded replies).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import anyio

from agents.models import (
    ConfigError,
    DictReferences,
    LatencyConfig,
    ModelRequest,
    OfflineModel,
    ReplayConfig,
    ReplayModel,
    ScriptedConfig,
    ScriptedModel,
    count_tokens,
    get_profile,
)
from agents.models._classeval import load_json, symbol_of

PROFILES = ("claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-1")
SCALES = (1.0, 0.1)
TOLERANCE = 0.10


@dataclass
class Sample:
    ttft: float
    tokens_per_s: float
    tokens: int
    planned_ttft: float
    planned_tokens_per_s: float


def _data_dir() -> Path | None:
    raw = os.environ.get("CLASSEVAL_DATA")
    if raw:
        return Path(raw)
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "classeval"
    return shared if (shared / "ClassEval_data.json").is_file() else None


def _requests(data_dir: Path | None, count: int) -> tuple[list[ModelRequest], str]:
    """Requests whose replies are 60-400 tokens (typical method-sized replies)."""
    if data_dir is not None:
        tasks = load_json(data_dir / "recorded" / "GPT-4-Turbo_method_C_greedy.json")
        requests: list[ModelRequest] = []
        for task in tasks:
            for method, raw in zip(task["methods_info"], task["raw_output"][0]):
                if 60 <= count_tokens(raw) <= 400:
                    symbol = symbol_of(task["class_name"], method["method_name"])
                    requests.append(ModelRequest(task_id=task["task_id"], symbol=symbol))
                if len(requests) == count:
                    return requests, "replay:GPT-4-Turbo (recorded ClassEval replies)"
    return [ModelRequest(task_id="synthetic", symbol=f"C.m{i}") for i in range(count)], "scripted (synthetic code)"


def _model(data_dir: Path | None, latency: LatencyConfig, count: int) -> OfflineModel:
    if data_dir is not None:
        try:
            return ReplayModel(ReplayConfig(recording="GPT-4-Turbo", data_dir=data_dir, latency=latency))
        except ConfigError:
            pass
    body = "".join(f"    total += values[{i}] * {i + 1}  # weight {i}\n" for i in range(12))
    refs = DictReferences(
        {("synthetic", f"C.m{i}"): f"def m{i}(self, values):\n    total = 0\n{body}    return total\n" for i in range(count)}
    )
    return ScriptedModel(refs, ScriptedConfig(fault_rate=0.0, latency=latency))


async def _measure(model: OfflineModel, request: ModelRequest, out: list[Sample]) -> None:
    start = time.perf_counter()
    first = last = 0.0
    async with model.stream(request) as stream:
        async for _ in stream:
            last = time.perf_counter()
            if not first:
                first = last
    tokens = stream.usage.output_tokens
    # The jitter draw this stream got (same deterministic plan the provider made), to separate
    # sampling spread from timing error.
    plan = model.latency.plan(model.reply(request).text, request.content_key())
    scale = model.latency.config.time_scale
    out.append(
        Sample(
            ttft=first - start,
            tokens_per_s=(tokens - 1) / (last - first),
            tokens=tokens,
            planned_ttft=plan.ttft_s * scale,
            planned_tokens_per_s=(plan.tokens_per_s or 0.0) / scale,
        )
    )


def _rel(measured: float, expected: float) -> float:
    return (measured - expected) / expected


async def _run_case(data_dir: Path | None, profile: str, scale: float, jitter: float, requests: list[ModelRequest]) -> list[Sample]:
    latency = LatencyConfig(profile=profile, time_scale=scale, jitter=jitter, seed=11)
    model = _model(data_dir, latency, len(requests))
    samples: list[Sample] = []
    async with anyio.create_task_group() as tg:
        for request in requests:
            tg.start_soon(_measure, model, request, samples)
    return samples


async def main(streams: int, jitter_streams: int) -> bool:
    data_dir = _data_dir()
    requests, source = _requests(data_dir, max(streams, jitter_streams))
    print(f"latency-model benchmark: {source}; {streams} concurrent streams per case (jitter 0), "
          f"{jitter_streams} per case (jitter 0.15); tolerance {TOLERANCE:.0%}")  # fmt: skip
    header = (f"{'profile':<18} {'scale':>5} {'jitter':>6} {'n':>3} {'tok/stream':>10} {'TTFT exp':>9} {'TTFT meas':>9} "
              f"{'err':>7} {'tok/s exp':>9} {'tok/s meas':>10} {'err':>7}  ok")  # fmt: skip
    print(header)
    print("-" * len(header))
    all_ok = True
    for scale in SCALES:
        for jitter, n in ((0.0, streams), (0.15, jitter_streams)):
            # All profiles of one (scale, jitter) run concurrently: accuracy must hold under load.
            results: dict[str, list[Sample]] = {}

            async def case(profile: str) -> None:
                results[profile] = await _run_case(data_dir, profile, scale, jitter, requests[:n])

            async with anyio.create_task_group() as tg:
                for profile in PROFILES:
                    tg.start_soon(case, profile)
            for profile in PROFILES:
                p = get_profile(profile)
                assert p.tokens_per_s is not None
                exp_ttft, exp_tps = p.ttft_s * scale, p.tokens_per_s / scale
                samples = results[profile]
                if jitter == 0:
                    # Per-stream accuracy: the median and the worst stream.
                    ttft_errs = [_rel(s.ttft, exp_ttft) for s in samples]
                    tps_errs = [_rel(s.tokens_per_s, exp_tps) for s in samples]
                    ttft_m = statistics.median(s.ttft for s in samples)
                    tps_m = statistics.median(s.tokens_per_s for s in samples)
                    worst = max(max(map(abs, ttft_errs)), max(map(abs, tps_errs)))
                    ttft_err, tps_err = _rel(ttft_m, exp_ttft), _rel(tps_m, exp_tps)
                    ok = worst <= TOLERANCE
                    note = f" (worst stream {worst:+.1%})"
                else:
                    ttft_m = statistics.fmean(s.ttft for s in samples)
                    tps_m = statistics.fmean(s.tokens_per_s for s in samples)
                    ttft_err, tps_err = _rel(ttft_m, exp_ttft), _rel(tps_m, exp_tps)
                    ok = abs(ttft_err) <= TOLERANCE and abs(tps_err) <= TOLERANCE
                    drawn_ttft = _rel(statistics.fmean(s.planned_ttft for s in samples), exp_ttft)
                    drawn_tps = _rel(statistics.fmean(s.planned_tokens_per_s for s in samples), exp_tps)
                    note = f" (means; jitter draws alone: TTFT {drawn_ttft:+.1%}, tok/s {drawn_tps:+.1%})"
                all_ok &= ok
                tokens = statistics.fmean(s.tokens for s in samples)
                print(f"{profile:<18} {scale:>5g} {jitter:>6g} {len(samples):>3} {tokens:>10.0f} {exp_ttft:>8.3f}s "
                      f"{ttft_m:>8.3f}s {ttft_err:>+7.1%} {exp_tps:>9.1f} {tps_m:>10.1f} {tps_err:>+7.1%}  "
                      f"{'yes' if ok else 'NO'}{note}")  # fmt: skip
    print(f"all cases within {TOLERANCE:.0%}: {'yes' if all_ok else 'NO'}")
    return all_ok


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--streams", type=int, default=16, help="concurrent streams per case without jitter")
    parser.add_argument("--jitter-streams", type=int, default=48, help="concurrent streams per case with jitter")
    args = parser.parse_args()
    raise SystemExit(0 if anyio.run(main, args.streams, args.jitter_streams) else 1)
