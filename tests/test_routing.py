"""Routing rules: feed, destination, type, value thresholds with currencies, several endpoints."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gateway.errors import ConfigurationError
from gateway.resources import bundled_mappings_dir
from gateway.routing import (
    RoutingFacts,
    check_endpoints,
    facts_from_canonical,
    load_routes,
    routing_table_from_data,
)

TABLE = routing_table_from_data(
    {
        "exchange_rates": [{"from": "USD", "to": "GBP", "rate": "0.8"}],
        "routes": [
            {
                "name": "gb-h7",
                "when": {"destination": ["GB"], "value_below": {"amount": 135, "currency": "GBP"}},
                "to": ["uk-h7"],
            },
            {
                "name": "gb-full",
                "when": {
                    "destination": ["GB"],
                    "value_at_least": {"amount": 135, "currency": "GBP"},
                },
                "to": ["uk-full"],
            },
            {
                "name": "eu-ens",
                "when": {"destination": ["FR", "DE"], "safety_security": True},
                "to": ["ens"],
            },
            {
                "name": "fr-import",
                "when": {"destination": ["FR"], "type": ["IM"], "feed": ["upu-itmatt"]},
                "to": ["fr-customs", "ens"],
            },
        ],
    }
)


def _facts(
    destination: str,
    value: str | None,
    currency: str | None = "GBP",
    *,
    type_code: str = "IM",
    feed: str = "upu-itmatt",
    ss: bool = False,
) -> RoutingFacts:
    return RoutingFacts(
        feed, destination, type_code, Decimal(value) if value is not None else None, currency, ss
    )


def test_low_value_goes_to_h7_and_high_value_to_the_full_profile() -> None:
    assert TABLE.decide(_facts("GB", "134.99")).endpoints == ("uk-h7",)
    assert TABLE.decide(_facts("GB", "135")).endpoints == ("uk-full",)


def test_thresholds_convert_currencies_with_the_given_rates() -> None:
    assert TABLE.decide(_facts("GB", "160", "USD")).endpoints == ("uk-h7",)  # 128 GBP
    assert TABLE.decide(_facts("GB", "170", "USD")).endpoints == ("uk-full",)  # 136 GBP
    assert TABLE.decide(_facts("GB", "100", "JPY")).endpoints == (), "no rate, no match"


def test_a_declaration_can_go_to_several_endpoints_without_repeats() -> None:
    decision = TABLE.decide(_facts("FR", "10", ss=True))
    assert decision.endpoints == ("ens", "fr-customs")
    assert decision.rules == ("eu-ens", "fr-import")


def test_feed_and_type_conditions() -> None:
    assert TABLE.decide(_facts("FR", "10", type_code="EX")).endpoints == ()
    assert TABLE.decide(_facts("FR", "10", feed="express")).endpoints == ()


def test_first_mode_stops_at_the_first_match() -> None:
    table = routing_table_from_data(
        {
            "mode": "first",
            "routes": [
                {"name": "a", "when": {"destination": ["FR"]}, "to": ["one"]},
                {"name": "b", "to": ["two"]},
            ],
        }
    )
    assert table.decide(_facts("FR", None)).endpoints == ("one",)
    assert table.decide(_facts("GB", None)).endpoints == ("two",)


def test_invalid_routes_report_every_problem_with_its_path() -> None:
    with pytest.raises(ConfigurationError) as raised:
        routing_table_from_data({"mode": "some", "routes": [{"name": "x", "to": []}]})
    message = str(raised.value)
    assert "mode" in message and "routes.0.to" in message


def test_routes_naming_unknown_endpoints_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="fr-customs"):
        check_endpoints(TABLE, ["uk-h7", "uk-full", "ens"])


def test_bundled_routes_load(tmp_path: Path) -> None:
    table = load_routes(bundled_mappings_dir() / "routes.yaml")
    assert table.decide(_facts("GB", "20", "USD")).endpoints == ("uk-cds",)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_routes(tmp_path / "missing.yaml")


def test_facts_are_read_from_canonical_xml() -> None:
    canonical = (
        b'<Declaration xmlns="urn:customs-gateway:canonical:1"><TypeCode>IM</TypeCode>'
        b'<InvoiceAmount currencyID="USD">42.50</InvoiceAmount><GoodsShipment>'
        b"<Destination><CountryCode>GB</CountryCode></Destination></GoodsShipment></Declaration>"
    )
    facts = facts_from_canonical("upu-itmatt", canonical)
    assert (facts.destination, facts.type_code, facts.total_value, facts.currency) == (
        "GB",
        "IM",
        Decimal("42.50"),
        "USD",
    )


def test_total_falls_back_to_the_sum_of_item_values() -> None:
    canonical = (
        b'<Declaration xmlns="urn:customs-gateway:canonical:1"><GoodsShipment>'
        b'<GovernmentAgencyGoodsItem><CustomsValueAmount currencyID="GBP">1.5'
        b"</CustomsValueAmount></GovernmentAgencyGoodsItem><GovernmentAgencyGoodsItem>"
        b'<CustomsValueAmount currencyID="GBP">2</CustomsValueAmount>'
        b"</GovernmentAgencyGoodsItem></GoodsShipment></Declaration>"
    )
    facts = facts_from_canonical("f", canonical)
    assert (facts.total_value, facts.currency) == (Decimal("3.5"), "GBP")
