"""Where the service translates a feed message: threads of this process, or worker processes.

Ingest hands a feed message to a ``Translator`` and gets back a ``Translation``: whether the
message could be read, its own message number, the problems that make it unreadable, and the
items (with their rendered deliveries) ready for the store. Two kinds:

- ``ThreadTranslator`` runs the pipeline in a pool of threads of the gateway process. The
  pipeline's Python parts (checks, routing, problem handling) hold the GIL, so it shares one
  core with the HTTP server, the store and the delivery workers.
- ``ProcessTranslator`` runs it in worker processes (``server.pipeline_processes``), each with
  its own compiled pipeline and routes: translation then uses the other cores and leaves the
  gateway process's GIL to HTTP, the store and deliveries. A message costs a pickle of its
  body one way and of its items back, over the worker's standard input and output. A worker
  that dies is started again; the requests it held fail with a
  ``TranslationUnavailableError`` (the sender gets a 503 and sends again; nothing was stored
  for them).

Both run ``prepare_items`` next to the pipeline, so a message makes one trip whichever is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import structlog

from gateway.errors import GatewayError
from gateway.pipeline import Pipeline
from gateway.routing import RoutingTable
from gateway.service.ingest import EndpointTarget, prepare_items
from gateway.service.translate_worker import HEADER, WorkerSetup, frame
from gateway.store.base import NewItem

log = structlog.get_logger("gateway.translation")


class TranslationUnavailableError(GatewayError):
    """A translation worker process died while translating a message; send it again."""


@dataclass(frozen=True, slots=True)
class Translation:
    """A feed message translated: what ingest and replay need, and nothing they do not."""

    readable: bool
    message_id: str | None
    """The feed's own message number (the idempotency key when the sender gives none)."""
    problems: tuple[dict[str, Any], ...]
    """The problems of the message as a whole (for an unreadable message's answer)."""
    items: tuple[NewItem, ...]


class Translator(Protocol):
    """Translates feed messages somewhere off the event loop."""

    async def translate(self, feed: str, body: bytes) -> Translation: ...

    async def close(self) -> None: ...


def translate_message(
    pipeline: Pipeline,
    routes: RoutingTable,
    endpoints: Mapping[str, EndpointTarget],
    feed: str,
    body: bytes,
) -> Translation:
    """Read, check, route and render one message (CPU-bound, no I/O)."""
    result = pipeline.read_feed(feed, body, source_name=f"the {feed} message")
    problems = tuple(problem.to_dict() for problem in result.problems)
    if not result.readable:
        return Translation(False, result.message_id, problems, ())
    items = prepare_items(pipeline, routes, endpoints, result)
    return Translation(True, result.message_id, problems, tuple(items))


class ThreadTranslator:
    """The pipeline in threads of this process (``executor`` None: the loop's default pool)."""

    def __init__(
        self,
        pipeline: Pipeline,
        routes: RoutingTable,
        endpoints: Mapping[str, EndpointTarget],
        executor: Executor | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.routes = routes
        self.endpoints = dict(endpoints)
        self._executor = executor

    @classmethod
    def with_threads(
        cls,
        pipeline: Pipeline,
        routes: RoutingTable,
        endpoints: Mapping[str, EndpointTarget],
        threads: int,
    ) -> ThreadTranslator:
        """A translator with its own pool of ``threads`` threads (shut down by ``close``)."""
        executor = ThreadPoolExecutor(threads, thread_name_prefix="gateway-pipeline")
        return cls(pipeline, routes, endpoints, executor)

    async def translate(self, feed: str, body: bytes) -> Translation:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor,
            translate_message,
            self.pipeline,
            self.routes,
            self.endpoints,
            feed,
            body,
        )

    async def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


# ---------------------------------------------------------------- worker processes


