"""The message store's one interface, and the plain records that cross it.

Everything the gateway must not lose lives behind ``MessageStore``: the raw message as
received, the canonical declarations (items), the outbound documents waiting in the outbox,
every delivery attempt, every customs response and every item transition.

The interface is shaped so that a PostgreSQL backend can serve several gateway instances on
one database: no operation relies on state held in one process. ``claim_deliveries`` picks due
rows and, in the same transaction, increments their attempt count and sets a lease (in SQL:
``SELECT ... FOR UPDATE SKIP LOCKED`` then ``UPDATE``), so a retry count survives a crash and a
crashed instance's in-flight deliveries become claimable again when their lease expires.
The webhook outbox (events telling senders their items' customs outcomes) works the same way:
``record_outcomes`` writes the events in the transaction that applies the outcomes, and
``claim_webhooks`` claims them with an attempt count and a lease.
Lifecycle transitions are applied inside the store's transactions, against the state read in
the same transaction, so two instances cannot race an item into an illegal state.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from gateway.lifecycle import ItemState


class DeliveryStatus(StrEnum):
    """Where an outbox row is: waiting (or in flight under a lease), delivered, or given up."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead-lettered"


# ---------------------------------------------------------------- what ingest writes


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One outbound document for one endpoint."""

    endpoint: str
    target: str
    idempotency_key: str
    ordering_key: str
    body: bytes
    content_type: str = "application/xml"


@dataclass(frozen=True, slots=True)
class NewItem:
    """One declaration of a message: accepted with its deliveries, or refused with problems."""

    item_id: str
    index: int
    declaration_id: str
    consignment_id: str | None
    canonical: bytes
    accepted: bool
    problems: tuple[dict[str, Any], ...] = ()
    deliveries: tuple[NewDelivery, ...] = ()
    route_rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A received message and everything made from it, committed in one transaction."""

    message_id: str
    feed: str
    sender: str
    idempotency_key: str | None
    body_hash: str
    raw: bytes
    received_at: float
    status: str
    """``accepted`` (some items go on), ``refused`` (every item refused) or ``unreadable``."""
    response_status: int
    response: dict[str, Any]
    """The answer given to the sender, returned again when the sender retries."""
    problems: tuple[dict[str, Any], ...] = ()
    items: tuple[NewItem, ...] = ()


@dataclass(frozen=True, slots=True)
class SavedMessage:
    """What ``save_message`` did: stored this message, or found one with the same key first."""

    created: bool
    message_id: str
    body_hash: str
    response_status: int
    response: dict[str, Any]


# ---------------------------------------------------------------- delivery


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """An outbox row claimed for one attempt; ``attempt`` already counts this attempt.

    Webhook outbox rows are claimed as the same record: ``delivery_id`` is the webhook row,
    ``endpoint`` the partner, ``idempotency_key`` the event ID, ``first_enqueued_at`` the time
    the event was written.
    """

    delivery_id: int
    item_id: str
    endpoint: str
    idempotency_key: str
    body: bytes
    content_type: str
    attempt: int
    first_enqueued_at: float
    lease_until: float


class AttemptOutcome(StrEnum):
    """How one delivery attempt ended."""

    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead-lettered"


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """The result of one attempt, recorded with the outbox row's new status in one step."""

    delivery_id: int
    attempt: int
    outcome: AttemptOutcome
    started_at: float
    finished_at: float
    status_code: int | None = None
    detail: str | None = None
    next_attempt_at: float | None = None
    """When to try again (``RETRY`` only)."""
    receipt: bytes | None = None


# ---------------------------------------------------------------- sender webhooks


class WebhookStatus(StrEnum):
    """Where a webhook event is: waiting (or in flight under a lease), sent, or given up."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


WEBHOOK_ATTEMPT_OUTCOMES: dict[AttemptOutcome, str] = {
    AttemptOutcome.DELIVERED: "sent",
    AttemptOutcome.RETRY: "retry",
    AttemptOutcome.DEAD: "dead",
}
"""How a webhook attempt's outcome is written in its trail and metrics (the row's words)."""


@dataclass(frozen=True, slots=True)
class OutcomeSubject:
    """The item an outcome was just applied to, read in the transaction that applied it."""

    index: int
    """The outcome's position in the list given to ``record_outcomes``."""
    item_id: str
    message_id: str
    feed: str
    sender: str


