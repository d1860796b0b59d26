"""Where the trials of a run execute: ``local`` (up to N at once in this process) or ``ray`` (a cluster).

Both start the planned trials in the run's randomized order as slots free
and hand each finished row to ``on_row`` in this process, which appends it
to the results file: rows from either executor land in the same JSONL, so a
run started on one resumes on the other.  ``on_row`` raising (too many
errors in a row, an interrupt) stops the executor: trials in flight are
cancelled, nothing more starts.

Ray: one actor per slot, each holding its own :class:`~bench._runner.TrialRunner`
(warm pyright, judge); the actors import this package, so every node needs it
installed (``pip install 'crdt-agents[ray]'``).

The provider's limits hold over the whole cluster: one more actor holds the
run's only :class:`~agents.models.ProviderLimiter`, and each worker's model
clients are admitted by it (a round trip of about a millisecond per model
call, next to calls of seconds).  Dividing the limits among the workers
instead would need no actor but waste them: with 32 workers and
``--max-calls 8`` a worker could not even have one call in flight, and a
worker waiting on the judge would hold tokens per minute nobody else could
use.  A retry-after told to one worker pauses them all.  A worker that dies
holding slots has them freed by the driver.

What the providers read from the environment (API keys, base URLs,
``CLASSEVAL_DATA``) is taken from the driver's and handed to each worker as
an actor argument wrapped in ``SecretStr``: the other nodes of a cluster do
not have the driver's environment.  It is not put in Ray's ``runtime_env``,
which the cluster's job table and logs show.  (Anyone who can run code on
the cluster can still read it, as with any variable set there.)
"""

from __future__ import annotations

from bench._errors import BenchError

import logging
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio
from pydantic import SecretStr

from agents.models import LimiterConfig, ProviderLimiter

from ._metrics import TrialResult, error_row
from ._runner import Job, Observe, TrialRunner
from .suites import Suite

if TYPE_CHECKING:
    from ._run import RunConfig
    from ._watch import RunWatch

__all__ = ["EXECUTORS", "Executor", "ExecutorError", "LocalExecutor", "RayExecutor", "get_executor"]

OnRow = Callable[[TrialResult], Awaitable[None]]


class ExecutorError(BenchError):
    """The executor cannot run (Ray missing, cluster unreachable); the message says what to do."""


class Executor(Protocol):
    """Runs planned trials and reports each row as it finishes."""

    async def run(
        self, config: RunConfig, jobs: list[Job], on_row: OnRow, *, observe: Observe | None, say: Callable[[str], None],
        watch: RunWatch | None = None,
    ) -> None:
        """Run ``jobs`` (in order as slots free), awaiting ``on_row(row)`` for each finished one.

        ``observe`` is told each trial's start and outliner replica; ``watch`` (``--watch``) lists the trials.
        """
        ...


class LocalExecutor:
    """Up to ``concurrency`` trials at once in this process, sharing one judge, pyright and provider limiter."""

    def __init__(self, config: RunConfig, suite: Suite | None = None) -> None:
        self.concurrency = config.concurrency
        self.suite = suite  # loaded by the caller already, or None: the trial runner loads it

    async def run(
        self, config: RunConfig, jobs: list[Job], on_row: OnRow, *, observe: Observe | None, say: Callable[[str], None],
        watch: RunWatch | None = None,
    ) -> None:
        async with TrialRunner(config, observe=observe, say=say, watch=watch, suite=self.suite) as runner, anyio.create_task_group() as tg:
            slots = anyio.Semaphore(self.concurrency)

            async def one(job: Job) -> None:
                try:
                    await on_row(await runner.run(job))
                finally:
                    slots.release()

            for job in jobs:
                await slots.acquire()  # the next trial in the randomized order starts when a slot frees
                tg.start_soon(one, job)


# What each provider reads from the environment, forwarded to the workers (values never logged).
_PROVIDER_ENV = {
    "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    "openai": ("OPENAI_API_KEY",),
    "replay": ("CLASSEVAL_DATA",),
}
_SUITE_ENV = ("CLASSEVAL_DATA", "PROJECTS_DATA")


def forwarded_env(model: str, environ: dict[str, str]) -> dict[str, SecretStr]:
    """The variables a worker needs for this run's model and suites, from the driver's environment."""
    names = {*_SUITE_ENV, *_PROVIDER_ENV.get(model.split(":")[0], ())}
    return {name: SecretStr(environ[name]) for name in sorted(names) if environ.get(name)}


