"""Reading messages and items back with their whole trail (shared by store backends' SQL)."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from gateway.store.base import (
    AttemptView,
    DeliveryView,
    ItemView,
    MessageView,
    ResponseView,
    TransitionView,
    WebhookAttemptView,
    WebhookView,
)


def load_message(conn: sqlite3.Connection, message_id: str) -> MessageView | None:
    """A message with every item and its trail, or None."""
    row = conn.execute(
        "SELECT message_id, feed, sender, idempotency_key, received_at, status, problems "
        "FROM messages WHERE message_id = ?",
        (message_id,),
    ).fetchone()
    if row is None:
        return None
    items = load_items(conn, "i.message_id = ?", (message_id,))
    return MessageView(
        row[0], row[1], row[2], row[3], row[4], row[5], tuple(json.loads(row[6])), tuple(items)
    )


def load_items(conn: sqlite3.Connection, where: str, values: tuple[Any, ...]) -> list[ItemView]:
    """Items matching ``where`` (over ``items i``), each with its whole trail.

    The trail: transitions, deliveries and their attempts, customs responses, and the webhook
    events telling the sender (with their attempts).
    """
    rows = conn.execute(
        "SELECT i.item_id, i.message_id, m.feed, m.sender, i.idx, i.declaration_id, i.consignment_id, "
        "i.state, i.problems, i.route_rules, i.updated_at "
        f"FROM items i JOIN messages m ON m.message_id = i.message_id WHERE {where} "
        "ORDER BY m.received_at, i.idx",
        values,
    ).fetchall()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    transitions: dict[str, list[TransitionView]] = defaultdict(list)
    deliveries: dict[str, list[DeliveryView]] = defaultdict(list)
    attempts: dict[str, list[AttemptView]] = defaultdict(list)
    responses: dict[str, list[ResponseView]] = defaultdict(list)
    webhooks: dict[str, list[WebhookView]] = defaultdict(list)
    webhook_attempts: dict[str, list[WebhookAttemptView]] = defaultdict(list)
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" * len(chunk))
        for t in conn.execute(
            "SELECT item_id, at, from_state, to_state, event, applied, detail FROM transitions "
            f"WHERE item_id IN ({marks}) ORDER BY transition_id",
            chunk,
        ):
            transitions[t[0]].append(TransitionView(t[1], t[2], t[3], t[4], bool(t[5]), t[6]))
        for d in conn.execute(
            "SELECT item_id, delivery_id, endpoint, target, status, attempt, last_error, "
            "idempotency_key, first_enqueued_at, delivered_at FROM outbox "
            f"WHERE item_id IN ({marks}) ORDER BY delivery_id",
            chunk,
        ):
            deliveries[d[0]].append(DeliveryView(*d[1:]))
        for a in conn.execute(
            "SELECT item_id, endpoint, attempt, outcome, started_at, finished_at, status_code, "
            f"detail FROM attempts WHERE item_id IN ({marks}) ORDER BY attempt_id",
            chunk,
        ):
            attempts[a[0]].append(AttemptView(*a[1:]))
        for r in conn.execute(
            "SELECT item_id, endpoint, outcome, reason, received_at FROM responses "
            f"WHERE item_id IN ({marks}) ORDER BY response_id",
            chunk,
        ):
            responses[r[0]].append(ResponseView(*r[1:]))
        for w in conn.execute(
            "SELECT item_id, event_id, partner, outcome, status, attempt, last_error, created_at, "
            f"sent_at FROM webhook_outbox WHERE item_id IN ({marks}) ORDER BY webhook_id",
            chunk,
        ):
            webhooks[w[0]].append(WebhookView(*w[1:]))
        for a in conn.execute(
            "SELECT item_id, event_id, partner, attempt, outcome, started_at, finished_at, "
            f"status_code, detail FROM webhook_attempts WHERE item_id IN ({marks}) "
            "ORDER BY attempt_id",
            chunk,
        ):
            webhook_attempts[a[0]].append(WebhookAttemptView(*a[1:]))
    return [
        ItemView(
            item_id=row[0],
            message_id=row[1],
            feed=row[2],
            sender=row[3],
            index=row[4],
            declaration_id=row[5],
            consignment_id=row[6],
            state=row[7],
            problems=tuple(json.loads(row[8])),
            route_rules=tuple(json.loads(row[9])),
            updated_at=row[10],
            transitions=tuple(transitions[row[0]]),
            deliveries=tuple(deliveries[row[0]]),
            attempts=tuple(attempts[row[0]]),
            responses=tuple(responses[row[0]]),
            webhooks=tuple(webhooks[row[0]]),
            webhook_attempts=tuple(webhook_attempts[row[0]]),
        )
        for row in rows
    ]


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)]
