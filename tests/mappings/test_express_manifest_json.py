"""The express-manifest-json feed: one declaration per shipment of an express manifest.

Expected values are read from the sample manifests with the json module, independently of the
mapping, and compared with the canonical declarations; problem fixtures are refused with the
right codes and JSON source paths, and JSON Schema violations refuse only their shipment.
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
from gateway.pipeline import FeedResult, Pipeline
from tests.oracles import KILOGRAMS_PER_UNIT

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "express-manifest-json"
FEED = "express-manifest-json"
C = {"c": CANONICAL_NS}


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return data


def read(pipeline: Pipeline, manifest: dict[str, Any]) -> FeedResult:
    return pipeline.read_feed(FEED, json.dumps(manifest).encode(), source_name="manifest.json")


def text(element: etree._Element, path: str) -> str:
    found = element.xpath(f"normalize-space({path})", namespaces=C)
    assert isinstance(found, str)
    return found


def kilograms(weight: dict[str, Any]) -> Decimal:
    value = Decimal(str(weight["value"])) * KILOGRAMS_PER_UNIT[weight["unit"]]
    return value.quantize(Decimal("0.000001")).normalize()


def test_every_shipment_arrives_with_its_values(pipeline: Pipeline) -> None:
    """Waybills, parties, weights in kg, item values and currencies, HS codes and counts."""
    manifest = load("manifest-small.json")
    result = read(pipeline, manifest)
    assert result.readable and result.message_id == manifest["manifestId"]
    assert [d.declaration_id for d in result.declarations] == [
        s["waybillNumber"] for s in manifest["shipments"]
    ]
    for shipment, declaration in zip(manifest["shipments"], result.declarations, strict=True):
        assert declaration.accepted, declaration.problems
        element = declaration.element
        assert text(element, "c:FunctionalReferenceID") == shipment["waybillNumber"]
        assert text(element, "c:TotalPackageQuantity") == str(shipment["pieces"])
        gross = Decimal(text(element, "c:TotalGrossMassMeasure"))
        assert gross == kilograms(shipment["grossWeight"])
        for party, key in (("Consignor", "shipper"), ("Consignee", "receiver")):
            base = f"c:GoodsShipment/c:{party}"
            assert text(element, f"{base}/c:Name") == shipment[key]["name"]
            assert text(element, f"{base}/c:ID") == shipment[key].get("taxId", "")
            address = shipment[key]["address"]
            assert text(element, f"{base}/c:Address/c:Line") == ", ".join(address["lines"])
            assert text(element, f"{base}/c:Address/c:CountryCode") == address["countryCode"]
        declared = shipment.get("declaredValue")
        if declared:
            assert Decimal(text(element, "c:InvoiceAmount")) == Decimal(str(declared["amount"]))
            assert text(element, "c:InvoiceAmount/@currencyID") == declared["currency"]
        assert text(element, "c:GoodsShipment/c:TradeTerms/c:ConditionCode") == shipment["incoterm"]
        goods = element.findall("c:GoodsShipment/c:GovernmentAgencyGoodsItem", C)
        assert len(goods) == len(shipment["items"]) == int(text(element, "c:GoodsItemQuantity"))
        for item, good in zip(shipment["items"], goods, strict=True):
            value = (
                Decimal(str(item["value"]))
                if "value" in item
                else Decimal(str(item["unitValue"])) * Decimal(str(item["quantity"]))
            )
            assert Decimal(text(good, "c:CustomsValueAmount")) == value
            assert text(good, "c:CustomsValueAmount/@currencyID") == item["currency"]
            assert text(good, "c:Commodity/c:Classification/c:ID") == item["hsCode"]
            assert text(good, "c:Commodity/c:Description") == item["description"]
            assert text(good, "c:Origin/c:CountryCode") == item["originCountry"]
            if "netWeight" in item:
                net = text(good, "c:Commodity/c:GoodsMeasure/c:NetNetWeightMeasure")
                assert Decimal(net) == kilograms(item["netWeight"])


def test_the_flight_and_both_waybills_are_kept(pipeline: Pipeline) -> None:
    """The manifest's flight, airports and master AWB go into every shipment's declaration;
    the shipment's own waybill is a house waybill (703) under the master (741)."""
    manifest = load("manifest-small.json")
    declaration = read(pipeline, manifest).declarations[0].element
    flight = manifest["flight"]
    assert text(declaration, "c:BorderTransportMeans/c:ID") == flight["number"]
    assert text(declaration, "c:BorderTransportMeans/c:ModeCode") == "4"
    consignment = "c:GoodsShipment/c:Consignment"
    assert text(declaration, f"{consignment}/c:LoadingLocation/c:ID") == flight["departureAirport"]
    assert text(declaration, f"{consignment}/c:UnloadingLocation/c:ID") == flight["arrivalAirport"]
    documents = declaration.findall(f"{consignment}/c:TransportContractDocument", C)
    assert [(text(d, "c:ID"), text(d, "c:TypeCode")) for d in documents] == [
        (manifest["shipments"][0]["waybillNumber"], "703"),
        (manifest["masterAirWaybill"], "741"),
    ]
    alone = copy.deepcopy(manifest)
    del alone["masterAirWaybill"], alone["flight"]
    single = read(pipeline, alone).declarations[0].element
    assert single.find("c:BorderTransportMeans", C) is None
    assert text(single, f"{consignment}/c:TransportContractDocument/c:TypeCode") == "740"


