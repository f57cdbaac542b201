"""The platform-order-json feed: a marketplace order becomes one declaration per parcel.

Expected values are read from the sample orders with the json module, independently of the
mapping, and compared with what arrives in the canonical declarations and the UK CDS output.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.mapping.functions import FUNCTIONS
from gateway.mapping.paths import XPathSyntaxError, json_path_to_xpath
from gateway.pipeline import Pipeline
from gateway.schemas import SchemaPack, validation_errors
from gateway.translation import TranslatedDeclaration, TranslationResult
from tests.oracles import KILOGRAMS_PER_UNIT

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "platform-order-json"
STANDARDS_DIR = ROOT.parent / "shared" / "standards"
FEED = "platform-order-json"
PARAMETERS = {"uk-cds": {"declarant_eori": "GB000000000001", "goods_location_name": "LHRLHRLHR"}}
NS = {"c": CANONICAL_NS}


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(parameters=PARAMETERS)


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return data


def translate(
    pipeline: Pipeline, order: dict[str, Any], target: str = "canonical"
) -> TranslationResult:
    return pipeline.translate(FEED, target, json.dumps(order).encode(), source_name="order.json")


def canonical(declaration: TranslatedDeclaration) -> etree._Element:
    return etree.fromstring(declaration.canonical)


def elements(
    element: etree._Element, path: str, namespaces: dict[str, str] = NS
) -> list[etree._Element]:
    """The elements ``path`` selects below ``element``."""
    found = element.xpath(path, namespaces=namespaces)
    assert isinstance(found, list)
    return [node for node in found if isinstance(node, etree._Element)]


def text(element: etree._Element, path: str) -> str:
    found = element.xpath(f"string({path})", namespaces=NS)
    return str(found).strip()


def lines_of(order: dict[str, Any], parcel: str) -> list[dict[str, Any]]:
    """The order's lines that travel in ``parcel`` (a line without one is in the only parcel)."""
    only = (
        order["shipping"]["trackingNumbers"][0]
        if len(order["shipping"]["trackingNumbers"]) == 1
        else None
    )
    return [line for line in order["lines"] if line.get("parcel", only) == parcel]


# -- one declaration per parcel ---------------------------------------------------------------


@pytest.mark.parametrize("sample", ["order-single-parcel.json", "order-two-parcels.json"])
def test_each_parcel_becomes_one_accepted_declaration_named_by_its_tracking_number(
    pipeline: Pipeline, sample: str
) -> None:
    order = load(sample)
    result = translate(pipeline, order)
    assert result.readable
    assert [d.declaration_id for d in result.declarations] == order["shipping"]["trackingNumbers"]
    assert all(d.accepted for d in result.declarations), [d.problems for d in result.declarations]
    assert result.message_id == order["orderNumber"]
    for declaration in result.declarations:
        root = canonical(declaration)
        assert text(root, "c:FunctionalReferenceID") == declaration.declaration_id
        assert (
            text(root, "c:GoodsShipment/c:Consignment/c:TransportContractDocument/c:ID")
            == declaration.declaration_id
        )
        assert declaration.consignment_id == declaration.declaration_id


@pytest.mark.parametrize("sample", ["order-single-parcel.json", "order-two-parcels.json"])
def test_each_parcel_declares_exactly_its_own_lines_with_values_weights_and_codes(
    pipeline: Pipeline, sample: str
) -> None:
    order = load(sample)
    for declaration in translate(pipeline, order).declarations:
        root = canonical(declaration)
        expected = lines_of(order, declaration.declaration_id)
        items = elements(root, "c:GoodsShipment/c:GovernmentAgencyGoodsItem")
        assert len(items) == len(expected) > 0
        assert text(root, "c:GoodsItemQuantity") == str(len(expected))
        for position, (item, line) in enumerate(zip(items, expected, strict=True), start=1):
            assert text(item, "c:SequenceNumeric") == str(position)
            assert text(item, "c:Commodity/c:ProductID") == line["sku"]
            assert text(item, "c:Commodity/c:Description") == line["description"]
            assert text(item, "c:Commodity/c:ListingURI") == line["listingUrl"]
            assert text(item, "c:Commodity/c:Classification/c:ID") == line["hsCode"]
            assert text(item, "c:Origin/c:CountryCode") == line["originCountry"]
            value = Decimal(str(line["unitPrice"])) * line["quantity"]
            assert Decimal(text(item, "c:CustomsValueAmount")) == value
            assert text(item, "c:CustomsValueAmount/@currencyID") == line["currency"]
            invoice = "c:Commodity/c:InvoiceLine/"
            assert Decimal(text(item, invoice + "c:UnitPriceAmount")) == Decimal(
                str(line["unitPrice"])
            )
            assert Decimal(text(item, invoice + "c:ItemChargeAmount")) == value
            assert Decimal(text(item, invoice + "c:Quantity")) == line["quantity"]
            weight = line["netWeight"]
            kilograms = Decimal(str(weight["value"])) * KILOGRAMS_PER_UNIT[weight["unit"]]
            measure = "c:Commodity/c:GoodsMeasure/c:NetNetWeightMeasure"
            assert Decimal(text(item, measure)) == kilograms
            assert text(item, measure + "/@unitCode") == "KGM"


