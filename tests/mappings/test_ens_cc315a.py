"""The ens-cc315a destination, checked against the ITMATT input read independently with lxml.

Also pins ``documents.per: message`` in the engine (a template whose context is the canonical
DeclarationBatch, with ``for_each`` walking the declarations), with a small grouped ENS mapping
written for the test.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.errors import ConfigurationError
from gateway.mapping.catalog import MappingCatalog
from gateway.pipeline import Pipeline
from gateway.resources import bundled_mappings_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
UPU_SAMPLES = REPO_ROOT / "samples" / "upu-itmatt"
UPU = "urn:customs-gateway:feed:upu-itmatt:1"
ENS = "http://ics.dgtaxud.ec/CC315A"
NS = {"u": UPU}
KG_PER = {
    "KGM": Decimal(1),
    "GRM": Decimal("0.001"),
    "LBR": Decimal("0.45359237"),
    "ONZ": Decimal("0.028349523125"),
}
PARAMETERS = {
    "message_sender": "GB123456789000",
    "transport_mode": "4",
    "conveyance_reference": "CA0937",
    "declaration_place": "LONDON HEATHROW",
    "specific_circumstances": "E",
    "first_entry_office": "GB000085",
    "expected_arrival": "202611201530",
    "lodging_person_eori": "GB123456789000",
}


def _text(element: etree._Element, path: str) -> str:
    found = element.xpath(f"string({path})", namespaces=NS)
    assert isinstance(found, str)
    return found.strip()


def _items(data: bytes) -> dict[str, etree._Element]:
    return {_text(item, "u:ItemID"): item for item in etree.fromstring(data).findall("u:Item", NS)}


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(parameters={"ens-cc315a": PARAMETERS})


@pytest.mark.parametrize("sample", ["cn-to-gb-small.xml", "us-to-gb.xml"])
def test_postal_items_arrive_in_the_entry_summary(pipeline: Pipeline, sample: str) -> None:
    """Per item: LRN, goods items, HS codes, parties, gross mass in kg, packages, itinerary."""
    data = (UPU_SAMPLES / sample).read_bytes()
    source = _items(data)
    result = pipeline.translate("upu-itmatt", "ens-cc315a", data)
    accepted = [d for d in result.declarations if d.accepted]
    assert accepted
    for declaration in accepted:
        assert declaration.output is not None
        ens = etree.fromstring(declaration.output)
        assert ens.tag == f"{{{ENS}}}CC315A"
        item = source[declaration.declaration_id]
        assert _text(ens, "HEAHEA/RefNumHEA4") == _text(item, "u:ItemID")
        assert _text(ens, "HEAHEA/TraModAtBorHEA76") == "4"
        assert _text(ens, "HEAHEA/ConRefNumHEA") == "CA0937"
        assert _text(ens, "CUSOFFFENT730/RefNumCUSOFFFENT731") == "GB000085"
        assert _text(ens, "PERLODSUMDEC/TINPLD1") == "GB123456789000"
        weight = item.find("u:GrossWeight", NS)
        assert weight is not None
        kilos = Decimal(weight.text or "") * KG_PER[weight.get("unit", "KGM")]
        assert abs(Decimal(_text(ens, "HEAHEA/TotGroMasHEA307")) - kilos) <= Decimal("0.0005")
        posted = _text(item, "u:PostingDateTime")  # e.g. 2026-11-18T14:20:00-07:00
        assert _text(ens, "HEAHEA/DecDatTimHEA114") == posted[:16].replace("-", "").replace(
            "T", ""
        ).replace(":", "")
        contents = item.findall("u:Contents/u:Content", NS)
        goods = ens.findall("GOOITEGDS")
        assert _text(ens, "HEAHEA/TotNumOfIteHEA305") == str(len(contents)) == str(len(goods))
        for number, (content, good) in enumerate(zip(contents, goods, strict=True), start=1):
            assert _text(good, "IteNumGDS7") == str(number)
            assert _text(good, "GooDesGDS23") == _text(content, "u:Description")[:280]
            assert _text(good, "COMCODGODITM/ComNomCMD1") == _text(content, "u:HSCode")[:8]
            assert _text(good, "TRACONCO2/NamCO27") == _text(item, "u:Sender/u:Name")[:35].strip()
            assert _text(good, "TRACONCO2/CouCO225") == _text(item, "u:Sender/u:CountryCode")
            assert (
                _text(good, "TRACONCE2/NamCE27") == _text(item, "u:Addressee/u:Name")[:35].strip()
            )
            assert _text(good, "TRACONCE2/CouCE225") == _text(item, "u:Addressee/u:CountryCode")
            assert _text(good, "ComRefNumGIM1") == _text(item, "u:ItemID")
        assert len(ens.findall("GOOITEGDS/PACGS2")) == 1  # the parcel, once, on the first item
        assert _text(ens, "GOOITEGDS[1]/PACGS2/NumOfPacGS24") == "1"
        assert _text(ens, "GOOITEGDS[1]/PACGS2/MarNumOfPacGSL21") == _text(item, "u:ItemID")
        assert [_text(i, "CouOfRouCodITI1") for i in ens.findall("ITI")] == [
            _text(item, "u:OriginCountry"),
            _text(item, "u:DestinationCountry"),
        ]


def test_item_without_posting_date_is_refused_with_the_reason(pipeline: Pipeline) -> None:
    """ENS needs the declaration date: an item without one is refused, naming its source."""
    data = (UPU_SAMPLES / "us-to-gb.xml").read_bytes()
    undated = [i for i, item in _items(data).items() if item.find("u:PostingDateTime", NS) is None]
    assert undated
    result = pipeline.translate("upu-itmatt", "ens-cc315a", data)
    for declaration in result.declarations:
        if declaration.declaration_id in undated:
            assert not declaration.accepted
            problems = [(p.code, p.canonical_path, p.source_path) for p in declaration.problems]
            assert ("required.missing", "IssueDateTime") in [(c, p) for c, p, _ in problems]
            assert any((s or "").endswith("PostingDateTime") for _, _, s in problems)


def test_missing_transport_parameters_are_a_configuration_error() -> None:
    """The conveyance details come from configuration; without them nothing is rendered."""
    data = (UPU_SAMPLES / "us-to-gb.xml").read_bytes()
    with pytest.raises(ConfigurationError, match="first_entry_office"):
        Pipeline().translate("upu-itmatt", "ens-cc315a", data)


# -- documents.per: message ------------------------------------------------------------------

GROUPED = """\
name: ens-grouped
kind: destination
output:
  root: ens:CC315A
  namespaces: {ens: "http://ics.dgtaxud.ec/CC315A"}
  schema: destinations/ens-cc315a/ens-cc315a.xsd
