"""The HTTP API on a real loopback socket: answers, idempotency, problems, replay, health."""

from __future__ import annotations

import asyncio
import time

from gateway.api.app import build_app
from tests.api.conftest import Running
from tests.service.conftest import sample

FEED = "/v1/feeds/upu-itmatt/messages"


async def _post(running: Running, body: bytes, **headers: str) -> tuple[int, dict, dict]:  # type: ignore[type-arg]
    async with running.http.post(running.url + FEED, data=body, headers=headers) as response:
        return response.status, await response.json(content_type=None), dict(response.headers)


async def _drained(running: Running, timeout: float = 10.0) -> None:
    assert running.server.gateway is not None
    deadline = time.monotonic() + timeout
    while await running.server.gateway.store.queue_depths():
        assert time.monotonic() < deadline, "the outbox did not drain"
        await asyncio.sleep(0.02)


async def test_accepted_message_answers_202_with_each_item(running: Running) -> None:
    status, body, headers = await _post(running, sample("cn-to-gb-with-problems.xml"))
    assert status == 202
    assert headers["Location"] == f"/v1/messages/{body['message_id']}"
    assert len(body["items"]) == 10
    refused = [item for item in body["items"] if item["status"] == "refused"]
    assert len(refused) >= 8, "the eight items with a problem are refused one by one"
    assert all(p["severity"] for item in refused for p in item["problems"])
    codes = {p["code"] for item in refused for p in item["problems"]}
    assert any(code.startswith("s10") for code in codes), codes


async def test_retry_with_the_same_key_returns_the_first_answer(running: Running) -> None:
    body = sample("us-to-gb.xml")
    first = await _post(running, body, **{"Idempotency-Key": "batch-1"})
    second = await _post(running, body, **{"Idempotency-Key": "batch-1"})
    assert first[0] == second[0] == 202
    assert first[1] == second[1]
    assert second[2].get("Idempotent-Replayed") == "true"


async def test_same_key_with_other_content_is_409(running: Running) -> None:
    await _post(running, sample("us-to-gb.xml"), **{"Idempotency-Key": "k"})
    status, body, headers = await _post(
        running, sample("cn-to-gb-small.xml"), **{"Idempotency-Key": "k"}
    )
    assert status == 409
    assert headers["Content-Type"].startswith("application/problem+json")
    assert body["status"] == 409 and "different content" in body["detail"]


async def test_feed_message_number_is_the_key_when_no_header_is_sent(running: Running) -> None:
    first = await _post(running, sample("us-to-gb.xml"))
    second = await _post(running, sample("us-to-gb.xml"))
    assert first[1]["message_id"] == second[1]["message_id"]
    await _drained(running)
    accepted = sum(item["status"] == "accepted" for item in first[1]["items"])
    assert len(running.endpoint.keys) == accepted, "a retried message is delivered once"


async def test_unreadable_message_is_422_with_every_problem(running: Running) -> None:
    status, body, headers = await _post(running, b"<ITMATT><unclosed></ITMATT>")
    assert status == 422
    assert headers["Content-Type"].startswith("application/problem+json")
    assert body["problems"], "the problems are listed"
    assert "Traceback" not in str(body)
    async with running.http.get(f"{running.url}/v1/messages/{body['message_id']}") as response:
        stored = await response.json()
    assert stored["status"] == "unreadable", "the refused raw message is kept as evidence"


async def test_unknown_feed_is_404_problem(running: Running) -> None:
    async with running.http.post(f"{running.url}/v1/feeds/nope/messages", data=b"x") as response:
        body = await response.json(content_type=None)
        assert response.status == 404
    assert body["type"].endswith("unknown-feed") and "upu-itmatt" in body["detail"]


async def test_body_over_the_limit_is_413_problem(running: Running) -> None:
    async with running.http.post(running.url + FEED, data=b"x" * 300_000) as response:
        assert response.status == 413
        body = await response.json(content_type=None)
    assert body["status"] == 413


async def test_unknown_path_and_message_are_404_problems(running: Running) -> None:
    for path in ("/v1/nothing", "/v1/messages/msg_missing", "/v1/items/RR000000000XX"):
        async with running.http.get(running.url + path) as response:
            assert response.status == 404, path
            body = await response.json(content_type=None)
            assert response.headers["Content-Type"].startswith("application/problem+json")
            assert body["detail"]


async def test_replay_retranslates_and_delivers_again_with_the_same_keys(
    running: Running,
) -> None:
    _status, body, _ = await _post(running, sample("us-to-gb.xml"))
    await _drained(running)
    first_keys = sorted(running.endpoint.keys)
    async with running.http.post(
        f"{running.url}/v1/messages/{body['message_id']}/replay"
    ) as response:
        assert response.status == 202
        replay = await response.json()
    assert replay["deliveries"] == len(first_keys)
    await _drained(running)
    assert sorted(running.endpoint.keys[len(first_keys) :]) == first_keys, (
        "a replay with unchanged content carries the same idempotency keys"
    )
    async with running.http.get(f"{running.url}/v1/messages/{body['message_id']}") as response:
        status = await response.json()
    accepted = [i for i in status["items"] if i["deliveries"]]
    assert all("replay" in [e.get("event") for e in i["trail"]] for i in accepted)


async def test_bulk_replay_by_filter(running: Running) -> None:
    await _post(running, sample("us-to-gb.xml"))
    await _post(running, sample("cn-to-gb-small.xml"))
    async with running.http.post(
        f"{running.url}/v1/replay", json={"feed": "upu-itmatt", "limit": 1}
    ) as response:
        assert response.status == 202
        assert (await response.json())["replayed"] == 1
    async with running.http.post(f"{running.url}/v1/replay", json={"colour": "red"}) as response:
        assert response.status == 400
        assert "colour" in (await response.json(content_type=None))["detail"]
    async with running.http.post(
        f"{running.url}/v1/replay", json={"from": "yesterday"}
    ) as response:
        assert response.status == 400


async def test_health_and_openapi(running: Running) -> None:
    async with running.http.get(f"{running.url}/v1/health/live") as response:
        assert response.status == 200
    async with running.http.get(f"{running.url}/v1/health/ready") as response:
        assert response.status == 200
        assert (await response.json())["checks"]["store"] == "ok"
    async with running.http.get(f"{running.url}/v1/openapi.json") as response:
        document = await response.json()
    assert document["openapi"].startswith("3.1")
    assert running.server.gateway is not None
    app = build_app(running.server.gateway)
    for resource in app.router.resources():
        path = resource.canonical
        assert path in document["paths"], f"{path} is missing from the OpenAPI document"
        methods = {route.method.lower() for route in resource if route.method != "HEAD"}
        assert methods <= set(document["paths"][path]), path


async def test_unexpected_error_is_a_500_problem_without_traceback(running: Running) -> None:
    assert running.server.gateway is not None
    gateway = running.server.gateway

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    gateway.message_status = broken  # type: ignore[method-assign,assignment]
    async with running.http.get(f"{running.url}/v1/messages/anything") as response:
        assert response.status == 500
        body = await response.json(content_type=None)
    assert body["error_id"] in body["detail"]
    assert "secret internal detail" not in str(body) and "Traceback" not in str(body)


async def test_customs_response_for_unknown_endpoint_or_bad_body(running: Running) -> None:
    async with running.http.post(f"{running.url}/v1/responses/nowhere", data=b"<x/>") as r:
        assert r.status == 404
    async with running.http.post(f"{running.url}/v1/responses/uk-cds", data=b"not xml") as r:
        assert r.status == 422
        assert (await r.json(content_type=None))["detail"]
