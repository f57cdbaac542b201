"""Errors as RFC 9457 problem details (``application/problem+json``), never a traceback.

``problem_middleware`` turns every error into a problem response: the gateway's own errors
with their sentence, aiohttp's HTTP errors with theirs, and anything unexpected into a 500
whose detail names an error ID that the log line carries too.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import structlog
from aiohttp import web

from gateway.errors import ConfigurationError, GatewayError, InputError
from gateway.service.core import NotFoundError, UnknownFeedError

PROBLEM_TYPE = "urn:customs-gateway:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"

log = structlog.get_logger("gateway.api")


def problem_response(status: int, kind: str, title: str, detail: str, **extra: Any) -> web.Response:
    """A problem details response."""
    body = {"type": PROBLEM_TYPE + kind, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        content_type=PROBLEM_MEDIA_TYPE,
    )


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response; bodies that are problems get the problem media type."""
    media = (
        PROBLEM_MEDIA_TYPE
        if status >= 400 and isinstance(body, dict) and "type" in body
        else ("application/json")
    )
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        content_type=media,
        headers=headers,
    )


_HTTP_KINDS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Not authorised"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("too-large", "Message too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


@web.middleware
async def problem_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every error as a problem response."""
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kind, title = _HTTP_KINDS.get(exc.status, ("http-error", exc.reason))
        detail = (
            exc.text
            if exc.text and not exc.text.startswith(f"{exc.status}:")
            else (_default_detail(exc.status, request))
        )
        return problem_response(exc.status, kind, title, detail)
    except UnknownFeedError as exc:
        return problem_response(404, "unknown-feed", "Unknown feed", str(exc))
    except NotFoundError as exc:
        return problem_response(404, "not-found", "Not found", str(exc))
    except InputError as exc:
        problems = [problem.to_dict() for problem in exc.problems]
        return problem_response(
            422, "invalid-input", "Input cannot be read", str(exc), problems=problems
        )
    except ConfigurationError as exc:
        return problem_response(400, "bad-request", "Bad request", str(exc))
    except GatewayError as exc:
        error_id = secrets.token_hex(6)
        log.error("request.failed", error_id=error_id, path=request.path, error=str(exc))
        return problem_response(
            503,
            "unavailable",
            "Service unavailable",
            f"{exc} (error ID {error_id}).",
            error_id=error_id,
        )
    except Exception as exc:
        error_id = secrets.token_hex(6)
        log.error(
            "request.crashed",
            error_id=error_id,
            path=request.path,
            error_type=type(exc).__name__,
            exc_info=True,
        )
        return problem_response(
            500,
            "internal",
            "Internal error",
            f"The gateway failed to handle this request; the operators can find it in the log "
            f"under error ID {error_id}.",
            error_id=error_id,
        )
    return response


def _default_detail(status: int, request: web.Request) -> str:
    if status == 404:
        return f"There is nothing at {request.path}; the API is described at /v1/openapi.json."
    if status == 405:
        return f"The method {request.method} is not allowed on {request.path}."
    return f"The request to {request.path} failed with HTTP status {status}."
