"""The event a sender receives about one item's customs outcome (pure).

Only identifiers and the outcome travel: the item's ID, the gateway's message ID, the
declaration and customs references, the outcome, the customs reason and times. No names,
addresses or goods descriptions, so a webhook cannot leak personal data.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from gateway.responses.outcome import CustomsOutcome

__all__ = ["EVENT_TYPE", "build_outcome_event", "encode_event"]

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