class _SharedLimiter:
    """A Ray actor holding the run's one provider limiter; workers acquire and release slots by ticket.

    A ticket released before its acquire returned (the caller was cancelled
    while queued) is freed as soon as it is granted, so no slot leaks.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = LimiterConfig.model_validate(config)
        self.limiter: ProviderLimiter | None = None  # made in the actor's event loop, at the first call
        self.held: dict[str, str] = {}
        self.dropped: set[str] = set()
        self.peak = 0

    def _get(self) -> ProviderLimiter:
        if self.limiter is None:
            self.limiter = ProviderLimiter(self.config)
        return self.limiter

    async def acquire(self, ticket: str, holder: str, prompt_tokens: int) -> None:
        limiter = self._get()
        await limiter.acquire(prompt_tokens)
        if ticket in self.dropped:
            self.dropped.discard(ticket)
            limiter.release(0)
            return
        self.held[ticket] = holder
        self.peak = max(self.peak, len(self.held))

    async def release(self, ticket: str, output_tokens: int) -> None:
        if self.held.pop(ticket, None) is None:
            self.dropped.add(ticket)
        else:
            self._get().release(output_tokens)

    async def release_holder(self, holder: str) -> int:
        """Free every slot a lost worker held; how many there were."""
        tickets = [t for t, h in self.held.items() if h == holder]
        for ticket in tickets:
            await self.release(ticket, 0)
        return len(tickets)

    async def pause(self, seconds: float) -> None:
        self._get().pause(seconds)

    async def stats(self) -> dict[str, int]:
        return {"peak": self.peak, "held": len(self.held), "pauses": self._get().pauses}


class _RemoteLimiter(ProviderLimiter):
    """A worker's side of :class:`_SharedLimiter`: each attempt is admitted there, each retry-after told there."""

    def __init__(self, actor: Any, holder: str, config: LimiterConfig) -> None:
        super().__init__(config)
        self._actor = actor
        self._holder = holder

    def pause(self, seconds: float) -> None:
        self.pauses += 1
        self._actor.pause.remote(seconds)

    @asynccontextmanager
    async def admit(self, prompt_tokens: int) -> AsyncIterator[Callable[[int], None]]:
        ticket = uuid.uuid4().hex
        try:
            await self._actor.acquire.remote(ticket, self._holder, prompt_tokens)
        except BaseException:
            self._actor.release.remote(ticket, 0)  # granted after we gave up: freed at once
            raise
        output = [0]
        try:
            yield lambda tokens: output.__setitem__(0, output[0] + max(0, tokens))
        finally:
            self._actor.release.remote(ticket, output[0])


class _RayWorker:
    """A Ray actor: its own TrialRunner, kept warm across the trials it is given."""

    def __init__(self, config: dict[str, Any], env: dict[str, SecretStr], limiter: Any, holder: str) -> None:
        from ._run import RunConfig

        for name, value in env.items():  # this node may not have the driver's environment
            os.environ[name] = value.get_secret_value()
        self.config = RunConfig.model_validate(config)
        limits = LimiterConfig(max_concurrent=self.config.max_calls, tokens_per_minute=self.config.tokens_per_minute)
        self.limiter = _RemoteLimiter(limiter, holder, limits) if limiter is not None else None
        self.runner: TrialRunner | None = None

    async def run(self, job: dict[str, Any]) -> dict[str, Any]:
        if self.runner is None:
            self.runner = await TrialRunner(self.config, limiter=self.limiter).__aenter__()
        row = await self.runner.run(Job.model_validate(job))
        return row.model_dump(mode="json")

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.__aexit__(None, None, None)
            self.runner = None


