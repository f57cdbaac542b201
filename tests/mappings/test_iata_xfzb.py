"""The iata-xfzb feed: an IATA Cargo-XML house waybill becomes one declaration per house.

Expected values are read from the input XML with lxml, by namespace (whatever the prefixes),
independently of the mapping, and compared with the canonical declaration. The master air
waybill (XFWB) is given as the reference document 'master'.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.errors import ConfigurationError
from gateway.pipeline import CanonicalDeclaration, FeedResult, Pipeline
from tests.oracles import elements
from tests.oracles import text as normalized

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
STANDARDS = ROOT.parent / "shared" / "standards" / "iata-cargo-xml"
HOUSES = SAMPLES / "iata-xfzb"
MASTER = SAMPLES / "iata-xfwb" / "master-consolidation-hkg-lhr.xml"
FEED = "iata-xfzb"
DECLARED_VALUE = (
    ROOT / "tests" / "golden" / "iata-xfzb" / "inputs" / "house-waybill-declared-value.xml"
)
IATA = {"d": "iata:datamodel:3", "h": "iata:housewaybill:1", "w": "iata:waybill:1"}
C = {"c": CANONICAL_NS}
KILOGRAMS_PER = {"KGM": Decimal(1), "GRM": Decimal("0.001"), "LBR": Decimal("0.45359237")}


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


def read(
    pipeline: Pipeline, path: Path, master: Path | None = MASTER, data: bytes | None = None
) -> FeedResult:
    references = {"master": master.read_bytes()} if master is not None else None
    body = data if data is not None else path.read_bytes()
    return pipeline.read_feed(FEED, body, source_name=path.name, references=references)


def only(result: FeedResult) -> CanonicalDeclaration:
    assert result.readable, result.problems
    assert len(result.declarations) == 1
    return result.declarations[0]


def text(element: etree._Element, path: str, namespaces: dict[str, str] = C) -> str:
    return normalized(element, path, namespaces)


def kilograms(measure: etree._Element) -> Decimal:
    return Decimal(measure.text or "") * KILOGRAMS_PER[measure.get("unitCode", "")]


HOUSE_FILES = [
    HOUSES / "house-waybills-two-items.xml",
    HOUSES / "house-waybill-minimal.xml",
    DECLARED_VALUE,
    STANDARDS / "SEL22222222_XFZB.xml",
]


@pytest.mark.parametrize("path", HOUSE_FILES, ids=[p.name for p in HOUSE_FILES])
def test_house_values_arrive_in_the_canonical_declaration(pipeline: Pipeline, path: Path) -> None:
    """House number, parties, countries, weight in kg, items, HS codes and the master's AWB
    number arrive, whatever namespace prefixes the house waybill uses."""
    source = etree.parse(str(path)).getroot()
    house = elements(source, "h:MasterConsignment/d:IncludedHouseConsignment", IATA)[0]
    declaration = only(read(pipeline, path)).element
    assert text(declaration, "c:FunctionalReferenceID") == text(house, "d:ID", IATA)
    for party, role in (("Consignor", "d:ConsignorParty"), ("Consignee", "d:ConsigneeParty")):
        assert text(declaration, f"c:GoodsShipment/c:{party}/c:Name") == text(
            house, f"{role}/d:Name", IATA
        )
        assert text(declaration, f"c:GoodsShipment/c:{party}/c:Address/c:CountryCode") == text(
            house, f"{role}/d:PostalStructuredAddress/d:CountryID", IATA
        )
    weight = house.find("d:IncludedTareGrossWeightMeasure", IATA)
    total = declaration.find("c:TotalGrossMassMeasure", C)
    assert weight is not None and total is not None
    assert total.get("unitCode") == "KGM"
    assert Decimal(total.text or "") == kilograms(weight).quantize(Decimal("0.000001"))
    items = house.findall("d:IncludedHouseConsignmentItem", IATA)
    goods = declaration.findall("c:GoodsShipment/c:GovernmentAgencyGoodsItem", C)
    assert text(declaration, "c:GoodsItemQuantity") == str(len(items)) == str(len(goods))
    for item, good in zip(items, goods, strict=True):
        assert [code.text for code in item.findall("d:TypeCode", IATA)] == [
            code.text for code in good.findall("c:Commodity/c:Classification/c:ID", C)
        ]
        assert text(good, "c:Commodity/c:Description") == text(
            item, "d:NatureIdentificationTransportCargo/d:Identification", IATA
        )
    documents = declaration.findall("c:GoodsShipment/c:Consignment/c:TransportContractDocument", C)
    assert [(text(d, "c:ID"), text(d, "c:TypeCode")) for d in documents] == [
        (text(house, "d:ID", IATA), "703"),
        (text(source, "h:MasterConsignment/d:TransportContractDocument/d:ID", IATA), "741"),
    ]


def test_customs_notes_give_tax_ids_contact_and_telephone(pipeline: Pipeline) -> None:
    """Customs notes T (tax ID), CP (contact person), CT (telephone) attach to the party
    their subject code names (SHP shipper, CNE consignee)."""
    declaration = only(read(pipeline, HOUSES / "house-waybills-two-items.xml")).element
    shipment = declaration.find("c:GoodsShipment", C)
    assert shipment is not None
    assert text(shipment, "c:Consignor/c:ID") == "HK00000001"
    assert text(shipment, "c:Consignee/c:ID") == "GB000000000000"
    assert text(shipment, "c:Consignee/c:Contact/c:Name") == "AMELIA TESTBRIDGE"
    assert text(shipment, "c:Consignee/c:Communication[c:TypeCode = 'TE']/c:ID") == "441134960123"
    assert text(shipment, "c:Consignor/c:Communication[c:TypeCode = 'TE']/c:ID") == "85200000101"


def test_the_master_gives_flight_carrier_and_airports(pipeline: Pipeline) -> None:
    """With the master XFWB as reference, the house takes its last flight, carrier and airports."""
    master = etree.parse(str(MASTER)).getroot()
    flight = elements(
        master, "w:MasterConsignment/d:SpecifiedLogisticsTransportMovement[last()]", IATA
    )[0]
    declaration = only(read(pipeline, HOUSES / "house-waybill-minimal.xml")).element
    assert text(declaration, "c:BorderTransportMeans/c:ID") == text(flight, "d:ID", IATA)
    assert text(declaration, "c:BorderTransportMeans/c:ModeCode") == "4"
    assert text(declaration, "c:Carrier/c:ID") == text(
        flight, "d:UsedLogisticsTransportMeans/d:Name", IATA
    )
    consignment = declaration.find("c:GoodsShipment/c:Consignment", C)
    assert consignment is not None
    assert text(consignment, "c:ArrivalTransportMeans/c:ID") == "XQ2081"
    # the minimal house names no airports: both come from the master
    assert text(consignment, "c:LoadingLocation/c:ID") == text(
        master, "w:MasterConsignment/d:OriginLocation/d:ID", IATA
    )
    assert text(consignment, "c:UnloadingLocation/c:ID") == text(
        master, "w:MasterConsignment/d:FinalDestinationLocation/d:ID", IATA
    )


def test_without_the_master_the_transport_fields_are_simply_empty(pipeline: Pipeline) -> None:
    """No reference document: no flight or carrier, and the house is still accepted."""
    declaration = only(read(pipeline, HOUSES / "house-waybill-minimal.xml", master=None))
    assert declaration.accepted, declaration.problems
    assert declaration.element.find("c:BorderTransportMeans", C) is None
    assert declaration.element.find("c:Carrier", C) is None
    assert text(declaration.element, "c:GoodsShipment/c:Consignment/c:LoadingLocation/c:ID") == ""


def test_pounds_and_grams_are_converted_to_kilograms(pipeline: Pipeline) -> None:
    """5.5 LBR is 2.494758 kg (exact factor 0.45359237, 6 decimals); 1800 GRM is 1.8 kg."""
    minimal = only(read(pipeline, HOUSES / "house-waybill-minimal.xml")).element
    assert text(minimal, "c:TotalGrossMassMeasure") == "2.494758"
    valued = only(read(pipeline, DECLARED_VALUE)).element
    measure = "c:GoodsShipment/c:GovernmentAgencyGoodsItem/c:Commodity/c:GoodsMeasure"
    assert Decimal(text(valued, f"{measure}/c:GrossMassMeasure")) == Decimal("1.8")


def test_a_single_item_house_takes_the_declared_value_as_customs_value(
    pipeline: Pipeline,
) -> None:
    """The declared value for customs is the item's value only when the house has one item."""
    valued = only(read(pipeline, DECLARED_VALUE)).element
    amount = valued.find("c:GoodsShipment/c:GovernmentAgencyGoodsItem/c:CustomsValueAmount", C)
    assert amount is not None
    assert (Decimal(amount.text or ""), amount.get("currencyID")) == (Decimal("86.40"), "GBP")
    two = only(read(pipeline, HOUSES / "house-waybills-two-items.xml")).element
    assert two.find("c:GoodsShipment/c:GovernmentAgencyGoodsItem/c:CustomsValueAmount", C) is None
    assert text(two, "c:InvoiceAmount/@currencyID") == "USD"


