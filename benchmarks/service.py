"""How fast the running gateway takes and delivers messages, against a bare relay.

Run from the project root::

    .venv/bin/python benchmarks/service.py [--messages 6000] [--batches 20] [--concurrency 16]

Three processes on loopback (the machine has 2 cores; the operating system places them):

- the gateway: ``gateway serve`` with a temporary SQLite file (WAL, ``synchronous=FULL``),
  translating in ``--processes`` worker processes (``server.pipeline_processes``; 0 for
  ``--threads`` threads of the gateway process);
- the customs endpoint: the project's simulator (UK CDS schema check of every declaration,
  idempotency keys, receipts; no notifications sent back) and a bare sink for the relay, in one
  child process of this script (``--child-endpoint``);
- the load generator: this script (aiohttp client, ``--concurrency`` requests in flight).

Phases, one after the other, each starting from a warmed-up server:

1. single-item messages: ``--messages`` ITMATT messages of one item each
   (``gateway.sample_feeds``, one seed each), sent as fast as the gateway answers;
2. batches: ``--batches`` messages of 1,000 items each, two in flight;
3. the bare relay (``benchmarks/relay.py``: aiohttp + SQLite insert with the same durability
   and group commit + forward of the raw body, no translation), the same single-item messages.

Figures: accepted messages per second (202 answers over the time from the first request to
the last answer), items delivered per second (items taken by the endpoint over the time from
the first request to the last delivery), request-to-202 latency (p50, p99, measured by the
client) and request-to-delivered latency (p50, p99: the gateway's ``delivered_at`` of each
item, read from its database after the run, minus the client's send time; one clock).

The last line printed is one JSON object with ``single_msgs_per_s``, ``batch_items_per_s``,
``p50_accept_ms``, ``p99_accept_ms``, ``p99_delivered_ms``, ``relay_msgs_per_s`` and
``vs_relay`` (single / relay), plus context figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import yaml  # noqa: E402
from aiohttp import web  # noqa: E402

from gateway.sample_feeds import itmatt_batch_bytes  # noqa: E402

FEED_PATH = "/v1/feeds/upu-itmatt/messages"
BATCH_ITEMS = 1000
UK_CDS_PARAMETERS = {"declarant_eori": "GB123456789000", "goods_location_name": "LHRLHRLHR"}


# ------------------------------------------------------------------ the endpoint child process


async def _run_endpoint(port: int, sink_port: int) -> None:
    """The customs simulator on ``port`` and a bare sink (202 to anything) on ``sink_port``."""
    from gateway.simulator import CustomsSimulator, SimulatorOptions

    sink_count = 0

    async def sink(request: web.Request) -> web.Response:
        nonlocal sink_count
        await request.read()
        sink_count += 1
        return web.Response(status=202)

    async def sink_counts(_request: web.Request) -> web.Response:
        return web.json_response({"unique": sink_count})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/sink", sink)
    app.router.add_get("/sink/counts", sink_counts)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", sink_port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with CustomsSimulator(SimulatorOptions(port=port, seed=1)):
        print("ready", flush=True)
        await stop.wait()
    await runner.cleanup()


# ------------------------------------------------------------------ processes


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(arguments: Sequence[str], log: Path) -> subprocess.Popen[str]:
    with log.open("a") as err:
        return subprocess.Popen(
            [sys.executable, *arguments],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )


def _wait_ready(process: subprocess.Popen[str], what: str, log: Path) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != "ready":
        raise SystemExit(f"The {what} did not start: {log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def _wait_live(http: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(url) as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not answer within 30 s.")


# ------------------------------------------------------------------ load


@dataclass
class Phase:
    """One load phase: what was sent, what the server answered, when."""

    name: str
    messages: int = 0
    items_accepted: int = 0
    started: float = 0.0
    """time.time() of the first request."""
    last_answer: float = 0.0
    delivered_at: float = 0.0
    """time.time() when the endpoint had taken every accepted item."""
    accept_latencies: list[float] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)
    """item_id -> time.time() its message was sent."""
    delivered_latencies: list[float] = field(default_factory=list)
    overloaded: int = 0
    """503 answers (the gateway taking in all it takes at once), each sent again."""
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    """CPU time (user + system) each process spent from the first request to the last
    delivery: "gateway" (the gateway or the relay), "workers" (the gateway's translation
    worker processes), "endpoint" (the simulator or the sink), "load" (this script); empty
    where /proc cannot be read."""

    @property
    def accept_seconds(self) -> float:
        return self.last_answer - self.started

    @property
    def delivered_seconds(self) -> float:
        return self.delivered_at - self.started


async def _send(
    http: aiohttp.ClientSession, url: str, bodies: Sequence[bytes], concurrency: int, phase: Phase
) -> None:
    """Send every body once, ``concurrency`` in flight; every answer must be a 202."""
    _progress(f"{phase.name}: sending {len(bodies)} messages to {url}")
    queue = list(reversed(bodies))
    phase.started = time.time()

    async def sender() -> None:
        while queue:
            body = queue.pop()
            sent_wall = time.time()
            sent = time.perf_counter()
            while True:
                async with http.post(url, data=body) as response:
                    answer = await response.read()
                    status = response.status
                if status != 503:
                    break
                # too busy (more senders than the gateway takes in at once): as a sender
                # would, send it again shortly; the latency then counts the wait
                phase.overloaded += 1
                await asyncio.sleep(0.01)
            phase.accept_latencies.append(time.perf_counter() - sent)
            if status != 202:
                raise SystemExit(f"The server answered {status}: {answer[:300]!r}")
            data = json.loads(answer)
            for item in data.get("items", []):
                if item["status"] == "accepted":
                    phase.items_accepted += 1
                    phase.sent_at[item["item_id"]] = sent_wall
            if "items" not in data:
                phase.items_accepted += 1
            phase.messages += 1

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    phase.last_answer = time.time()


async def _taken(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(url) as response:
        return int((await response.json())["unique"])


async def _wait_taken(
    http: aiohttp.ClientSession, counts_url: str, expected: int, timeout: float = 120
) -> float:
    """Poll the endpoint until it has taken ``expected`` declarations; when that was seen."""
    deadline = time.monotonic() + timeout
    _progress(f"waiting for {expected} deliveries at {counts_url}")
    while (taken := await _taken(http, counts_url)) < expected:
        if time.monotonic() > deadline:
            async with http.get(counts_url) as response:
                seen = await response.text()
            raise SystemExit(
                f"Only {taken} of {expected} deliveries arrived in {timeout} s; "
                f"the endpoint counted {seen}."
            )
        await asyncio.sleep(0.01)
    return time.time()


def _progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_ITEM_ID = re.compile(rb"<ItemID>([^<]+)</ItemID>")


class Messages:
    """Generated ITMATT messages whose item IDs never repeat within one benchmark run.

    ``gateway.sample_feeds`` derives item serials from the seed and the item's position, so
    two seeds can give an item the same ID; a message that would repeat one is skipped.
    """

    def __init__(self) -> None:
        self._used: set[bytes] = set()
        self._seed = 1

    def make(self, count: int, items: int) -> list[bytes]:
        made: list[bytes] = []
        while len(made) < count:
            seed, self._seed = self._seed, self._seed + 1
            body = itmatt_batch_bytes(items, seed=seed, message_number=f"BENCH-{seed:07d}")
            ids = set(_ITEM_ID.findall(body))
            if len(ids) == items and not ids & self._used:
                self._used |= ids
                made.append(body)
        return made


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) one process has used so far; 0 when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _process_tree(pid: int) -> list[int]:
    """``pid`` and every live descendant of it (translation workers), read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    tree = [pid]
    for candidate in tree:
        tree.extend(child for child, parent in parents.items() if parent == candidate)
    return tree


