"""The gateway service's operations, free of HTTP: ingest, replay, status, customs responses.

The API layer (``gateway.api``) turns requests into calls here and results into responses;
``GatewayServer`` (``gateway.service.server``) assembles this with the store and workers.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from gateway.config import GatewayConfig
from gateway.delivery.worker import EndpointWorker
from gateway.errors import GatewayError, InputError
from gateway.pipeline import Pipeline
from gateway.routing import RoutingTable
from gateway.service.ingest import EndpointTarget, new_id
from gateway.service.intake import IntakeGate
from gateway.service.metrics import Metrics
from gateway.service.outcomes import OutcomeHandler
from gateway.service.translators import ThreadTranslator, Translation, Translator
from gateway.service.views import iso_time, item_json
from gateway.store.base import MessageFilter, MessageStore, NewItem, NewMessage, SavedMessage

log = structlog.get_logger("gateway.service")


class UnknownFeedError(GatewayError):
    """A request names a feed this gateway does not accept."""


class NotFoundError(GatewayError):
    """A request names a message, item or endpoint the gateway does not know."""


@dataclass(frozen=True)
class Answer:
    """An answer to an API call: an HTTP status and a JSON body."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


class Gateway:
    """Everything the API calls, over one store, one pipeline and the endpoint workers."""

    def __init__(
        self,
        config: GatewayConfig,
        pipeline: Pipeline,
        routes: RoutingTable,
        store: MessageStore,
        workers: Mapping[str, EndpointWorker],
        metrics: Metrics,
        outcomes: OutcomeHandler,
        *,
        clock: Callable[[], float] = time.time,
        translator: Translator | None = None,
    ) -> None:
        self.config = config
        self.pipeline = pipeline
        self.routes = routes
        self.store = store
        self.workers = workers
        self.metrics = metrics
        self.outcomes = outcomes
        self.clock = clock
        self.feeds = frozenset(config.feeds if config.feeds is not None else pipeline.feeds())
        self.endpoints = {
            name: EndpointTarget(name, endpoint.target)
            for name, endpoint in config.endpoints.items()
        }
        self.translator: Translator = translator or ThreadTranslator(
            pipeline, routes, self.endpoints
        )
        """Where messages are translated (default: the event loop's default thread pool)."""
        self.intake = IntakeGate(
            config.limits.max_messages_in_flight, config.limits.max_bytes_in_flight
        )
        """How many feed messages, and bytes of them, are being taken in now."""

    # ------------------------------------------------------------ ingest

    async def ingest(
        self, feed: str, body: bytes, *, sender: str, idempotency_key: str | None
    ) -> Answer:
        """Take one feed message: durably stored before the answer, items refused one by one."""
        if feed not in self.feeds:
            raise UnknownFeedError(
                f"The feed '{feed}' is not accepted here; the feeds are: "
                f"{', '.join(sorted(self.feeds)) or 'none'}."
            )
        body_hash = hashlib.sha256(body).hexdigest()
        if idempotency_key:
            existing = await self.store.find_message_by_key(sender, idempotency_key)
            if existing is not None:
                return self._repeat(feed, existing, body_hash, idempotency_key)
        received_at = self.clock()
        result = await self.translator.translate(feed, body)
        items = list(result.items)
        # Without a header, the feed's own message number is the key; the store checks it
        # in the same transaction that saves the message, so no separate look-up is needed.
        key = idempotency_key or result.message_id
        message_id = new_id("msg")
        if not result.readable:
            message = _unreadable(
                message_id, feed, sender, key, body_hash, body, received_at, result
            )
        else:
            message = _accepted(message_id, feed, sender, key, body_hash, body, received_at, items)
        saved = await self.store.save_message(message)
        if not saved.created:
            return self._repeat(feed, saved, body_hash, key or "")
        self._wake(message.items)
        self._count(feed, message)
        log.info(
            "message.received",
            message_id=message_id,
            feed=feed,
            status=message.status,
            items=len(message.items),
            refused=sum(not item.accepted for item in message.items),
        )
        return Answer(message.response_status, message.response)

    def _repeat(self, feed: str, saved: SavedMessage, body_hash: str, key: str) -> Answer:
        if saved.body_hash != body_hash:
            self.metrics.count("gateway_messages_total", feed=feed, outcome="conflict")
            return Answer(
                409,
                _problem_body(
                    409,
                    "idempotency-conflict",
                    "Idempotency key reused",
                    f"The idempotency key '{key}' was first used for the message {saved.message_id} "
                    "with different content; send new content under a new key.",
                    message_id=saved.message_id,
                ),
            )
        self.metrics.count("gateway_messages_total", feed=feed, outcome="repeated")
        return Answer(saved.response_status, saved.response, {"Idempotent-Replayed": "true"})

    def _wake(self, items: tuple[NewItem, ...] | list[NewItem]) -> None:
        for name in {d.endpoint for item in items for d in item.deliveries}:
            worker = self.workers.get(name)
            if worker is not None:
                worker.wake()

    def _count(self, feed: str, message: NewMessage) -> None:
        self.metrics.count("gateway_messages_total", feed=feed, outcome=message.status)
        for item in message.items:
            if not item.accepted:
                self.metrics.count(
                    "gateway_items_total", feed=feed, destination="none", outcome="refused"
                )
            for delivery in item.deliveries:
                self.metrics.count(
                    "gateway_items_total",
                    feed=feed,
                    destination=delivery.endpoint,
                    outcome="accepted",
                )

    # ------------------------------------------------------------ replay

    async def replay(self, message_id: str) -> Answer:
        """Translate a stored message again with today's mappings and enqueue it again."""
        raw = await self.store.get_raw(message_id)
        if raw is None:
            raise NotFoundError(f"There is no message {message_id}.")
        result = await self.translator.translate(raw.feed, raw.raw)
        items = list(result.items)
        if not result.readable:
            return Answer(
                422,
                _problem_body(
                    422,
                    "unreadable-message",
                    "Message cannot be read",
                    f"The stored message {message_id} still cannot be read with today's mappings.",
                    message_id=message_id,
                    problems=list(result.problems),
                ),
            )
        added = await self.store.replay_message(message_id, items, self.clock())
        self._wake(items)
        log.info("message.replayed", message_id=message_id, deliveries=added)
        return Answer(
            202,
            {
                "message_id": message_id,
                "deliveries": added,
                "items": [_item_answer(item) for item in items],
            },
        )

    async def replay_many(self, selection: MessageFilter) -> Answer:
        """Replay every message matching a filter (oldest first, up to the configured limit)."""
        limit = min(selection.limit, self.config.limits.max_replay_messages)
        ids = await self.store.select_messages(
            MessageFilter(
                selection.feed,
                selection.destination,
                selection.status,
                selection.received_from,
                selection.received_until,
                limit,
            )
        )
        results = []
        for message_id in ids:
            answer = await self.replay(message_id)
            results.append(
                {
                    "message_id": message_id,
                    "status": answer.status,
                    "deliveries": answer.body.get("deliveries", 0),
                }
            )
        return Answer(202, {"replayed": len(results), "messages": results})

    # ------------------------------------------------------------ reading

    async def message_status(self, message_id: str) -> Answer:
        view = await self.store.get_message(message_id)
        if view is None:
            raise NotFoundError(f"There is no message {message_id}.")
        return Answer(
            200,
            {
                "message_id": view.message_id,
                "feed": view.feed,
                "received_at": iso_time(view.received_at),
                "status": view.status,
                "problems": list(view.problems),
                "items": [item_json(item) for item in view.items],
            },
        )

    async def item_status(self, reference: str) -> Answer:
        items = await self.store.find_items(reference)
        if not items:
            raise NotFoundError(
                f"No item has the ID, postal item ID, waybill or order number '{reference}'."
            )
        return Answer(200, {"reference": reference, "items": [item_json(i) for i in items]})

    # ------------------------------------------------------------ customs responses

    async def customs_response(self, endpoint: str, body: bytes) -> Answer:
        """An asynchronous notification from a customs endpoint, applied to its items."""
        if endpoint not in self.config.endpoints:
            raise NotFoundError(f"There is no endpoint '{endpoint}' configured.")
        try:
            applied = await self.outcomes.handle(endpoint, body)
        except InputError as exc:
            return Answer(
                422,
                _problem_body(
                    422,
                    "unreadable-response",
                    "Customs response cannot be read",
                    str(exc),
                    problems=[p.to_dict() for p in exc.problems],
                ),
            )
        return Answer(200, {"endpoint": endpoint, "outcomes": applied})


