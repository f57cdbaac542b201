"""What the two outboxes (deliveries to customs, events to senders) share: claim, due, release.

Both hold rows to send, each with an owner (the endpoint, the partner), an ordering key (the
consignment, the item), a status, an attempt count, a next attempt time and a lease. A claim
selects due rows whose ordering key has no earlier pending row, and in the same transaction
increments their attempt count and sets a lease (PostgreSQL: ``SELECT ... FOR UPDATE SKIP
LOCKED`` then ``UPDATE``); the lease doubles as the next attempt time, so a claimed row is due
again only when its lease runs out (the instance that claimed it is gone).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from gateway.store.base import AttemptOutcome, AttemptResult


@dataclass(frozen=True, slots=True)
class OutboxTable:
    """How one outbox table names its columns."""

    name: str
    key: str
    """The row's number, in the order rows were written."""
    owner: str
    """Who the rows are sent to: one worker claims one owner's rows."""
    ordering: str
    """Rows with the same value go out one after the other, in ``key`` order."""
    claimed: str
    """The columns a claim returns, for the caller to build its claimed rows from."""
    done: str
    """The status of a row sent (``delivered``, ``sent``)."""
    done_at: str
    """The column that keeps when it was sent."""
    dead: str
    """The status of a row given up."""

    @property
    def head_of_line(self) -> str:
        """SQL (row alias ``o``): no earlier pending row of the same owner and ordering key."""
        return (
            f"NOT EXISTS (SELECT 1 FROM {self.name} p WHERE p.{self.owner} = o.{self.owner} "
            f"AND p.{self.ordering} = o.{self.ordering} AND p.status = 'pending' "
            f"AND p.{self.key} < o.{self.key})"
        )


def claim_rows(
    conn: sqlite3.Connection,
    table: OutboxTable,
    owner: str,
    limit: int,
    lease_until: float,
    now: float,
) -> list[tuple[Any, ...]]:
    """Claim up to ``limit`` due rows of ``owner``: their ``claimed`` columns, in key order."""
    ids = [
        row[0]
        for row in conn.execute(
            f"SELECT o.{table.key} FROM {table.name} o "
            f"WHERE o.{table.owner} = ? AND o.status = 'pending' AND o.next_attempt_at <= ? "
            f"AND {table.head_of_line} ORDER BY o.next_attempt_at, o.{table.key} LIMIT ?",
            (owner, now, limit),
        )
    ]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    conn.execute(
        f"UPDATE {table.name} SET attempt = attempt + 1, lease_until = ?, next_attempt_at = ? "
        f"WHERE {table.key} IN ({marks})",
        (lease_until, lease_until, *ids),
    )
    return list(
        conn.execute(
            f"SELECT {table.claimed} FROM {table.name} WHERE {table.key} IN ({marks}) "
            f"ORDER BY {table.key}",
            ids,
        )
    )


def next_due(conn: sqlite3.Connection, table: OutboxTable, owner: str) -> float | None:
    """The earliest next attempt time among the rows ``owner``'s worker could claim.

    A row waiting behind an earlier one of its ordering key is left out: counting it would
    have the worker poll, every few milliseconds, for a row it cannot claim while the earlier
    one backs off.
    """
    row = conn.execute(
        f"SELECT min(o.next_attempt_at) FROM {table.name} o "
        f"WHERE o.{table.owner} = ? AND o.status = 'pending' AND {table.head_of_line}",
        (owner,),
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else None


def release_leases(conn: sqlite3.Connection, table: OutboxTable, now: float) -> int:
    """Make every leased row due now (at a start: whoever held the leases is gone)."""
    cursor = conn.execute(
        f"UPDATE {table.name} SET next_attempt_at = ?, lease_until = NULL "
        "WHERE status = 'pending' AND lease_until IS NOT NULL AND lease_until > ?",
        (now, now),
    )
    return cursor.rowcount


def settle(
    conn: sqlite3.Connection, table: OutboxTable, result: AttemptResult, attempt: int, status: str
) -> AttemptOutcome | None:
    """Move a row on after an attempt (``attempt`` and ``status``: the row's, as read).

    Returns the outcome applied, or None when the row had moved on already: sent or given up,
    or (for a retry or a give-up) claimed again by a later attempt after its lease ran out.
    A success counts whichever attempt it came from.
    """
    if status != "pending":
        return None
    key = result.delivery_id
    if result.outcome is AttemptOutcome.DELIVERED:
        conn.execute(
            f"UPDATE {table.name} SET status = ?, {table.done_at} = ?, lease_until = NULL, "
            f"last_error = NULL WHERE {table.key} = ?",
            (table.done, result.finished_at, key),
        )
        return AttemptOutcome.DELIVERED
    if attempt != result.attempt:
        return None  # the lease ran out and another attempt owns the row now
    if result.outcome is AttemptOutcome.RETRY:
        conn.execute(
            f"UPDATE {table.name} SET next_attempt_at = ?, lease_until = NULL, last_error = ? "
            f"WHERE {table.key} = ?",
            (result.next_attempt_at or result.finished_at, result.detail, key),
        )
        return AttemptOutcome.RETRY
    conn.execute(
        f"UPDATE {table.name} SET status = ?, lease_until = NULL, last_error = ? "
        f"WHERE {table.key} = ?",
        (table.dead, result.detail, key),
    )
    return AttemptOutcome.DEAD
