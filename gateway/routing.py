"""Which customs endpoints a declaration goes to: rules read from a routes YAML file.

A rule matches on the feed, the destination country, the declaration type code, the total
value (below or at/above a threshold, in a currency, with exchange rates from the same file)
and whether the declaration carries safety and security data. With ``mode: all`` (the
default) every matching rule adds its endpoints, so one declaration can go to several; with
``mode: first`` the first matching rule decides.

::

    mode: all
    exchange_rates: [{from: USD, to: GBP, rate: 0.79}]
    routes:
      - name: uk-low-value
        when: {destination: [GB], value_below: {amount: 135, currency: GBP}}
        to: [uk-cds-h7]

Pure: no I/O beyond reading the file in ``load_routes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.canonical import CANONICAL_NS
from gateway.errors import ConfigurationError

_NS = {"c": CANONICAL_NS}


@dataclass(frozen=True, slots=True)
class RoutingFacts:
    """What routing looks at in one declaration."""

    feed: str
    destination: str | None
    type_code: str | None
    total_value: Decimal | None
    currency: str | None
    safety_security: bool = False


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """The endpoints a declaration goes to, and the names of the rules that sent it there."""

    endpoints: tuple[str, ...]
    rules: tuple[str, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Threshold(_Strict):
    """A value limit in a currency."""

    amount: Decimal
    currency: str = Field(min_length=3, max_length=3)


class RouteCondition(_Strict):
    """What a declaration must have for a rule to match; absent keys match anything."""

    feed: list[str] | None = None
    destination: list[str] | None = None
    type: list[str] | None = None
    value_below: Threshold | None = None
    value_at_least: Threshold | None = None
    safety_security: bool | None = None


class Route(_Strict):
    """One rule: a name, a condition and the endpoints it sends to."""

    name: str
    when: RouteCondition = RouteCondition()
    to: list[str] = Field(min_length=1)


class ExchangeRate(_Strict):
    """One unit of ``from_`` is worth ``rate`` units of ``to``."""

    from_: str = Field(alias="from", min_length=3, max_length=3)
    to: str = Field(min_length=3, max_length=3)
    rate: Decimal = Field(gt=0)


class RoutingTable(_Strict):
    """The routes file, validated."""

    mode: Literal["all", "first"] = "all"
    exchange_rates: list[ExchangeRate] = []
    routes: list[Route] = []

    def endpoints(self) -> set[str]:
        """Every endpoint name some rule sends to."""
        return {name for route in self.routes for name in route.to}

    def decide(self, facts: RoutingFacts) -> RouteDecision:
        """The endpoints this declaration goes to (empty when no rule matches)."""
        endpoints: list[str] = []
        rules: list[str] = []
        for route in self.routes:
            if not self._matches(route.when, facts):
                continue
            rules.append(route.name)
            endpoints.extend(name for name in route.to if name not in endpoints)
            if self.mode == "first":
                break
        return RouteDecision(tuple(endpoints), tuple(rules))

    def _matches(self, when: RouteCondition, facts: RoutingFacts) -> bool:
        checks = (
            _in(when.feed, facts.feed),
            _in(when.destination, facts.destination),
            _in(when.type, facts.type_code),
            when.safety_security is None or when.safety_security == facts.safety_security,
        )
        if not all(checks):
            return False
        if when.value_below is not None:
            value = self._value_in(facts, when.value_below.currency)
            if value is None or value >= when.value_below.amount:
                return False
        if when.value_at_least is not None:
            value = self._value_in(facts, when.value_at_least.currency)
            if value is None or value < when.value_at_least.amount:
                return False
        return True

    def _value_in(self, facts: RoutingFacts, currency: str) -> Decimal | None:
        if facts.total_value is None or facts.currency is None:
            return None
        if facts.currency.upper() == currency.upper():
            return facts.total_value
        for rate in self.exchange_rates:
            if rate.from_.upper() == facts.currency.upper() and rate.to.upper() == currency.upper():
                return facts.total_value * rate.rate
            if rate.to.upper() == facts.currency.upper() and rate.from_.upper() == currency.upper():
                return facts.total_value / rate.rate
        return None


def _in(allowed: Sequence[str] | None, value: str | None) -> bool:
    if allowed is None:
        return True
    return value is not None and value.upper() in {item.upper() for item in allowed}


def routing_table_from_data(data: Mapping[str, Any], *, source: str = "the routes") -> RoutingTable:
    """Validate plain data as a routing table; ``ConfigurationError`` lists every problem."""
    try:
        return RoutingTable.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise ConfigurationError(
            f"{source[:1].upper()}{source[1:]} has {len(lines)} problem(s):\n" + "\n".join(lines)
        ) from exc


def load_routes(path: Path) -> RoutingTable:
    """Read and validate a routes file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(
            f"The routes file {path} cannot be read: {exc.strerror or exc}."
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"The routes file {path} is not valid YAML: {exc}.") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"The routes file {path} must hold a mapping with 'routes'.")
    return routing_table_from_data(data, source=f"the routes file {path}")


def check_endpoints(table: RoutingTable, known: Iterable[str]) -> None:
    """Raise ``ConfigurationError`` when a rule sends to an endpoint the configuration lacks."""
    missing = sorted(table.endpoints() - set(known))
    if missing:
        raise ConfigurationError(
            "The routes send declarations to endpoints that the configuration does not define: "
            + ", ".join(missing)
            + "; add them under 'endpoints' or change the routes."
        )


def facts_from_canonical(feed: str, canonical: bytes) -> RoutingFacts:
    """Read the routing facts from a canonical declaration (XML, ``CANONICAL_NS``)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return facts_from_declaration(feed, etree.fromstring(canonical, parser))


def facts_from_declaration(feed: str, root: etree._Element) -> RoutingFacts:
    """Read the routing facts from a parsed canonical ``Declaration`` element."""
    destination = _text(root, "c:GoodsShipment/c:Destination/c:CountryCode")
    type_code = _text(root, "c:TypeCode")
    currency: str | None = None
    total: Decimal | None = None
    invoice = root.find("c:InvoiceAmount", _NS)
    if invoice is not None and invoice.text:
        total = _decimal(invoice.text)
        currency = invoice.get("currencyID")
    else:
        for amount in root.iterfind(
            "c:GoodsShipment/c:GovernmentAgencyGoodsItem/c:CustomsValueAmount", _NS
        ):
            value = _decimal(amount.text or "")
            if value is None:
                continue
            total = value if total is None else total + value
            currency = currency or amount.get("currencyID")
    safety = root.find(".//c:Consignment/c:TransportContractDocument", _NS) is not None
    return RoutingFacts(feed, destination, type_code, total, currency, safety)


def _text(root: etree._Element, path: str) -> str | None:
    found = root.find(path, _NS)
    return found.text.strip() if found is not None and found.text else None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None
