"""Fault test: a customs endpoint that fails, hangs and goes down for 20 s, then recovers.

``gateway serve`` runs as a subprocess against the in-test simulator, which answers 30% of
declarations with a 5xx, hangs on some (longer than the gateway's timeout, without taking the
declaration), takes a few and then hangs (the gateway never learns they were taken, so it
sends them again), and is down for a real 20-second outage in the middle of the load. Once it
recovers, every item a 202 accepted has been taken exactly once (the simulator's unique count,
one per idempotency key), none missing, none extra; ``/metrics`` shows the retries and the
circuit breaker opening while the endpoint was down.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import aiohttp
import pytest

from gateway.simulator import CustomsSimulator, FaultSettings, SimulatorOptions
from tests.service.conftest import free_port
from tests.service.test_crash import (
    LoadResult,
    queue_depth,
    send_until_accepted,
    single_item_messages,
    start_gateway,
    stop,
    wait_until_drained,
    wait_until_live,
    write_config,
)

OUTAGE_SECONDS = 20.0


def counter(text: str, name: str, **labels: str) -> float:
    """One sample's value from a Prometheus text page (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    found = re.findall(rf"^{name}\{{{re.escape(wanted)}\}} ([0-9.e+]+)$", text, re.M)
    return float(found[0]) if found else 0.0


@pytest.mark.slow
async def test_5xx_timeouts_and_a_20_second_outage_still_deliver_each_item_once(
    tmp_path: Path,
) -> None:
    messages = 800
    bodies = single_item_messages(messages, first_seed=50_000)
    faults = FaultSettings(
        error_rate=0.3,
        error_status=500,
        timeout_rate=0.03,
        hang_seconds=2.5,
        lost_response_rate=0.02,
    )
    async with CustomsSimulator(SimulatorOptions(seed=11, faults=faults)) as simulator:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        config = write_config(
            tmp_path,
            port,
            simulator.declarations_url,
            timeout_seconds=1,
            retry={"base_delay_seconds": 0.1, "max_delay_seconds": 2, "max_attempts": 10_000},
            breaker={"failure_threshold": 5, "reset_seconds": 1},
        )
        log = tmp_path / "gateway.log"
        process = start_gateway(config, log)
        outage_started: list[float] = []
        circuit_seen_open = False
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
                await wait_until_live(http, url, process, log)

                async def outage_mid_load(progress: LoadResult) -> None:
                    if not outage_started and progress.answered >= messages // 4:
                        outage_started.append(time.monotonic())
                        async with http.post(
                            f"{simulator.url}/control", json={"outage_seconds": OUTAGE_SECONDS}
                        ) as response:
                            assert response.status == 200

                result = await send_until_accepted(
                    http, lambda: url, bodies, concurrency=16, on_answer=outage_mid_load
                )
                assert outage_started, "the outage began during the load"
                assert simulator.outage_remaining > 1, (
                    "the load was sent while the endpoint was down"
                )
                taken_in_outage = last_in_outage = simulator.counts.unique
                while simulator.outage_remaining > 0:
                    if simulator.outage_remaining > 0.5:
                        last_in_outage = simulator.counts.unique
                    async with http.get(f"{url}/metrics") as response:
                        page = await response.text()
                    if counter(page, "gateway_circuit_state", destination="uk-cds", state="open"):
                        circuit_seen_open = True
                    await asyncio.sleep(0.2)
                assert last_in_outage == taken_in_outage, "nothing got in while it was down"
                assert time.monotonic() - outage_started[0] >= OUTAGE_SECONDS - 0.1
                await wait_until_drained(
                    http, url, simulator, len(result.accepted_items), timeout=45
                )
                await asyncio.sleep(0.5)
                assert await queue_depth(http, url) == 0
                async with http.get(f"{url}/metrics") as response:
                    page = await response.text()
        finally:
            stop(process)
        assert process.returncode == 0, "the gateway stopped cleanly on SIGTERM"

    accepted = set(result.accepted_items)
    assert result.answered == messages
    assert simulator.counts.unique == len(accepted), "each accepted item taken once"
    assert simulator.seen_lrns == accepted, "no accepted item missing, none extra"
    assert simulator.counts.faults_injected > 0
    assert circuit_seen_open, "/metrics showed the circuit open during the outage"
    attempts = "gateway_delivery_attempts_total"
    delivered = counter(page, attempts, destination="uk-cds", outcome="delivered")
    retried = counter(page, attempts, destination="uk-cds", outcome="retry")
    dead = counter(page, attempts, destination="uk-cds", outcome="dead-lettered")
    assert delivered == len(accepted), "each delivery ended delivered exactly once"
    assert retried > 0.3 * len(accepted), "failures were retried (30% 5xx alone gives that)"
    assert dead == 0