class RayExecutor:
    """Trials as tasks of Ray actors (``concurrency`` of them) on the cluster at ``ray_address``."""

    def __init__(self, config: RunConfig, suite: Suite | None = None) -> None:
        del suite  # each actor loads the suite in its own process
        self.address = config.ray_address
        self.concurrency = config.concurrency
        try:
            import ray  # noqa: F401
        except ImportError as exc:
            raise ExecutorError("--executor ray needs Ray: pip install 'crdt-agents[ray]'") from exc

    def _connect(self) -> None:
        import ray

        if ray.is_initialized():
            return
        self._reachable()
        try:
            ray.init(address=self.address, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ExecutorError(f"cannot reach the Ray cluster at {self.address or '(new local cluster)'}: {exc}") from exc

    def _reachable(self) -> None:
        """A host:port address must accept a TCP connection (ray.init would retry for minutes)."""
        match = re.fullmatch(r"(?:ray://)?\[?([^\]]+?)\]?:(\d+)", self.address or "")
        if match is None:
            return
        try:
            socket.create_connection((match[1], int(match[2])), timeout=5).close()
        except OSError as exc:
            raise ExecutorError(f"cannot reach the Ray cluster at {self.address}: {exc.strerror or exc}; is `ray start --head` running there?") from exc

    async def run(
        self, config: RunConfig, jobs: list[Job], on_row: OnRow, *, observe: Observe | None, say: Callable[[str], None],
        watch: RunWatch | None = None,
    ) -> None:
        import ray
        from ray.exceptions import RayError

        if watch is not None:
            raise ExecutorError("--watch follows trials run in this process: use it with --executor local")
        started_here = not ray.is_initialized()
        await anyio.to_thread.run_sync(self._connect)
        nodes = len([n for n in ray.nodes() if n.get("Alive")])
        say(f"ray: {nodes} node(s), {self.concurrency} worker(s) at {self.address or 'a new local cluster'}")
        worker = ray.remote(num_cpus=0)(_RayWorker).options(max_concurrency=1)  # pyright: ignore[reportAttributeAccessIssue]
        limits = LimiterConfig(max_concurrent=config.max_calls, tokens_per_minute=config.tokens_per_minute)
        shared: Any = None
        if config.model.split(":")[0] in ("anthropic", "openai"):  # offline models have no provider limits
            shared = ray.remote(num_cpus=0)(_SharedLimiter).remote(limits.model_dump())  # pyright: ignore[reportAttributeAccessIssue]
        body = config.model_dump(mode="json")
        env = forwarded_env(config.model, dict(os.environ))

        def spawn() -> tuple[Any, str]:
            holder = uuid.uuid4().hex[:12]
            return worker.remote(body, env, shared, holder), holder

        actors = [spawn() for _ in range(min(self.concurrency, len(jobs)) or 1)]
        free = list(actors)
        ready = anyio.Condition()
        try:
            async with anyio.create_task_group() as tg:

                async def one(slot: tuple[Any, str], job: Job) -> None:
                    actor, holder = slot
                    if observe is not None:
                        observe(job, None)  # started; its replica is in another process, so no phase or TODO counts
                    ref = actor.run.remote(job.model_dump(mode="json"))
                    try:
                        row = TrialResult.model_validate(await anyio.to_thread.run_sync(ray.get, ref, abandon_on_cancel=True))
                    except RayError as exc:  # the worker died (node lost, OOM): the trial is an error row
                        row = _lost(config, job, exc)
                        if shared is not None:
                            shared.release_holder.remote(holder)  # the slots its calls held
                        actors.append(slot := spawn())
                    async with ready:
                        free.append(slot)
                        ready.notify()
                    await on_row(row)

                for job in jobs:
                    async with ready:
                        while not free:
                            await ready.wait()
                        tg.start_soon(one, free.pop(0), job)
        finally:
            with anyio.CancelScope(shield=True):
                closing = [a.close.remote() for a, _ in actors]
                with anyio.move_on_after(30):
                    await anyio.to_thread.run_sync(lambda: ray.get(closing))
                for actor, _ in actors:
                    ray.kill(cast(Any, actor))
                if shared is not None:
                    ray.kill(shared)
                if started_here:
                    ray.shutdown()  # disconnects; also stops the local cluster when this process started it


def _lost(config: RunConfig, job: Job, exc: BaseException) -> TrialResult:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    row = error_row(
        task=job.task, requested=job.mode, seed=config.seed + job.run, provider=config.model,
        transport=config.trial.transport, error=f"ray worker lost: {reason}",
    )  # fmt: skip
    return row.model_copy(update={"run_id": config.run_id(), "run": job.run, "order": job.order})


EXECUTORS: dict[str, Callable[[RunConfig, Suite | None], Executor]] = {"local": LocalExecutor, "ray": RayExecutor}


def get_executor(config: RunConfig, suite: Suite | None = None) -> Executor:
    """The executor named by ``config.executor`` (``suite``: the caller's loaded copy, where it can be shared), with a
    helpful error for an unknown one."""
    factory = EXECUTORS.get(config.executor)
    if factory is None:
        raise ExecutorError(f"unknown executor {config.executor!r}; known: {', '.join(EXECUTORS)}")
    return factory(config, suite)
