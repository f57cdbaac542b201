"""The customs endpoint simulator on a real loopback socket: checks, dedup, callbacks, faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from lxml import etree

from gateway.responses import parse_response
from gateway.simulator import (
    CustomsSimulator,
    FaultSettings,
    OutcomeShares,
    SimulatorOptions,
)

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
H7_SAMPLE = STANDARDS / "wco-dm-hmrc-cds" / "samples" / "TT_IM124a_postal_B2C_SRDS_H7.xml"
SAMPLE_LRN = "U.7847323X8D5G"  # the sample's Declaration/FunctionalReferenceID
DEC = "urn:wco:datamodel:WCO:DEC-DMS:2"


@pytest.fixture(scope="module")
def h7_template() -> bytes:
    """The official H7 sample with its comments stripped (valid against the project XSD)."""
    if not H7_SAMPLE.is_file():
        pytest.skip(f"the reference standards are not at {STANDARDS}")
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)
    return etree.tostring(etree.parse(str(H7_SAMPLE), parser))


def declaration(template: bytes, lrn: str) -> bytes:
    return template.replace(SAMPLE_LRN.encode(), lrn.encode())


@dataclass
class Receiver:
    """A small callback receiver: records bodies; fails the first ``fail_first`` posts."""

    url: str = ""
    bodies: list[bytes] = field(default_factory=list)
    fail_first: int = 0
    attempts: int = 0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def handle(request: web.Request) -> web.Response:
        state.attempts += 1
        body = await request.read()
        if state.attempts <= state.fail_first:
            return web.Response(status=503)
        state.bodies.append(body)
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/v1/responses/uk-cds", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}/v1/responses/uk-cds"
    yield state
    await runner.cleanup()


async def post(
    session: aiohttp.ClientSession, sim: CustomsSimulator, body: bytes, key: str | None
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/xml"}
    if key is not None:
        headers["Idempotency-Key"] = key
    async with session.post(sim.declarations_url, data=body, headers=headers) as response:
        return response.status, await response.read()


async def test_valid_declaration_gets_a_received_receipt(h7_template: bytes) -> None:
    """A valid H7 is taken: 202 and a DMSRCV naming its LRN; counted once."""
    async with CustomsSimulator() as sim, aiohttp.ClientSession() as session:
        status, body = await post(session, sim, h7_template, "key-1")
        assert status == 202
        [receipt] = parse_response("uk-cds", body)
        assert (receipt.outcome, receipt.declaration_ref) == ("acknowledged", SAMPLE_LRN)
        assert receipt.raw_function_code == "02"
        assert sim.counts.unique == 1
        assert sim.seen_lrns == {SAMPLE_LRN}
        async with session.get(f"{sim.url}/counts") as response:
            counts = await response.json()
        assert counts["received"] == 1
        assert counts["unique"] == 1


async def test_invalid_declaration_is_refused_with_the_schema_reason(h7_template: bytes) -> None:
    broken = h7_template.replace(b"<TypeCode>IMA</TypeCode>", b"<TypeCode>IMAXX</TypeCode>", 1)
    assert broken != h7_template
    async with CustomsSimulator() as sim, aiohttp.ClientSession() as session:
        async with session.post(sim.declarations_url, data=broken) as response:
            assert response.status == 400
            assert response.content_type == "application/problem+json"
            problem = await response.json()
        assert "TypeCode" in problem["detail"]
        assert problem["problems"]
        status, _ = await post(session, sim, b"<not-xml", None)
        assert status == 400
        assert (sim.counts.invalid, sim.counts.unique) == (2, 0)


async def test_repeated_idempotency_key_returns_the_first_receipt(h7_template: bytes) -> None:
    async with CustomsSimulator() as sim, aiohttp.ClientSession() as session:
        first = await post(session, sim, h7_template, "same-key")
        second = await post(session, sim, h7_template, "same-key")
        assert first[0] == 202
        assert second == (200, first[1])
        assert (sim.counts.received, sim.counts.unique, sim.counts.duplicates) == (2, 1, 1)
        assert sim.seen_keys == {"same-key"}


async def test_callbacks_follow_the_configured_outcome_mix(
    h7_template: bytes, receiver: Receiver
) -> None:
    """Shares 2:1:1:1 over five declarations give exactly that mix, as notification chains."""
    options = SimulatorOptions(
        callback_url=receiver.url,
        outcomes=OutcomeShares(accepted=2, queried=1, held=1, rejected=1),
        first_callback_delay=0.0,
        callback_step_delay=0.0,
    )
    async with CustomsSimulator(options) as sim, aiohttp.ClientSession() as session:
        for number in range(5):
            status, _ = await post(
                session, sim, declaration(h7_template, f"LRN-{number}"), f"k{number}"
            )
            assert status == 202
        await sim.wait_for_callbacks(timeout=10)
        chains: dict[str, list[str]] = {}
        for body in receiver.bodies:
            for outcome in parse_response("uk-cds", body):
                chains.setdefault(outcome.declaration_ref, []).append(outcome.outcome)
        assert sorted(chains) == [f"LRN-{number}" for number in range(5)]
        by_chain = sorted(tuple(chain) for chain in chains.values())
        assert by_chain == sorted(
            [
                ("accepted", "released"),
                ("accepted", "released"),
                ("queried",),
                ("accepted", "held"),
                ("rejected",),
            ]
        )
        assert sim.counts.callbacks_sent == len(receiver.bodies) == 8  # 2+2+1+2+1
        assert {chains[lrn][-1] for lrn in chains} == {"released", "queried", "held", "rejected"}
        assert {lrn: sim.decisions[lrn] for lrn in chains} == {
            lrn: {"released": "accepted"}.get(chain[-1], chain[-1]) for lrn, chain in chains.items()
        }


async def test_failed_callbacks_are_retried(h7_template: bytes, receiver: Receiver) -> None:
    receiver.fail_first = 2
    options = SimulatorOptions(
        callback_url=receiver.url,
        release_after_accept=False,
        first_callback_delay=0.0,
        callback_backoff=0.01,
    )
    async with CustomsSimulator(options) as sim, aiohttp.ClientSession() as session:
        await post(session, sim, h7_template, "k")
        await sim.wait_for_callbacks(timeout=10)
    assert receiver.attempts == 3
    assert len(receiver.bodies) == 1
    assert (sim.counts.callbacks_sent, sim.counts.callbacks_failed) == (1, 0)


async def test_duplicate_callbacks_are_injected_on_demand(
    h7_template: bytes, receiver: Receiver
) -> None:
    options = SimulatorOptions(
        callback_url=receiver.url,
        release_after_accept=False,
        first_callback_delay=0.0,
        faults=FaultSettings(duplicate_callback_rate=1.0),
    )
    async with CustomsSimulator(options) as sim, aiohttp.ClientSession() as session:
        await post(session, sim, h7_template, "k")
        await sim.wait_for_callbacks(timeout=10)
    assert len(receiver.bodies) == 2
    assert receiver.bodies[0] == receiver.bodies[1]


async def test_error_rate_answers_5xx_without_taking_the_declaration(h7_template: bytes) -> None:
    options = SimulatorOptions(faults=FaultSettings(error_rate=1.0, error_status=500))
    async with CustomsSimulator(options) as sim, aiohttp.ClientSession() as session:
        statuses = [(await post(session, sim, h7_template, f"k{n}"))[0] for n in range(3)]
        assert statuses == [500, 500, 500]
        assert (sim.counts.unique, sim.counts.faults_injected) == (0, 3)


async def test_partial_error_rate_is_seeded_and_repeatable(h7_template: bytes) -> None:
    async def run() -> list[int]:
        options = SimulatorOptions(seed=7, faults=FaultSettings(error_rate=0.5))
        async with CustomsSimulator(options) as sim, aiohttp.ClientSession() as session:
            return [(await post(session, sim, h7_template, f"k{n}"))[0] for n in range(12)]

    first = await run()
    assert first == await run()
    assert set(first) == {202, 503}


async def test_outage_window_via_control_endpoint(h7_template: bytes) -> None:
    async with CustomsSimulator() as sim, aiohttp.ClientSession() as session:
        async with session.post(f"{sim.url}/control", json={"outage_seconds": 0.4}) as response:
            assert response.status == 200
            assert (await response.json())["outage_remaining"] > 0
        async with session.post(sim.declarations_url, data=h7_template) as response:
            assert response.status == 503
            assert int(response.headers["Retry-After"]) >= 1
        await asyncio.sleep(0.45)
        status, _ = await post(session, sim, h7_template, "after")
        assert status == 202
        assert sim.counts.unique == 1


async def test_timeout_fault_hangs_longer_than_the_client_waits(h7_template: bytes) -> None:
    options = SimulatorOptions(faults=FaultSettings(timeout_rate=1.0, hang_seconds=30))
    async with CustomsSimulator(options) as sim, aiohttp.ClientSession() as session:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with session.post(
                sim.declarations_url, data=h7_template, timeout=aiohttp.ClientTimeout(total=0.3)
            ):
                pass
        assert time.monotonic() - started < 5
        assert sim.counts.unique == 0
    # Closing released the hanging handler: the block above did not wait 30 seconds.
    assert time.monotonic() - started < 5


async def test_lost_response_is_taken_and_its_retry_deduplicated(h7_template: bytes) -> None:
    """The endpoint takes the declaration but the answer never arrives; the retry is a repeat."""
    async with CustomsSimulator() as sim, aiohttp.ClientSession() as session:
        sim.faults.update({"lost_response_rate": 1.0, "hang_seconds": 30})
        with pytest.raises(TimeoutError):
            async with session.post(
                sim.declarations_url,
                data=h7_template,
                headers={"Idempotency-Key": "lost"},
                timeout=aiohttp.ClientTimeout(total=0.3),
            ):
                pass
        sim.faults.update({"lost_response_rate": 0.0})
        status, _ = await post(session, sim, h7_template, "lost")
        assert status == 200
        assert (sim.counts.unique, sim.counts.duplicates) == (1, 1)


async def test_control_refuses_bad_settings_and_changes_nothing() -> None:
    async with CustomsSimulator() as sim, aiohttp.ClientSession() as session:
        bad = {"error_rate": 2, "latency": "slow", "colour": 1}
        async with session.post(f"{sim.url}/control", json=bad) as response:
            assert response.status == 400
            detail = (await response.json())["detail"]
        assert "error_rate" in detail
        assert "latency" in detail
        assert "colour" in detail
        assert sim.faults == FaultSettings()
        new = {"outcomes": {"rejected": 1, "accepted": 0}, "latency": 0.01}
        async with session.post(f"{sim.url}/control", json=new) as response:
            state = await response.json()
        assert state["outcomes"]["rejected"] == 1.0
        assert sim.faults.latency == 0.01


async def test_close_cancels_pending_callbacks(h7_template: bytes, receiver: Receiver) -> None:
    options = SimulatorOptions(callback_url=receiver.url, first_callback_delay=30)
    started = time.monotonic()
    async with CustomsSimulator(options) as sim, aiohttp.ClientSession() as session:
        await post(session, sim, h7_template, "k")
    assert time.monotonic() - started < 5
    assert receiver.bodies == []


async def test_injected_validator_replaces_the_schema() -> None:
    """Tests and other destinations can plug in their own check."""

    def only_lrn_abc(document: etree._Element) -> list[str]:
        found = document.findtext(f".//{{{DEC}}}FunctionalReferenceID")
        return [] if found == "ABC" else [f"line 1: the LRN {found!r} is not ABC."]

    body = (
        f'<Declaration xmlns="{DEC}"><FunctionalReferenceID>ABC</FunctionalReferenceID>'
        "</Declaration>"
    ).encode()
    async with (
        CustomsSimulator(SimulatorOptions(validator=only_lrn_abc)) as sim,
        aiohttp.ClientSession() as session,
    ):
        assert (await post(session, sim, body, "a"))[0] == 202
        assert (await post(session, sim, body.replace(b"ABC", b"XYZ"), "b"))[0] == 400
        assert sim.seen_lrns == {"ABC"}


async def test_run_simulator_says_where_it_listens_and_stops_when_cancelled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gateway.simulator import run_simulator

    task = asyncio.create_task(run_simulator(SimulatorOptions(validator=lambda _: [])))
    for _ in range(100):
        await asyncio.sleep(0.02)
        if "listening" in capsys.readouterr().out:
            break
    else:
        pytest.fail("run_simulator never said where it listens")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
