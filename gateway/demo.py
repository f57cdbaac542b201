"""``gateway demo``: the whole gateway on loopback, the bundled sample feeds sent through it.

In one process, on 127.0.0.1 with free ports: a customs endpoint simulator (UK CDS, a
realistic mix of outcomes with short delays) and the gateway (a temporary SQLite file, a
configuration built here, parameters from ``samples/demo-parameters.yaml``). Every bundled
sample of the postal, platform and express feeds is posted to the gateway's API; a live view
shows the items move through their states; when every accepted item has a final customs
outcome (or the time limit passes) a summary per feed and destination is printed, with the
reasons items were refused and a few plain sentences on what happened.

    report = asyncio.run(run_demo(DemoOptions(quiet=True)))
    report.totals()["delivered"]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from rich.console import Console
from rich.live import Live
from rich.table import Table

from gateway.config import config_from_dict
from gateway.errors import ConfigurationError, GatewayError
from gateway.logging import configure_logging
from gateway.resources import bundled_samples_dir
from gateway.simulator import CustomsSimulator, OutcomeShares, SimulatorOptions

__all__ = ["DEMO_FEEDS", "DemoItem", "DemoOptions", "DemoReport", "FeedSummary", "main", "run_demo"]

DEMO_FEEDS: tuple[tuple[str, str], ...] = (
    ("upu-itmatt", "postal operator (UPU ITMATT)"),
    ("platform-order-json", "e-commerce platform (order JSON)"),
    ("express-manifest-json", "express carrier (manifest JSON)"),
)
"""The sample feeds the demo sends, with who would send them."""

ENDPOINT = "uk-cds"
FINAL_STATES = frozenset({"released", "held", "queried", "rejected", "dead-lettered"})
"""Item states after which customs has nothing more to say in the demo."""
STATES = (
    "received",
    "translated",
    "submitted",
    "acknowledged",
    "accepted",
    "released",
    "held",
    "queried",
    "rejected",
    "refused",
    "dead-lettered",
)


@dataclass(frozen=True)
class DemoOptions:
    """How to run the demo: where to keep the database, how chatty, how long to wait."""

    keep: Path | None = None
    """A folder to keep the SQLite database in; None uses a temporary folder removed after."""
    quiet: bool = False
    """Print only the summary (no live view, no narration)."""
    timeout: float = 30.0
    """Longest wait, in seconds, for accepted items to reach a final customs outcome."""
    live: bool | None = None
    """A rich live table (True), plain periodic lines (False), or by terminal (None)."""


@dataclass
class FeedSummary:
    """What happened to one feed's items for one destination."""

    feed: str
    destination: str
    received: int = 0
    refused: int = 0
    delivered: int = 0
    accepted: int = 0
    released: int = 0
    held: int = 0
    queried: int = 0
    rejected: int = 0
    waiting: int = 0
    """Items delivered with no final customs outcome when the demo stopped waiting."""
    reasons: Counter[str] = field(default_factory=Counter)
    """Problem codes of the refused items, counted."""

    def row(self) -> dict[str, int]:
        """The counted columns by name."""
        return {
            "received": self.received,
            "refused": self.refused,
            "delivered": self.delivered,
            "accepted": self.accepted,
            "released": self.released,
            "held": self.held,
            "queried": self.queried,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class DemoItem:
    """One item of a sample as the gateway last reported it."""

    feed: str
    sample: str
    index: int
    declaration_id: str
    state: str
    problem_codes: tuple[str, ...]
    destinations: tuple[str, ...]


@dataclass
class DemoReport:
    """The demo's result: a summary per feed and destination, and what the simulator saw."""

    summaries: list[FeedSummary]
    messages: int
    simulator_unique: int
    simulator_duplicates: int
    elapsed: float
    finished: bool
    """True when every delivered item reached a final customs outcome in time."""
    database: Path | None
    examples: dict[str, str] = field(default_factory=dict)
    """One example message per refusal reason code."""
    items: list[DemoItem] = field(default_factory=list)
    """Every item sent, in the order sent, with its last state."""

    def totals(self) -> dict[str, int]:
        """The counted columns summed over every feed and destination."""
        total: Counter[str] = Counter()
        for summary in self.summaries:
            total.update(summary.row())
        return dict(total)

    def reasons(self) -> Counter[str]:
        """Refusal reason codes over every feed."""
        total: Counter[str] = Counter()
        for summary in self.summaries:
            total.update(summary.reasons)
        return total


@dataclass
class _Tracked:
    """One posted message: the feed, the sample, the gateway's message ID, its items."""

    feed: str
    sample: str
    message_id: str
    items: list[dict[str, Any]] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_parameters() -> dict[str, dict[str, str]]:
    """The example destination parameters of ``samples/demo-parameters.yaml``, by destination."""
    path = bundled_samples_dir() / "demo-parameters.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"The demo parameters in {path} cannot be read: {exc}.") from exc
    parameters = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(parameters, dict):
        raise ConfigurationError(f"The demo parameters file {path} has no 'parameters' mapping.")
    return {str(k): {str(n): str(v) for n, v in dict(v).items()} for k, v in parameters.items()}


def _samples() -> list[tuple[str, Path]]:
    root = bundled_samples_dir()
    found: list[tuple[str, Path]] = []
    for feed, _who in DEMO_FEEDS:
        folder = root / feed
        if folder.is_dir():
            found.extend(
                (feed, path)
                for path in sorted(folder.iterdir())
                if path.suffix in (".xml", ".json")
            )
    return found


async def run_demo(options: DemoOptions, console: Console | None = None) -> DemoReport:
    """Run the simulator and the gateway on loopback, send the samples, wait, summarise."""
    from gateway.service import GatewayServer  # the service imports aiohttp's server parts

    console = console or Console(highlight=False, soft_wrap=True)
    started = time.monotonic()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="gateway-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "gateway-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    port = _free_port()
    simulator_options = SimulatorOptions(
        callback_url=f"http://127.0.0.1:{port}/v1/responses/{ENDPOINT}",
        outcomes=OutcomeShares(accepted=0.6, queried=0.15, held=0.15, rejected=0.1),
        first_callback_delay=0.5,
        callback_step_delay=0.8,
        seed=2024,
    )
    try:
        async with CustomsSimulator(simulator_options) as simulator:
            config = config_from_dict(
                {
                    "server": {"host": "127.0.0.1", "port": port},
                    "storage": {"path": str(database)},
                    "logging": {"level": "error"},
                    "parameters": demo_parameters(),
                    "endpoints": {
                        ENDPOINT: {
                            "target": "uk-cds",
                            "url": simulator.declarations_url,
                            "timeout_seconds": 5,
                            "retry": {"base_delay_seconds": 0.1, "max_delay_seconds": 1},
                        }
                    },
                }
            )
            async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
                if not options.quiet:
                    _narrate_start(console, server.url, simulator.declarations_url)
                tracked = await _send_samples(http, server.url, console, options.quiet)
                finished = await _watch(http, server.url, tracked, options, console)
                summaries, examples = _summarise(tracked)
                counts = simulator.counts
                report = DemoReport(
                    summaries,
                    len(tracked),
                    counts.unique,
                    counts.duplicates,
                    time.monotonic() - started,
                    finished,
                    database if options.keep else None,
                    examples,
                    _items(tracked),
                )
    finally:
        if options.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return report


async def _send_samples(
    http: aiohttp.ClientSession, base: str, console: Console, quiet: bool
) -> list[_Tracked]:
    tracked: list[_Tracked] = []
    for feed, path in _samples():
        async with http.post(
            f"{base}/v1/feeds/{feed}/messages",
            data=path.read_bytes(),
            headers={"Content-Type": "application/octet-stream"},
        ) as response:
            body = await response.json()
        message_id = str(body.get("message_id", ""))
        if response.status == 202:
            items = list(body.get("items", []))
            accepted = sum(item["status"] == "accepted" for item in items)
            note = f"{len(items)} item(s), {accepted} accepted, {len(items) - accepted} refused"
        else:
            items = []
            note = f"refused whole ({response.status}): {body.get('detail', '')}"
        if not quiet:
            console.print(f"  sent {feed}/{path.name}: {note}")
        if message_id:
            tracked.append(_Tracked(feed, path.name, message_id, items))
    return tracked


async def _refresh(http: aiohttp.ClientSession, base: str, tracked: list[_Tracked]) -> None:
    for message in tracked:
        async with http.get(f"{base}/v1/messages/{message.message_id}") as response:
            if response.status == 200:
                message.items = list((await response.json()).get("items", []))


def _settled(tracked: list[_Tracked]) -> bool:
    return all(
        item.get("state") in FINAL_STATES
        for message in tracked
        for item in message.items
        if item.get("state", item.get("status")) != "refused"
    )


def _state_counts(tracked: list[_Tracked]) -> Counter[str]:
    return Counter(str(item.get("state", item.get("status"))) for m in tracked for item in m.items)


def _state_table(tracked: list[_Tracked], elapsed: float) -> Table:
    table = Table(title=f"Items by state ({elapsed:4.1f} s)")
    table.add_column("feed")
    shown = [state for state in STATES if state != "dead-lettered"]
    for state in shown:
        table.add_column(state, justify="right")
    feeds = sorted({m.feed for m in tracked})
    for feed in feeds:
        counts = _state_counts([m for m in tracked if m.feed == feed])
        table.add_row(feed, *(str(counts.get(state, 0) or "") for state in shown))
    return table


async def _watch(
    http: aiohttp.ClientSession,
    base: str,
    tracked: list[_Tracked],
    options: DemoOptions,
    console: Console,
) -> bool:
    """Poll the gateway until every accepted item is final or time is up; show progress."""
    started = time.monotonic()
    live_view = options.live if options.live is not None else console.is_terminal
    live: Live | None = None
    if not options.quiet and live_view:
        live = Live(_state_table(tracked, 0.0), console=console, refresh_per_second=8)
        live.start()
    last_line = ""
    last_print = 0.0
    settled = False
    try:
        while True:
            await _refresh(http, base, tracked)
            elapsed = time.monotonic() - started
            settled = _settled(tracked)
            if live is not None:
                live.update(_state_table(tracked, elapsed))
            elif not options.quiet and (settled or elapsed - last_print >= 1.0):
                counts = _state_counts(tracked)
                line = ", ".join(f"{counts[s]} {s}" for s in STATES if counts.get(s))
                if line != last_line:
                    console.print(f"  [{elapsed:4.1f} s] {line}")
                    last_line, last_print = line, elapsed
            if settled or elapsed >= options.timeout:
                break
            await asyncio.sleep(0.25)
    finally:
        if live is not None:
            live.stop()
    return settled


def _items(tracked: list[_Tracked]) -> list[DemoItem]:
    return [
        DemoItem(
            message.feed,
            message.sample,
            int(item.get("index", 0)),
            str(item.get("declaration_id")),
            str(item.get("state", item.get("status"))),
            tuple(str(p.get("code")) for p in item.get("problems", [])),
            tuple(str(d["endpoint"]) for d in item.get("deliveries", [])),
        )
        for message in tracked
        for item in message.items
    ]


def _summarise(tracked: list[_Tracked]) -> tuple[list[FeedSummary], dict[str, str]]:
    rows: dict[tuple[str, str], FeedSummary] = {}
    examples: dict[str, str] = {}
    for message in tracked:
        for item in message.items:
            deliveries = item.get("deliveries") or []
            destinations = [d["endpoint"] for d in deliveries] or ["(none)"]
            for destination in destinations:
                key = (message.feed, destination)
                summary = rows.setdefault(key, FeedSummary(message.feed, destination))
                _count_item(summary, item, destination, examples)
    return [rows[key] for key in sorted(rows)], examples


def _count_item(
    summary: FeedSummary, item: dict[str, Any], destination: str, examples: dict[str, str]
) -> None:
    summary.received += 1
    state = str(item.get("state"))
    if state == "refused":
        summary.refused += 1
        for problem in item.get("problems", []):
            if problem.get("severity", "error") == "error":
                code = str(problem.get("code", "unknown"))
                summary.reasons[code] += 1
                examples.setdefault(code, f"{item['declaration_id']}: {problem.get('message')}")
        return
    delivery = next((d for d in item.get("deliveries", []) if d["endpoint"] == destination), None)
    if delivery is not None and delivery.get("status") == "delivered":
        summary.delivered += 1
    outcomes = {r["outcome"] for r in item.get("responses", []) if r["endpoint"] == destination}
    if "accepted" in outcomes or state in ("accepted", "released", "held"):
        summary.accepted += 1
    if state in ("released", "held", "queried", "rejected"):
        setattr(summary, state, getattr(summary, state) + 1)
    elif delivery is not None:
        summary.waiting += 1


def _narrate_start(console: Console, gateway_url: str, endpoint_url: str) -> None:
    console.rule("[bold]Customs gateway demo", style="cyan")
    console.print(
        f"The gateway listens at {gateway_url}; a simulated UK CDS endpoint at {endpoint_url} "
        "decides declarations in a realistic mix (mostly accepted, some queried, held or "
        "rejected) and calls the gateway back with its outcomes. Sending the sample feeds:",
        soft_wrap=False,
    )


def print_report(report: DemoReport, console: Console, *, quiet: bool = False) -> None:
    """The summary table per feed and destination, the refusal reasons, and what happened."""
    table = Table(title="What happened to every item, per feed and destination")
    columns = (
        "received",
        "refused",
        "delivered",
        "accepted",
        "released",
        "held",
        "queried",
        "rejected",
    )
    table.add_column("feed")
    table.add_column("destination")
    for column in columns:
        table.add_column(column, justify="right")
    for summary in report.summaries:
        values = summary.row()
        table.add_row(summary.feed, summary.destination, *(str(values[c]) for c in columns))
    totals = report.totals()
    table.add_row("[bold]all", "", *(f"[bold]{totals.get(c, 0)}" for c in columns))
    console.print(table)
    reasons = report.reasons()
    if reasons:
        why = Table(title="Why items were refused (one example each)")
        why.add_column("problem")
        why.add_column("items", justify="right")
        why.add_column("example")
        for code, count in reasons.most_common():
            example = report.examples.get(code, "")
            if len(example) > 110:
                example = example[:107] + "..."
            why.add_row(code, str(count), example)
        console.print(why)
    if quiet:
        return
    waiting = sum(s.waiting for s in report.summaries)
    console.print("[bold]What just happened[/]")
    sentences = (
        f"{report.messages} sample messages from a postal operator, an e-commerce platform and "
        "an express carrier came in over HTTP; each was stored durably before the gateway "
        "answered 202.",
        f"{totals.get('received', 0)} items were read and mapped to one canonical form; "
        f"{totals.get('refused', 0)} were refused at once, each with every reason (above).",
        "The rest were routed by destination and value, rendered as UK CDS declarations, "
        f"checked against the destination schema and delivered: {totals.get('delivered', 0)} "
        f"delivered, {report.simulator_unique} seen exactly once each by customs.",
        "Customs answered through the gateway's callback: "
        f"{totals.get('released', 0)} released, {totals.get('held', 0)} held for a check, "
        f"{totals.get('queried', 0)} queried, {totals.get('rejected', 0)} rejected.",
        f"The whole run took {report.elapsed:.1f} s.",
    )
    console.print(" ".join(sentences), soft_wrap=False)
    if not report.finished:
        console.print(
            f"{waiting} delivered item(s) had no final customs outcome when the demo stopped "
            "waiting."
        )
    if report.database is not None:
        console.print(
            f"The database is kept at {report.database}; look inside with sqlite3, or serve it "
            "again with `gateway serve` and a configuration whose storage.path points at it.",
            soft_wrap=False,
        )


def main(argv: list[str]) -> int:
    """``gateway demo [--keep DIR] [--quiet]``: run the demo and print its summary."""
    parser = argparse.ArgumentParser(
        prog="gateway demo",
        description="run the gateway and a customs simulator on loopback and send the samples",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the database in DIR")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="longest wait for customs outcomes (s)"
    )
    options = parser.parse_args(argv)
    configure_logging("error")
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=120)
    try:
        report = asyncio.run(
            run_demo(
                DemoOptions(keep=options.keep, quiet=options.quiet, timeout=options.timeout),
                console,
            )
        )
    except GatewayError as exc:
        console.print(f"The demo could not run: {exc}", markup=False)
        return 1
    with contextlib.suppress(BrokenPipeError):
        print_report(report, console, quiet=options.quiet)
    return 0
