"""The embedded message store: one SQLite file in WAL mode, durable commits, group commit.

Writes go through one writer thread (``GroupCommitWriter``); reads run on a small pool of
reader threads with their own connections, so readers never wait for the writer.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from gateway.errors import StoreError
from gateway.lifecycle import OUTCOME_EVENTS, ItemEvent, ItemState, is_allowed, transition
from gateway.store._schema import SCHEMA, SCHEMA_VERSION
from gateway.store._views import load_items, load_message
from gateway.store._writer import GroupCommitWriter, connect
from gateway.store.base import (
    AppliedOutcome,
    AttemptOutcome,
    AttemptResult,
    ClaimedDelivery,
    DeliveryStatus,
    ItemView,
    MessageFilter,
    MessageView,
    NewItem,
    NewMessage,
    OutcomeRecord,
    SavedMessage,
    StoredRaw,
)

T = TypeVar("T")


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class SqliteStore:
    """``MessageStore`` on one SQLite file."""

    def __init__(self, path: Path, *, group_commit_max: int = 512, reader_threads: int = 2):
        self.path = path
        self._writer = GroupCommitWriter(path, group_commit_max)
        self._readers = ThreadPoolExecutor(reader_threads, thread_name_prefix="gateway-store-read")
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._open = False

    @property
    def commits(self) -> int:
        """Group transactions committed since open."""
        return self._writer.commits

    async def open(self) -> None:
        if self._open:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"The folder for the message store {self.path} cannot be created: {exc}."
            ) from exc
        self._writer.start()
        self._open = True
        await self._writer.write(_create_schema)

    async def close(self) -> None:
        if not self._open:
            return
        self._open = False
        await self._writer.stop()
        self._readers.shutdown(wait=True)
        with self._lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()

    async def __aenter__(self) -> SqliteStore:
        await self.open()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------ plumbing

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, read_only=True)
            self._local.conn = conn
            with self._lock:
                self._reader_conns.append(conn)
        return conn

    async def _read(self, function: Callable[[sqlite3.Connection], T]) -> T:
        if not self._open:
            raise StoreError("The message store is not open; open it before reading.")

        def run() -> T:
            conn = self._reader()
            try:
                conn.execute("BEGIN")
                try:
                    return function(conn)
                finally:
                    conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"The message store could not be read: {exc}.") from exc

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, run)

    # ------------------------------------------------------------ messages

    async def find_message_by_key(self, sender: str, key: str) -> SavedMessage | None:
        return await self._read(lambda conn: _find_by_key(conn, sender, key))

    async def save_message(self, message: NewMessage) -> SavedMessage:
        return await self._writer.write(lambda conn: _save_message(conn, message))

    async def replay_message(self, message_id: str, items: Sequence[NewItem], at: float) -> int:
        return await self._writer.write(lambda conn: _replay(conn, message_id, items, at))

    async def get_raw(self, message_id: str) -> StoredRaw | None:
        def read(conn: sqlite3.Connection) -> StoredRaw | None:
            row = conn.execute(
                "SELECT message_id, feed, sender, raw FROM messages WHERE message_id = ?",
                (message_id,),
            ).fetchone()
            return StoredRaw(row[0], row[1], row[2], bytes(row[3])) if row else None

        return await self._read(read)

    async def get_message(self, message_id: str) -> MessageView | None:
        return await self._read(lambda conn: load_message(conn, message_id))

    async def find_items(self, reference: str) -> list[ItemView]:
        return await self._read(
            lambda conn: load_items(
                conn, "i.item_id = ? OR i.declaration_id = ?", (reference, reference)
            )
        )

    async def select_messages(self, selection: MessageFilter) -> list[str]:
        return await self._read(lambda conn: _select(conn, selection))

    # ------------------------------------------------------------ delivery

    async def claim_deliveries(
        self, endpoint: str, limit: int, lease_seconds: float, now: float
    ) -> list[ClaimedDelivery]:
        return await self._writer.write(
            lambda conn: _claim(conn, endpoint, limit, now + lease_seconds, now)
        )

    async def finish_attempt(self, result: AttemptResult) -> None:
        await self._writer.write(lambda conn: _finish(conn, result))

    async def record_outcomes(
        self, endpoint: str, outcomes: Sequence[OutcomeRecord], body: bytes | None
    ) -> list[AppliedOutcome]:
        return await self._writer.write(lambda conn: _outcomes(conn, endpoint, outcomes, body))

    async def queue_depths(self) -> dict[str, int]:
        def read(conn: sqlite3.Connection) -> dict[str, int]:
            rows = conn.execute(
                "SELECT endpoint, count(*) FROM outbox WHERE status = 'pending' GROUP BY endpoint"
            )
            return {str(endpoint): int(count) for endpoint, count in rows.fetchall()}

        return await self._read(read)

    async def next_due(self, endpoint: str) -> float | None:
        def read(conn: sqlite3.Connection) -> float | None:
            row = conn.execute(
                "SELECT min(next_attempt_at) FROM outbox WHERE endpoint = ? AND status = 'pending'",
                (endpoint,),
            ).fetchone()
            return float(row[0]) if row and row[0] is not None else None

        return await self._read(read)

    async def ping(self) -> None:
        await self._read(lambda conn: conn.execute("SELECT 1").fetchone())


# ---------------------------------------------------------------- write functions


def _create_schema(conn: sqlite3.Connection) -> None:
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


def _find_by_key(conn: sqlite3.Connection, sender: str, key: str) -> SavedMessage | None:
    row = conn.execute(
        "SELECT message_id, body_hash, response_status, response FROM messages "
        "WHERE sender = ? AND idempotency_key = ?",
        (sender, key),
    ).fetchone()
    if row is None:
        return None
    return SavedMessage(False, row[0], row[1], row[2], json.loads(row[3]))


def _save_message(conn: sqlite3.Connection, message: NewMessage) -> SavedMessage:
    if message.idempotency_key is not None:
        existing = _find_by_key(conn, message.sender, message.idempotency_key)
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


def _replay(conn: sqlite3.Connection, message_id: str, items: Sequence[NewItem], at: float) -> int:
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


def _claim(
    conn: sqlite3.Connection, endpoint: str, limit: int, lease_until: float, now: float
) -> list[ClaimedDelivery]:
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT o.delivery_id FROM outbox o "
            "WHERE o.endpoint = ? AND o.status = 'pending' AND o.next_attempt_at <= ? "
            "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.endpoint = o.endpoint "
            "  AND p.status = 'pending' AND p.ordering_key = o.ordering_key "
            "  AND p.delivery_id < o.delivery_id) "
            "ORDER BY o.next_attempt_at, o.delivery_id LIMIT ?",
            (endpoint, now, limit),
        )
    ]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    # The lease doubles as the next attempt time: a claimed row is due again only when its
    # lease runs out (the instance that claimed it crashed or lost it).
    conn.execute(
        f"UPDATE outbox SET attempt = attempt + 1, lease_until = ?, next_attempt_at = ? "
        f"WHERE delivery_id IN ({marks})",
        (lease_until, lease_until, *ids),
    )
    rows = conn.execute(
        f"SELECT delivery_id, item_id, endpoint, idempotency_key, body, content_type, attempt, "
        f"first_enqueued_at FROM outbox WHERE delivery_id IN ({marks}) ORDER BY delivery_id",
        ids,
    )
    return [
        ClaimedDelivery(
            row[0], row[1], row[2], row[3], bytes(row[4]), row[5], row[6], row[7], lease_until
        )
        for row in rows
    ]


def _finish(conn: sqlite3.Connection, result: AttemptResult) -> None:
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
    if status != DeliveryStatus.PENDING:
        return
    if result.outcome is AttemptOutcome.DELIVERED:
        conn.execute(
            "UPDATE outbox SET status = ?, delivered_at = ?, lease_until = NULL, last_error = NULL "
            "WHERE delivery_id = ?",
            (DeliveryStatus.DELIVERED, result.finished_at, result.delivery_id),
        )
        state = conn.execute("SELECT state FROM items WHERE item_id = ?", (item_id,)).fetchone()
        if state and state[0] == ItemState.TRANSLATED:
            _apply(conn, item_id, ItemEvent.SUBMIT, result.finished_at, f"delivered to {endpoint}")
        return
    if attempt != result.attempt:
        return  # the lease ran out and another attempt owns the row now
    if result.outcome is AttemptOutcome.RETRY:
        conn.execute(
            "UPDATE outbox SET next_attempt_at = ?, lease_until = NULL, last_error = ? "
            "WHERE delivery_id = ?",
            (result.next_attempt_at or result.finished_at, result.detail, result.delivery_id),
        )
        return
    conn.execute(
        "UPDATE outbox SET status = ?, lease_until = NULL, last_error = ? WHERE delivery_id = ?",
        (DeliveryStatus.DEAD, result.detail, result.delivery_id),
    )
    _apply(
        conn,
        item_id,
        ItemEvent.DEAD_LETTER,
        result.finished_at,
        f"delivery to {endpoint} given up: {result.detail}",
    )


def _outcomes(
    conn: sqlite3.Connection, endpoint: str, outcomes: Sequence[OutcomeRecord], body: bytes | None
) -> list[AppliedOutcome]:
    document_id = None
    if body is not None:
        at = outcomes[0].received_at if outcomes else 0.0
        document_id = conn.execute(
            "INSERT INTO response_documents (endpoint, received_at, body) VALUES (?, ?, ?)",
            (endpoint, at, body),
        ).lastrowid
    applied: list[AppliedOutcome] = []
    for outcome in outcomes:
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


def _select(conn: sqlite3.Connection, selection: MessageFilter) -> list[str]:
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
