"""Customs responses into item states, and each outcome out to the sender.

A response (a synchronous receipt or an asynchronous notification) is mapped to outcomes by
``gateway.responses.parse_response`` through the endpoint's response mapping, applied to the
items in the store (every transition stored; illegal ones stored as refused and logged). For
each applied outcome whose sender has a webhook, the store writes the event to its webhook
outbox in the same transaction (``gateway.notify.OutcomeEvents``); the partner's webhook worker
(``gateway.notify.webhook_worker``) sends it, HMAC-signed, retried like deliveries, after a
restart too. Senders without a webhook use the pull API.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from gateway.config import PartnerConfig
from gateway.delivery.transport import TransportResponse
from gateway.delivery.worker import EndpointWorker, Recorded
from gateway.errors import InputError, MappingError
from gateway.notify import OutcomeEvents
from gateway.responses import CustomsOutcome, parse_response
from gateway.service.metrics import Metrics
from gateway.store.base import (
    AppliedOutcome,
    ClaimedDelivery,
    MessageStore,
    OutcomeRecord,
    ReceiptNotRecorded,
    ReceiptOutcomes,
    WebhookEventFactory,
)

log = structlog.get_logger("gateway.responses")

INLINE_PARSE_BYTES = 64 * 1024
"""Responses up to this size are parsed on the event loop (about 40 µs for a receipt)."""


class OutcomeHandler:
    """Applies customs responses to items and tells the senders.

    Events are written for every partner with a ``webhook_url``; ``webhooks`` are the workers
    that send them (one per partner), woken when their partner gets an event, started with
    ``start()`` and stopped by ``close()``.
    """

    def __init__(
        self,
        store: MessageStore,
        response_kinds: Mapping[str, str],
        partners: Mapping[str, PartnerConfig],
        metrics: Metrics,
        *,
        webhooks: Mapping[str, EndpointWorker] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.response_kinds = dict(response_kinds)
        self.webhook_partners = frozenset(
            name for name, partner in partners.items() if partner.webhook_url
        )
        self.webhooks = dict(webhooks or {})
        self.metrics = metrics
        self.clock = clock

    def start(self) -> None:
        """Start the webhook workers (events left pending by an earlier run go out too)."""
        for worker in self.webhooks.values():
            worker.start()

    async def handle(self, endpoint: str, body: bytes) -> list[dict[str, Any]]:
        """Parse a response body and apply every outcome in it; ``InputError`` if unreadable."""
        outcomes = await self._parse(endpoint, body)
        return await self.apply(endpoint, outcomes, body)

    async def _parse(self, endpoint: str, body: bytes) -> list[CustomsOutcome]:
        kind = self.response_kinds.get(endpoint, endpoint)
        try:
            # A receipt or notification of a few KB maps in tens of microseconds: less than a
            # trip to a thread costs. Only large documents leave the event loop.
            if len(body) <= INLINE_PARSE_BYTES:
                return parse_response(kind, body)
            return await asyncio.to_thread(parse_response, kind, body)
        except MappingError as exc:
            raise InputError(
                f"Responses from the endpoint {endpoint} cannot be read: {exc}"
            ) from exc

    async def read(
        self, endpoint: str, delivery: ClaimedDelivery, response: TransportResponse
    ) -> ReceiptOutcomes | None:
        """A delivery's synchronous receipt, read to be recorded with the attempt it answers
        (in the same transaction); None when it is empty or cannot be read."""
        if not response.body.strip():
            return None
        try:
            outcomes = await self._parse(endpoint, response.body)
        except InputError as exc:
            log.info(
                "response.receipt_not_mapped",
                endpoint=endpoint,
                item_id=delivery.item_id,
                problems=sorted({problem.code for problem in exc.problems}),
            )
            return None
        records, events = self._records(endpoint, outcomes)
        return ReceiptOutcomes(endpoint, tuple(records), response.body, events)

    async def recorded(
        self, receipt: ReceiptOutcomes, delivery: ClaimedDelivery, recorded: Recorded
    ) -> None:
        """After a receipt was recorded with its attempt: wake, count and log as ``apply``."""
        if isinstance(recorded, ReceiptNotRecorded):
            log.warning(
                "response.receipt_not_recorded",
                endpoint=receipt.endpoint,
                item_id=delivery.item_id,
                reason=recorded.reason,
            )
            return
        self._after(receipt.endpoint, receipt.records, receipt.events, recorded)

    def _records(
        self, endpoint: str, outcomes: list[CustomsOutcome]
    ) -> tuple[list[OutcomeRecord], OutcomeEvents | None]:
        now = self.clock()
        records = [OutcomeRecord(o.declaration_ref, o.outcome, o.reason, now) for o in outcomes]
        events = (
            OutcomeEvents(outcomes, destination=endpoint, partners=self.webhook_partners, at=now)
            if self.webhook_partners
            else None
        )
        return records, events

    async def apply(
        self, endpoint: str, outcomes: list[CustomsOutcome], body: bytes | None
    ) -> list[dict[str, Any]]:
        records, events = self._records(endpoint, outcomes)
        applied = await self.store.record_outcomes(endpoint, records, body, events)
        return self._after(endpoint, records, events, applied)

    def _after(
        self,
        endpoint: str,
        outcomes: Sequence[OutcomeRecord],
        events: WebhookEventFactory | None,
        applied: list[AppliedOutcome],
    ) -> list[dict[str, Any]]:
        """Wake the webhook workers told, count and log each outcome; the API's answer."""
        if isinstance(events, OutcomeEvents):
            for partner in events.partners_told:
                worker = self.webhooks.get(partner)
                if worker is not None:
                    worker.wake()
        answer = []
        for outcome, result in zip(outcomes, applied, strict=True):
            self.metrics.count(
                "gateway_customs_outcomes_total", destination=endpoint, outcome=outcome.outcome
            )
            if result.applied:
                log.info(
                    "item.transition",
                    endpoint=endpoint,
                    item_id=result.item_id,
                    declaration_ref=outcome.declaration_ref,
                    outcome=outcome.outcome,
                    from_state=result.from_state,
                    to_state=result.to_state,
                )
            else:
                log.warning(
                    "item.transition_refused",
                    endpoint=endpoint,
                    item_id=result.item_id,
                    declaration_ref=outcome.declaration_ref,
                    outcome=outcome.outcome,
                    from_state=result.from_state,
                    reason=result.reason,
                )
            answer.append(_applied_json(result))
        return answer

    async def close(self, grace: float = 2.0) -> None:
        """Stop the webhook workers; events in flight get ``grace`` seconds, then their lease."""
        await asyncio.gather(*(worker.stop(grace) for worker in self.webhooks.values()))


def _applied_json(result: AppliedOutcome) -> dict[str, Any]:
    return {
        "declaration_ref": result.declaration_ref,
        "outcome": result.outcome,
        "item_id": result.item_id,
        "applied": result.applied,
        "from": result.from_state,
        "to": result.to_state,
        "reason": result.reason,
    }
