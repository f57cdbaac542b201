"""Load the code lists that checks compare values with (countries, currencies, units, terms)."""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from gateway.codelists import CodeList, load_codelist
from gateway.errors import ConfigurationError
from gateway.resources import mapping_search_path

from .registry import ReferenceData

__all__ = ["load_reference_data", "normalise_description"]


def load_reference_data() -> ReferenceData:
    """The code lists on the mapping search path, read once and cached.

    Raises :class:`ConfigurationError` when a list is missing or malformed.
    """
    return _load(tuple(_search_path()))


def _search_path() -> list[object]:
    # The cache key follows the search path, so an operator folder added later is seen.
    return [str(folder) for folder in mapping_search_path()]


@functools.lru_cache(maxsize=8)
def _load(_search_key: tuple[object, ...]) -> ReferenceData:
    countries = load_codelist("countries")
    currencies = load_codelist("currencies")
    units = load_codelist("units")
    vague = load_codelist("vague-descriptions")
    return ReferenceData(
        countries=countries.codes,
        currencies=currencies.codes,
        mass_factors=MappingProxyType(_mass_factors(units)),
        vague_terms=MappingProxyType(_vague_terms(vague)),
    )


def _mass_factors(units: CodeList) -> dict[str, Decimal]:
    factors: dict[str, Decimal] = {}
    for code in units.codes:
        if units.get(code, "quantity") != "mass":
            continue
        text = units.get(code, "factor") or ""
        try:
            factors[code] = Decimal(text)
        except InvalidOperation:
            continue  # a mass unit without a usable factor is simply not converted
    return factors


def _vague_terms(terms: CodeList) -> dict[str, str]:
    if "reason" not in terms.columns:
        raise ConfigurationError(
            f"The code list '{terms.name}' ({terms.source}) needs the columns term,reason; "
            f"it has {', '.join(terms.columns)}."
        )
    vague: dict[str, str] = {}
    for term in terms.codes:
        reason = terms.get(term, "reason") or "it does not say what the goods are"
        for key in normalise_description(term):
            vague.setdefault(key, reason)
    return vague


def normalise_description(text: str) -> tuple[str, str]:
    """Two comparable forms of a description: words joined by spaces, and glued together.

    Lowercased; punctuation splits words in the first form (``spare-parts`` -> ``spare
    parts``) and is dropped in the second (``n/a`` -> ``na``, ``s.t.c.`` -> ``stc``).
    """
    lowered = text.casefold()
    spaced = "".join(char if char.isalnum() else " " for char in lowered)
    glued = "".join(char for char in lowered if char.isalnum() or char.isspace())
    return " ".join(spaced.split()), " ".join(glued.split())