parameters:
  first_entry_office: {description: office of first entry}
documents:
  per: message
  template:
    MesSenMES3: GATEWAY
    DatOfPreMES9: "261120"
    TimOfPreMES10: "1530"
    MesIdeMES19: {from: "Declaration[1]/FunctionalReferenceID", required: true}
    MesTypMES20: CC315A
    HEAHEA:
      RefNumHEA4: {from: "Declaration[1]/FunctionalReferenceID"}
      TraModAtBorHEA76: "4"
      TotNumOfIteHEA305: {xpath: "count(Declaration/GoodsShipment/GovernmentAgencyGoodsItem)"}
      TotNumOfPacHEA306: {xpath: "sum(Declaration/TotalPackageQuantity)"}
      TotGroMasHEA307: {xpath: "sum(Declaration/TotalGrossMassMeasure)", apply: [{round: 3}]}
      DecPlaHEA394: LONDON
      DecDatTimHEA114: "202611201530"
    GOOITEGDS:
      for_each: Declaration/GoodsShipment/GovernmentAgencyGoodsItem
      IteNumGDS7: {position: true}
      GooDesGDS23: {from: Commodity/Description, apply: [{substring: {start: 0, length: 280}}]}
      ComRefNumGIM1: {from: ../../FunctionalReferenceID}
      COMCODGODITM/ComNomCMD1: {from: "Commodity/Classification[1]/ID"}
      TRACONCE2/NamCE27: {from: ../Consignee/Name, apply: [{substring: {start: 0, length: 35}}]}
    PERLODSUMDEC/TINPLD1: GB123456789000
    CUSOFFFENT730:
      RefNumCUSOFFFENT731: {param: first_entry_office}
      ExpDatOfArrFIRENT733: "202611201530"
