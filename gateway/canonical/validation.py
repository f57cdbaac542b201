"""Turning pydantic validation errors into Problems that name canonical paths.

Pydantic reports where an error is as a tuple such as
``("GoodsShipment", "GovernmentAgencyGoodsItem", 1, "CustomsValueAmount", "currencyID")``;
people and mapping authors read canonical paths instead:
``GoodsShipment/GovernmentAgencyGoodsItem[2]/CustomsValueAmount/@currencyID`` (positions count
from 1, as in XPath; the ``value`` of an amount or measure is the element itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gateway.canonical.structure import CanonicalElement, canonical_root
from gateway.errors import InputError
from gateway.problems import Problem, Severity

_MAX_VALUE_CHARS = 80


def canonical_path_of(location: Sequence[str | int], start: CanonicalElement | None = None) -> str:
    """The canonical path (with 1-based positions) of a pydantic error location."""
    node: CanonicalElement | None = canonical_root() if start is None else start
    steps: list[str] = []
    for part in location:
        if isinstance(part, int):
            if steps:
                steps[-1] = f"{steps[-1]}[{part + 1}]"
            continue
        if node is not None and node.attributes:
            if part == "value":
                continue
            if part in node.attributes:
                steps.append(f"@{part}")
                continue
        steps.append(part)
        node = node.child(part) if node is not None else None
    return "/".join(steps)


def _shown_value(value: object) -> str | None:
    if isinstance(value, dict | list) or value is None:
        return None
    text = str(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


def problem_from_error(error: ErrorDetails, *, item: str | None = None) -> Problem:
    """One Problem for one pydantic error: the path, the reason, the value."""
    path = canonical_path_of(error["loc"])
    reason = error["msg"].rstrip(".")
    if error["type"] == "extra_forbidden":
        reason = "this element is not part of the canonical declaration"
    elif error["type"] == "string_too_short":
        reason = "it is empty; an element without a value is left out instead"
    elif error["type"] == "string_pattern_mismatch":
        reason = (
            "it is not an ISO 8601 date and time with a UTC offset "
            "(such as 2026-11-23T21:17:35+00:00)"
        )
    elif error["type"] == "missing":
        reason = "this element is required and missing"
    where = path or "The declaration"
    return Problem(
        severity=Severity.ERROR,
        code=f"canonical.{error['type']}",
        message=f"{where} is invalid: {reason}.",
        item=item,
        canonical_path=path or None,
        value=_shown_value(error.get("input")),
    )


def problems_from_validation_error(
    exc: ValidationError, *, item: str | None = None
) -> list[Problem]:
    """Every error of a pydantic ValidationError as a Problem, in the order pydantic found them."""
    return [problem_from_error(error, item=item) for error in exc.errors()]


def raise_input_error(problems: Sequence[Problem], what: str) -> NoReturn:
    """Raise InputError for ``what`` (e.g. "The canonical declaration") listing the problems."""
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    first = problems[0].message if problems else ""
    more = f" (and {count - 1} more)" if count > 1 else ""
    raise InputError(f"{what} has {count} {noun}: {first}{more}", problems)
