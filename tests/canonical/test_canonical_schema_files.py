"""The committed canonical schemas equal what the models generate, and they work."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.canonical.json import declaration_to_json
from gateway.canonical.json_schema import batch_json_schema, declaration_json_schema
from gateway.canonical.model import Declaration
from gateway.canonical.values import Amount
from gateway.canonical.xsd import canonical_schema, canonical_xsd

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "canonical"
REGENERATE = "run scripts/generate-canonical-schemas to regenerate it"


def test_committed_xsd_equals_the_generated_one() -> None:
    """schemas/canonical/declaration.xsd has not drifted from the models."""
    assert (SCHEMAS / "declaration.xsd").read_bytes() == canonical_xsd(), REGENERATE


def test_committed_json_schemas_equal_the_generated_ones() -> None:
    """Both JSON Schemas under schemas/canonical have not drifted from the models."""
    assert (SCHEMAS / "declaration.schema.json").read_bytes() == declaration_json_schema(), (
        REGENERATE
    )
    assert (SCHEMAS / "declaration-batch.schema.json").read_bytes() == batch_json_schema(), (
        REGENERATE
    )


def test_committed_xsd_compiles_with_lxml() -> None:
    """lxml (libxml2) compiles the committed XSD file on its own."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "declaration.xsd")))
    assert schema.validate(etree.fromstring(f'<Declaration xmlns="{CANONICAL_NS}"/>'))
    assert canonical_schema() is canonical_schema()


def test_xsd_documents_wco_ids() -> None:
    """Each WCO element declaration carries its WCO ID and name in xs:documentation."""
    schema = etree.fromstring(canonical_xsd())
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    docs = schema.xpath(
        "//xs:complexType[@name='CommodityType']//xs:element[@name='Description']"
        "/xs:annotation/xs:documentation/text()",
        namespaces=ns,
    )
    assert docs == ["WCO ID 137, WCO name: Description of goods."]
    assert not schema.xpath("//xs:any", namespaces=ns)


def test_json_schema_accepts_written_json_and_refuses_unknown_keys() -> None:
    """Written JSON validates against the JSON Schema; unknown keys and empty strings do not."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(declaration_json_schema())
    validator = jsonschema.Draft202012Validator(schema)
    amount = Amount(value=Decimal("1.10"), currencyID="GBP")
    declaration = Declaration(ID="A1", InvoiceAmount=amount)
    assert list(validator.iter_errors(json.loads(declaration_to_json(declaration)))) == []
    assert list(validator.iter_errors({"Unknown": 1}))
    assert list(validator.iter_errors({"ID": ""}))
    description = schema["$defs"]["Commodity"]["properties"]["Description"]
    assert (description["wco_id"], description["kind"]) == ("137", "text")