@pytest.mark.parametrize("sample", ["order-single-parcel.json", "order-two-parcels.json"])
def test_every_parcel_carries_the_order_payment_platform_and_parties(
    pipeline: Pipeline, sample: str
) -> None:
    order = load(sample)
    for declaration in translate(pipeline, order).declarations:
        root = canonical(declaration)
        assert text(root, "c:ECommerce/c:Platform/c:ID") == order["platform"]["id"]
        assert text(root, "c:ECommerce/c:Platform/c:URI") == order["platform"]["url"]
        assert text(root, "c:ECommerce/c:Order/c:ID") == order["orderNumber"]
        payment = order["payment"]
        assert text(root, "c:ECommerce/c:Payment/c:TransactionID") == payment["transactionId"]
        paid = "c:ECommerce/c:Payment/c:PaidAmount"
        assert Decimal(text(root, paid)) == Decimal(str(payment["amount"]))
        assert text(root, paid + "/@currencyID") == payment["currency"]
        assert text(root, "c:ECommerce/c:Payment/c:MethodCode") == payment["method"]
        goods = "c:GoodsShipment/"
        assert text(root, goods + "c:Consignor/c:Name") == order["seller"]["name"]
        assert text(root, goods + "c:Seller/c:Name") == order["seller"]["name"]
        assert text(root, goods + "c:Consignee/c:Name") == order["buyer"]["name"]
        assert text(root, goods + "c:Buyer/c:Name") == order["buyer"]["name"]
        assert text(root, goods + "c:Consignee/c:Address/c:Line") == ", ".join(
            order["buyer"]["address"]["lines"]
        )
        assert (
            text(root, goods + "c:Destination/c:CountryCode")
            == order["buyer"]["address"]["countryCode"]
        )
        assert (
            text(root, goods + "c:ExportCountry/c:ID") == order["seller"]["address"]["countryCode"]
        )
        assert text(root, "c:Carrier/c:Name") == order["shipping"]["carrier"]


def test_the_shipping_cost_is_declared_only_when_one_parcel_carries_the_whole_order(
    pipeline: Pipeline,
) -> None:
    freight = "c:GoodsShipment/c:CustomsValuation/c:FreightChargeAmount"
    single = load("order-single-parcel.json")
    (declaration,) = translate(pipeline, single).declarations
    assert Decimal(text(canonical(declaration), freight)) == Decimal(
        str(single["shipping"]["cost"])
    )
    assert text(canonical(declaration), freight + "/@currencyID") == single["shipping"]["currency"]
    for declaration in translate(pipeline, load("order-two-parcels.json")).declarations:
        assert elements(canonical(declaration), freight) == []


@pytest.mark.parametrize(("unit", "value"), [("lb", 2), ("oz", 16), ("g", 250)])
def test_net_weights_in_any_feed_unit_arrive_in_kilograms(
    pipeline: Pipeline, unit: str, value: int
) -> None:
    order = copy.deepcopy(load("order-single-parcel.json"))
    order["lines"][0]["netWeight"] = {"value": value, "unit": unit}
    (declaration,) = translate(pipeline, order).declarations
    measure = "c:GoodsShipment/c:GovernmentAgencyGoodsItem[1]/c:Commodity/c:GoodsMeasure/c:NetNetWeightMeasure"
    written = Decimal(text(canonical(declaration), measure))
    assert abs(written - value * KILOGRAMS_PER_UNIT[unit]) < Decimal("0.000001")


# -- refusals ---------------------------------------------------------------------------------


def test_the_problem_order_is_refused_for_the_unlisted_parcel_and_the_vague_description(
    pipeline: Pipeline,
) -> None:
    """README: line 4 names parcel EXP0000999999, which shipping does not list; line 2 says
    'accessories'. The stray line is not dropped: it travels in the first parcel and refuses it."""
    order = load("order-with-problems.json")
    (declaration,) = translate(pipeline, order).declarations
    assert declaration.declaration_id == order["shipping"]["trackingNumbers"][0]
    assert not declaration.accepted
    found = {(p.code, p.value) for p in declaration.problems}
    assert ("value.not-listed", order["lines"][3]["parcel"]) in found
    assert ("description.vague", order["lines"][1]["description"]) in found
    stray = next(p for p in declaration.problems if p.code == "value.not-listed")
    # the exact JSON paths (0-based), though the lines are reached through a filter
    assert stray.source_path == "$.lines[3].parcel"
    assert "shipping.trackingNumbers" in stray.message
    vague = next(p for p in declaration.problems if p.code == "description.vague")
    assert vague.source_path == "$.lines[1].description"


