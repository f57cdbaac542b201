"""Customs responses into item states, and each outcome out to the sender.

A response (a synchronous receipt or an asynchronous notification) is mapped to outcomes by
``gateway.responses.parse_response`` through the endpoint's response mapping, applied to the
items in the store (every transition stored; illegal ones stored as refused and logged), and
each applied outcome is sent to the sender's webhook when the partner has one
(``gateway.notify``, HMAC-signed, retried). Senders without a webhook use the pull API.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from gateway.config import PartnerConfig
from gateway.delivery.transport import TransportResponse
from gateway.errors import GatewayError, InputError, MappingError
from gateway.notify import WebhookNotifier, WebhookPartner, build_outcome_event
from gateway.responses import CustomsOutcome, parse_response
from gateway.service.metrics import Metrics
from gateway.store.base import AppliedOutcome, ClaimedDelivery, MessageStore, OutcomeRecord

log = structlog.get_logger("gateway.responses")


class OutcomeHandler:
    """Applies customs responses to items and tells the senders."""

    def __init__(
        self,
        store: MessageStore,
        response_kinds: Mapping[str, str],
        partners: Mapping[str, PartnerConfig],
        metrics: Metrics,
        *,
        notifier: WebhookNotifier | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.response_kinds = dict(response_kinds)
        self.partners = {
            name: WebhookPartner(name, partner.webhook_url, partner.webhook_secret)
            for name, partner in partners.items()
            if partner.webhook_url
        }
        self.metrics = metrics
        self.notifier = notifier
        self.clock = clock
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(self, endpoint: str, body: bytes) -> list[dict[str, Any]]:
        """Parse a response body and apply every outcome in it; ``InputError`` if unreadable."""
        kind = self.response_kinds.get(endpoint, endpoint)
        try:
            outcomes = await asyncio.to_thread(parse_response, kind, body)
        except MappingError as exc:
            raise InputError(
                f"Responses from the endpoint {endpoint} cannot be read: {exc}"
            ) from exc
        return await self.apply(endpoint, outcomes, body)

    async def on_receipt(
        self, endpoint: str, delivery: ClaimedDelivery, response: TransportResponse
    ) -> None:
        """A synchronous receipt from a delivery: applied like a notification when readable."""
        if not response.body.strip():
            return
        try:
            await self.handle(endpoint, response.body)
        except InputError as exc:
            log.info(
                "response.receipt_not_mapped",
                endpoint=endpoint,
                item_id=delivery.item_id,
                problems=sorted({problem.code for problem in exc.problems}),
            )

    async def apply(
        self, endpoint: str, outcomes: list[CustomsOutcome], body: bytes | None
    ) -> list[dict[str, Any]]:
        now = self.clock()
        records = [OutcomeRecord(o.declaration_ref, o.outcome, o.reason, now) for o in outcomes]
        applied = await self.store.record_outcomes(endpoint, records, body)
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
                self._notify(endpoint, outcome, result)
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

    def _notify(self, endpoint: str, outcome: CustomsOutcome, result: AppliedOutcome) -> None:
        if self.notifier is None or not self.partners or result.item_id is None:
            return
        task = asyncio.create_task(self._send(endpoint, outcome, result.item_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, endpoint: str, outcome: CustomsOutcome, item_id: str) -> None:
        assert self.notifier is not None
        try:
            items = await self.store.find_items(item_id)
            if not items:
                return
            item = items[0]
            partner = self.partners.get(item.sender)
            if partner is None:
                return
            event = build_outcome_event(
                outcome,
                item_id=item_id,
                message_id=item.message_id,
                feed=item.feed,
                destination=endpoint,
            )
            await self.notifier.notify(partner, event)
            log.info(
                "sender.notified", item_id=item_id, partner=item.sender, outcome=outcome.outcome
            )
        except GatewayError as exc:
            log.warning("sender.notify_failed", item_id=item_id, error=str(exc))

    async def close(self, grace: float = 2.0) -> None:
        """Let notifications in flight finish for up to ``grace`` seconds, then stop them."""
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.notifier is not None:
            await self.notifier.close()


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