def _unreadable(
    message_id: str,
    feed: str,
    sender: str,
    key: str | None,
    body_hash: str,
    body: bytes,
    received_at: float,
    result: Translation,
) -> NewMessage:
    problems = list(result.problems)
    response = _problem_body(
        422,
        "unreadable-message",
        "Message cannot be read",
        f"The {feed} message cannot be read or mapped at all; it was stored as {message_id} "
        f"and nothing in it goes on. {len(problems)} problem(s) found.",
        message_id=message_id,
        problems=problems,
    )
    return NewMessage(
        message_id,
        feed,
        sender,
        key,
        body_hash,
        body,
        received_at,
        "unreadable",
        422,
        response,
        tuple(problems),
        (),
    )


def _accepted(
    message_id: str,
    feed: str,
    sender: str,
    key: str | None,
    body_hash: str,
    body: bytes,
    received_at: float,
    items: list[NewItem],
) -> NewMessage:
    status = "accepted" if any(item.accepted for item in items) or not items else "refused"
    response = {
        "message_id": message_id,
        "feed": feed,
        "status": status,
        "accepted": sum(item.accepted for item in items),
        "refused": sum(not item.accepted for item in items),
        "items": [_item_answer(item) for item in items],
    }
    return NewMessage(
        message_id,
        feed,
        sender,
        key,
        body_hash,
        body,
        received_at,
        status,
        202,
        response,
        (),
        tuple(items),
    )


def _item_answer(item: NewItem) -> dict[str, Any]:
    return {
        "item_id": item.item_id,
        "declaration_id": item.declaration_id,
        "status": "accepted" if item.accepted else "refused",
        "destinations": [delivery.endpoint for delivery in item.deliveries],
        "problems": list(item.problems),
    }


def _problem_body(status: int, kind: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": f"urn:customs-gateway:problem:{kind}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
