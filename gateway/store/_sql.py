"""The SQL of the SQLite store: each function runs inside one transaction it is given.

Writes run on the writer thread (``GroupCommitWriter``), reads on reader threads; lifecycle
transitions are applied here, against the state read in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from gateway.errors import StoreError
from gateway.lifecycle import OUTCOME_EVENTS, ItemEvent, ItemState, is_allowed, transition
from gateway.store._outbox_sql import OutboxTable, claim_rows, next_due, release_leases, settle
from gateway.store._schema import SCHEMA, SCHEMA_VERSION
from gateway.store._webhook_sql import enqueue_webhook_sql
from gateway.store.base import (
    AppliedOutcome,
    AttemptOutcome,
    AttemptResult,
    ClaimedDelivery,
    DeliveryStatus,
    MessageFilter,
    NewItem,
    NewMessage,
    OutcomeRecord,
    ReceiptNotRecorded,
    ReceiptOutcomes,
    SavedMessage,
    WebhookEventFactory,
)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def create_schema_sql(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The message store was written by a newer gateway (schema {version}; this one "
            f"knows {SCHEMA_VERSION}); upgrade the gateway or use another storage path."
        )
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def find_by_key_sql(conn: sqlite3.Connection, sender: str, key: str) -> SavedMessage | None:
    row = conn.execute(
        "SELECT message_id, body_hash, response_status, response FROM messages "
        "WHERE sender = ? AND idempotency_key = ?",
        (sender, key),
    ).fetchone()
    if row is None:
        return None
    return SavedMessage(False, row[0], row[1], row[2], json.loads(row[3]))


def save_message_sql(conn: sqlite3.Connection, message: NewMessage) -> SavedMessage:
    if message.idempotency_key is not None:
        existing = find_by_key_sql(conn, message.sender, message.idempotency_key)
        if existing is not None:
            return existing
    conn.execute(
        "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message.message_id,
            message.feed,
            message.sender,
            message.idempotency_key,
            message.body_hash,
            message.raw,
            message.received_at,
            message.status,
            message.response_status,
            _json(message.response),
            _json(list(message.problems)),
        ),
    )
    _insert_items(conn, message.message_id, message.items, message.received_at)
    return SavedMessage(
        True, message.message_id, message.body_hash, message.response_status, message.response
    )


def _insert_items(
    conn: sqlite3.Connection, message_id: str, items: Sequence[NewItem], at: float
) -> int:
    item_rows: list[tuple[Any, ...]] = []
    transition_rows: list[tuple[Any, ...]] = []
    for item in items:
        final = ItemState.TRANSLATED if item.accepted else ItemState.REFUSED
        event = ItemEvent.TRANSLATE if item.accepted else ItemEvent.REFUSE
        item_rows.append(_item_row(message_id, item, final, at))
        transition_rows.append((item.item_id, at, None, ItemState.RECEIVED, "receive", 1, None))
        transition_rows.append(
            (item.item_id, at, ItemState.RECEIVED, final, event, 1, _refusal_detail(item))
        )
    conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", item_rows)
    conn.executemany(
        "INSERT INTO transitions (item_id, at, from_state, to_state, event, applied, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        transition_rows,
    )
    return _insert_deliveries(conn, [(item.item_id, item) for item in items], at)


def _item_row(message_id: str, item: NewItem, state: ItemState, at: float) -> tuple[Any, ...]:
    return (
        item.item_id,
        message_id,
        item.index,
        item.declaration_id,
        item.consignment_id,
        item.canonical,
        state,
        _json(list(item.problems)),
        _json(list(item.route_rules)),
        at,
    )


def _refusal_detail(item: NewItem) -> str | None:
    if item.accepted:
        return None
    reasons = [str(problem.get("message", "")) for problem in item.problems]
    return "; ".join(reason for reason in reasons if reason) or None


def _insert_deliveries(
    conn: sqlite3.Connection, items: Sequence[tuple[str, NewItem]], at: float
) -> int:
    rows = [
        (
            item_id,
            delivery.endpoint,
            delivery.target,
            delivery.idempotency_key,
            delivery.ordering_key,
            delivery.body,
            delivery.content_type,
            DeliveryStatus.PENDING,
            at,
            at,
        )
        for item_id, item in items
        if item.accepted
        for delivery in item.deliveries
    ]
    conn.executemany(
        "INSERT INTO outbox (item_id, endpoint, target, idempotency_key, ordering_key, body, "
        "content_type, status, next_attempt_at, first_enqueued_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def _apply(
    conn: sqlite3.Connection, item_id: str, event: ItemEvent, at: float, detail: str | None
) -> tuple[ItemState | None, ItemState | None, bool]:
    """Apply one event to an item inside the current transaction; store it either way."""
    row = conn.execute("SELECT state FROM items WHERE item_id = ?", (item_id,)).fetchone()
    if row is None:
        return None, None, False
    current = ItemState(row[0])
    if not is_allowed(current, event):
        conn.execute(
            "INSERT INTO transitions (item_id, at, from_state, to_state, event, applied, detail) "
            "VALUES (?, ?, ?, NULL, ?, 0, ?)",
            (item_id, at, current, event, f"refused: not allowed when {current.value}; {detail}"),
        )
        return current, None, False
    new = transition(current, event)
    conn.execute("UPDATE items SET state = ?, updated_at = ? WHERE item_id = ?", (new, at, item_id))
    conn.execute(
        "INSERT INTO transitions (item_id, at, from_state, to_state, event, applied, detail) "
        "VALUES (?, ?, ?, ?, ?, 1, ?)",
        (item_id, at, current, new, event, detail),
    )
    return current, new, True


def replay_sql(
    conn: sqlite3.Connection, message_id: str, items: Sequence[NewItem], at: float
) -> int:
    existing = {
        (idx, declaration_id): item_id
        for item_id, idx, declaration_id in conn.execute(
            "SELECT item_id, idx, declaration_id FROM items WHERE message_id = ?", (message_id,)
        )
    }
    fresh: list[NewItem] = []
    replayed: list[tuple[str, NewItem]] = []
    for item in items:
        item_id = existing.get((item.index, item.declaration_id))
        if item_id is None:
            fresh.append(item)
            continue
        _apply(conn, item_id, ItemEvent.REPLAY, at, "replayed from the stored raw message")
        conn.execute(
            "UPDATE items SET canonical = ?, problems = ?, route_rules = ?, consignment_id = ? "
            "WHERE item_id = ?",
            (
                item.canonical,
                _json(list(item.problems)),
                _json(list(item.route_rules)),
                item.consignment_id,
                item_id,
            ),
        )
        event = ItemEvent.TRANSLATE if item.accepted else ItemEvent.REFUSE
        _apply(conn, item_id, event, at, _refusal_detail(item))
        replayed.append((item_id, item))
    return _insert_items(conn, message_id, fresh, at) + _insert_deliveries(conn, replayed, at)


DELIVERIES = OutboxTable(
    name="outbox",
    key="delivery_id",
    owner="endpoint",
    ordering="ordering_key",
    claimed="delivery_id, item_id, endpoint, idempotency_key, body, content_type, attempt, "
    "first_enqueued_at",
    done=DeliveryStatus.DELIVERED,
    done_at="delivered_at",
    dead=DeliveryStatus.DEAD,
)
"""The delivery outbox: declarations to customs endpoints, in order per consignment."""


def next_due_sql(conn: sqlite3.Connection, endpoint: str) -> float | None:
    return next_due(conn, DELIVERIES, endpoint)


def release_leases_sql(conn: sqlite3.Connection, now: float) -> int:
    return release_leases(conn, DELIVERIES, now)


def claim_sql(
    conn: sqlite3.Connection, endpoint: str, limit: int, lease_until: float, now: float
) -> list[ClaimedDelivery]:
    return [
        ClaimedDelivery(
            row[0], row[1], row[2], row[3], bytes(row[4]), row[5], row[6], row[7], lease_until
        )
        for row in claim_rows(conn, DELIVERIES, endpoint, limit, lease_until, now)
    ]


def finish_sql(
    conn: sqlite3.Connection, result: AttemptResult, receipt: ReceiptOutcomes | None = None
) -> list[AppliedOutcome] | ReceiptNotRecorded:
    """Record an attempt, then (in a savepoint of its own) the outcomes of its receipt."""
    _finish_attempt(conn, result)
    if receipt is None:
        return []
    conn.execute("SAVEPOINT receipt")
    try:
        applied = outcomes_sql(
            conn, receipt.endpoint, receipt.records, receipt.body, receipt.events
        )
    except Exception as exc:  # the attempt stands; the receipt is reported as not recorded
        conn.execute("ROLLBACK TO receipt")
        conn.execute("RELEASE receipt")
        return ReceiptNotRecorded(str(exc))
    conn.execute("RELEASE receipt")
    return applied


def _finish_attempt(conn: sqlite3.Connection, result: AttemptResult) -> None:
    row = conn.execute(
        "SELECT item_id, endpoint, attempt, status FROM outbox WHERE delivery_id = ?",
        (result.delivery_id,),
    ).fetchone()
    if row is None:
        raise StoreError(f"The delivery {result.delivery_id} is not in the outbox.")
    item_id, endpoint, attempt, status = row
    conn.execute(
        "INSERT INTO attempts (delivery_id, item_id, endpoint, attempt, outcome, started_at, "
        "finished_at, status_code, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            result.delivery_id,
            item_id,
            endpoint,
            result.attempt,
            result.outcome,
            result.started_at,
            result.finished_at,
            result.status_code,
            result.detail,
        ),
    )
    settled = settle(conn, DELIVERIES, result, attempt, status)
    if settled is AttemptOutcome.DELIVERED:
        state = conn.execute("SELECT state FROM items WHERE item_id = ?", (item_id,)).fetchone()
        if state and state[0] == ItemState.TRANSLATED:
            _apply(conn, item_id, ItemEvent.SUBMIT, result.finished_at, f"delivered to {endpoint}")
    elif settled is AttemptOutcome.DEAD:
        _apply(
            conn,
            item_id,
            ItemEvent.DEAD_LETTER,
            result.finished_at,
            f"delivery to {endpoint} given up: {result.detail}",
        )


def outcomes_sql(
    conn: sqlite3.Connection,
    endpoint: str,
    outcomes: Sequence[OutcomeRecord],
    body: bytes | None,
    events: WebhookEventFactory | None = None,
) -> list[AppliedOutcome]:
    document_id = None
    if body is not None:
        at = outcomes[0].received_at if outcomes else 0.0
        document_id = conn.execute(
            "INSERT INTO response_documents (endpoint, received_at, body) VALUES (?, ?, ?)",
            (endpoint, at, body),
        ).lastrowid
    applied: list[AppliedOutcome] = []
    for index, outcome in enumerate(outcomes):
        row = conn.execute(
            "SELECT i.item_id FROM items i JOIN outbox o ON o.item_id = i.item_id "
            "WHERE o.endpoint = ? AND (i.declaration_id = ? OR i.item_id = ?) "
            "ORDER BY o.delivery_id DESC LIMIT 1",
            (endpoint, outcome.declaration_ref, outcome.declaration_ref),
        ).fetchone()
        item_id = row[0] if row else None
        conn.execute(
            "INSERT INTO responses (document_id, item_id, endpoint, declaration_ref, outcome, "
            "reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                document_id,
                item_id,
                endpoint,
                outcome.declaration_ref,
                outcome.outcome,
                outcome.reason,
                outcome.received_at,
            ),
        )
        event = OUTCOME_EVENTS.get(outcome.outcome)
        if item_id is None or event is None:
            why = "no item matches it" if item_id is None else "the outcome is not known"
            applied.append(
                AppliedOutcome(
                    outcome.declaration_ref, outcome.outcome, item_id, None, None, False, why
                )
            )
            continue
        detail = f"{endpoint}: {outcome.outcome}" + (
            f" ({outcome.reason})" if outcome.reason else ""
        )
        before, after, ok = _apply(conn, item_id, event, outcome.received_at, detail)
        if ok and events is not None:
            enqueue_webhook_sql(conn, events, index, item_id)
        applied.append(
            AppliedOutcome(
                outcome.declaration_ref,
                outcome.outcome,
                item_id,
                before,
                after,
                ok,
                None if ok else f"not allowed when the item is {before}",
            )
        )
    return applied


def select_sql(conn: sqlite3.Connection, selection: MessageFilter) -> list[str]:
    clauses: list[str] = []
    values: list[Any] = []
    if selection.feed is not None:
        clauses.append("m.feed = ?")
        values.append(selection.feed)
    if selection.received_from is not None:
        clauses.append("m.received_at >= ?")
        values.append(selection.received_from)
    if selection.received_until is not None:
        clauses.append("m.received_at < ?")
        values.append(selection.received_until)
    if selection.status is not None:
        clauses.append(
            "(m.status = ? OR EXISTS (SELECT 1 FROM items i "
            "WHERE i.message_id = m.message_id AND i.state = ?))"
        )
        values.extend([selection.status, selection.status])
    if selection.destination is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM items i JOIN outbox o ON o.item_id = i.item_id "
            "WHERE i.message_id = m.message_id AND o.endpoint = ?)"
        )
        values.append(selection.destination)
    where = " AND ".join(clauses) or "1"
    rows = conn.execute(
        f"SELECT m.message_id FROM messages m WHERE {where} ORDER BY m.received_at LIMIT ?",
        (*values, selection.limit),
    )
    return [row[0] for row in rows]
