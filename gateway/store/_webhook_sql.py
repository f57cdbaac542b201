"""The SQL of the webhook outbox: sender events written with the outcome, claimed under a lease.

Each function runs inside one transaction it is given, like ``_sql``. The scheme is the
delivery outbox's: a claim selects due rows and, in the same transaction, increments their
attempt count and sets a lease (PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` then
``UPDATE``); nothing about a row lives in one process. Order per item: a row is claimable only
when no earlier pending row of the same partner concerns the same item, and rows are numbered
in the order the outcomes were applied, so a later outcome never overtakes an earlier one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from gateway.errors import StoreError
from gateway.store._outbox_sql import OutboxTable, claim_rows, next_due, release_leases, settle
from gateway.store.base import (
    WEBHOOK_ATTEMPT_OUTCOMES,
    AttemptResult,
    ClaimedDelivery,
    OutcomeSubject,
    WebhookEventFactory,
    WebhookStatus,
)

WEBHOOKS = OutboxTable(
    name="webhook_outbox",
    key="webhook_id",
    owner="partner",
    ordering="item_id",
    claimed="webhook_id, item_id, partner, event_id, body, attempt, created_at",
    done=WebhookStatus.SENT,
    done_at="sent_at",
    dead=WebhookStatus.DEAD,
)
"""The webhook outbox: events to senders, in order per item."""


def enqueue_webhook_sql(
    conn: sqlite3.Connection, events: WebhookEventFactory, index: int, item_id: str
) -> bool:
    """Write the webhook event for an outcome just applied to ``item_id``, if its sender has one."""
    row = conn.execute(
        "SELECT i.message_id, m.feed, m.sender FROM items i "
        "JOIN messages m ON m.message_id = i.message_id WHERE i.item_id = ?",
        (item_id,),
    ).fetchone()
    if row is None:
        return False
    event = events(OutcomeSubject(index, item_id, row[0], row[1], row[2]))
    if event is None:
        return False
    conn.execute(
        "INSERT INTO webhook_outbox (event_id, partner, item_id, outcome, body, status, "
        "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event.event_id,
            event.partner,
            event.item_id,
            event.outcome,
            event.body,
            WebhookStatus.PENDING,
            event.created_at,
            event.created_at,
        ),
    )
    return True


def claim_webhooks_sql(
    conn: sqlite3.Connection, partner: str, limit: int, lease_until: float, now: float
) -> list[ClaimedDelivery]:
    return [
        ClaimedDelivery(
            row[0],
            row[1],
            row[2],
            row[3],
            bytes(row[4]),
            "application/json",
            row[5],
            row[6],
            lease_until,
        )
        for row in claim_rows(conn, WEBHOOKS, partner, limit, lease_until, now)
    ]


def finish_webhook_sql(conn: sqlite3.Connection, result: AttemptResult) -> None:
    row = conn.execute(
        "SELECT item_id, partner, event_id, attempt, status FROM webhook_outbox "
        "WHERE webhook_id = ?",
        (result.delivery_id,),
    ).fetchone()
    if row is None:
        raise StoreError(f"The webhook event {result.delivery_id} is not in the webhook outbox.")
    item_id, partner, event_id, attempt, status = row
    conn.execute(
        "INSERT INTO webhook_attempts (webhook_id, item_id, partner, event_id, attempt, outcome, "
        "started_at, finished_at, status_code, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            result.delivery_id,
            item_id,
            partner,
            event_id,
            result.attempt,
            WEBHOOK_ATTEMPT_OUTCOMES[result.outcome],
            result.started_at,
            result.finished_at,
            result.status_code,
            result.detail,
        ),
    )
    settle(conn, WEBHOOKS, result, attempt, status)


def next_webhook_due_sql(conn: sqlite3.Connection, partner: str) -> float | None:
    return next_due(conn, WEBHOOKS, partner)


def release_webhook_leases_sql(conn: sqlite3.Connection, now: float) -> int:
    return release_leases(conn, WEBHOOKS, now)


def give_up_webhooks_sql(
    conn: sqlite3.Connection, partners: Collection[str], now: float
) -> dict[str, int]:
    given_up: dict[str, int] = {}
    for (partner,) in conn.execute(
        "SELECT DISTINCT partner FROM webhook_outbox WHERE status = 'pending'"
    ).fetchall():
        if partner in partners:
            continue
        reason = (
            f"The partner '{partner}' has no webhook in the configuration any more, so the "
            f"event was given up when the gateway started at {now:.0f}; the outcome is still "
            "in the pull API."
        )
        cursor = conn.execute(
            "UPDATE webhook_outbox SET status = ?, lease_until = NULL, last_error = ? "
            "WHERE partner = ? AND status = 'pending'",
            (WebhookStatus.DEAD, reason, partner),
        )
        given_up[str(partner)] = cursor.rowcount
    return given_up


def webhook_queue_depths_sql(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute(
        "SELECT partner, count(*) FROM webhook_outbox WHERE status = 'pending' GROUP BY partner"
    )
    return {str(partner): int(count) for partner, count in rows.fetchall()}
