"""Crash test: ``kill -9`` the gateway in the middle of a load, restart it, lose nothing.

``gateway serve`` runs as a real subprocess on loopback against a customs endpoint simulator
running in the test. A few thousand single-item ITMATT messages are sent by concurrent
clients that behave like real senders: a message is sent again (same bytes, so the same
message number and idempotency key) until it gets a 202. The gateway is killed with SIGKILL
mid-load and restarted on the same SQLite file. When the outbox has drained, every item any
202 answer accepted has been taken by the simulator exactly once (its ``unique`` count, one
per idempotency key), none is missing and none is extra; repeated deliveries of declarations
in flight at the kill are answered by the simulator as duplicates, not counted again.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from gateway.sample_feeds import itmatt_batch_bytes
from gateway.simulator import CustomsSimulator, FaultSettings, SimulatorOptions
from tests.service.conftest import UK_CDS_PARAMETERS, free_port

ROOT = Path(__file__).resolve().parents[2]
FEED_URL = "/v1/feeds/upu-itmatt/messages"


def single_item_messages(count: int, *, first_seed: int = 1) -> list[bytes]:
    """``count`` one-item ITMATT messages, each with its own message number and item ID."""
    return [itmatt_batch_bytes(1, seed=seed) for seed in range(first_seed, first_seed + count)]


def write_config(
    tmp_path: Path, port: int, endpoint_url: str, *, pipeline_processes: int = 0, **endpoint: Any
) -> Path:
    """A gateway configuration file on loopback: one uk-cds endpoint, quick retries."""
    settings: dict[str, Any] = {
        "target": "uk-cds",
        "url": endpoint_url,
        "timeout_seconds": 2,
        "concurrency": 16,
        "retry": {"base_delay_seconds": 0.05, "max_delay_seconds": 0.5, "max_attempts": 1000},
        "breaker": {"failure_threshold": 20, "reset_seconds": 0.2},
    }
    settings.update(endpoint)
    config = {
        "server": {"host": "127.0.0.1", "port": port, "pipeline_processes": pipeline_processes},
        "storage": {"path": str(tmp_path / "gateway.db")},
        "logging": {"level": "warning"},
        "feeds": ["upu-itmatt"],
        "parameters": {"uk-cds": UK_CDS_PARAMETERS},
        "endpoints": {"uk-cds": settings},
    }
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@dataclass
class LoadResult:
    """What the senders learnt: the items each 202 accepted, and how many answers were replays."""

    accepted_items: dict[str, str] = field(default_factory=dict)
    """Declaration ID -> item ID, for every item a 202 answer accepted."""
    refused_items: int = 0
    answered: int = 0
    replayed: int = 0
    connection_errors: int = 0
    other_statuses: dict[int, int] = field(default_factory=dict)
    """Answers other than 202, by status (counted, then sent again)."""


async def send_until_accepted(
    http: aiohttp.ClientSession,
    base_url: Callable[[], str],
    bodies: list[bytes],
    *,
    concurrency: int = 32,
    deadline: float = 60.0,
    on_answer: Callable[[LoadResult], Awaitable[None]] | None = None,
) -> LoadResult:
    """Send every body until it gets a 202, like a sender would; record what was accepted."""
    result = LoadResult()
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    give_up = time.monotonic() + deadline

    async def sender() -> None:
        while not queue.empty():
            body = queue.get_nowait()
            while True:
                assert time.monotonic() < give_up, (
                    f"the gateway did not accept the load in time: {result.answered} answered, "
                    f"{result.connection_errors} connection errors, other answers "
                    f"{result.other_statuses}"
                )
                try:
                    async with http.post(f"{base_url()}{FEED_URL}", data=body) as response:
                        status = response.status
                        answer = await response.json() if status == 202 else None
                        replayed = response.headers.get("Idempotent-Replayed") == "true"
                except (aiohttp.ClientError, TimeoutError):
                    result.connection_errors += 1
                    await asyncio.sleep(0.05)
                    continue
                if status != 202:
                    result.other_statuses[status] = result.other_statuses.get(status, 0) + 1
                    await asyncio.sleep(0.05)
                    continue
                assert answer is not None
                for item in answer["items"]:
                    if item["status"] == "accepted":
                        result.accepted_items[item["declaration_id"]] = item["item_id"]
                    else:
                        result.refused_items += 1
                result.answered += 1
                result.replayed += replayed
                if on_answer is not None:
                    await on_answer(result)
                break

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return result


def start_gateway(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """``gateway serve --config FILE`` as a subprocess, its log to a file."""
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


async def wait_until_live(
    http: aiohttp.ClientSession, url: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Until the gateway answers its liveness check (it failed to start if it exits)."""
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, f"the gateway exited at start: {log.read_text()[-2000:]}"
        assert time.monotonic() < deadline, "the gateway did not start in 30 s"
        try:
            async with http.get(f"{url}/v1/health/live") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a gateway subprocess this test started (SIGTERM, then SIGKILL)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