def test_the_public_sample_is_refused_for_its_vague_description(pipeline: Pipeline) -> None:
    """The IATA sample's item says only 'SPARE PARTS': refused, pointing at the element."""
    declaration = only(read(pipeline, STANDARDS / "SEL22222222_XFZB.xml"))
    assert not declaration.accepted
    [problem] = [p for p in declaration.problems if p.is_error]
    assert problem.code == "description.vague"
    assert problem.value == "SPARE PARTS"
    assert (problem.source_path or "").endswith(
        "IncludedHouseConsignmentItem[1]/NatureIdentificationTransportCargo/Identification"
    )


def test_a_wrong_master_check_digit_refuses_the_house(pipeline: Pipeline) -> None:
    """The awb check covers the master air waybill number the house names."""
    path = HOUSES / "house-waybill-minimal.xml"
    data = path.read_bytes().replace(b"888-31415926", b"888-31415925")
    declaration = only(read(pipeline, path, data=data))
    codes = {(p.code, p.canonical_path) for p in declaration.problems}
    assert (
        "awb.check-digit",
        "GoodsShipment/Consignment/TransportContractDocument[2]/ID",
    ) in codes


def test_a_reference_that_is_not_a_master_waybill_refuses_the_message(
    pipeline: Pipeline,
) -> None:
    """Giving a house waybill as the master is caught by the root check of the iata-xfwb feed."""
    path = HOUSES / "house-waybill-minimal.xml"
    result = read(pipeline, path, master=HOUSES / "house-waybills-two-items.xml")
    assert not result.readable
    assert [p.code for p in result.problems] == ["xml.root"]
    assert "reference document 'master'" in result.problems[0].message


def test_an_undeclared_reference_name_is_a_configuration_error(pipeline: Pipeline) -> None:
    path = HOUSES / "house-waybill-minimal.xml"
    with pytest.raises(ConfigurationError, match="takes no reference document named 'mawb'"):
        pipeline.read_feed(FEED, path.read_bytes(), references={"mawb": MASTER.read_bytes()})


def test_concurrent_runs_each_read_their_own_master(pipeline: Pipeline) -> None:
    """References are per run: threads translating with different masters do not mix them."""
    path = HOUSES / "house-waybill-minimal.xml"
    other = MASTER.read_bytes().replace(b"XQ2081", b"XQ9999")
    masters = {"XQ2081": MASTER.read_bytes(), "XQ9999": other}
    seen: dict[str, set[str]] = {flight: set() for flight in masters}

    def run(flight: str) -> None:
        for _ in range(20):
            result = pipeline.read_feed(
                FEED, path.read_bytes(), references={"master": masters[flight]}
            )
            seen[flight].add(text(only(result).element, "c:BorderTransportMeans/c:ID"))

    threads = [threading.Thread(target=run, args=(flight,)) for flight in masters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"XQ2081": {"XQ2081"}, "XQ9999": {"XQ9999"}}
