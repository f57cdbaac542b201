"""The embedded message store: one SQLite file in WAL mode, durable commits, group commit.

Writes go through one writer thread (``GroupCommitWriter``); reads run on a small pool of
reader threads with their own connections, so readers never wait for the writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from gateway.errors import StoreError
from gateway.store._sql import (
    claim_sql,
    create_schema_sql,
    find_by_key_sql,
    finish_sql,
    next_due_sql,
    outcomes_sql,
    release_leases_sql,
    replay_sql,
    save_message_sql,
    select_sql,
)
from gateway.store._views import load_items, load_message
from gateway.store._webhook_sql import (
    claim_webhooks_sql,
    finish_webhook_sql,
    give_up_webhooks_sql,
    next_webhook_due_sql,
    release_webhook_leases_sql,
    webhook_queue_depths_sql,
)
from gateway.store._writer import GroupCommitWriter, connect
from gateway.store.base import (
    AppliedOutcome,
    AttemptResult,
    ClaimedDelivery,
    ItemView,
    MessageFilter,
    MessageView,
    NewItem,
    NewMessage,
    OutcomeRecord,
    ReceiptNotRecorded,
    ReceiptOutcomes,
    SavedMessage,
    StoredRaw,
    WebhookEventFactory,
)

T = TypeVar("T")


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
        await self._writer.write(create_schema_sql)

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
        return await self._read(lambda conn: find_by_key_sql(conn, sender, key))

    async def save_message(self, message: NewMessage) -> SavedMessage:
        return await self._writer.write(lambda conn: save_message_sql(conn, message))

    async def replay_message(self, message_id: str, items: Sequence[NewItem], at: float) -> int:
        return await self._writer.write(lambda conn: replay_sql(conn, message_id, items, at))

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
        return await self._read(lambda conn: select_sql(conn, selection))

    # ------------------------------------------------------------ delivery

    async def claim_deliveries(
        self, endpoint: str, limit: int, lease_seconds: float, now: float
    ) -> list[ClaimedDelivery]:
        return await self._writer.write(
            lambda conn: claim_sql(conn, endpoint, limit, now + lease_seconds, now)
        )

    async def release_leases(self, now: float) -> int:
        return await self._writer.write(lambda conn: release_leases_sql(conn, now))

    async def finish_attempt(
        self, result: AttemptResult, receipt: ReceiptOutcomes | None = None
    ) -> list[AppliedOutcome] | ReceiptNotRecorded:
        return await self._writer.write(lambda conn: finish_sql(conn, result, receipt))

    async def record_outcomes(
        self,
        endpoint: str,
        outcomes: Sequence[OutcomeRecord],
        body: bytes | None,
        events: WebhookEventFactory | None = None,
    ) -> list[AppliedOutcome]:
        return await self._writer.write(
            lambda conn: outcomes_sql(conn, endpoint, outcomes, body, events)
        )

    async def queue_depths(self) -> dict[str, int]:
        def read(conn: sqlite3.Connection) -> dict[str, int]:
            rows = conn.execute(
                "SELECT endpoint, count(*) FROM outbox WHERE status = 'pending' GROUP BY endpoint"
            )
            return {str(endpoint): int(count) for endpoint, count in rows.fetchall()}

        return await self._read(read)

    async def next_due(self, endpoint: str) -> float | None:
        return await self._read(lambda conn: next_due_sql(conn, endpoint))

    # ------------------------------------------------------------ sender webhooks

    async def claim_webhooks(
        self, partner: str, limit: int, lease_seconds: float, now: float
    ) -> list[ClaimedDelivery]:
        return await self._writer.write(
            lambda conn: claim_webhooks_sql(conn, partner, limit, now + lease_seconds, now)
        )

    async def finish_webhook(self, result: AttemptResult) -> None:
        await self._writer.write(lambda conn: finish_webhook_sql(conn, result))

    async def next_webhook_due(self, partner: str) -> float | None:
        return await self._read(lambda conn: next_webhook_due_sql(conn, partner))

    async def release_webhook_leases(self, now: float) -> int:
        return await self._writer.write(lambda conn: release_webhook_leases_sql(conn, now))

    async def webhook_queue_depths(self) -> dict[str, int]:
        return await self._read(webhook_queue_depths_sql)

    async def give_up_webhooks(self, partners: Collection[str], now: float) -> dict[str, int]:
        return await self._writer.write(lambda conn: give_up_webhooks_sql(conn, partners, now))

    async def ping(self) -> None:
        await self._read(lambda conn: conn.execute("SELECT 1").fetchone())