class _Worker:
    """One worker process and the requests it has been sent, answered in order."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        self.stdin = process.stdin
        self.stdout = process.stdout
        self.waiting: deque[asyncio.Future[Translation]] = deque()
        self.reader: asyncio.Task[None] | None = None

    async def read_answers(self, on_exit: Callable[[_Worker], None]) -> None:
        """Resolve each waiting request with its answer until the process ends."""
        try:
            while True:
                answer = await _read_frame(self.stdout)
                if answer is None:
                    break
                kind, value = answer
                future = self.waiting.popleft()
                if future.done():
                    continue
                if kind == "ok":
                    future.set_result(value)
                else:
                    future.set_exception(value)
        finally:
            on_exit(self)


class ProcessTranslator:
    """The pipeline in ``processes`` worker processes (``gateway.service.translate_worker``).

    Each request goes to the worker with the fewest requests waiting; the event loop writes it
    to the worker's standard input and reads the answer from its standard output, so the
    gateway process spends no thread on it. A worker that ends is started again.
    """

    def __init__(
        self,
        processes: int,
        parameters: Mapping[str, Mapping[str, str]],
        routes_path: Path,
        endpoints: Mapping[str, EndpointTarget],
        feeds: tuple[str, ...],
    ) -> None:
        self._processes = processes
        self._setup = WorkerSetup(
            {target: dict(values) for target, values in parameters.items()},
            routes_path,
            {name: (e.target, e.content_type) for name, e in endpoints.items()},
            feeds,
        )
        self._workers: list[_Worker] = []
        self._starting: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        """Start every worker and wait until each has compiled its mappings."""
        await asyncio.gather(*(self._start_one() for _ in range(self._processes)))

    async def _start_one(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            part for part in (package_root, env.get("PYTHONPATH", "")) if part
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway.service.translate_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        worker = _Worker(process)
        worker.stdin.write(frame(self._setup))
        ready = await _read_frame(worker.stdout)
        if ready != ("ready", None):
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise TranslationUnavailableError(
                "A translation worker process did not start (its errors are in the gateway's "
                "standard error); check that the mappings and routes load."
            )
        worker.reader = asyncio.create_task(worker.read_answers(self._ended))
        self._workers.append(worker)

    def _ended(self, worker: _Worker) -> None:
        """A worker's output ended: fail what it held, and start another unless closing."""
        if worker in self._workers:
            self._workers.remove(worker)
        while worker.waiting:
            future = worker.waiting.popleft()
            if not future.done():
                future.set_exception(
                    TranslationUnavailableError(
                        "A translation worker process stopped while translating this message; "
                        "nothing was stored, send it again."
                    )
                )
        if not self._closed and self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._replace())

    async def _replace(self) -> None:
        try:
            while not self._closed and len(self._workers) < self._processes:
                try:
                    await self._start_one()
                except (OSError, TranslationUnavailableError) as exc:
                    log.error("translation.worker_failed", error=str(exc))
                    await asyncio.sleep(1.0)
        finally:
            self._starting = None

    async def translate(self, feed: str, body: bytes) -> Translation:
        if not self._workers:
            raise TranslationUnavailableError(
                "No translation worker process is running (one is being started); "
                "nothing was stored, send the message again."
            )
        worker = min(self._workers, key=lambda w: len(w.waiting))
        future: asyncio.Future[Translation] = asyncio.get_running_loop().create_future()
        worker.waiting.append(future)
        try:
            worker.stdin.write(frame((feed, body)))
            await worker.stdin.drain()
        except (OSError, RuntimeError) as exc:
            future.cancel()
            raise TranslationUnavailableError(
                "A translation worker process stopped before it took this message; nothing "
                "was stored, send it again."
            ) from exc
        return await future

    async def close(self, grace: float = 5.0) -> None:
        """Stop every worker: end of input (they exit when they read it), killed after ``grace``."""
        self._closed = True
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starting
        workers, self._workers = list(self._workers), []
        for worker in workers:
            with contextlib.suppress(OSError, RuntimeError):
                worker.stdin.close()
        for worker in workers:
            try:
                await asyncio.wait_for(worker.process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.kill()
                await worker.process.wait()
            if worker.reader is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker.reader


async def _read_frame(stream: asyncio.StreamReader) -> Any | None:
    try:
        header = await stream.readexactly(HEADER.size)
        (size,) = HEADER.unpack(header)
        data = await stream.readexactly(size)
    except asyncio.IncompleteReadError:
        return None
    return pickle.loads(data)
