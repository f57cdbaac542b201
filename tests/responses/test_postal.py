"""Customs outcomes rendered in postal vocabulary (ItemCustomsResponse)."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.responses import POSTAL_RESPONSE_NS, CustomsOutcome, render_postal_response
from gateway.schemas import load_schema, validation_errors

NS = {"p": POSTAL_RESPONSE_NS}


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        ("acknowledged", "RCV"),
        ("accepted", "ACC"),
        ("released", "REL"),
        ("held", "HLD"),
        ("queried", "INF"),
        ("rejected", "REF"),
    ],
)
def test_every_outcome_renders_a_valid_postal_response(outcome: str, code: str) -> None:
    """Codes are those of mappings/responses/postal/upu-itmatt.yaml; output meets the XSD."""
    result = CustomsOutcome(
        "LRN-1", outcome, "A reason.", "25GB0123456789ABCD", "2025-01-31T11:36:14Z", "09"
    )
    document = etree.fromstring(render_postal_response(result, "RR123456785GB"))
    assert validation_errors(load_schema("responses/upu-itmatt-response.xsd"), document) == []
    assert document.findtext("p:ItemId", namespaces=NS) == "RR123456785GB"
    status = document.find("p:Status", NS)
    assert status is not None
    assert (status.get("code"), status.get("outcome")) == (code, outcome)
    assert document.findtext("p:CustomsReference", namespaces=NS) == "25GB0123456789ABCD"
    assert document.findtext("p:Reason", namespaces=NS) == "A reason."


def test_optional_parts_are_left_out_when_unknown() -> None:
    """No MRN, no reason and an unconvertible issue time leave those elements out."""
    result = CustomsOutcome("LRN-1", "acknowledged", None, None, "sometime", "02")
    document = etree.fromstring(render_postal_response(result, "RR123456785GB"))
    assert validation_errors(load_schema("responses/upu-itmatt-response.xsd"), document) == []
    names = [etree.QName(child).localname for child in document]
    assert names == ["ItemId", "DeclarationReference", "Status", "CustomsFunctionCode"]


def test_long_reasons_are_clipped_to_the_schema_limit() -> None:
    result = CustomsOutcome("LRN-1", "rejected", "x" * 5000, None, None, "03")
    document = etree.fromstring(render_postal_response(result, "RR123456785GB"))
    assert validation_errors(load_schema("responses/upu-itmatt-response.xsd"), document) == []
    assert len(document.findtext("p:Reason", namespaces=NS) or "") == 2048
