"""The gateway service assembled and running: store, pipeline, routes, workers, HTTP API.

In-process (tests, the demo, benchmarks)::

    async with GatewayServer(config) as server:
        print(server.url)

From the command line, ``gateway serve --config FILE`` runs ``serve(path)`` until SIGINT or
SIGTERM, then stops cleanly: no new requests, deliveries in flight finished or left to their
lease, the store closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import structlog
from aiohttp import web

from gateway.api.app import build_app
from gateway.config import GatewayConfig, load_config
from gateway.delivery.breaker import CircuitBreaker
from gateway.delivery.retry import RetryPolicy
from gateway.delivery.transport import AiohttpTransport, Transport, TransportRequest
from gateway.delivery.worker import EndpointWorker
from gateway.errors import ConfigurationError, GatewayError
from gateway.logging import configure_logging
from gateway.notify import webhook_partners, webhook_worker
from gateway.pipeline import Pipeline
from gateway.routing import RoutingTable, check_endpoints, load_routes
from gateway.service.core import Gateway
from gateway.service.ingest import EndpointTarget
from gateway.service.metrics import Metrics
from gateway.service.outcomes import OutcomeHandler
from gateway.service.translators import ProcessTranslator, ThreadTranslator, Translator
from gateway.store.base import MessageStore
from gateway.store.sqlite import SqliteStore

log = structlog.get_logger("gateway.server")

SWITCH_INTERVAL_SECONDS = 0.001
"""How often the interpreter lets another thread take the GIL while ``gateway serve`` runs."""


class GatewayServer:
    """One running gateway instance; use ``async with`` or ``start()`` / ``stop()``."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        pipeline: Pipeline | None = None,
        routes: RoutingTable | None = None,
        store: MessageStore | None = None,
        transport: Transport | None = None,
        webhook_transport: Transport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._pipeline = pipeline
        self._routes = routes
        self._store = store
        self._transport = transport
        self._webhook_transport = webhook_transport
        """Sends sender webhooks (its own connection pool: partners are not customs)."""
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self._pollers: list[asyncio.Task[None]] = []
        self.gateway: Gateway | None = None
        self._translator: Translator | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL the API listens on (``http://127.0.0.1:PORT``)."""
        return f"http://{self.config.server.host}:{self.port}"

    async def __aenter__(self) -> GatewayServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Check the configuration against mappings and routes, open the store, listen."""
        pipeline = self._pipeline or Pipeline(parameters=self.config.parameters)
        routes = self._routes or load_routes(self.config.routes_path)
        await asyncio.to_thread(_check, self.config, pipeline, routes)
        store = self._store or SqliteStore(
            self.config.storage.path,
            group_commit_max=self.config.storage.group_commit_max,
            reader_threads=self.config.storage.reader_threads,
        )
        await store.open()
        if self.config.storage.release_leases_at_start:
            released = await store.release_leases(self._clock())
            if released:
                log.info("deliveries.resumed", count=released)
            released = await store.release_webhook_leases(self._clock())
            if released:
                log.info("webhooks.resumed", count=released)
        given_up = await store.give_up_webhooks(
            set(webhook_partners(self.config.partners)), self._clock()
        )
        for partner, count in given_up.items():
            log.warning("webhooks.given_up", partner=partner, count=count, reason="no webhook")
        metrics = Metrics()
        transport = self._transport or AiohttpTransport()
        kinds = {
            name: endpoint.response_kind or endpoint.target
            for name, endpoint in self.config.endpoints.items()
        }
        webhook_transport = self._webhook_transport or AiohttpTransport()
        self._webhook_transport = webhook_transport
        webhooks = {
            name: webhook_worker(
                partner,
                store,
                webhook_transport,
                observer=metrics.webhook_observer(),
                clock=self._clock,
            )
            for name, partner in webhook_partners(self.config.partners).items()
        }
        outcomes = OutcomeHandler(
            store, kinds, self.config.partners, metrics, webhooks=webhooks, clock=self._clock
        )
        workers = {
            name: EndpointWorker(
                name,
                endpoint.url,
                store,
                transport,
                policy=RetryPolicy(
                    endpoint.retry.base_delay_seconds,
                    endpoint.retry.max_delay_seconds,
                    endpoint.retry.max_attempts,
                    endpoint.retry.max_age_seconds,
                ),
                breaker=CircuitBreaker(
                    endpoint.breaker.failure_threshold,
                    endpoint.breaker.reset_seconds,
                    time.monotonic,
                ),
                timeout=endpoint.timeout_seconds,
                concurrency=endpoint.concurrency,
                batch_size=endpoint.batch_size,
                clock=self._clock,
                receipts=outcomes,
                observer=metrics,
            )
            for name, endpoint in self.config.endpoints.items()
        }
        try:
            self._translator = await self._start_translator(pipeline, routes)
        except GatewayError:
            self._transport, self._store = transport, store
            await self.stop()
            raise
        self.gateway = Gateway(
            self.config,
            pipeline,
            routes,
            store,
            workers,
            metrics,
            outcomes,
            clock=self._clock,
            translator=self._translator,
        )
        self._transport = transport
        self._store = store
        self._runner = web.AppRunner(build_app(self.gateway), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.server.host, self.config.server.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise ConfigurationError(
                f"The gateway cannot listen on {self.config.server.host}:"
                f"{self.config.server.port}: {exc.strerror or exc}."
            ) from exc
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else self.config.server.port
        for worker in workers.values():
            worker.start()
        outcomes.start()
        self._pollers = [
            asyncio.create_task(self._poll(name, endpoint.poll_url, endpoint.poll_interval_seconds))
            for name, endpoint in self.config.endpoints.items()
            if endpoint.response_mode == "poll" and endpoint.poll_url
        ]
        log.info(
            "gateway.started",
            url=self.url,
            endpoints=sorted(workers),
            feeds=sorted(self.gateway.feeds),
        )

    async def stop(self) -> None:
        """Stop listening, stop the workers (in-flight deliveries get a grace period), close."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for task in self._pollers:
            task.cancel()
        for task in self._pollers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pollers = []
        if self.gateway is not None:
            await asyncio.gather(*(w.stop() for w in self.gateway.workers.values()))
            await self.gateway.outcomes.close()
            self.gateway = None
        if self._transport is not None:
            await self._transport.close()
        if self._webhook_transport is not None:
            await self._webhook_transport.close()
        if self._store is not None:
            await self._store.close()
        if self._translator is not None:
            await self._translator.close()
            self._translator = None
        log.info("gateway.stopped")

    async def _start_translator(self, pipeline: Pipeline, routes: RoutingTable) -> Translator:
        """Worker processes when configured (and the pipeline is the configured one), else threads."""
        endpoints = {
            name: EndpointTarget(name, endpoint.target)
            for name, endpoint in self.config.endpoints.items()
        }
        processes = self.config.server.pipeline_processes
        if processes and self._pipeline is None and self._routes is None:
            translator = ProcessTranslator(
                processes,
                self.config.parameters,
                self.config.routes_path,
                endpoints,
                tuple(self.config.feeds or pipeline.feeds()),
            )
            await translator.start()
            return translator
        return ThreadTranslator.with_threads(
            pipeline, routes, endpoints, self.config.server.pipeline_threads
        )

    async def _poll(self, endpoint: str, url: str, interval: float) -> None:
        """Fetch notifications from an endpoint that is polled rather than calling back."""
        assert self.gateway is not None and self._transport is not None
        gateway = self.gateway
        while True:
            await asyncio.sleep(interval)
            try:
                response = await self._transport.send(
                    TransportRequest(
                        url, b"", {"Accept": "application/xml"}, interval + 5, method="GET"
                    )
                )
                if response.status != 200:
                    log.warning("responses.poll_refused", endpoint=endpoint, status=response.status)
                elif response.body.strip():
                    answer = await gateway.customs_response(endpoint, response.body)
                    if answer.status != 200:
                        log.warning("responses.poll_unreadable", endpoint=endpoint)
            except GatewayError as exc:
                log.warning("responses.poll_failed", endpoint=endpoint, error=str(exc))


def _check(config: GatewayConfig, pipeline: Pipeline, routes: RoutingTable) -> None:
    """Every feed, target, parameter and route endpoint the configuration names exists."""
    problems: list[str] = []
    feeds = set(pipeline.feeds())
    for feed in config.feeds or []:
        if feed not in feeds:
            problems.append(f"feeds: '{feed}' has no mapping (known: {', '.join(sorted(feeds))})")
    targets = set(pipeline.targets())
    for name, endpoint in config.endpoints.items():
        if endpoint.target not in targets:
            problems.append(
                f"endpoints.{name}.target: '{endpoint.target}' is not a destination "
                f"(known: {', '.join(sorted(targets))})"
            )
            continue
        try:
            pipeline.check_parameters(endpoint.target)
        except ConfigurationError as exc:
            problems.append(f"endpoints.{name}: {exc}")
    try:
        check_endpoints(routes, config.endpoints)
    except ConfigurationError as exc:
        problems.append(f"routes: {exc}")
    if problems:
        raise ConfigurationError(
            f"The configuration has {len(problems)} problem(s):\n"
            + "\n".join(f"  {problem}" for problem in problems)
        )
    for feed in config.feeds or sorted(feeds):
        pipeline.feed_mapping(feed)


async def serve(config_path: Path | None, environ: Mapping[str, str] | None = None) -> None:
    """Run a gateway from a configuration file until SIGINT or SIGTERM (``gateway serve``)."""
    config = load_config(config_path, environ)
    configure_logging(config.logging.level)
    # Translation threads hold the GIL for long stretches; switching more often than the
    # default 5 ms keeps the event loop (HTTP answers, deliveries) from waiting behind them.
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with GatewayServer(config):
        await stop.wait()
