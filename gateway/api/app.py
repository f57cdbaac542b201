"""The gateway's HTTP API (aiohttp): versioned routes under ``/v1``, problems for errors.

==========================================  ==================================================
``POST /v1/feeds/{feed}/messages``          take a feed message (202 once durably stored)
``GET  /v1/messages/{message_id}``          a message, its items and their trails
``POST /v1/messages/{message_id}/replay``   translate a stored message again and deliver it
``POST /v1/replay``                         replay every message matching a filter
``GET  /v1/items/{reference}``              an item by item ID, postal item ID, waybill, order
``POST /v1/responses/{endpoint}``           an asynchronous customs notification
``GET  /v1/health/live``, ``/ready``        liveness and readiness
``GET  /metrics``                           Prometheus metrics
``GET  /v1/openapi.json``                   the OpenAPI document of all of this
==========================================  ==================================================

Who may call what is ``gateway.api.auth``'s business: bearer tokens per partner, an operator
role, callback secrets per endpoint. A partner asking for another partner's message or item
gets the same 404 as for one that does not exist.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from aiohttp import web

from gateway.api.auth import Authenticator, auth_middleware, caller_of, log_auth_state
from gateway.api.openapi import openapi_document
from gateway.api.problems import json_response, problem_middleware, problem_response
from gateway.errors import GatewayError
from gateway.notify import webhook_partners
from gateway.responses import CustomsOutcome, render_postal_response
from gateway.service.core import Answer, Gateway, NotFoundError
from gateway.service.views import item_json
from gateway.store.base import MessageFilter

GATEWAY = web.AppKey("gateway", Gateway)


def build_app(gateway: Gateway) -> web.Application:
    """The aiohttp application serving one gateway."""
    log_auth_state(gateway.config)
    app = web.Application(
        middlewares=[
            problem_middleware,
            auth_middleware(Authenticator.from_config(gateway.config)),
        ],
        client_max_size=gateway.config.limits.max_body_bytes,
    )
    app[GATEWAY] = gateway
    app.router.add_post("/v1/feeds/{feed}/messages", receive_message)
    app.router.add_get("/v1/messages/{message_id}", get_message)
    app.router.add_post("/v1/messages/{message_id}/replay", replay_message)
    app.router.add_post("/v1/replay", replay_messages)
    app.router.add_get("/v1/items/{reference}", get_item)
    app.router.add_post("/v1/responses/{endpoint}", receive_response)
    app.router.add_get("/v1/health/live", health_live)
    app.router.add_get("/v1/health/ready", health_ready)
    app.router.add_get("/v1/health", health_ready)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/v1/openapi.json", openapi)
    return app


def _answer(answer: Answer) -> web.Response:
    return json_response(answer.status, answer.body, dict(answer.headers))


async def _check_message_visible(request: web.Request, message_id: str) -> None:
    """Raise the usual 404 unless the caller may see the message (operators see all)."""
    caller = caller_of(request)
    if caller.operator:
        return
    view = await request.app[GATEWAY].store.get_message(message_id)
    if view is None or not caller.may_see(view.sender):
        raise NotFoundError(f"There is no message {message_id}.")


async def receive_message(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    started = time.perf_counter()
    sender = caller_of(request).name
    feed = request.match_info["feed"]
    if feed not in gateway.feeds:
        return problem_response(
            404,
            "unknown-feed",
            "Unknown feed",
            f"The feed '{feed}' is not accepted here; the feeds are: "
            f"{', '.join(sorted(gateway.feeds)) or 'none'}.",
        )
    busy = gateway.intake.refusal(request.content_length or 0)  # before reading the body
    if busy is not None:
        return _too_busy(gateway, feed, busy)
    body = await request.read()
    if not body:
        return problem_response(
            400,
            "empty-message",
            "Empty message",
            "The request has no body; send the feed message as the body.",
        )
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 200:
        return problem_response(
            400,
            "bad-idempotency-key",
            "Idempotency key too long",
            "The Idempotency-Key header must be at most 200 characters.",
        )
    busy = gateway.intake.refusal(len(body))  # others may have come in while it was read
    if busy is not None:
        return _too_busy(gateway, feed, busy)
    with gateway.intake.holding(len(body)):
        answer = await gateway.ingest(feed, body, sender=sender, idempotency_key=key)
    gateway.metrics.observe("gateway_ingest_seconds", time.perf_counter() - started, feed=feed)
    response = _answer(answer)
    if answer.status == 202 and "message_id" in answer.body:
        response.headers["Location"] = f"/v1/messages/{answer.body['message_id']}"
    return response


def _too_busy(gateway: Gateway, feed: str, reason: str) -> web.Response:
    """503 with Retry-After: the message is not taken in now, and nothing of it is stored."""
    gateway.metrics.count("gateway_messages_total", feed=feed, outcome="overloaded")
    response = problem_response(
        503,
        "overloaded",
        "Too busy",
        f"The gateway is too busy to take this message in now: {reason}. Nothing of it was "
        "stored; send it again in a second.",
    )
    response.headers["Retry-After"] = "1"
    return response


async def get_message(request: web.Request) -> web.Response:
    message_id = request.match_info["message_id"]
    await _check_message_visible(request, message_id)
    return _answer(await request.app[GATEWAY].message_status(message_id))


async def replay_message(request: web.Request) -> web.Response:
    message_id = request.match_info["message_id"]
    await _check_message_visible(request, message_id)
    return _answer(await request.app[GATEWAY].replay(message_id))


async def replay_messages(request: web.Request) -> web.Response:
    if not caller_of(request).operator:
        raise web.HTTPForbidden(
            text="Replaying every message matching a filter is for operators; replay your own "
            "messages one by one at POST /v1/messages/{message_id}/replay."
        )
    try:
        data = await request.json() if request.can_read_body else {}
    except ValueError:
        return problem_response(
            400, "bad-request", "Bad request", "The replay filter must be a JSON object."
        )
    if not isinstance(data, dict):
        return problem_response(
            400, "bad-request", "Bad request", "The replay filter must be a JSON object."
        )
    unknown = sorted(set(data) - {"feed", "destination", "status", "from", "until", "limit"})
    if unknown:
        return problem_response(
            400,
            "bad-request",
            "Bad request",
            f"The replay filter has unknown keys {', '.join(unknown)}; it takes feed, "
            "destination, status, from, until (ISO 8601 times) and limit.",
        )
    try:
        selection = MessageFilter(
            feed=_text(data, "feed"),
            destination=_text(data, "destination"),
            status=_text(data, "status"),
            received_from=_time(data, "from"),
            received_until=_time(data, "until"),
            limit=int(data.get("limit", 1000)),
        )
    except (TypeError, ValueError) as exc:
        return problem_response(400, "bad-request", "Bad request", str(exc))
    return _answer(await request.app[GATEWAY].replay_many(selection))


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"The replay filter's '{key}' must be a string.")


def _time(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"The replay filter's '{key}' must be an ISO 8601 date-time string.")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"The replay filter's '{key}' value '{value}' is not an ISO 8601 date-time."
        ) from None
    return moment.timestamp()


async def get_item(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    reference = request.match_info["reference"]
    answer = await _visible_items(request, gateway, reference)
    if request.query.get("format") != "postal":
        return _answer(answer)
    item = answer.body["items"][-1]
    if not item["responses"]:
        return problem_response(
            404,
            "no-outcome",
            "No customs outcome yet",
            f"The item {reference} has no customs outcome yet; its state is {item['state']}.",
        )
    latest = item["responses"][-1]
    outcome = CustomsOutcome(
        item["declaration_id"], latest["outcome"], latest["reason"], None, latest["received_at"], ""
    )
    body = render_postal_response(outcome, item["declaration_id"], feed=item["feed"])
    return web.Response(body=body, content_type="application/xml")


async def _visible_items(request: web.Request, gateway: Gateway, reference: str) -> Answer:
    """The items with a reference that the caller may see; 404 when there are none."""
    caller = caller_of(request)
    if caller.operator:
        return await gateway.item_status(reference)
    items = [
        item for item in await gateway.store.find_items(reference) if caller.may_see(item.sender)
    ]
    if not items:
        raise NotFoundError(
            f"No item has the ID, postal item ID, waybill or order number '{reference}'."
        )
    return Answer(200, {"reference": reference, "items": [item_json(item) for item in items]})


async def receive_response(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    body = await request.read()
    return _answer(await gateway.customs_response(request.match_info["endpoint"], body))


async def health_live(request: web.Request) -> web.Response:
    return json_response(200, {"status": "live"})


async def health_ready(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    checks: dict[str, str] = {}
    try:
        await gateway.store.ping()
        checks["store"] = "ok"
    except GatewayError as exc:
        checks["store"] = str(exc)
    for name, worker in gateway.workers.items():
        checks[f"endpoint:{name}"] = f"circuit {worker.circuit.value}"
    ready = checks["store"] == "ok"
    return json_response(
        200 if ready else 503, {"status": "ready" if ready else "not ready", "checks": checks}
    )


async def metrics(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    depths = await gateway.store.queue_depths()
    circuits = {name: worker.circuit.value for name, worker in gateway.workers.items()}
    webhook_depths = (
        dict.fromkeys(webhook_partners(gateway.config.partners), 0)
        | await gateway.store.webhook_queue_depths()
    )
    text = gateway.metrics.render(depths, circuits, gateway.config.endpoints, webhook_depths)
    return web.Response(
        body=text.encode("utf-8"),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )


async def openapi(request: web.Request) -> web.Response:
    return json_response(200, openapi_document(sorted(request.app[GATEWAY].feeds)))
