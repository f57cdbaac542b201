"""JSON Schemas of canonical JSON, generated from the models.

``schemas/canonical/declaration.schema.json`` and ``declaration-batch.schema.json`` are the
committed output of these functions (a test keeps them equal). Each property carries the
element's ``kind``, ``wco_id`` and ``wco_name`` beside its description.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from gateway.canonical.model import Declaration, DeclarationBatch

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = "urn:customs-gateway:canonical:1:json-schema:"


def _schema(model: type[BaseModel], name: str) -> bytes:
    generated = model.model_json_schema(mode="validation")
    document: dict[str, Any] = {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID_BASE + name}
    document.update(generated)
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False)
    return (text + "\n").encode("utf-8")


def declaration_json_schema() -> bytes:
    """The JSON Schema of one canonical declaration, as UTF-8 bytes."""
    return _schema(Declaration, "declaration")


def batch_json_schema() -> bytes:
    """The JSON Schema of a canonical declaration batch, as UTF-8 bytes."""
    return _schema(DeclarationBatch, "declaration-batch")
