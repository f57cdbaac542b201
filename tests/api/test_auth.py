"""Authentication and authorisation of the API on a real loopback server.

Partners sign in with bearer tokens (clear or as SHA-256 digests), see only their own messages
and items (404 for others'), operators see everything and bulk-replay, customs callbacks carry
their endpoint's secret, and with no token configured the API stays open with a warning.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web

from gateway.api.auth import Authenticator, bearer_token, log_auth_state
from gateway.config import GatewayConfig, config_from_dict
from gateway.errors import ConfigurationError
from gateway.service import GatewayServer
from gateway.simulator.options import SimulatorOptions
from gateway.simulator.server import CustomsSimulator
from tests.service.conftest import UK_CDS_PARAMETERS, free_port, sample

FEED = "/v1/feeds/upu-itmatt/messages"
TOKEN_A = "token-of-royal-mail"
TOKEN_B = "token-of-china-post"
TOKEN_OPS = "token-of-the-operators"
CALLBACK_SECRET = "secret-of-uk-cds-callbacks"


def _config(tmp_path: Path, endpoint_url: str, **endpoint: Any) -> GatewayConfig:
    """Two partners (one by clear token, one by digest), an operator, one uk-cds endpoint."""
    return config_from_dict(
        {
            "server": {"host": "127.0.0.1", "port": endpoint.pop("port", 0)},
            "storage": {"path": str(tmp_path / "gateway.db")},
            "parameters": {"uk-cds": UK_CDS_PARAMETERS},
            "endpoints": {
                "uk-cds": {
                    "target": "uk-cds",
                    "url": endpoint_url,
                    "timeout_seconds": 2,
                    "retry": {"base_delay_seconds": 0.01, "max_delay_seconds": 0.05},
                    **endpoint,
                }
            },
            "partners": {
                "royal-mail": {"token": TOKEN_A},
                "china-post": {"token_sha256": hashlib.sha256(TOKEN_B.encode()).hexdigest()},
                "ops": {"token": TOKEN_OPS, "role": "operator"},
            },
        }
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Secured:
    url: str
    http: aiohttp.ClientSession

    async def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {**kwargs.pop("headers", {}), **(_bearer(token) if token else {})}
        async with self.http.request(method, self.url + path, headers=headers, **kwargs) as r:
            body = await r.read()
            parsed: Any = body.decode("utf-8", "replace")
            if r.content_type.endswith("json"):
                parsed = await r.json(content_type=None)
            return r.status, parsed, dict(r.headers)

    async def send(self, token: str) -> dict[str, Any]:
        status, body, _ = await self.call("POST", FEED, token, data=sample("us-to-gb.xml"))
        assert status == 202, body
        return dict(body)


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[Secured]:
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/declarations", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    endpoint_url = f"http://127.0.0.1:{runner.addresses[0][1]}/declarations"
    config = _config(tmp_path, endpoint_url, callback_secret=CALLBACK_SECRET)
    try:
        async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
            yield Secured(server.url, http)
    finally:
        await runner.cleanup()


# -- authentication ----------------------------------------------------------------------------


async def test_missing_token_is_401_problem_with_bearer_challenge(secured: Secured) -> None:
    status, body, headers = await secured.call("POST", FEED, data=sample("us-to-gb.xml"))
    assert status == 401
    assert headers["Content-Type"].startswith("application/problem+json")
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert "invalid_token" not in headers["WWW-Authenticate"]
    assert "Authorization: Bearer" in body["detail"]


async def test_wrong_token_is_401_with_invalid_token_challenge(secured: Secured) -> None:
    status, body, headers = await secured.call(
        "POST", FEED, "not-a-partner-token", data=sample("us-to-gb.xml")
    )
    assert status == 401
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert body["status"] == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/messages/msg_unknown"),
        ("POST", "/v1/messages/msg_unknown/replay"),
        ("POST", "/v1/replay"),
        ("GET", "/v1/items/RR123456785GB"),
        ("GET", "/v1/nowhere"),
    ],
)
async def test_every_other_route_needs_a_token(secured: Secured, method: str, path: str) -> None:
    status, _, headers = await secured.call(method, path)
    assert status == 401
    assert "WWW-Authenticate" in headers


async def test_a_sender_header_does_not_stand_in_for_a_token(secured: Secured) -> None:
    status, _, _ = await secured.call(
        "POST", FEED, headers={"X-Gateway-Sender": "royal-mail"}, data=sample("us-to-gb.xml")
    )
    assert status == 401


async def test_health_openapi_and_metrics_stay_open(secured: Secured) -> None:
    for path in ("/v1/health/live", "/v1/health/ready", "/v1/health", "/metrics"):
        status, _, _ = await secured.call("GET", path)
        assert status == 200, path
    status, document, _ = await secured.call("GET", "/v1/openapi.json")
    assert status == 200
    bearer = document["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert document["security"] == [{"bearer": []}]
    assert document["paths"]["/v1/health/live"]["get"]["security"] == []


async def test_token_given_as_sha256_digest_signs_the_partner_in(secured: Secured) -> None:
    answer = await secured.send(TOKEN_B)
    status, message, _ = await secured.call("GET", f"/v1/messages/{answer['message_id']}", TOKEN_B)
    assert status == 200
    assert message["message_id"] == answer["message_id"]


# -- authorisation -----------------------------------------------------------------------------


async def test_partner_cannot_read_or_replay_another_partners_message(secured: Secured) -> None:
    answer = await secured.send(TOKEN_A)
    message_id = answer["message_id"]
    status, own, _ = await secured.call("GET", f"/v1/messages/{message_id}", TOKEN_A)
    assert status == 200 and own["message_id"] == message_id

    status, other, _ = await secured.call("GET", f"/v1/messages/{message_id}", TOKEN_B)
    _, missing, _ = await secured.call("GET", "/v1/messages/msg_does_not_exist", TOKEN_B)
    assert status == 404
    assert other["title"] == missing["title"], "someone else's message looks like no message"
    assert other["detail"] == missing["detail"].replace("msg_does_not_exist", message_id)

    status, _, _ = await secured.call("POST", f"/v1/messages/{message_id}/replay", TOKEN_B)
    assert status == 404
    status, replayed, _ = await secured.call("POST", f"/v1/messages/{message_id}/replay", TOKEN_A)
    assert status == 202 and replayed["message_id"] == message_id


async def test_partner_sees_only_its_own_items(secured: Secured) -> None:
    answer = await secured.send(TOKEN_A)
    item_id = answer["items"][0]["item_id"]
    status, own, _ = await secured.call("GET", f"/v1/items/{item_id}", TOKEN_A)
    assert status == 200
    assert [item["item_id"] for item in own["items"]] == [item_id]
    status, _, _ = await secured.call("GET", f"/v1/items/{item_id}", TOKEN_B)
    assert status == 404


async def test_operator_reads_and_replays_every_partners_messages(secured: Secured) -> None:
    answer = await secured.send(TOKEN_A)
    message_id = answer["message_id"]
    item_id = answer["items"][0]["item_id"]
    status, _, _ = await secured.call("GET", f"/v1/messages/{message_id}", TOKEN_OPS)
    assert status == 200
    status, _, _ = await secured.call("GET", f"/v1/items/{item_id}", TOKEN_OPS)
    assert status == 200
    status, _, _ = await secured.call("POST", f"/v1/messages/{message_id}/replay", TOKEN_OPS)
    assert status == 202
    status, bulk, _ = await secured.call("POST", "/v1/replay", TOKEN_OPS, json={})
    assert status == 202
    assert message_id in {entry["message_id"] for entry in bulk["messages"]}


async def test_bulk_replay_is_forbidden_to_partners(secured: Secured) -> None:
    await secured.send(TOKEN_A)
    status, body, _ = await secured.call("POST", "/v1/replay", TOKEN_A, json={})
    assert status == 403
    assert "operators" in body["detail"]


# -- customs callbacks -------------------------------------------------------------------------


async def test_callback_without_or_with_a_wrong_endpoint_secret_is_401(secured: Secured) -> None:
    for token in (None, "wrong-secret", TOKEN_OPS):
        status, _, headers = await secured.call(
            "POST", "/v1/responses/uk-cds", token, data=b"<Notification/>"
        )
        assert status == 401, token
        assert headers["WWW-Authenticate"].startswith("Bearer")


async def test_callback_with_the_endpoint_secret_reaches_the_response_handler(
    secured: Secured,
) -> None:
    status, body, _ = await secured.call(
        "POST", "/v1/responses/uk-cds", CALLBACK_SECRET, data=b"not a notification"
    )
    assert status == 422, "past authentication, the body itself is refused as unreadable"
    assert body["status"] == 422


async def test_simulator_callbacks_with_the_secret_update_the_items(tmp_path: Path) -> None:
    """End to end: a customs endpoint sending its secret gets its outcomes applied."""
    port = free_port()
    options = SimulatorOptions(
        callback_url=f"http://127.0.0.1:{port}/v1/responses/uk-cds",
        callback_headers=_bearer(CALLBACK_SECRET),
        first_callback_delay=0.01,
        callback_step_delay=0.01,
        seed=2,
    )
    async with CustomsSimulator(options) as simulator:
        config = _config(
            tmp_path, simulator.declarations_url, port=port, callback_secret=CALLBACK_SECRET
        )
        async with GatewayServer(config) as server, aiohttp.ClientSession() as http:
            client = Secured(server.url, http)
            answer = await client.send(TOKEN_A)
            accepted = [i["item_id"] for i in answer["items"] if i["status"] == "accepted"]
            assert accepted
            deadline = time.monotonic() + 15
            while True:
                _, message, _ = await client.call(
                    "GET", f"/v1/messages/{answer['message_id']}", TOKEN_A
                )
                answered = [i for i in message["items"] if i["responses"]]
                if len(answered) == len(accepted):
                    break
                assert time.monotonic() < deadline, message
                await asyncio.sleep(0.05)
        assert simulator.counts.callbacks_failed == 0


# -- auth off and configuration ----------------------------------------------------------------


def test_auth_off_logs_one_warning_that_the_api_is_open(tmp_path: Path) -> None:
    open_config = config_from_dict({"storage": {"path": str(tmp_path / "g.db")}})
    with structlog.testing.capture_logs() as logs:
        log_auth_state(open_config)
    assert [entry["event"] for entry in logs] == ["api.open"]
    assert logs[0]["log_level"] == "warning"
    assert not Authenticator.from_config(open_config).enabled


def test_auth_on_warns_about_endpoints_taking_callbacks_without_a_secret(tmp_path: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        log_auth_state(_config(tmp_path, "http://127.0.0.1:1/declarations"))
    assert [(entry["event"], entry.get("endpoints")) for entry in logs] == [
        ("api.callbacks_open", ["uk-cds"])
    ]


def test_identify_names_the_partner_and_role_of_a_token(tmp_path: Path) -> None:
    authenticator = Authenticator.from_config(_config(tmp_path, "http://127.0.0.1:1/d"))
    assert authenticator.enabled
    a = authenticator.identify(f"Bearer {TOKEN_A}")
    b = authenticator.identify(f"bearer  {TOKEN_B} ")
    ops = authenticator.identify(f"Bearer {TOKEN_OPS}")
    assert a is not None and (a.name, a.operator) == ("royal-mail", False)
    assert b is not None and (b.name, b.operator) == ("china-post", False)
    assert ops is not None and (ops.name, ops.operator) == ("ops", True)
    assert authenticator.identify(f"Basic {TOKEN_A}") is None
    assert authenticator.identify(None) is None
    assert a.may_see("royal-mail") and not a.may_see("china-post") and ops.may_see("china-post")


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc ", "abc"),
        ("Bearer", None),
        ("Basic abc", None),
        ("", None),
    ],
)
def test_bearer_token_reads_only_the_bearer_scheme(header: str, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize(
    ("partner", "fragment"),
    [
        ({"token": "x", "token_sha256": "a" * 64}, "either token or token_sha256"),
        ({"token_sha256": "not-hex"}, "64 hexadecimal digits"),
        ({"role": "operator"}, "an operator needs a token"),
        ({"token": "x", "role": "admin"}, "partners.p.role"),
    ],
)
def test_partner_auth_mistakes_are_refused_at_start(partner: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        config_from_dict({"partners": {"p": partner}})


def test_two_partners_with_one_token_are_refused() -> None:
    digest = hashlib.sha256(b"shared").hexdigest()
    with pytest.raises(ConfigurationError, match="same token"):
        config_from_dict({"partners": {"a": {"token": "shared"}, "b": {"token_sha256": digest}}})


def test_short_callback_secret_is_refused() -> None:
    endpoint = {"target": "uk-cds", "url": "http://127.0.0.1:1/d", "callback_secret": "short"}
    with pytest.raises(ConfigurationError, match="callback_secret"):
        config_from_dict({"endpoints": {"uk-cds": endpoint}})
