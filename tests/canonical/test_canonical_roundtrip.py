"""Canonical XML and JSON: lossless round trips, exact decimals, and the canonical XSD."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.canonical.json import (
    batch_from_json,
    batch_to_json,
    declaration_from_json,
    declaration_to_json,
)
from gateway.canonical.model import (
    Commodity,
    Declaration,
    DeclarationBatch,
    GoodsShipment,
    GovernmentAgencyGoodsItem,
)
from gateway.canonical.values import Amount, Measure
from gateway.canonical.xml import (
    batch_from_xml,
    batch_to_xml,
    declaration_from_xml,
    declaration_to_xml,
)
from gateway.canonical.xsd import canonical_schema, canonical_xsd_problems
from tests.canonical.canonical_strategies import declarations

ROUND_TRIP_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _small_declaration() -> Declaration:
    item = GovernmentAgencyGoodsItem(
        SequenceNumeric=1,
        CustomsValueAmount=Amount(value=Decimal("12.50"), currencyID="USD"),
        Commodity=Commodity(Description="Cotton T-shirt & socks"),
    )
    return Declaration(
        FunctionCode="9",
        TotalGrossMassMeasure=Measure(value=Decimal("0.500"), unitCode="KGM"),
        GoodsShipment=GoodsShipment(GovernmentAgencyGoodsItem=[item]),
    )


def test_xml_of_a_known_declaration_matches_hand_written_xml() -> None:
    """Element order, namespace, attributes and decimals as held (12.50, 0.500) are written."""
    expected = (
        f'<Declaration xmlns="{CANONICAL_NS}"><FunctionCode>9</FunctionCode>'
        '<TotalGrossMassMeasure unitCode="KGM">0.500</TotalGrossMassMeasure>'
        "<GoodsShipment><GovernmentAgencyGoodsItem><SequenceNumeric>1</SequenceNumeric>"
        '<CustomsValueAmount currencyID="USD">12.50</CustomsValueAmount>'
        "<Commodity><Description>Cotton T-shirt &amp; socks</Description></Commodity>"
        "</GovernmentAgencyGoodsItem></GoodsShipment></Declaration>"
    )
    written = etree.tostring(etree.fromstring(declaration_to_xml(_small_declaration())))
    assert written.decode() == expected


def test_json_of_a_known_declaration_matches_hand_written_json() -> None:
    """JSON keys are element names, decimals are strings, absent values and lists are omitted."""
    expected = {
        "FunctionCode": "9",
        "TotalGrossMassMeasure": {"value": "0.500", "unitCode": "KGM"},
        "GoodsShipment": {
            "GovernmentAgencyGoodsItem": [
                {
                    "SequenceNumeric": 1,
                    "CustomsValueAmount": {"value": "12.50", "currencyID": "USD"},
                    "Commodity": {"Description": "Cotton T-shirt & socks"},
                }
            ]
        },
    }
    assert json.loads(declaration_to_json(_small_declaration())) == expected


def test_json_decimals_keep_trailing_zeros_after_a_round_trip() -> None:
    """A decimal read from JSON as "12.50" is written back as "12.50", not 12.5."""
    data = b'{"InvoiceAmount": {"value": "12.50", "currencyID": "EUR"}}'
    declaration = declaration_from_json(data)
    assert declaration.InvoiceAmount == Amount(value=Decimal("12.50"), currencyID="EUR")
    assert b'"12.50"' in declaration_to_json(declaration)
    assert b">12.50<" in declaration_to_xml(declaration)


@ROUND_TRIP_SETTINGS
@given(declarations)
def test_xml_json_xml_round_trip_is_lossless(declaration: Declaration) -> None:
    """XML -> model -> JSON -> model -> XML gives back the same model and the same bytes."""
    first_xml = declaration_to_xml(declaration)
    from_xml = declaration_from_xml(first_xml)
    assert from_xml == declaration
    from_json = declaration_from_json(declaration_to_json(from_xml))
    assert from_json == declaration
    assert declaration_to_xml(from_json) == first_xml


@ROUND_TRIP_SETTINGS
@given(declarations)
def test_canonical_xsd_accepts_what_declaration_to_xml_writes(declaration: Declaration) -> None:
    """Every model the code can hold serialises to XML that the canonical XSD validates."""
    schema = canonical_schema()
    document = etree.fromstring(declaration_to_xml(declaration))
    assert schema.validate(document), schema.error_log


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(declarations, max_size=3),
    st.none() | st.just("upu-itmatt"),
    st.none() | st.just("MSG-1"),
)
def test_batches_round_trip_through_xml_and_json(
    items: list[Declaration], feed: str | None, message_id: str | None
) -> None:
    """A DeclarationBatch keeps its feed, messageID and declarations through XML and JSON."""
    batch = DeclarationBatch(feed=feed, messageID=message_id, declarations=items)
    xml = batch_to_xml(batch)
    assert canonical_schema().validate(etree.fromstring(xml))
    assert batch_from_xml(xml) == batch
    data = batch_to_json(batch)
    assert json.loads(data)["declarations"] is not None
    assert batch_from_json(data) == batch


def test_canonical_xsd_refuses_elements_out_of_order_and_empty_values() -> None:
    """The XSD enforces canonical element order and refuses empty text elements."""
    schema = canonical_schema()
    out_of_order = etree.fromstring(
        f'<Declaration xmlns="{CANONICAL_NS}"><ID>1</ID><FunctionCode>9</FunctionCode>'
        "</Declaration>"
    )
    empty = etree.fromstring(f'<Declaration xmlns="{CANONICAL_NS}"><ID/></Declaration>')
    foreign = etree.fromstring(
        f'<Declaration xmlns="{CANONICAL_NS}"><x:Extra xmlns:x="urn:other"/></Declaration>'
    )
    assert not schema.validate(out_of_order)
    assert not schema.validate(empty)
    assert not schema.validate(foreign)
    problems = canonical_xsd_problems(out_of_order)
    assert len(problems) == 1
    assert problems[0].code == "canonical.xsd"
    assert "FunctionCode" in problems[0].message
    assert canonical_xsd_problems(etree.fromstring(declaration_to_xml(_small_declaration()))) == []


def test_hand_written_sample_with_whitespace_and_comments_reads() -> None:
    """Indentation and comments between elements are ignored when reading canonical XML."""
    sample = (
        f'<?xml version="1.0"?>\n<Declaration xmlns="{CANONICAL_NS}">\n'
        "  <!-- a comment -->\n  <FunctionCode>9</FunctionCode>\n"
        "  <GoodsShipment>\n    <Destination><CountryCode>GB</CountryCode></Destination>\n"
        "  </GoodsShipment>\n</Declaration>\n"
    ).encode()
    declaration = declaration_from_xml(sample)
    assert declaration.FunctionCode == "9"
    assert declaration.GoodsShipment is not None
    assert declaration.GoodsShipment.Destination is not None
    assert declaration.GoodsShipment.Destination.CountryCode == "GB"
    assert canonical_schema().validate(etree.fromstring(sample))


def test_module_paths_resolve() -> None:
    """The tests run from a checkout where schemas/canonical exists beside the package."""
    assert (Path(__file__).resolve().parents[2] / "schemas" / "canonical").is_dir()
