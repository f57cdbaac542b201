"""A bare relay: the baseline the service benchmark compares the gateway with.

What the gateway does at its least, with no translation: take a message over HTTP, insert the
raw body into SQLite durably (WAL, ``synchronous=FULL``, writes from concurrent requests
committed together in one transaction, as the gateway's store does), answer 202, then forward
the raw body to an endpoint (with an idempotency key, retrying failures) and record that it
was delivered (another durable write). No parsing, mapping, checks, routing or rendering.

    .venv/bin/python benchmarks/relay.py --port 8095 --db /tmp/relay.db \
        --forward http://127.0.0.1:8096/sink

``POST /v1/feeds/{feed}/messages`` takes a message; ``GET /stats`` answers
``{"received": n, "delivered": m}``. It prints ``ready`` on standard output once listening and
runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import queue
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

GROUP_COMMIT_MAX = 512

Write = tuple[str, tuple[Any, ...], asyncio.Future[int], asyncio.AbstractEventLoop]


class GroupCommitWriter:
    """One thread owning the SQLite connection; writes queued meanwhile share one commit."""

    def __init__(self, path: Path) -> None:
        self._queue: queue.Queue[Write | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def submit(self, sql: str, values: tuple[Any, ...]) -> asyncio.Future[int]:
        """Queue one statement; the future gets its row ID once the commit is durable."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._queue.put((sql, values, future, loop))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _run(self, path: Path) -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "feed TEXT NOT NULL, raw BLOB NOT NULL, received_at REAL NOT NULL, "
            "delivered_at REAL)"
        )
        while True:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < GROUP_COMMIT_MAX:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            conn.execute("BEGIN")
            results = [conn.execute(sql, values).lastrowid or 0 for sql, values, _f, _l in batch]
            conn.execute("COMMIT")
            for (_sql, _values, future, loop), row_id in zip(batch, results, strict=True):
                loop.call_soon_threadsafe(_resolve, future, row_id)
        conn.close()


def _resolve(future: asyncio.Future[int], value: int) -> None:
    if not future.done():
        future.set_result(value)


class Relay:
    """The relay's HTTP handler and its forwarders."""

    def __init__(self, db: Path, forward_url: str, concurrency: int) -> None:
        self.writer = GroupCommitWriter(db)
        self.forward_url = forward_url
        self.concurrency = concurrency
        self.pending: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        self.received = 0
        self.delivered = 0
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.concurrency),
            timeout=aiohttp.ClientTimeout(total=10),
        )
        self._tasks = [asyncio.create_task(self._forward()) for _ in range(self.concurrency)]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
        self.writer.close()

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        row_id = await self.writer.submit(
            "INSERT INTO messages (feed, raw, received_at) VALUES (?, ?, ?)",
            (request.match_info["feed"], body, time.time()),
        )
        self.received += 1
        self.pending.put_nowait((row_id, body))
        return web.json_response({"message_id": row_id, "status": "accepted"}, status=202)

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"received": self.received, "delivered": self.delivered})

    async def _forward(self) -> None:
        assert self._session is not None
        while True:
            row_id, body = await self.pending.get()
            while True:
                try:
                    async with self._session.post(
                        self.forward_url,
                        data=body,
                        headers={
                            "Idempotency-Key": f"relay-{row_id}",
                            "Content-Type": "application/xml",
                        },
                    ) as response:
                        await response.read()
                        ok = response.status < 300
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                if ok:
                    break
                await asyncio.sleep(0.1)
            await self.writer.submit(
                "UPDATE messages SET delivered_at = ? WHERE id = ?", (time.time(), row_id)
            )
            self.delivered += 1


async def run_relay(
    port: int, db: Path, forward_url: str, concurrency: int, ready: Callable[[], None]
) -> None:
    """Serve until SIGTERM or SIGINT."""
    relay = Relay(db, forward_url, concurrency)
    await relay.start()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/feeds/{feed}/messages", relay.receive)
    app.router.add_get("/stats", relay.stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    ready()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await relay.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--forward", required=True, help="URL the raw bodies are posted to")
    parser.add_argument("--concurrency", type=int, default=16, help="forwards in flight")
    options = parser.parse_args()
    asyncio.run(
        run_relay(
            options.port,
            options.db,
            options.forward,
            options.concurrency,
            lambda: print("ready", flush=True),
        )
    )


if __name__ == "__main__":
    main()