class CpuMeter:
    """CPU seconds of the processes of a phase, between ``start`` and ``stop`` (Linux only)."""

    def __init__(self, processes: dict[str, tuple[int, bool]]) -> None:
        self.processes = processes
        """Name -> (process ID, whether its descendants count too)."""
        self._started: dict[str, float] = {}

    @classmethod
    def of_run(cls, server_pid: int, endpoint_pid: int) -> CpuMeter:
        """The server (gateway or relay, with its worker processes), the endpoint and this
        load generator."""
        return cls(
            {
                "gateway": (server_pid, True),
                "endpoint": (endpoint_pid, False),
                "load": (os.getpid(), False),
            }
        )

    def _now(self) -> dict[str, float]:
        if not Path("/proc/self/stat").exists():
            return {}
        used: dict[str, float] = {}
        for name, (root, tree) in self.processes.items():
            used[name] = _process_cpu(root)
            if tree:
                used["workers"] = sum(_process_cpu(pid) for pid in _process_tree(root)[1:])
        return used

    def start(self) -> None:
        self._started = self._now()

    def stop(self, phase: Phase) -> None:
        ended = self._now()
        phase.cpu_seconds = {name: ended[name] - self._started.get(name, 0.0) for name in ended}


def _percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# ------------------------------------------------------------------ the runs


