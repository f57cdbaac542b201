"""Idempotency keys of deliveries: stable across serialisations, distinct where it matters."""

from __future__ import annotations

import hashlib

from lxml import etree

from gateway.delivery.keys import delivery_key, delivery_key_of, function_code, parse_canonical
from gateway.pipeline import Pipeline
from gateway.sample_feeds import itmatt_batch_bytes

NS = "urn:customs-gateway:canonical:1"
DECLARATION = (
    f'<Declaration xmlns="{NS}"><FunctionCode>9</FunctionCode>'
    "<FunctionalReferenceID>RR123456785CN</FunctionalReferenceID>"
    '<TotalGrossMassMeasure unitCode="KGM">1.2</TotalGrossMassMeasure></Declaration>'
).encode()


def test_key_is_the_documented_digest() -> None:
    """sha256 of endpoint, declaration ID, function code and the C14N digest, joined by US."""
    content = hashlib.sha256(
        etree.tostring(etree.fromstring(DECLARATION), method="c14n")
    ).hexdigest()
    expected = hashlib.sha256(
        "\x1f".join(["uk-cds", "RR123456785CN", "9", content]).encode()
    ).hexdigest()
    assert delivery_key("uk-cds", "RR123456785CN", DECLARATION) == expected


def test_insignificant_serialisation_differences_keep_the_key() -> None:
    """Spacing inside tags and an XML declaration give the same C14N, so the same key."""
    spaced = b'<?xml version="1.0" encoding="UTF-8"?>\n' + DECLARATION.replace(
        b'unitCode="KGM"', b'unitCode = "KGM" '
    )
    assert spaced != DECLARATION
    assert delivery_key("uk-cds", "X", spaced) == delivery_key("uk-cds", "X", DECLARATION)


def test_endpoint_content_and_function_code_change_the_key() -> None:
    base = delivery_key("uk-cds", "X", DECLARATION)
    assert delivery_key("ens", "X", DECLARATION) != base
    assert delivery_key("uk-cds", "X", DECLARATION.replace(b"1.2", b"1.3")) != base
    amendment = DECLARATION.replace(b"<FunctionCode>9<", b"<FunctionCode>13<")
    assert function_code(amendment) == "13"
    assert delivery_key("uk-cds", "X", amendment) != base


def test_key_of_a_parsed_declaration_equals_the_key_of_its_bytes() -> None:
    """The ingest path parses each declaration once and keys the parsed tree."""
    declarations = Pipeline().read_feed("upu-itmatt", itmatt_batch_bytes(50, seed=3)).declarations
    assert declarations
    for declaration in declarations:
        canonical = declaration.canonical
        assert delivery_key_of(
            "uk-cds", declaration.declaration_id, parse_canonical(canonical)
        ) == delivery_key("uk-cds", declaration.declaration_id, canonical)