def test_a_line_without_a_parcel_in_a_multi_parcel_order_refuses_the_declaration(
    pipeline: Pipeline,
) -> None:
    order = copy.deepcopy(load("order-two-parcels.json"))
    del order["lines"][2]["parcel"]
    first, second = translate(pipeline, order).declarations
    assert [p.code for p in first.problems] == ["required.missing"]
    assert (
        first.problems[0].canonical_path == "GoodsShipment/GovernmentAgencyGoodsItem[3]/Packaging"
    )
    assert not second.accepted  # parcel RB202405026DE now has no line at all
    assert [p.code for p in second.problems] == ["required.missing"]


def test_a_line_without_a_parcel_in_a_one_parcel_order_is_in_that_parcel(
    pipeline: Pipeline,
) -> None:
    order = copy.deepcopy(load("order-single-parcel.json"))
    for line in order["lines"]:
        del line["parcel"]
    (declaration,) = translate(pipeline, order).declarations
    assert declaration.accepted, declaration.problems
    items = elements(canonical(declaration), "c:GoodsShipment/c:GovernmentAgencyGoodsItem")
    assert len(items) == len(order["lines"])


# -- UK CDS: a parcel from China (or Germany) to the UK becomes an H7 declaration --------------


@pytest.mark.parametrize("sample", ["order-single-parcel.json", "order-two-parcels.json"])
def test_uk_cds_declarations_carry_the_parcel_and_validate_against_hmrc_schema(
    pipeline: Pipeline, sample: str
) -> None:
    if not STANDARDS_DIR.is_dir():
        pytest.skip(f"the reference standards folder {STANDARDS_DIR} is not present")
    validator = SchemaPack(STANDARDS_DIR).validator("uk-cds")
    order = load(sample)
    result = translate(pipeline, order, "uk-cds")
    assert [d.declaration_id for d in result.declarations] == order["shipping"]["trackingNumbers"]
    wco = {"d": "urn:wco:datamodel:WCO:DEC-DMS:2"}
    for declaration in result.declarations:
        assert declaration.output is not None, declaration.problems
        document = etree.fromstring(declaration.output)
        assert not validation_errors(validator, document)
        assert (
            document.xpath("string(d:Declaration/d:FunctionalReferenceID)", namespaces=wco)
            == declaration.declaration_id
        )
        assert (
            document.xpath("string(d:Declaration/d:Declarant/d:ID)", namespaces=wco)
            == "GB000000000001"
        )
        skus = [line["hsCode"] for line in lines_of(order, declaration.declaration_id)]
        hs = document.xpath(
            "d:Declaration/d:GoodsShipment/d:GovernmentAgencyGoodsItem/d:Commodity/d:Classification/d:ID/text()",
            namespaces=wco,
        )
        assert hs == skus


def test_uk_cds_refuses_a_line_without_hs_code_once_the_feed_problems_are_fixed(
    pipeline: Pipeline,
) -> None:
    order = copy.deepcopy(load("order-with-problems.json"))
    order["lines"][1]["description"] = "Phone grip rings of plastic"
    order["lines"][3]["parcel"] = order["shipping"]["trackingNumbers"][0]
    (declaration,) = translate(pipeline, order, "uk-cds").declarations
    assert declaration.output is None
    assert any("Classification" in (p.canonical_path or p.message) for p in declaration.problems), (
        declaration.problems
    )


# -- engine features this feed relies on ------------------------------------------------------


def test_a_json_path_filter_becomes_an_xpath_predicate() -> None:
    assert (
        json_path_to_xpath("^.^.lines[?(parcel = current())].sku")
        == "../../lines[parcel = current()]/sku"
    )
    assert json_path_to_xpath("items[0][?(a = ')]')]") == "items[1][a = ')]']"


@pytest.mark.parametrize(
    "bad", ["lines[?(parcel = 1)", "lines[?()]", "lines[?(a[)]", "lines[?(a = )]"]
)
def test_a_json_path_filter_that_is_not_closed_or_not_xpath_is_refused(bad: str) -> None:
    with pytest.raises(XPathSyntaxError):
        json_path_to_xpath(bad)


def test_one_of_keeps_a_listed_value_and_empties_an_unlisted_one() -> None:
    step = FUNCTIONS["one_of"]("allowed", lambda path: path)
    assert step.fails == "value.not-listed"
    document = etree.fromstring(b"<r><allowed>A1</allowed><allowed>B2</allowed></r>")
    assert document.xpath(step.build("'B2'")) == "B2"
    assert document.xpath(step.build("'C3'")) == ""


def test_an_order_breaking_its_json_schema_is_refused_with_the_json_path(
    pipeline: Pipeline,
) -> None:
    """input.schema names the feed's JSON Schema: a misspelt key is reported, not lost."""
    order = copy.deepcopy(load("order-single-parcel.json"))
    order["lines"][0]["hsCod"] = order["lines"][0].pop("hsCode")
    result = translate(pipeline, order)
    assert not result.readable
    assert result.declarations == ()
    (problem,) = result.problems
    assert (problem.code, problem.source_path) == ("feed.schema", "$.lines[0]")
    assert "hsCod" in problem.message