async def _gateway_phases(
    work: Path, endpoint: tuple[int, int], options: argparse.Namespace
) -> tuple[Phase, Phase]:
    """The single-item and batch phases against ``gateway serve``; ``endpoint``: the simulator's
    (process ID, port)."""
    endpoint_pid, endpoint_port = endpoint
    messages = Messages()
    port = _free_port()
    config = {
        "server": {
            "host": "127.0.0.1",
            "port": port,
            "pipeline_threads": options.threads,
            "pipeline_processes": options.processes,
        },
        "storage": {"path": str(work / "gateway.db")},
        "logging": {"level": "warning"},
        "feeds": ["upu-itmatt"],
        "parameters": {"uk-cds": UK_CDS_PARAMETERS},
        "endpoints": {
            "uk-cds": {
                "target": "uk-cds",
                "url": f"http://127.0.0.1:{endpoint_port}/declarations",
                "concurrency": options.delivery_concurrency,
                "batch_size": 128,
            }
        },
    }
    config_path = work / "gateway.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    log = work / "gateway.log"
    gateway = _spawn(["-m", "gateway", "serve", "--config", str(config_path)], log)
    base = f"http://127.0.0.1:{port}"
    counts = f"http://127.0.0.1:{endpoint_port}/counts"
    connector = aiohttp.TCPConnector(limit=options.concurrency)
    single, batch = Phase("single-item messages"), Phase("1,000-item batches")
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            await _wait_live(http, f"{base}/v1/health/live")
            warm = Phase("warm-up")
            await _send(http, base + FEED_PATH, messages.make(200, 1), options.concurrency, warm)
            await _send(http, base + FEED_PATH, messages.make(1, 200), 1, warm)
            await _wait_taken(http, counts, warm.items_accepted)
            taken = warm.items_accepted
            meter = CpuMeter.of_run(gateway.pid, endpoint_pid)
            bodies = messages.make(options.messages, 1)
            meter.start()
            await _send(http, base + FEED_PATH, bodies, options.concurrency, single)
            single.delivered_at = await _wait_taken(http, counts, taken + single.items_accepted)
            meter.stop(single)
            taken += single.items_accepted
            batches = messages.make(options.batches, BATCH_ITEMS)
            meter.start()
            await _send(http, base + FEED_PATH, batches, 2, batch)
            batch.delivered_at = await _wait_taken(http, counts, taken + batch.items_accepted)
            meter.stop(batch)
    finally:
        _stop(gateway)
    with contextlib.closing(sqlite3.connect(work / "gateway.db")) as db:
        delivered = dict(
            db.execute("SELECT item_id, delivered_at FROM outbox WHERE status = 'delivered'")
        )
    for phase in (single, batch):
        phase.delivered_latencies = [
            delivered[item] - sent for item, sent in phase.sent_at.items() if item in delivered
        ]
    return single, batch