def test_problem_shipments_are_refused_with_codes_and_source_paths(pipeline: Pipeline) -> None:
    """Shipment 1 passes; 2 has a wrong AWB check digit, 3 a vague description, 4 no HS
    code, 5 a net weight above the gross weight: each refused on its own, its source named by
    its JSON path (0-based, as in JSON Schema errors)."""
    manifest = load("manifest-with-problems.json")
    result = read(pipeline, manifest)
    found = {
        d.declaration_id: [(p.code, p.source_path) for p in d.problems if p.is_error]
        for d in result.declarations
    }
    ids = [s["waybillNumber"] for s in manifest["shipments"]]
    assert found == {
        ids[0]: [],
        ids[1]: [("awb.check-digit", "$.shipments[1].waybillNumber")],
        ids[2]: [("description.vague", "$.shipments[2].items[0].description")],
        ids[3]: [("required.missing", "$.shipments[3].items[0].hsCode")],
        ids[4]: [("mass.net-above-gross", "$.shipments[4].items[1].netWeight.value")],
    }
    missing = next(p for p in result.declarations[3].problems if p.is_error)
    assert (
        missing.canonical_path
        == "GoodsShipment/GovernmentAgencyGoodsItem[1]/Commodity/Classification/ID"
    )


def test_a_schema_violation_refuses_only_its_shipment(pipeline: Pipeline) -> None:
    """An unknown key and a line with both unitValue and value break the JSON Schema: those
    shipments are refused (feed.schema, with the JSON path), the others go on."""
    manifest = load("manifest-small.json")
    manifest["shipments"][1]["shipper"]["nickname"] = "Prairie"
    manifest["shipments"][2]["items"][0]["unitValue"] = 8.0
    result = read(pipeline, manifest)
    assert result.readable
    problems = {
        d.declaration_id: [p for p in d.problems if p.is_error] for d in result.declarations
    }
    ids = [s["waybillNumber"] for s in manifest["shipments"]]
    assert problems[ids[0]] == [] and problems[ids[3]] == []
    [unknown] = problems[ids[1]]
    assert (unknown.code, unknown.source_path) == ("feed.schema", "$.shipments[1].shipper")
    assert "'nickname' was unexpected" in unknown.message
    assert unknown.rule is not None and unknown.rule.startswith(
        "feeds/express-manifest-json.schema.json#/"
    )
    [both] = problems[ids[2]]
    assert (both.code, both.source_path) == ("feed.schema", "$.shipments[2].items[0]")
    assert "exactly one must match" in both.message


def test_a_schema_violation_outside_the_shipments_refuses_the_message(pipeline: Pipeline) -> None:
    manifest = load("manifest-small.json")
    del manifest["carrier"]
    result = read(pipeline, manifest)
    assert not result.readable
    assert [(p.code, p.source_path) for p in result.problems] == [("feed.schema", "$")]
    assert "'carrier' is a required property" in result.problems[0].message


def test_uk_cds_declarations_carry_the_shipment_values() -> None:
    """LRN = waybill, one goods item per line with its HS code, value and currency."""
    parameters = {
        "uk-cds": {"declarant_eori": "GB000000000001", "goods_location_name": "LHRLHRLHR"}
    }
    manifest = load("manifest-small.json")
    result = Pipeline(parameters=parameters).translate(
        FEED, "uk-cds", json.dumps(manifest).encode(), source_name="manifest.json"
    )
    dec = {"d": "urn:wco:datamodel:WCO:DEC-DMS:2"}
    shipments = {s["waybillNumber"]: s for s in manifest["shipments"]}
    accepted = [d for d in result.declarations if d.accepted and d.output is not None]
    assert len(accepted) >= 3
    for translated in accepted:
        assert translated.output is not None
        declaration = etree.fromstring(translated.output).find("d:Declaration", dec)
        assert declaration is not None
        shipment = shipments[declaration.findtext("d:FunctionalReferenceID", namespaces=dec) or ""]
        goods = declaration.findall("d:GoodsShipment/d:GovernmentAgencyGoodsItem", dec)
        assert len(goods) == len(shipment["items"])
        for item, good in zip(shipment["items"], goods, strict=True):
            assert (
                good.findtext("d:Commodity/d:Classification/d:ID", namespaces=dec) == item["hsCode"]
            )
            amount = good.find("d:CustomsValueAmount", dec)
            assert amount is not None and amount.get("currencyID") == item["currency"]