@dataclass(frozen=True, slots=True)
class NewWebhookEvent:
    """A webhook event for a partner about one item; ``body`` is exactly what is signed."""

    event_id: str
    partner: str
    item_id: str
    outcome: str
    body: bytes
    created_at: float


WebhookEventFactory = Callable[[OutcomeSubject], NewWebhookEvent | None]
"""Makes the webhook event for an applied outcome, or None when its sender has no webhook.

Called inside the store's transaction (so it must be quick and do no I/O)."""


# ---------------------------------------------------------------- responses


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """A customs outcome for a declaration, to correlate with the item it concerns."""

    declaration_ref: str
    outcome: str
    reason: str | None
    received_at: float


@dataclass(frozen=True, slots=True)
class ReceiptOutcomes:
    """The outcomes an endpoint's receipt carries, to record with the delivery it answers."""

    endpoint: str
    records: tuple[OutcomeRecord, ...]
    body: bytes
    events: WebhookEventFactory | None = None


@dataclass(frozen=True, slots=True)
class ReceiptNotRecorded:
    """A receipt whose outcomes could not be recorded (the attempt itself was): why."""

    reason: str


@dataclass(frozen=True, slots=True)
class AppliedOutcome:
    """What became of one outcome: which item, and the transition applied or refused."""

    declaration_ref: str
    outcome: str
    item_id: str | None
    from_state: ItemState | None
    to_state: ItemState | None
    applied: bool
    reason: str | None = None


# ---------------------------------------------------------------- reading back


@dataclass(frozen=True, slots=True)
class TransitionView:
    at: float
    from_state: str | None
    to_state: str | None
    event: str
    applied: bool
    detail: str | None


@dataclass(frozen=True, slots=True)
class AttemptView:
    endpoint: str
    attempt: int
    outcome: str
    started_at: float
    finished_at: float
    status_code: int | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery_id: int
    endpoint: str
    target: str
    status: str
    attempts: int
    last_error: str | None
    idempotency_key: str
    first_enqueued_at: float
    delivered_at: float | None


@dataclass(frozen=True, slots=True)
class WebhookView:
    event_id: str
    partner: str
    outcome: str
    status: str
    attempts: int
    last_error: str | None
    created_at: float
    sent_at: float | None


@dataclass(frozen=True, slots=True)
class WebhookAttemptView:
    event_id: str
    partner: str
    attempt: int
    outcome: str
    started_at: float
    finished_at: float
    status_code: int | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class ResponseView:
    endpoint: str
    outcome: str
    reason: str | None
    received_at: float