"""


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    folder = tmp_path_factory.mktemp("mappings")
    (folder / "destinations").mkdir()
    (folder / "destinations" / "ens-grouped.yaml").write_text(GROUPED, encoding="utf-8")
    strict = GROUPED.replace("name: ens-grouped", "name: ens-grouped-strict").replace(
        "      ComRefNumGIM1:",
        "      GroMasGDS46: {from: Commodity/GoodsMeasure/GrossMassMeasure, required: true}\n"
        "      ComRefNumGIM1:",
    )
    assert strict.count("required: true") == 2
    (folder / "destinations" / "ens-grouped-strict.yaml").write_text(strict, encoding="utf-8")
    catalog = MappingCatalog([folder, bundled_mappings_dir()])
    office = {"first_entry_office": "GB000085"}
    return Pipeline(catalog, parameters={"ens-grouped": office, "ens-grouped-strict": office})


def test_per_message_groups_every_declaration_in_one_document(grouped: Pipeline) -> None:
    """One CC315A for the batch: goods items of all declarations, numbered across them."""
    data = (UPU_SAMPLES / "us-to-gb.xml").read_bytes()
    source = _items(data)
    result = grouped.translate("upu-itmatt", "ens-grouped", data)
    accepted = [d for d in result.declarations if d.accepted]
    assert len(accepted) == len(source) > 1
    documents = [d.output for d in accepted if d.output is not None]
    assert len(documents) == 1
    assert accepted[0].output is not None  # the document travels with the first declaration
    ens = etree.fromstring(documents[0])
    goods = ens.findall("GOOITEGDS")
    expected = [
        (item_id, _text(content, "u:Description"))
        for item_id, item in source.items()
        for content in item.findall("u:Contents/u:Content", NS)
    ]
    assert [(_text(g, "ComRefNumGIM1"), _text(g, "GooDesGDS23")) for g in goods] == expected
    assert [_text(g, "IteNumGDS7") for g in goods] == [str(n) for n in range(1, len(goods) + 1)]
    assert _text(ens, "HEAHEA/TotNumOfIteHEA305") == str(len(expected))
    assert _text(ens, "HEAHEA/TotNumOfPacHEA306") == str(len(source))
    assert _text(ens, "MesIdeMES19") == next(iter(source))
    total = Decimal(0)
    for item in source.values():
        weight = item.find("u:GrossWeight", NS)
        assert weight is not None
        total += Decimal(weight.text or "") * KG_PER[weight.get("unit", "KGM")]
    assert abs(Decimal(_text(ens, "HEAHEA/TotGroMasHEA307")) - total) <= Decimal("0.002")


def test_per_message_problem_refuses_every_declaration_of_the_document(grouped: Pipeline) -> None:
    """A grouped document that cannot be made refuses all the declarations it would carry."""
    data = (UPU_SAMPLES / "us-to-gb.xml").read_bytes()
    # postal items carry no item-level gross mass: the one document lacks a required value
    result = grouped.translate("upu-itmatt", "ens-grouped-strict", data)
    assert all(d.output is None for d in result.declarations)
    for declaration in result.declarations:
        assert not declaration.accepted
        codes = {p.code for p in declaration.problems if p.is_error}
        assert "required.missing" in codes
