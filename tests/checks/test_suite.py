"""CheckSuite configuration, the registry, and the `required` check on paths."""

from __future__ import annotations

import pytest

from gateway.checks import CheckSuite, PathCheck, check_names, path_check_names
from gateway.checks.registry import CHECKS
from gateway.errors import ConfigurationError
from tests.checks.canonical_xml import batch, declaration, item

DESCRIPTION = "GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description"


def test_check_names_lists_every_registered_check() -> None:
    names = check_names()
    assert names == sorted(CHECKS)
    assert {"s10", "awb", "required", "hs-code", "vague-description"} <= set(names)
    assert path_check_names() == ["awb", "required", "s10"]


def test_unknown_check_name_raises_configuration_error_listing_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"no path check named 's11'.*awb, required, s10"):
        CheckSuite([PathCheck("s11", "FunctionalReferenceID")])
    with pytest.raises(ConfigurationError, match="no check named 'hs'"):
        CheckSuite(disabled=["hs"])


def test_default_check_cannot_be_put_on_a_path() -> None:
    with pytest.raises(ConfigurationError, match="takes no path"):
        CheckSuite([PathCheck("hs-code", DESCRIPTION)])


@pytest.mark.parametrize("path", ["", "Goods Shipment/ID", "@a/b", "A/B[0]"])
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(ConfigurationError, match="cannot be checked"):
        CheckSuite([PathCheck("required", path)])


def test_required_reports_every_goods_item_missing_the_field() -> None:
    elements = batch(
        declaration(item(), item(description=None), item(description=" ")),
        declaration(),
    )
    suite = CheckSuite([PathCheck("required", DESCRIPTION)], defaults=False)
    found = suite.run(elements, ["A", "B"])
    assert found[1] == []
    assert [(problem.code, problem.canonical_path, problem.item) for problem in found[0]] == [
        (
            "required.missing",
            "GoodsShipment/GovernmentAgencyGoodsItem[2]/Commodity/Description",
            "A",
        ),
        (
            "required.missing",
            "GoodsShipment/GovernmentAgencyGoodsItem[3]/Commodity/Description",
            "A",
        ),
    ]
    assert "required" in found[0][0].message


def test_required_reports_the_first_missing_step() -> None:
    elements = batch(declaration())
    suite = CheckSuite(
        [
            PathCheck("required", "GoodsShipment/Consignment/TransportContractDocument/ID"),
            PathCheck("required", "Declarant/ID"),
            PathCheck("required", "InvoiceAmount/@currencyID"),
            PathCheck("required", "GoodsShipment/GovernmentAgencyGoodsItem/Origin/CountryCode"),
        ],
        defaults=False,
    )
    (problems,) = suite.run(elements, ["A"])
    assert [problem.canonical_path for problem in problems] == [
        "GoodsShipment/Consignment/TransportContractDocument/ID",
        "Declarant/ID",
    ]


def test_required_attribute_missing() -> None:
    text = declaration().replace(' currencyID="USD">25.00', ">25.00")
    suite = CheckSuite([PathCheck("required", "InvoiceAmount/@currencyID")], defaults=False)
    (problems,) = suite.run(batch(text), ["A"])
    assert [problem.canonical_path for problem in problems] == ["InvoiceAmount/@currencyID"]


def test_a_suite_is_reusable_across_batches() -> None:
    suite = CheckSuite()
    first = suite.run(batch(declaration(destination="XX")), ["A"])
    second = suite.run(batch(declaration()), ["B"])
    assert [problem.code for problem in first[0]] == ["codelist.country"]
    assert second == [[]]
