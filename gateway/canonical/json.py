"""Canonical JSON: declarations and batches to and from JSON.

JSON keys are the canonical element names; amounts and measures are objects
(``{"value": "12.50", "currencyID": "USD"}``) and decimals are strings, so no digit is lost.
Absent values and empty lists are omitted. A batch is
``{"feed": ..., "messageID": ..., "declarations": [...]}``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gateway.canonical.model import Declaration, DeclarationBatch
from gateway.canonical.validation import problem_from_error, raise_input_error
from gateway.problems import Problem


def declaration_to_json(declaration: Declaration) -> bytes:
    """The declaration as compact UTF-8 canonical JSON."""
    return declaration.model_dump_json(exclude_defaults=True).encode("utf-8")


def declaration_from_json(data: bytes | str) -> Declaration:
    """Read one canonical declaration from JSON; raise InputError listing every problem."""
    try:
        return Declaration.model_validate_json(data)
    except ValidationError as exc:
        problems = [problem_from_error(error) for error in exc.errors()]
        raise_input_error(problems, "The canonical declaration")


def batch_to_json(batch: DeclarationBatch) -> bytes:
    """The batch as compact UTF-8 canonical JSON (``declarations`` is always present)."""
    data: dict[str, Any] = batch.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("declarations", [])
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _batch_problem(error: ErrorDetails) -> Problem:
    location = tuple(error["loc"])
    if len(location) >= 2 and location[0] == "declarations" and isinstance(location[1], int):
        item = f"Declaration[{location[1] + 1}]"
        return problem_from_error({**error, "loc": location[2:]}, item=item)
    return problem_from_error(error)


def batch_from_json(data: bytes | str) -> DeclarationBatch:
    """Read a canonical batch from JSON; problems in the n-th declaration name Declaration[n]."""
    try:
        return DeclarationBatch.model_validate_json(data)
    except ValidationError as exc:
        problems = [_batch_problem(error) for error in exc.errors()]
        raise_input_error(problems, "The canonical declaration batch")
