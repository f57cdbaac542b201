"""The OpenAPI 3.1 document describing the gateway's HTTP API (served at /v1/openapi.json)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_OPEN: list[dict[str, list[str]]] = []
"""``security`` of an operation that needs no token."""
_CALLBACK_SECRET: list[dict[str, list[str]]] = [{"endpointSecret": []}]


def _json(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def openapi_document(feeds: Sequence[str]) -> dict[str, Any]:
    """The whole API, with the feeds this instance accepts listed for ``{feed}``."""
    message_id = _path_parameter("message_id", "The gateway's message ID (msg_...).")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Customs interoperability gateway",
            "version": "1",
            "description": (
                "Feed messages in, declarations to customs endpoints, customs outcomes back. "
                "Errors are RFC 9457 problem details (application/problem+json). "
                "When any partner has a token, every operation needs "
                "'Authorization: Bearer <token>' except health, metrics and this document; "
                "a partner sees only its own messages and items (others' answer 404)."
            ),
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/feeds/{feed}/messages": {
                "post": {
                    "summary": "Send a feed message",
                    "description": (
                        "Answers 202 once the raw message is durably stored. Items failing "
                        "checks are refused one by one; the rest go on. A retry with the same "
                        "Idempotency-Key (or feed message number) returns the first answer; "
                        "the same key with other content is 409."
                    ),
                    "parameters": [
                        {
                            "name": "feed",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": list(feeds)},
                        },
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 200},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/xml": {"schema": {"type": "string"}},
                            "application/json": {"schema": {"type": "object"}},
                        },
                    },
                    "responses": {
                        "202": _json("Stored; items accepted or refused.", "IngestAnswer"),
                        "400": _PROBLEM,
                        "401": _PROBLEM,
                        "404": _PROBLEM,
                        "409": _PROBLEM,
                        "413": _PROBLEM,
                        "422": _PROBLEM,
                        "503": {
                            "description": "Too busy: nothing stored; send it again after "
                            "Retry-After seconds (also when a translation worker died).",
                            "headers": {
                                "Retry-After": {"schema": {"type": "integer", "minimum": 0}}
                            },
                            "content": {
                                "application/problem+json": {
                                    "schema": {"$ref": "#/components/schemas/Problem"}
                                }
                            },
                        },
                    },
                }
            },
            "/v1/messages/{message_id}": {
                "get": {
                    "summary": "Status of a message and each of its items, with the trail",
                    "parameters": [message_id],
                    "responses": {
                        "200": _json("The message.", "Message"),
                        "401": _PROBLEM,
                        "404": _PROBLEM,
                    },
                }
            },
            "/v1/messages/{message_id}/replay": {
                "post": {
                    "summary": "Translate a stored message again with today's mappings",
                    "parameters": [message_id],
                    "responses": {
                        "202": _json("Re-translated and enqueued.", "ReplayAnswer"),
                        "401": _PROBLEM,
                        "404": _PROBLEM,
                        "422": _PROBLEM,
                    },
                }
            },
            "/v1/replay": {
                "post": {
                    "summary": "Replay every message matching a filter (operators only)",
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ReplayFilter"}
                            }
                        }
                    },
                    "responses": {
                        "202": _json("Replayed.", "BulkReplayAnswer"),
                        "400": _PROBLEM,
                        "401": _PROBLEM,
                        "403": _PROBLEM,
                    },
                }
            },
            "/v1/items/{reference}": {
                "get": {
                    "summary": "An item's lifecycle by item ID, postal item ID, waybill or order",
                    "parameters": [
                        _path_parameter("reference", "Item ID, postal item ID, waybill or order."),
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "description": "postal: the latest outcome in the feed's vocabulary",
                            "schema": {"type": "string", "enum": ["json", "postal"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The items with that reference.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Items"}
                                },
                                "application/xml": {"schema": {"type": "string"}},
                            },
                        },
                        "401": _PROBLEM,
                        "404": _PROBLEM,
                    },
                }
            },
            "/v1/responses/{endpoint}": {
                "post": {
                    "summary": "An asynchronous customs notification from an endpoint",
                    "security": _CALLBACK_SECRET,
                    "parameters": [_path_parameter("endpoint", "The endpoint's configured name.")],
                    "requestBody": {
                        "required": True,
                        "content": {"application/xml": {"schema": {"type": "string"}}},
                    },
                    "responses": {
                        "200": _json("Outcomes applied.", "ResponseAnswer"),
                        "401": _PROBLEM,
                        "404": _PROBLEM,
                        "422": _PROBLEM,
                    },
                }
            },
            "/v1/health": {
                "get": {
                    "summary": "Readiness (same as /v1/health/ready)",
                    "security": _OPEN,
                    "responses": {"200": _json("Ready.", "Health"), "503": _json("Not.", "Health")},
                }
            },
            "/v1/health/live": {
                "get": {
                    "summary": "Liveness",
                    "security": _OPEN,
                    "responses": {"200": _json("Live.", "Health")},
                }
            },
            "/v1/health/ready": {
                "get": {
                    "summary": "Readiness: the store answers",
                    "security": _OPEN,
                    "responses": {"200": _json("Ready.", "Health"), "503": _json("Not.", "Health")},
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics (open: counts and queue depths, no data)",
                    "security": _OPEN,
                    "responses": {
                        "200": {
                            "description": "Text exposition format 0.0.4.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": _OPEN,
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": _security_schemes(),
            "responses": {"Problem": _problem_response()},
            "schemas": _schemas(),
        },
    }


def _security_schemes() -> dict[str, Any]:
    return {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "The partner's API token. Required when any partner has a token configured; "
                "a missing or wrong token answers 401 with WWW-Authenticate: Bearer."
            ),
        },
        "endpointSecret": {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "The customs endpoint's callback_secret, when the endpoint has one configured."
            ),
        },
    }


def _problem_response() -> dict[str, Any]:
    return {
        "description": "RFC 9457 problem details.",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        },
    }


def _schemas() -> dict[str, Any]:
    string = {"type": "string"}
    nullable = {"type": ["string", "null"]}
    problem = {
        "type": "object",
        "properties": {
            "severity": {"type": "string", "enum": ["error", "warning"]},
            "code": string,
            "message": string,
            "item": string,
            "canonical_path": string,
            "source_path": string,
            "value": string,
            "rule": string,
            "line": {"type": "integer"},
        },
        "required": ["severity", "code", "message"],
    }
    item_answer = {
        "type": "object",
        "properties": {
            "item_id": string,
            "declaration_id": string,
            "status": {"type": "string", "enum": ["accepted", "refused"]},
            "destinations": {"type": "array", "items": string},
            "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
        },
    }
    item = {
        "type": "object",
        "properties": {
            "item_id": string,
            "message_id": string,
            "feed": string,
            "declaration_id": string,
            "consignment_id": nullable,
            "state": string,
            "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
            "deliveries": {"type": "array", "items": {"type": "object"}},
            "responses": {"type": "array", "items": {"type": "object"}},
            "webhooks": {"type": "array", "items": {"type": "object"}},
            "trail": {"type": "array", "items": {"type": "object"}},
        },
    }
    return {
        "Problem": problem,
        "ProblemDetails": {
            "type": "object",
            "properties": {
                "type": string,
                "title": string,
                "status": {"type": "integer"},
                "detail": string,
                "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
            },
            "required": ["type", "title", "status", "detail"],
        },
        "IngestAnswer": {
            "type": "object",
            "properties": {
                "message_id": string,
                "feed": string,
                "status": string,
                "accepted": {"type": "integer"},
                "refused": {"type": "integer"},
                "items": {"type": "array", "items": item_answer},
            },
        },
        "Item": item,
        "Items": {
            "type": "object",
            "properties": {
                "reference": string,
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            },
        },
        "Message": {
            "type": "object",
            "properties": {
                "message_id": string,
                "feed": string,
                "received_at": string,
                "status": string,
                "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            },
        },
        "ReplayAnswer": {
            "type": "object",
            "properties": {
                "message_id": string,
                "deliveries": {"type": "integer"},
                "items": {"type": "array", "items": item_answer},
            },
        },
        "ReplayFilter": {
            "type": "object",
            "properties": {
                "feed": string,
                "destination": string,
                "status": string,
                "from": {"type": "string", "format": "date-time"},
                "until": {"type": "string", "format": "date-time"},
                "limit": {"type": "integer", "minimum": 1},
            },
            "additionalProperties": False,
        },
        "BulkReplayAnswer": {
            "type": "object",
            "properties": {
                "replayed": {"type": "integer"},
                "messages": {"type": "array", "items": {"type": "object"}},
            },
        },
        "ResponseAnswer": {
            "type": "object",
            "properties": {
                "endpoint": string,
                "outcomes": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Health": {
            "type": "object",
            "properties": {"status": string, "checks": {"type": "object"}},
        },
    }
