"""Stored items and their trails as the JSON the API answers with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.store.base import ItemView


def iso_time(epoch: float | None) -> str | None:
    """An epoch time as ISO 8601 UTC with a ``Z``."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def item_json(item: ItemView) -> dict[str, Any]:
    """One item: its state, problems, where it went, and the whole trail."""
    return {
        "item_id": item.item_id,
        "message_id": item.message_id,
        "feed": item.feed,
        "index": item.index,
        "declaration_id": item.declaration_id,
        "consignment_id": item.consignment_id,
        "state": item.state,
        "updated_at": iso_time(item.updated_at),
        "problems": list(item.problems),
        "routes": list(item.route_rules),
        "deliveries": [
            {
                "endpoint": d.endpoint,
                "target": d.target,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "idempotency_key": d.idempotency_key,
                "enqueued_at": iso_time(d.first_enqueued_at),
                "delivered_at": iso_time(d.delivered_at),
            }
            for d in item.deliveries
        ],
        "responses": [
            {
                "endpoint": r.endpoint,
                "outcome": r.outcome,
                "reason": r.reason,
                "received_at": iso_time(r.received_at),
            }
            for r in item.responses
        ],
        "webhooks": [
            {
                "partner": w.partner,
                "event_id": w.event_id,
                "outcome": w.outcome,
                "status": w.status,
                "attempts": w.attempts,
                "last_error": w.last_error,
                "created_at": iso_time(w.created_at),
                "sent_at": iso_time(w.sent_at),
            }
            for w in item.webhooks
        ],
        "trail": _trail(item),
    }


def _trail(item: ItemView) -> list[dict[str, Any]]:
    """Transitions, delivery attempts and webhook attempts merged in time order."""
    entries: list[tuple[float, int, dict[str, Any]]] = []

    def add(at: float, detail: str | None, fields: dict[str, Any]) -> None:
        entry = {"at": iso_time(at), **fields}
        if detail:
            entry["detail"] = detail
        entries.append((at, len(entries), entry))  # ties keep the order of the kinds

    for t in item.transitions:
        add(
            t.at,
            t.detail,
            {
                "kind": "transition",
                "event": t.event,
                "from": t.from_state,
                "to": t.to_state,
                "applied": t.applied,
            },
        )
    for a in item.attempts:
        add(
            a.finished_at,
            a.detail,
            {
                "kind": "attempt",
                "endpoint": a.endpoint,
                "attempt": a.attempt,
                "outcome": a.outcome,
                "status_code": a.status_code,
            },
        )
    for w in item.webhook_attempts:
        add(
            w.finished_at,
            w.detail,
            {
                "kind": "webhook",
                "partner": w.partner,
                "event_id": w.event_id,
                "attempt": w.attempt,
                "outcome": w.outcome,
                "status_code": w.status_code,
            },
        )
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return [entry for _at, _order, entry in entries]
