"""The event a sender receives about one item's customs outcome (pure).

Only identifiers and the outcome travel: the item's ID, the gateway's message ID, the
declaration and customs references, the outcome, the customs reason and times. No names,
addresses or goods descriptions, so a webhook cannot leak personal data.

``OutcomeEvents`` makes the events the store writes to its webhook outbox in the transaction
that applies the outcomes (one per applied outcome whose sender has a webhook).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from gateway.responses.outcome import CustomsOutcome
from gateway.store.base import NewWebhookEvent, OutcomeSubject

__all__ = ["EVENT_TYPE", "OutcomeEvents", "build_outcome_event", "encode_event"]

EVENT_TYPE = "item.customs_outcome"


def build_outcome_event(
    outcome: CustomsOutcome,
    *,
    item_id: str,
    message_id: str | None = None,
    feed: str | None = None,
    destination: str | None = None,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """The JSON-ready event telling a sender the customs outcome of one of its items.

    ``event_id`` (default: a fresh UUID) lets the receiver drop a repeat of the same event,
    which at-least-once delivery can produce.
    """
    moment = (occurred_at or datetime.now(UTC)).astimezone(UTC)
    data: dict[str, Any] = {
        "item_id": item_id,
        "message_id": message_id,
        "feed": feed,
        "destination": destination,
        "declaration_ref": outcome.declaration_ref,
        "customs_reference": outcome.customs_reference,
        "outcome": outcome.outcome,
        "reason": outcome.reason,
        "customs_issued_at": outcome.issued_at,
        "customs_function_code": outcome.raw_function_code,
    }
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": EVENT_TYPE,
        "created_at": moment.isoformat().replace("+00:00", "Z"),
        "data": {key: value for key, value in data.items() if value is not None},
    }


def encode_event(event: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact JSON with sorted keys, UTF-8."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


class OutcomeEvents:
    """The webhook event of each applied outcome whose sender has a webhook (for the store).

    A ``WebhookEventFactory``: the store calls it, inside its transaction, with the item an
    outcome was applied to; it answers the event to write, or None for a sender without a
    webhook. ``partners_told`` collects the partners that got an event (to wake their workers).
    """

    def __init__(
        self,
        outcomes: Sequence[CustomsOutcome],
        *,
        destination: str,
        partners: Collection[str],
        at: float,
    ) -> None:
        self.outcomes = tuple(outcomes)
        self.destination = destination
        self.partners = frozenset(partners)
        self.at = at
        self.partners_told: set[str] = set()

    def __call__(self, subject: OutcomeSubject) -> NewWebhookEvent | None:
        if subject.sender not in self.partners:
            return None
        outcome = self.outcomes[subject.index]
        event = build_outcome_event(
            outcome,
            item_id=subject.item_id,
            message_id=subject.message_id,
            feed=subject.feed,
            destination=self.destination,
            occurred_at=datetime.fromtimestamp(self.at, UTC),
        )
        self.partners_told.add(subject.sender)
        return NewWebhookEvent(
            str(event["id"]),
            subject.sender,
            subject.item_id,
            outcome.outcome,
            encode_event(event),
            self.at,
        )
