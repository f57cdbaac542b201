"""The iata-xfwb feed: an IATA Cargo-XML master air waybill becomes one declaration.

Expected values are read from the input XML with lxml, by namespace, independently of the
mapping: the project's samples and both public IATA samples (one with US ACAS customs notes).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.pipeline import CanonicalDeclaration, Pipeline
from tests.oracles import elements
from tests.oracles import text as normalized

ROOT = Path(__file__).resolve().parents[2]
MASTERS = ROOT / "samples" / "iata-xfwb"
STANDARDS = ROOT.parent / "shared" / "standards" / "iata-cargo-xml"
FEED = "iata-xfwb"
IATA = {"d": "iata:datamodel:3", "w": "iata:waybill:1"}
C = {"c": CANONICAL_NS}
FILES = [
    MASTERS / "master-consolidation-hkg-lhr.xml",
    MASTERS / "master-direct-two-items.xml",
    STANDARDS / "888-11111111_XFWB.xml",
    STANDARDS / "888-11111111_XFWB_ACAS_US.xml",
]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


def declaration_of(
    pipeline: Pipeline, path: Path, data: bytes | None = None
) -> CanonicalDeclaration:
    result = pipeline.read_feed(FEED, data or path.read_bytes(), source_name=path.name)
    assert result.readable, result.problems
    assert len(result.declarations) == 1
    return result.declarations[0]


def text(element: etree._Element, path: str, namespaces: dict[str, str] = C) -> str:
    return normalized(element, path, namespaces)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_master_values_arrive_in_the_canonical_declaration(pipeline: Pipeline, path: Path) -> None:
    """AWB number and type, flight, airports, parties, weight, pieces and items arrive."""
    source = etree.parse(str(path)).getroot()
    master = source.find("w:MasterConsignment", IATA)
    assert master is not None
    declaration = declaration_of(pipeline, path)
    assert declaration.accepted, declaration.problems
    element = declaration.element
    awb = text(source, "w:BusinessHeaderDocument/d:ID", IATA)
    assert declaration.declaration_id == awb
    assert text(element, "c:FunctionalReferenceID") == awb
    document = "c:GoodsShipment/c:Consignment/c:TransportContractDocument"
    assert text(element, f"{document}/c:ID") == awb
    assert text(element, f"{document}/c:TypeCode") == text(
        source, "w:MessageHeaderDocument/d:TypeCode", IATA
    )
    last_leg = "d:SpecifiedLogisticsTransportMovement[last()]"
    assert text(element, "c:BorderTransportMeans/c:ID") == text(master, f"{last_leg}/d:ID", IATA)
    assert text(element, "c:BorderTransportMeans/c:ModeCode") == "4"
    consignment = "c:GoodsShipment/c:Consignment"
    assert text(element, f"{consignment}/c:LoadingLocation/c:ID") == text(
        master, "d:OriginLocation/d:ID", IATA
    )
    assert text(element, f"{consignment}/c:UnloadingLocation/c:ID") == text(
        master, "d:FinalDestinationLocation/d:ID", IATA
    )
    for party, role in (("Consignor", "d:ConsignorParty"), ("Consignee", "d:ConsigneeParty")):
        assert text(element, f"c:GoodsShipment/c:{party}/c:Name") == text(
            master, f"{role}/d:Name", IATA
        )
    weight = master.find("d:IncludedTareGrossWeightMeasure", IATA)
    assert weight is not None and weight.get("unitCode") == "KGM"
    assert Decimal(text(element, "c:TotalGrossMassMeasure")) == Decimal(weight.text or "")
    assert text(element, "c:TotalPackageQuantity") == text(master, "d:TotalPieceQuantity", IATA)
    items = master.findall("d:ApplicableRating/d:IncludedMasterConsignmentItem", IATA)
    goods = element.findall("c:GoodsShipment/c:GovernmentAgencyGoodsItem", C)
    assert len(items) == len(goods) == int(text(element, "c:GoodsItemQuantity"))
    for item, good in zip(items, goods, strict=True):
        assert [code.text for code in item.findall("d:TypeCode", IATA)] == [
            code.text for code in good.findall("c:Commodity/c:Classification/c:ID", C)
        ]
        assert text(good, "c:Commodity/c:Description") == text(
            item, "d:NatureIdentificationTransportCargo/d:Identification", IATA
        )


def test_a_direct_waybill_with_several_hs_codes_per_item(pipeline: Pipeline) -> None:
    """Type code 740 (air waybill) is kept; the second item has both of its HS codes."""
    element = declaration_of(pipeline, MASTERS / "master-direct-two-items.xml").element
    assert text(
        element, "c:GoodsShipment/c:Consignment/c:TransportContractDocument/c:TypeCode"
    ) == ("740")
    second = element.findall("c:GoodsShipment/c:GovernmentAgencyGoodsItem", C)[1]
    assert [c.text for c in second.findall("c:Commodity/c:Classification/c:ID", C)] == [
        "901780",
        "903180",
    ]


def test_acas_customs_notes_become_additional_information(pipeline: Pipeline) -> None:
    """Notes addressed to authorities (subject CUS, ISS or none) are kept as additional
    information; the shipper's and consignee's notes go to the parties instead."""
    path = STANDARDS / "888-11111111_XFWB_ACAS_US.xml"
    source = etree.parse(str(path)).getroot()
    notes = elements(
        source,
        "w:MasterConsignment/d:IncludedCustomsNote"
        "[not(d:SubjectCode = 'SHP' or d:SubjectCode = 'CNE')]",
        IATA,
    )
    element = declaration_of(pipeline, path).element
    statements = element.findall("c:AdditionalInformation", C)
    assert [(text(n, "d:ContentCode", IATA), text(n, "d:Content", IATA)) for n in notes] == [
        (text(s, "c:StatementCode"), text(s, "c:StatementDescription")) for s in statements
    ]
    assert any(text(s, "c:StatementTypeCode") == "CUS" for s in statements)
    shipment = element.find("c:GoodsShipment", C)
    assert shipment is not None
    assert text(shipment, "c:Consignor/c:ID") == "IE1234567N"
    assert text(shipment, "c:Consignee/c:ID") == "USCI1234567812345678X7"
    assert text(shipment, "c:Consignee/c:Contact/c:Name") == "PAUL PERSON"


def test_a_wrong_air_waybill_check_digit_refuses_the_master(pipeline: Pipeline) -> None:
    """888-31415920: the serial 3141592 gives check digit 6, not 0."""
    path = MASTERS / "master-consolidation-hkg-lhr.xml"
    data = path.read_bytes().replace(b"888-31415926", b"888-31415920")
    declaration = declaration_of(pipeline, path, data)
    assert not declaration.accepted
    codes = [(p.code, p.value) for p in declaration.problems if p.is_error]
    assert ("awb.check-digit", "888-31415920") in codes


def test_a_master_without_consignee_is_refused_with_the_source_path(pipeline: Pipeline) -> None:
    path = MASTERS / "master-direct-two-items.xml"
    tree = etree.parse(str(path))
    for party in tree.getroot().iterfind(".//d:ConsigneeParty", IATA):
        party.getparent().remove(party)  # type: ignore[union-attr]
    declaration = declaration_of(pipeline, path, etree.tostring(tree))
    missing = [p for p in declaration.problems if p.code == "required.missing"]
    assert missing
    assert any("ConsigneeParty/Name" in (p.source_path or "") for p in missing)
