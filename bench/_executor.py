"""Where the trials of a run execute: ``local`` (up to N at once in this process) or ``ray`` (a cluster).

Both start the planned trials in the run's randomized order as slots free
and hand each finished row to ``on_row`` in this process, which appends it
to the results file: rows from either executor land in the same JSONL, so a
run started on one resumes on the other.  ``on_row`` raising (too many
errors in a row, an interrupt) stops the executor: trials in flight are
cancelled, nothing more starts.

Ray: one actor per slot, each holding its own :class:`~bench._runner.TrialRunner`
(warm pyright, judge); the actors import this package, so every node needs it
installed (``pip install 'crdt-agents[ray]'``), and the environment the model
providers read (API keys) set where ``ray start`` ran; data directories travel in the run config.
"""

from __future__ import annotations

from bench._errors import BenchError

import logging
import re
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio

from ._metrics import TrialResult, error_row
from ._runner import Job, Observe, TrialRunner

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

    def __init__(self, config: RunConfig) -> None:
        self.concurrency = config.concurrency

    async def run(
        self, config: RunConfig, jobs: list[Job], on_row: OnRow, *, observe: Observe | None, say: Callable[[str], None],
        watch: RunWatch | None = None,
    ) -> None:
        async with TrialRunner(config, observe=observe, say=say, watch=watch) as runner, anyio.create_task_group() as tg:
            slots = anyio.Semaphore(self.concurrency)

            async def one(job: Job) -> None:
                try:
                    await on_row(await runner.run(job))
                finally:
                    slots.release()

            for job in jobs:
                await slots.acquire()  # the next trial in the randomized order starts when a slot frees
                tg.start_soon(one, job)


class _RayWorker:
    """A Ray actor: its own TrialRunner, kept warm across the trials it is given."""

    def __init__(self, config: dict[str, Any]) -> None:
        from ._run import RunConfig

        self.config = RunConfig.model_validate(config)
        self.runner: TrialRunner | None = None

    async def run(self, job: dict[str, Any]) -> dict[str, Any]:
        if self.runner is None:
            self.runner = await TrialRunner(self.config).__aenter__()
        row = await self.runner.run(Job.model_validate(job))
        return row.model_dump(mode="json")

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.__aexit__(None, None, None)
            self.runner = None


class RayExecutor:
    """Trials as tasks of Ray actors (``concurrency`` of them) on the cluster at ``ray_address``."""

    def __init__(self, config: RunConfig) -> None:
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
        body = config.model_dump(mode="json")
        actors = [worker.remote(body) for _ in range(min(self.concurrency, len(jobs)) or 1)]
        free = list(actors)
        ready = anyio.Condition()
        try:
            async with anyio.create_task_group() as tg:

                async def one(actor: Any, job: Job) -> None:
                    if observe is not None:
                        observe(job, None)  # started; its replica is in another process, so no phase or TODO counts
                    ref = actor.run.remote(job.model_dump(mode="json"))
                    try:
                        row = TrialResult.model_validate(await anyio.to_thread.run_sync(ray.get, ref, abandon_on_cancel=True))
                    except RayError as exc:  # the worker died (node lost, OOM): the trial is an error row
                        row = _lost(config, job, exc)
                        actors.append(actor := worker.remote(body))
                    async with ready:
                        free.append(actor)
                        ready.notify()
                    await on_row(row)

                for job in jobs:
                    async with ready:
                        while not free:
                            await ready.wait()
                        tg.start_soon(one, free.pop(0), job)
        finally:
            with anyio.CancelScope(shield=True):
                closing = [a.close.remote() for a in actors]
                with anyio.move_on_after(30):
                    await anyio.to_thread.run_sync(lambda: ray.get(closing))
                for actor in actors:
                    ray.kill(cast(Any, actor))
                if started_here:
                    ray.shutdown()  # disconnects; also stops the local cluster when this process started it


def _lost(config: RunConfig, job: Job, exc: BaseException) -> TrialResult:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    row = error_row(
        task=job.task, requested=job.mode, seed=config.seed + job.run, provider=config.model,
        transport=config.trial.transport, error=f"ray worker lost: {reason}",
    )  # fmt: skip
    return row.model_copy(update={"run_id": config.run_id(), "run": job.run, "order": job.order})


EXECUTORS: dict[str, Callable[[RunConfig], Executor]] = {"local": LocalExecutor, "ray": RayExecutor}


def get_executor(config: RunConfig) -> Executor:
    """The executor named by ``config.executor``, with a helpful error for an unknown one."""
    factory = EXECUTORS.get(config.executor)
    if factory is None:
        raise ExecutorError(f"unknown executor {config.executor!r}; known: {', '.join(EXECUTORS)}")
    return factory(config)