async def queue_depth(http: aiohttp.ClientSession, url: str) -> int:
    """Deliveries waiting in the gateway's outbox, read from ``/metrics``."""
    async with http.get(f"{url}/metrics") as response:
        text = await response.text()
    found = re.findall(r'^gateway_queue_depth\{destination="uk-cds"\} (\d+)$', text, re.M)
    return int(found[0]) if found else 0


async def wait_until_drained(
    http: aiohttp.ClientSession,
    url: str,
    simulator: CustomsSimulator,
    expected: int,
    timeout: float,
) -> None:
    """Until the outbox is empty and the simulator took ``expected`` declarations."""
    deadline = time.monotonic() + timeout
    while await queue_depth(http, url) or simulator.counts.unique < expected:
        assert time.monotonic() < deadline, (
            f"deliveries did not drain: simulator took {simulator.counts.unique} of {expected}, "
            f"queue depth {await queue_depth(http, url)}"
        )
        await asyncio.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("pipeline_processes", [0, 2], ids=["threads", "processes"])
async def test_kill_9_mid_load_loses_and_duplicates_nothing(
    tmp_path: Path, pipeline_processes: int
) -> None:
    messages = 3000
    bodies = single_item_messages(messages)
    # A little endpoint latency keeps deliveries in flight when the kill comes; the endpoint
    # still takes those, and the restarted gateway sends them again under the same key.
    options = SimulatorOptions(seed=3, faults=FaultSettings(latency=0.02))
    async with CustomsSimulator(options) as simulator:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        config = write_config(
            tmp_path, port, simulator.declarations_url, pipeline_processes=pipeline_processes
        )
        log = tmp_path / "gateway.log"
        processes = [start_gateway(config, log)]
        killed = asyncio.Event()
        at_kill: dict[str, int] = {}
        try:
            timeout = aiohttp.ClientTimeout(total=10)
            async with aiohttp.ClientSession(timeout=timeout) as http:
                await wait_until_live(http, url, processes[0], log)

                async def kill_mid_load(progress: LoadResult) -> None:
                    if not killed.is_set() and progress.answered >= messages // 3:
                        killed.set()
                        os.kill(processes[0].pid, signal.SIGKILL)  # kill -9
                        processes[0].wait(10)
                        at_kill.update(
                            accepted=len(progress.accepted_items), taken=simulator.counts.unique
                        )
                        processes.append(start_gateway(config, log))

                try:
                    result = await send_until_accepted(
                        http, lambda: url, bodies, on_answer=kill_mid_load, deadline=75
                    )
                except AssertionError as exc:  # say what the gateways logged, for diagnosis
                    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                    raise AssertionError(f"{exc}\ngateway log (end):\n{tail}") from exc
                assert killed.is_set() and processes[0].returncode == -signal.SIGKILL
                await wait_until_live(http, url, processes[-1], log)
                await wait_until_drained(
                    http, url, simulator, len(result.accepted_items), timeout=30
                )
                await asyncio.sleep(0.5)  # a late extra delivery would show now
                assert await queue_depth(http, url) == 0
        finally:
            for process in processes:
                stop(process)
        assert result.answered == messages, "every message got its 202 in the end"
        assert result.connection_errors > 0, "the kill interrupted requests in flight"
        accepted = set(result.accepted_items)
        assert len(accepted) + result.refused_items == messages
        assert simulator.counts.unique == len(accepted), "each accepted item delivered once"
        assert simulator.seen_lrns == accepted, "no accepted item missing, none extra"
        assert len(simulator.seen_keys) == len(accepted)
        assert simulator.counts.invalid == 0
        assert at_kill["accepted"] > 0
        counts = simulator.counts
        assert counts.received == counts.unique + counts.duplicates, (
            "anything the endpoint saw twice was a repeat under the same idempotency key"
        )
