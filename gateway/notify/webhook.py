"""Sender webhooks: each outcome event POSTed to the partner's URL, signed, from a durable outbox.

The store writes each event to its webhook outbox in the transaction that applies the customs
outcome (``OutcomeEvents``). One worker per partner (``webhook_worker``: the delivery
``EndpointWorker`` over the ``WebhookOutbox``) claims due events under a lease, with the
attempt count raised in the same step, and sends each body as stored with the headers
``Content-Type: application/json``, ``Gateway-Signature`` (see ``signing``; signed at each
attempt, so its timestamp is fresh) and ``Gateway-Event-Id``. Timeouts, connection errors,
408, 425, 429 and 5xx are retried with the shared backoff (``RetryPolicy``: exponential, full
jitter, ``Retry-After`` honoured); any other 4xx is final; after the maximum attempts or age
the event is dead with the reason. A crash between the partner's 2xx and its record sends the
event again: receivers drop repeats by ``Gateway-Event-Id``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gateway.config import PartnerConfig
from gateway.delivery.breaker import CircuitBreaker
from gateway.delivery.retry import RetryPolicy
from gateway.delivery.transport import Transport, TransportRequest
from gateway.delivery.worker import DeliveryObserver, EndpointWorker, RequestBuilder
from gateway.errors import ConfigurationError
from gateway.notify.signing import SIGNATURE_HEADER, sign_body
from gateway.store.base import (
    AppliedOutcome,
    AttemptResult,
    ClaimedDelivery,
    MessageStore,
    ReceiptOutcomes,
)

__all__ = [
    "EVENT_ID_HEADER",
    "WebhookOutbox",
    "WebhookPartner",
    "signed_request",
    "webhook_partners",
    "webhook_worker",
]

EVENT_ID_HEADER = "Gateway-Event-Id"
"""The HTTP header carrying the event's ID, the same at every attempt (for deduplication)."""


@dataclass(frozen=True)
class WebhookPartner:
    """A partner's webhook: where, the signing secret, and how to retry."""

    name: str
    url: str
    secret: bytes = field(repr=False)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 10.0
    concurrency: int = 4
    breaker_threshold: int = 5
    breaker_reset_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not self.secret:
            raise ConfigurationError(
                f"The partner {self.name!r} has a webhook URL but no webhook secret; "
                "unsigned webhooks are not sent."
            )


def webhook_partners(partners: Mapping[str, PartnerConfig]) -> dict[str, WebhookPartner]:
    """The partners of a configuration that have a webhook, ready for ``webhook_worker``."""
    found: dict[str, WebhookPartner] = {}
    for name, partner in partners.items():
        if not partner.webhook_url:
            continue
        retry = partner.webhook_retry
        found[name] = WebhookPartner(
            name,
            partner.webhook_url,
            (partner.webhook_secret or "").encode("utf-8"),
            RetryPolicy(
                retry.base_delay_seconds,
                retry.max_delay_seconds,
                retry.max_attempts,
                retry.max_age_seconds,
            ),
            partner.webhook_timeout_seconds,
            partner.webhook_concurrency,
            partner.webhook_breaker.failure_threshold,
            partner.webhook_breaker.reset_seconds,
        )
    return found


def signed_request(
    partner: WebhookPartner, clock: Callable[[], float] = time.time
) -> RequestBuilder:
    """Builds each attempt's request: the stored body, signed now, with the event's ID."""

    def build(event: ClaimedDelivery) -> TransportRequest:
        return TransportRequest(
            partner.url,
            event.body,
            {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign_body(partner.secret, event.body, int(clock())),
                EVENT_ID_HEADER: event.idempotency_key,
            },
            partner.timeout,
        )

    return build


class WebhookOutbox:
    """The webhook outbox of one partner in the store (an ``Outbox`` for the worker)."""

    def __init__(self, store: MessageStore, partner: str) -> None:
        self.store = store
        self.partner = partner

    async def claim(self, limit: int, lease_seconds: float, now: float) -> list[ClaimedDelivery]:
        return await self.store.claim_webhooks(self.partner, limit, lease_seconds, now)

    async def next_due(self) -> float | None:
        return await self.store.next_webhook_due(self.partner)

    async def finish(
        self, result: AttemptResult, receipt: ReceiptOutcomes | None = None
    ) -> list[AppliedOutcome]:
        """Record an attempt (a partner's answer carries no customs outcomes: ``receipt`` is
        not used)."""
        await self.store.finish_webhook(result)
        return []


def webhook_worker(
    partner: WebhookPartner,
    store: MessageStore,
    transport: Transport,
    *,
    observer: DeliveryObserver | None = None,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    idle_poll: float = 1.0,
) -> EndpointWorker:
    """The worker that sends one partner's webhook events until stopped."""
    return EndpointWorker(
        partner.name,
        partner.url,
        store,
        transport,
        policy=partner.retry,
        breaker=CircuitBreaker(
            partner.breaker_threshold, partner.breaker_reset_seconds, time.monotonic
        ),
        timeout=partner.timeout,
        concurrency=partner.concurrency,
        batch_size=max(partner.concurrency, 1),
        clock=clock,
        rng=rng,
        observer=observer,
        idle_poll=idle_poll,
        outbox=WebhookOutbox(store, partner.name),
        build_request=signed_request(partner, clock),
        kind="webhook",
        label=f"the webhook of partner {partner.name!r}",
    )
