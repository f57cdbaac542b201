"""Hypothesis strategies for canonical declarations, built by walking the canonical structure.

Values are drawn per kind: texts without characters XML cannot carry (but with tabs, line
breaks and markup characters, which must survive escaping), finite decimals, integers,
ISO 8601 date-times with offsets, amounts and measures with or without their attribute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from gateway.canonical.model import Declaration
from gateway.canonical.structure import CanonicalElement, canonical_root

texts = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Cn"), whitelist_characters="\t\n\r<>&\"'"
    ),
    min_size=1,
    max_size=12,
)
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda value: abs(value.adjusted()) < 30
) | st.sampled_from([Decimal("12.50"), Decimal("0.000"), Decimal("-0"), Decimal("1E+3")])
integers = st.integers(min_value=-(10**12), max_value=10**12)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@st.composite
def datetime_texts(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
    zone = draw(offsets | st.just(UTC))
    text = moment.replace(tzinfo=zone).isoformat()
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


def _value_strategy(node: CanonicalElement) -> st.SearchStrategy[Any]:
    if node.model is not None:
        return _group_strategy(node)
    if node.kind in {"text", "code", "id", "uri"}:
        return texts
    if node.kind == "integer":
        return integers
    if node.kind == "decimal":
        return decimals.map(str)
    if node.kind == "datetime":
        return datetime_texts()
    (attribute,) = node.attributes
    return st.fixed_dictionaries({"value": decimals.map(str)}, optional={attribute: texts})


def _group_strategy(node: CanonicalElement) -> st.SearchStrategy[dict[str, Any]]:
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for child in node.children:
        value = st.deferred(lambda child=child: _value_strategy(child))  # type: ignore[misc]
        optional[child.name] = st.lists(value, max_size=2) if child.repeating else value
    return st.fixed_dictionaries({}, optional=optional)


declaration_data = _group_strategy(canonical_root())
"""Plain data (JSON-like) of a canonical declaration, keyed by canonical element names."""

declarations = declaration_data.map(Declaration.model_validate)
"""Valid canonical Declaration models."""
