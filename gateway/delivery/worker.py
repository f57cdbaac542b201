"""The outbox worker of one endpoint: claim due deliveries, send them, record every attempt.

Bounded concurrency (at most ``concurrency`` deliveries in flight), retries timed by the pure
``RetryPolicy``, a ``CircuitBreaker`` that stops sending to an endpoint that keeps failing, and
an ``Idempotency-Key`` header on every request so the endpoint sees each declaration once even
when the gateway retries. Claiming increments the attempt count and sets a lease in the store
in one step, so a crash loses no attempt count and an in-flight delivery of a crashed
instance is sent again once its lease runs out (at least once; the endpoint dedups).

The same worker sends sender webhooks: it is given another ``Outbox`` (where rows are claimed
and attempts recorded) and another ``RequestBuilder`` (what a request carries), and keeps the
claim loop, concurrency bound, breaker and retry decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from typing import Protocol

import structlog

from gateway.delivery.breaker import CircuitBreaker, CircuitState
from gateway.delivery.retry import FailureKind, RetryPolicy, classify_status, parse_retry_after
from gateway.delivery.transport import Transport, TransportRequest, TransportResponse
from gateway.errors import GatewayError, TransientDeliveryError
from gateway.store.base import (
    AppliedOutcome,
    AttemptOutcome,
    AttemptResult,
    ClaimedDelivery,
    MessageStore,
    ReceiptNotRecorded,
    ReceiptOutcomes,
)

log = structlog.get_logger("gateway.delivery")

Recorded = list[AppliedOutcome] | ReceiptNotRecorded
"""What became of a receipt recorded with its attempt (``MessageStore.finish_attempt``)."""


class ReceiptReader(Protocol):
    """Reads the outcomes an endpoint's answer carries, to record with the attempt it answers,
    and learns what became of them once recorded."""

    async def read(
        self, endpoint: str, delivery: ClaimedDelivery, response: TransportResponse
    ) -> ReceiptOutcomes | None: ...

    async def recorded(
        self, receipt: ReceiptOutcomes, delivery: ClaimedDelivery, recorded: Recorded
    ) -> None: ...


RequestBuilder = Callable[[ClaimedDelivery], TransportRequest]
"""The request for one claimed row (called at each attempt, so it may sign with the time)."""


class Outbox(Protocol):
    """The rows one worker sends: claimed under a lease, each attempt recorded."""

    async def claim(
        self, limit: int, lease_seconds: float, now: float
    ) -> list[ClaimedDelivery]: ...

    async def next_due(self) -> float | None: ...

    async def finish(
        self, result: AttemptResult, receipt: ReceiptOutcomes | None = None
    ) -> Recorded: ...


class DeliveryOutbox:
    """The delivery outbox of one customs endpoint in the store."""

    def __init__(self, store: MessageStore, endpoint: str) -> None:
        self.store = store
        self.endpoint = endpoint

    async def claim(self, limit: int, lease_seconds: float, now: float) -> list[ClaimedDelivery]:
        return await self.store.claim_deliveries(self.endpoint, limit, lease_seconds, now)

    async def next_due(self) -> float | None:
        return await self.store.next_due(self.endpoint)

    async def finish(
        self, result: AttemptResult, receipt: ReceiptOutcomes | None = None
    ) -> Recorded:
        return await self.store.finish_attempt(result, receipt)


class DeliveryObserver(Protocol):
    """Told about every finished attempt (metrics)."""

    def attempt_finished(
        self, endpoint: str, outcome: AttemptOutcome, duration: float, since_enqueued: float
    ) -> None: ...


class EndpointWorker:
    """Delivers the outbox of one endpoint until stopped.

    By default the rows are the store's deliveries to ``name``, sent to ``url`` with an
    ``Idempotency-Key``; ``outbox`` and ``build_request`` replace both (sender webhooks),
    ``kind`` names the log events (``delivery.attempt``) and ``label`` names the receiver in
    dead-letter reasons.
    """

    def __init__(
        self,
        name: str,
        url: str,
        store: MessageStore,
        transport: Transport,
        *,
        policy: RetryPolicy,
        breaker: CircuitBreaker,
        timeout: float = 10.0,
        concurrency: int = 8,
        batch_size: int = 64,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        receipts: ReceiptReader | None = None,
        observer: DeliveryObserver | None = None,
        idle_poll: float = 1.0,
        outbox: Outbox | None = None,
        build_request: RequestBuilder | None = None,
        kind: str = "delivery",
        label: str | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.store = store
        self.outbox: Outbox = outbox or DeliveryOutbox(store, name)
        self._build_request = build_request or self._delivery_request
        self.kind = kind
        self._owner = {"endpoint" if kind == "delivery" else "partner": name}
        """How log lines name whom this worker sends to (a partner for webhooks)."""
        self.label = label or name
        self.transport = transport
        self.policy = policy
        self.breaker = breaker
        self.timeout = timeout
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.lease_seconds = timeout * 2 + 5
        self._clock = clock
        self._rng = rng or random.Random()
        self._receipts = receipts
        self._observer = observer
        self._idle_poll = idle_poll
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def circuit(self) -> CircuitState:
        return self.breaker.state

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def start(self) -> None:
        """Start delivering in the background."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self.run(), name=f"deliver-{self.name}")

    def wake(self) -> None:
        """New deliveries are waiting: look now instead of at the next poll."""
        self._wake.set()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; let deliveries in flight finish for up to ``grace`` seconds.

        A claim under way is let finish (its rows join those in flight) rather than cancelled:
        the store would commit a cancelled claim all the same, counting an attempt never made.
        """
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            _done, running = await asyncio.wait({self._task}, timeout=grace)
            if running:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            _done, pending = await asyncio.wait(self._in_flight, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def run(self) -> None:
        """Claim and send until stopped."""
        while not self._stopping:
            if self._nearly_full():
                # Wait for a few slots to free rather than claim one row per finished
                # delivery: one claim (one store write) then serves several deliveries.
                await self._pause(self._idle_poll)
                continue
            try:
                claimed = await self._claim()
            except GatewayError as exc:
                log.error(f"{self.kind}.claim_failed", **self._owner, error=str(exc))
                await self._pause(self._idle_poll)
                continue
            for delivery in claimed:
                task = asyncio.create_task(self._deliver(delivery))
                self._in_flight.add(task)
                task.add_done_callback(self._finished)
            if not claimed:
                await self._pause(await self._idle_wait())

    def _nearly_full(self) -> bool:
        """Deliveries are in flight and fewer slots are free than make a worthwhile claim."""
        if not self._in_flight:
            return False
        worthwhile = max(1, min(self.batch_size, self.concurrency // 4))
        return self.concurrency - len(self._in_flight) < worthwhile

    async def _claim(self) -> list[ClaimedDelivery]:
        free = self.concurrency - len(self._in_flight)
        state = self.breaker.state
        if free <= 0 or state is CircuitState.OPEN:
            return []
        limit = min(free, self.batch_size)
        if state is CircuitState.HALF_OPEN:
            if not self.breaker.allow():
                return []
            limit = 1
        claimed = await self.outbox.claim(limit, self.lease_seconds, self._clock())
        if state is CircuitState.HALF_OPEN and not claimed:
            self.breaker.cancel_trial()
        return claimed

    async def _idle_wait(self) -> float:
        if self.breaker.state is CircuitState.OPEN:
            return max(self.breaker.retry_in(), 0.01)
        if len(self._in_flight) >= self.concurrency:
            return self._idle_poll
        try:
            due = await self.outbox.next_due()
        except GatewayError:
            return self._idle_poll
        if due is None:
            return self._idle_poll
        return min(self._idle_poll, max(due - self._clock(), 0.005))

    async def _pause(self, seconds: float) -> None:
        self._wake.clear()
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()

    def _delivery_request(self, delivery: ClaimedDelivery) -> TransportRequest:
        return TransportRequest(
            self.url,
            delivery.body,
            {
                "Content-Type": delivery.content_type,
                "Idempotency-Key": delivery.idempotency_key,
                "X-Gateway-Attempt": str(delivery.attempt),
            },
            self.timeout,
        )

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        started = self._clock()
        request = self._build_request(delivery)
        response: TransportResponse | None = None
        kind: FailureKind | None
        retry_after: float | None = None
        try:
            response = await self.transport.send(request)
            kind = classify_status(response.status)
            detail = None if kind is None else _reason(response)
            if response.status == 429 or response.status >= 500:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), started)
        except TransientDeliveryError as exc:
            kind, detail = FailureKind.TRANSIENT, str(exc)
        finished = self._clock()
        status = response.status if response is not None else None
        if kind is None:
            self.breaker.record_success()
            result = AttemptResult(
                delivery.delivery_id,
                delivery.attempt,
                AttemptOutcome.DELIVERED,
                started,
                finished,
                status,
            )
        else:
            if kind is FailureKind.TRANSIENT:
                self.breaker.record_failure()
            result = self._failed(delivery, kind, detail, started, finished, status, retry_after)
        receipt = None
        if kind is None and response is not None and self._receipts is not None:
            # the receipt's outcomes go into the same transaction as the attempt
            receipt = await self._receipts.read(self.name, delivery, response)
        try:
            recorded = await self.outbox.finish(result, receipt)
        except GatewayError as exc:
            log.error(
                f"{self.kind}.record_failed",
                **self._owner,
                delivery=delivery.delivery_id,
                error=str(exc),
            )
            return
        log.info(
            f"{self.kind}.attempt",
            **self._owner,
            item_id=delivery.item_id,
            delivery=delivery.delivery_id,
            attempt=delivery.attempt,
            outcome=result.outcome.value,
            status=status,
            # The endpoint's own reason may quote the declaration (names, addresses): it is
            # stored for the API, not logged.
            failure=kind.value if kind is not None else None,
        )
        if self._observer is not None:
            self._observer.attempt_finished(
                self.name, result.outcome, finished - started, finished - delivery.first_enqueued_at
            )
        if receipt is not None and self._receipts is not None:
            await self._receipts.recorded(receipt, delivery, recorded)

    def _failed(
        self,
        delivery: ClaimedDelivery,
        kind: FailureKind,
        detail: str | None,
        started: float,
        finished: float,
        status: int | None,
        retry_after: float | None,
    ) -> AttemptResult:
        age = finished - delivery.first_enqueued_at
        delay = self.policy.next_delay(
            delivery.attempt, kind, self._rng, age=age, retry_after=retry_after
        )
        if delay is None:
            why = self.policy.give_up_reason(delivery.attempt, kind, age)
            return AttemptResult(
                delivery.delivery_id,
                delivery.attempt,
                AttemptOutcome.DEAD,
                started,
                finished,
                status,
                f"Gave up delivering to {self.label}: {why}. Last error: {detail}",
            )
        return AttemptResult(
            delivery.delivery_id,
            delivery.attempt,
            AttemptOutcome.RETRY,
            started,
            finished,
            status,
            detail,
            next_attempt_at=finished + delay,
        )


def _reason(response: TransportResponse) -> str:
    """The endpoint's own reason for refusing, from a problem JSON or the first of its text."""
    text = response.body.decode("utf-8", errors="replace").strip()
    with contextlib.suppress(ValueError):
        data = json.loads(text)
        if isinstance(data, dict):
            for key in ("detail", "reason", "message", "title"):
                if isinstance(data.get(key), str):
                    text = data[key]
                    break
    text = " ".join(text.split())[:300]
    if 300 <= response.status < 400:
        location = response.headers.get("Location") or response.headers.get("location")
        where = f" to {location}" if location else ""
        return (
            f"HTTP {response.status}: the endpoint redirects{where}; the gateway does not follow "
            "redirects when it submits, so set the endpoint's url to the address that takes "
            "the submission"
        )
    return f"HTTP {response.status}" + (f": {text}" if text else "")
