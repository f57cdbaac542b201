"""Translation in worker processes: same answers as in threads, a dead worker is replaced.

Real worker processes (``python -m gateway.service.translate_worker``) talking over pipes; the
gateway end to end on loopback with ``server.pipeline_processes`` set.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from gateway.config import config_from_dict
from gateway.pipeline import Pipeline
from gateway.routing import load_routes
from gateway.service import GatewayServer
from gateway.service.ingest import EndpointTarget
from gateway.service.translators import (
    ProcessTranslator,
    ThreadTranslator,
    Translation,
    TranslationUnavailableError,
)
from gateway.simulator.options import SimulatorOptions
from gateway.simulator.server import CustomsSimulator
from tests.service.conftest import UK_CDS_PARAMETERS, gateway_config, sample

ENDPOINTS = {"uk-cds": EndpointTarget("uk-cds", "uk-cds")}
PARAMETERS = {"uk-cds": UK_CDS_PARAMETERS}


def _routes_path() -> Path:
    return config_from_dict({}).routes_path


def _comparable(translation: Translation) -> object:
    """A translation without the item IDs, which are fresh for every translation."""
    return (
        translation.readable,
        translation.message_id,
        translation.problems,
        [
            (item.declaration_id, item.accepted, item.problems, item.canonical, item.deliveries)
            for item in translation.items
        ],
    )


async def test_worker_processes_translate_as_threads_do() -> None:
    body = sample("cn-to-gb-small.xml")
    threads = ThreadTranslator(
        Pipeline(parameters=PARAMETERS), load_routes(_routes_path()), ENDPOINTS
    )
    processes = ProcessTranslator(2, PARAMETERS, _routes_path(), ENDPOINTS, ("upu-itmatt",))
    await processes.start()
    try:
        expected = await threads.translate("upu-itmatt", body)
        answers = await asyncio.gather(*(processes.translate("upu-itmatt", body) for _ in range(6)))
        unreadable = await processes.translate("upu-itmatt", b"<not-xml")
    finally:
        await processes.close()
        await threads.close()
    assert expected.items, "the sample has items"
    assert all(_comparable(answer) == _comparable(expected) for answer in answers)
    assert not unreadable.readable and unreadable.problems and not unreadable.items


async def test_a_dead_worker_fails_its_request_and_is_replaced() -> None:
    processes = ProcessTranslator(1, PARAMETERS, _routes_path(), ENDPOINTS, ("upu-itmatt",))
    await processes.start()
    try:
        worker = processes._workers[0]
        worker.process.kill()
        with pytest.raises(TranslationUnavailableError):
            await processes.translate("upu-itmatt", sample("cn-to-gb-small.xml"))
        for _ in range(200):  # the replacement compiles its mappings first
            if processes._workers and processes._workers[0] is not worker:
                break
            await asyncio.sleep(0.05)
        answer = await processes.translate("upu-itmatt", sample("cn-to-gb-small.xml"))
    finally:
        await processes.close()
    assert answer.readable and answer.items


async def test_gateway_with_worker_processes_accepts_and_delivers(tmp_path: Path) -> None:
    async with CustomsSimulator(SimulatorOptions(seed=1)) as simulator:
        config = gateway_config(
            tmp_path,
            simulator.declarations_url,
            server={"host": "127.0.0.1", "port": 0, "pipeline_processes": 2},
        )
        async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
            async with http.post(
                f"{server.url}/v1/feeds/upu-itmatt/messages", data=sample("cn-to-gb-small.xml")
            ) as response:
                assert response.status == 202
                answer = await response.json()
            accepted = [i for i in answer["items"] if i["status"] == "accepted"]
            assert accepted and len(answer["items"]) == 7
            for _ in range(300):
                if simulator.counts.unique >= len(accepted):
                    break
                await asyncio.sleep(0.05)
            assert simulator.counts.unique == len(accepted)