@dataclass(frozen=True, slots=True)
class ItemView:
    item_id: str
    message_id: str
    feed: str
    sender: str
    index: int
    declaration_id: str
    consignment_id: str | None
    state: str
    problems: tuple[dict[str, Any], ...]
    route_rules: tuple[str, ...]
    updated_at: float
    transitions: tuple[TransitionView, ...] = ()
    deliveries: tuple[DeliveryView, ...] = ()
    attempts: tuple[AttemptView, ...] = ()
    responses: tuple[ResponseView, ...] = ()
    webhooks: tuple[WebhookView, ...] = ()
    webhook_attempts: tuple[WebhookAttemptView, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageView:
    message_id: str
    feed: str
    sender: str
    idempotency_key: str | None
    received_at: float
    status: str
    problems: tuple[dict[str, Any], ...]
    items: tuple[ItemView, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredRaw:
    """A stored raw message, for replay."""

    message_id: str
    feed: str
    sender: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """Which messages a bulk replay takes; None fields match anything."""

    feed: str | None = None
    destination: str | None = None
    """An endpoint name some item of the message was routed to."""
    status: str | None = None
    """A message status, or an item state some item of the message is in."""
    received_from: float | None = None
    received_until: float | None = None
    limit: int = 1000


class MessageStore(Protocol):
    """The durable store behind the gateway (SQLite embedded; PostgreSQL for several instances).

    Every write is committed durably before its coroutine returns.
    """

    async def open(self) -> None:
        """Create or open the store (idempotent schema set-up)."""

    async def close(self) -> None:
        """Finish pending writes and release the store."""

    async def find_message_by_key(self, sender: str, key: str) -> SavedMessage | None:
        """The first message a sender sent under an idempotency key, if any."""

    async def save_message(self, message: NewMessage) -> SavedMessage:
        """Store a message, its items, their deliveries and transitions in one transaction.

        When the sender already used the idempotency key, nothing is written and the first
        message is returned (``created`` False); the caller compares body hashes.
        """

    async def replay_message(self, message_id: str, items: Sequence[NewItem], at: float) -> int:
        """Record a re-translation of a stored message: items replayed and enqueued again.

        Items are matched to stored ones by index and declaration ID (new ones are added).
        Returns the number of new deliveries.
        """

    async def get_raw(self, message_id: str) -> StoredRaw | None:
        """The raw message as received."""

    async def get_message(self, message_id: str) -> MessageView | None:
        """A message with each item's state and full trail."""

    async def find_items(self, reference: str) -> list[ItemView]:
        """Items by item ID or by declaration ID (postal item ID, waybill or order number)."""

    async def select_messages(self, selection: MessageFilter) -> list[str]:
        """Message IDs matching a filter, oldest first."""

    async def claim_deliveries(
        self, endpoint: str, limit: int, lease_seconds: float, now: float
    ) -> list[ClaimedDelivery]:
        """Claim due deliveries for an endpoint: attempt + 1 and a lease, in one transaction.

        A row is due when pending, its next attempt time has come, its lease (if any) has
        expired, and no earlier pending row shares its ordering key (in order per consignment).
        """

    async def release_leases(self, now: float) -> int:
        """Make every leased (in-flight) delivery due now; returns how many.

        Only for a store that one gateway process uses: at its start, every lease belongs to
        a process that is gone. A store shared by several instances leaves leases to expire.
        """

    async def finish_attempt(
        self, result: AttemptResult, receipt: ReceiptOutcomes | None = None
    ) -> list[AppliedOutcome] | ReceiptNotRecorded:
        """Record an attempt and the row's new status; move the item on (submitted, dead).

        With ``receipt`` (a delivery's answer), its outcomes are recorded in the same
        transaction, as ``record_outcomes`` would: their results are returned ([] without a
        receipt). Should recording the receipt fail, the attempt is still recorded and the
        answer says why the receipt was not.
        """

    async def record_outcomes(
        self,
        endpoint: str,
        outcomes: Sequence[OutcomeRecord],
        body: bytes | None,
        events: WebhookEventFactory | None = None,
    ) -> list[AppliedOutcome]:
        """Store customs outcomes and apply them to the items they concern.

        For each outcome applied, ``events`` (when given) makes the sender's webhook event,
        written to the webhook outbox in the same transaction as the item's new state.
        """

    async def queue_depths(self) -> dict[str, int]:
        """Pending deliveries per endpoint."""

    async def next_due(self, endpoint: str) -> float | None:
        """When the earliest pending delivery for an endpoint becomes due, if any."""

    async def claim_webhooks(
        self, partner: str, limit: int, lease_seconds: float, now: float
    ) -> list[ClaimedDelivery]:
        """Claim due webhook events of a partner: attempt + 1 and a lease, in one transaction.

        An event is due when pending, its next attempt time has come, and no earlier pending
        event of the same partner concerns the same item (a later outcome never overtakes an
        earlier one).
        """

    async def finish_webhook(self, result: AttemptResult) -> None:
        """Record a webhook attempt and the event's new status (sent, retry later, dead)."""

    async def next_webhook_due(self, partner: str) -> float | None:
        """When the earliest claimable webhook event of a partner becomes due, if any."""

    async def release_webhook_leases(self, now: float) -> int:
        """Make every leased (in-flight) webhook event due now; as ``release_leases``."""

    async def webhook_queue_depths(self) -> dict[str, int]:
        """Pending webhook events per partner."""

    async def give_up_webhooks(self, partners: Collection[str], now: float) -> dict[str, int]:
        """Mark dead, with the reason, the pending events of every partner not in ``partners``
        (those with a webhook today): nothing would ever send them. Events given up, by partner.
        """

    async def ping(self) -> None:
        """Raise ``StoreError`` unless the store answers."""
