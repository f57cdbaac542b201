"""One writer thread with group commit: many write requests, one transaction, one fsync.

Each request is a function of an open SQLite connection. The thread takes the first waiting
request, then every other one already queued (up to a limit), runs each inside a savepoint (so
one failing request does not undo the others), commits once with ``synchronous=FULL``, and only
then resolves each request's future. A caller therefore never hears "done" before its data is
on disk, and throughput does not pay one fsync per request.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from gateway.errors import GatewayError, StoreError

T = TypeVar("T")
WriteFunction = Callable[[sqlite3.Connection], Any]
_Request = tuple[WriteFunction, "asyncio.Future[Any]", asyncio.AbstractEventLoop]


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode with full synchronous commits and explicit transactions."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        if read_only:
            conn.execute("PRAGMA query_only=1")
    except sqlite3.Error as exc:
        raise StoreError(f"The message store {path} cannot be opened: {exc}.") from exc
    return conn


class GroupCommitWriter:
    """The single writer of one SQLite database file."""

    def __init__(self, path: Path, max_group: int) -> None:
        self._path = path
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self.commits = 0
        """Transactions committed so far (for tests and metrics)."""

    def start(self) -> None:
        """Open the connection and start the thread."""
        self._conn = connect(self._path)
        self._thread = threading.Thread(target=self._run, name="gateway-store-writer", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Finish every queued request, then stop the thread and close the connection."""
        if self._thread is None:
            return
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        self._thread = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def write(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``function`` in the next group transaction; return its result once committed."""
        if self._thread is None:
            raise StoreError("The message store is not open; open it before writing.")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((function, future, loop))
        return await future

    def _run(self) -> None:
        conn = self._conn
        assert conn is not None
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            group = [first]
            while len(group) < self._max_group:
                try:
                    request = self._queue.get_nowait()
                except queue.Empty:
                    break
                if request is None:
                    stopping = True
                    break
                group.append(request)
            self._commit_group(conn, group)

    def _commit_group(self, conn: sqlite3.Connection, group: list[_Request]) -> None:
        results: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for function, _future, _loop in group:
                conn.execute("SAVEPOINT request")
                try:
                    value = function(conn)
                except Exception as exc:
                    conn.execute("ROLLBACK TO request")
                    conn.execute("RELEASE request")
                    results.append((False, _translate(exc)))
                else:
                    conn.execute("RELEASE request")
                    results.append((True, value))
            conn.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            error = StoreError(f"The message store could not commit a write: {exc}.")
            error.__cause__ = exc
            results = [(False, error)] * len(group)
        # One wake-up per event loop for the whole group, not one per request: each
        # call_soon_threadsafe writes to the loop's self-pipe and wakes it.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for (_function, future, loop), (ok, value) in zip(group, results, strict=True):
            by_loop.setdefault(loop, []).append((future, ok, value))
        for loop, answers in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve_all, answers)
            except RuntimeError:  # the event loop has closed; nobody is waiting any more
                continue


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, GatewayError):
        return exc
    error = StoreError(f"The message store refused a write: {exc}.")
    error.__cause__ = exc
    return error


def _resolve_all(answers: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in answers:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