async def _relay_phase(work: Path, endpoint: tuple[int, int], options: argparse.Namespace) -> Phase:
    """The same single-item messages through the bare relay; ``endpoint``: the sink's
    (process ID, port)."""
    endpoint_pid, sink_port = endpoint
    messages = Messages()
    port = _free_port()
    log = work / "relay.log"
    relay = _spawn(
        [
            str(ROOT / "benchmarks" / "relay.py"),
            "--port",
            str(port),
            "--db",
            str(work / "relay.db"),
            "--forward",
            f"http://127.0.0.1:{sink_port}/sink",
            "--concurrency",
            str(options.delivery_concurrency),
        ],
        log,
    )
    phase = Phase("bare relay")
    try:
        _wait_ready(relay, "relay", log)
        url = f"http://127.0.0.1:{port}{FEED_PATH}"
        counts = f"http://127.0.0.1:{sink_port}/sink/counts"
        connector = aiohttp.TCPConnector(limit=options.concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            warm = Phase("warm-up")
            await _send(http, url, messages.make(200, 1), options.concurrency, warm)
            await _wait_taken(http, counts, warm.items_accepted)
            meter = CpuMeter.of_run(relay.pid, endpoint_pid)
            bodies = messages.make(options.messages, 1)
            meter.start()
            await _send(http, url, bodies, options.concurrency, phase)
            phase.delivered_at = await _wait_taken(
                http, counts, warm.items_accepted + phase.items_accepted
            )
            meter.stop(phase)
    finally:
        _stop(relay)
    return phase


def _row(phase: Phase) -> list[str]:
    ms = 1000.0
    return [
        phase.name,
        f"{phase.messages:,}",
        f"{phase.items_accepted:,}",
        f"{phase.messages / phase.accept_seconds:,.0f}",
        f"{phase.items_accepted / phase.delivered_seconds:,.0f}",
        f"{_percentile(phase.accept_latencies, 0.5) * ms:.1f}",
        f"{_percentile(phase.accept_latencies, 0.99) * ms:.1f}",
        f"{_percentile(phase.delivered_latencies, 0.5) * ms:.0f}"
        if phase.delivered_latencies
        else "-",
        f"{_percentile(phase.delivered_latencies, 0.99) * ms:.0f}"
        if phase.delivered_latencies
        else "-",
    ]


def _print_table(phases: Sequence[Phase]) -> None:
    header = [
        "phase",
        "messages",
        "items acc.",
        "msgs/s",
        "items del./s",
        "p50 202 ms",
        "p99 202 ms",
        "p50 del. ms",
        "p99 del. ms",
    ]
    rows = [header, *(_row(phase) for phase in phases)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for number, row in enumerate(rows):
        print(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if number == 0:
            print("  ".join("-" * w for w in widths))


def _cpu_per_unit(phase: Phase, units: int) -> dict[str, float]:
    """Milliseconds of CPU per unit (message or item) by process, and their total."""
    if not phase.cpu_seconds or not units:
        return {}
    shares = {name: seconds * 1000 / units for name, seconds in phase.cpu_seconds.items()}
    shares["total"] = sum(shares.values())
    return {name: round(value, 3) for name, value in shares.items()}


def _print_cpu(rows: Sequence[tuple[str, Phase, dict[str, float]]]) -> None:
    """Where the two cores went: CPU milliseconds per unit by process, and cores kept busy."""
    if not any(cpu for _, _, cpu in rows):
        return
    print()
    print("CPU ms per unit       gateway  workers  endpoint  load gen.   total  cores busy")
    for label, phase, cpu in rows:
        if not cpu:
            continue
        busy = sum(phase.cpu_seconds.values()) / phase.delivered_seconds
        print(
            f"{label:20} {cpu['gateway']:8.3f} {cpu.get('workers', 0.0):8.3f}"
            f" {cpu['endpoint']:9.3f} {cpu['load']:10.3f}"
            f" {cpu['total']:7.3f} {busy:11.2f}"
        )


async def _main(options: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as folder:
        work = Path(folder)
        endpoint_port, sink_port = _free_port(), _free_port()
        log = work / "endpoint.log"
        endpoint = _spawn(
            [
                str(Path(__file__).resolve()),
                "--child-endpoint",
                str(endpoint_port),
                str(sink_port),
            ],
            log,
        )
        try:
            _wait_ready(endpoint, "endpoint simulator", log)
            single, batch = await _gateway_phases(work, (endpoint.pid, endpoint_port), options)
            relay = await _relay_phase(work, (endpoint.pid, sink_port), options)
        finally:
            _stop(endpoint)
    _print_table([single, batch, relay])
    cpu_single = _cpu_per_unit(single, single.messages)
    cpu_batch = _cpu_per_unit(batch, batch.items_accepted)
    cpu_relay = _cpu_per_unit(relay, relay.messages)
    _print_cpu(
        [
            ("single (per message)", single, cpu_single),
            ("batches (per item)", batch, cpu_batch),
            ("relay (per message)", relay, cpu_relay),
        ]
    )
    single_rate = single.messages / single.accept_seconds
    relay_rate = relay.messages / relay.accept_seconds
    return {
        "single_msgs_per_s": round(single_rate),
        "single_delivered_items_per_s": round(single.items_accepted / single.delivered_seconds),
        "batch_items_per_s": round(batch.items_accepted / batch.delivered_seconds),
        "batch_accepted_items_per_s": round(batch.items_accepted / batch.accept_seconds),
        "p50_accept_ms": round(_percentile(single.accept_latencies, 0.5) * 1000, 2),
        "p99_accept_ms": round(_percentile(single.accept_latencies, 0.99) * 1000, 2),
        "p50_delivered_ms": round(_percentile(single.delivered_latencies, 0.5) * 1000, 1),
        "p99_delivered_ms": round(_percentile(single.delivered_latencies, 0.99) * 1000, 1),
        "relay_msgs_per_s": round(relay_rate),
        "overloaded_answers": single.overloaded + batch.overloaded,
        "vs_relay": round(single_rate / relay_rate, 3),
        "cpu_ms_per_single_message": cpu_single,
        "cpu_ms_per_batch_item": cpu_batch,
        "cpu_ms_per_relay_message": cpu_relay,
        "messages": options.messages,
        "batches": options.batches,
        "concurrency": options.concurrency,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=6000, help="single-item messages")
    parser.add_argument("--batches", type=int, default=20, help="1,000-item messages")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--delivery-concurrency", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="gateway pipeline threads")
    parser.add_argument(
        "--processes", type=int, default=2, help="gateway pipeline processes (0: threads)"
    )
    parser.add_argument("--quick", action="store_true", help="300 messages, 2 batches")
    parser.add_argument("--child-endpoint", nargs=2, type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child_endpoint:
        asyncio.run(_run_endpoint(*options.child_endpoint))
        return
    if options.quick:
        options.messages, options.batches = 300, 2
    figures = asyncio.run(_main(options))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
