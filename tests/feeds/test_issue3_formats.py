"""Feed formats of issue 3: schemas, samples and China Customs code lists.

Pins that every sample is valid against its schema (problems are for the checks, not the
schemas), that identifiers in the samples carry the check digits they claim (computed here
independently of the gateway), that the problem samples contain exactly the problems their
READMEs announce, that the CEB code lists agree with the project's ISO and Rec 20 lists, and
that the project's IATA samples are shaped like the public Cargo-XML samples.
"""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from lxml import etree

from tests.oracles import KILOGRAMS_PER_UNIT

ROOT = Path(__file__).resolve().parents[2]
FEED_SCHEMAS = ROOT / "schemas" / "feeds"
SAMPLES = ROOT / "samples"
CODELISTS = ROOT / "mappings" / "codelists"
IATA_STANDARDS = ROOT.parent / "shared" / "standards" / "iata-cargo-xml"
SAFE = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
CEB_NS = "http://www.chinaport.gov.cn/ceb"
CEB = {"ceb": CEB_NS}
IATA_DATA_NS = "iata:datamodel:3"


def awb_check_digit_is_right(number: str) -> bool:
    """An AWB number 'PPP-SSSSSSSC' is right when C is the first seven serial digits mod 7."""
    match = re.fullmatch(r"\d{3}-(\d{7})(\d)", number)
    return match is not None and int(match.group(1)) % 7 == int(match.group(2))


def test_awb_check_digit_rule_of_this_test_module() -> None:
    """The independent rule itself: the public IATA sample's 888-11111111 is right."""
    assert awb_check_digit_is_right("888-11111111")
    assert awb_check_digit_is_right("888-31415926")
    assert not awb_check_digit_is_right("888-31415920")
    assert not awb_check_digit_is_right("88831415926")


def read_csv(name: str) -> list[dict[str, str]]:
    with (CODELISTS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def validator(schema_name: str) -> jsonschema.protocols.Validator:
    schema = load_json(FEED_SCHEMAS / schema_name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def schema_errors(schema_name: str, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(schema_name).iter_errors(document)
    ]


def kilograms(weight: dict[str, Any]) -> Decimal:
    return Decimal(str(weight["value"])) * KILOGRAMS_PER_UNIT[weight["unit"]]


def vague_terms() -> set[str]:
    return {row["term"] for row in read_csv("vague-descriptions.csv")}


# ------------------------------------------------------------------ JSON feed schemas

JSON_SAMPLES = [
    ("express-manifest-json.schema.json", p)
    for p in sorted((SAMPLES / "express-manifest-json").glob("*.json"))
] + [
    ("platform-order-json.schema.json", p)
    for p in sorted((SAMPLES / "platform-order-json").glob("*.json"))
]


def test_json_samples_are_all_there() -> None:
    names = {p.name for _, p in JSON_SAMPLES}
    assert names == {
        "manifest-small.json",
        "manifest-with-problems.json",
        "order-single-parcel.json",
        "order-two-parcels.json",
        "order-with-problems.json",
    }


@pytest.mark.parametrize(("schema_name", "path"), JSON_SAMPLES, ids=str)
def test_every_json_sample_is_valid_against_its_schema(schema_name: str, path: Path) -> None:
    assert schema_errors(schema_name, load_json(path)) == []


@pytest.mark.parametrize(
    "schema_name", ["express-manifest-json.schema.json", "platform-order-json.schema.json"]
)
def test_json_schemas_are_draft_2020_12_and_describe_every_property(schema_name: str) -> None:
    schema = load_json(FEED_SCHEMAS / schema_name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("urn:customs-gateway:feed:")

    def undescribed(node: Any, path: str) -> list[str]:
        found: list[str] = []
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub and "$ref" not in sub:
                    found.append(f"{path}/{name}")
            for key, sub in node.items():
                found += undescribed(sub, f"{path}/{key}")
        elif isinstance(node, list):
            for index, sub in enumerate(node):
                found += undescribed(sub, f"{path}/{index}")
        return found

    assert undescribed(schema, "") == []


def test_manifest_schema_refuses_unknown_keys_bad_awb_format_and_both_values() -> None:
    """A misspelt key, an AWB without hyphen, and an item with unit value and value."""
    schema = "express-manifest-json.schema.json"
    document = load_json(SAMPLES / "express-manifest-json" / "manifest-small.json")
    document["shipments"][0]["items"][0]["hscode"] = "851830"
    assert any("hscode" in e for e in schema_errors(schema, document))

    document = load_json(SAMPLES / "express-manifest-json" / "manifest-small.json")
    document["shipments"][0]["waybillNumber"] = "88823456786"
    assert schema_errors(schema, document)

    document = load_json(SAMPLES / "express-manifest-json" / "manifest-small.json")
    document["shipments"][0]["items"][0]["value"] = 45.0
    assert schema_errors(schema, document)

    document = load_json(SAMPLES / "express-manifest-json" / "manifest-small.json")
    document["shipments"][0]["grossWeight"]["unit"] = "stone"
    assert schema_errors(schema, document)


def test_order_schema_refuses_unknown_keys_in_seller_and_a_missing_payment() -> None:
    schema = "platform-order-json.schema.json"
    document = load_json(SAMPLES / "platform-order-json" / "order-two-parcels.json")
    document["seller"]["vatNo"] = "DE000000000"
    assert any("vatNo" in e for e in schema_errors(schema, document))

    document = load_json(SAMPLES / "platform-order-json" / "order-two-parcels.json")
    document["buyer"]["id"] = "BUYER-1"
    assert schema_errors(schema, document)

    document = load_json(SAMPLES / "platform-order-json" / "order-two-parcels.json")
    del document["payment"]
    assert schema_errors(schema, document)


# ------------------------------------------------------------------ express manifest


def test_manifest_small_has_right_check_digits_and_is_varied() -> None:
    """3-4 shipments, several items each, kg and lb, every AWB check digit right."""
    manifest = load_json(SAMPLES / "express-manifest-json" / "manifest-small.json")
    shipments = manifest["shipments"]
    assert 3 <= len(shipments) <= 4
    numbers = [manifest["masterAirWaybill"], *(s["waybillNumber"] for s in shipments)]
    assert [n for n in numbers if not awb_check_digit_is_right(n)] == []
    assert len(set(numbers)) == len(numbers)
    assert all(len(s["items"]) >= 2 for s in shipments)
    units = {s["grossWeight"]["unit"] for s in shipments}
    assert {"kg", "lb"} <= units
    assert {"unitValue", "value"} <= {k for s in shipments for i in s["items"] for k in i}


def test_manifest_small_has_none_of_the_problems_the_checks_look_for() -> None:
    manifest = load_json(SAMPLES / "express-manifest-json" / "manifest-small.json")
    for shipment in manifest["shipments"]:
        net_total = Decimal(0)
        for item in shipment["items"]:
            assert item.get("hsCode"), item
            assert item["description"].strip().lower() not in vague_terms()
            if "netWeight" in item and "grossWeight" in item:
                assert kilograms(item["netWeight"]) <= kilograms(item["grossWeight"])
            net_total += kilograms(item.get("netWeight", {"value": 0, "unit": "kg"}))
        assert net_total <= kilograms(shipment["grossWeight"]), shipment["waybillNumber"]


def test_manifest_with_problems_has_exactly_the_announced_problems() -> None:
    """Shipment 1 valid; 2 wrong AWB check digit; 3 vague description; 4 missing HS code;
    5 an item whose net weight is above its gross weight."""
    manifest = load_json(SAMPLES / "express-manifest-json" / "manifest-with-problems.json")
    shipments = manifest["shipments"]
    assert len(shipments) == 5
    assert awb_check_digit_is_right(manifest["masterAirWaybill"])

    wrong_awb = [
        i for i, s in enumerate(shipments, 1) if not awb_check_digit_is_right(s["waybillNumber"])
    ]
    vague = [
        i
        for i, s in enumerate(shipments, 1)
        if any(item["description"].strip().lower() in vague_terms() for item in s["items"])
    ]
    missing_hs = [
        i for i, s in enumerate(shipments, 1) if any("hsCode" not in item for item in s["items"])
    ]
    net_above_gross = [
        i
        for i, s in enumerate(shipments, 1)
        if any(
            "grossWeight" in item and kilograms(item["netWeight"]) > kilograms(item["grossWeight"])
            for item in s["items"]
        )
    ]
    assert (wrong_awb, vague, missing_hs, net_above_gross) == ([2], [3], [4], [5])


# ------------------------------------------------------------------ platform orders


def order_total(order: dict[str, Any]) -> Decimal:
    lines = sum(
        (Decimal(str(line["unitPrice"])) * line["quantity"] for line in order["lines"]),
        Decimal(0),
    )
    return lines + Decimal(str(order["shipping"]["cost"]))


@pytest.mark.parametrize("name", ["order-single-parcel.json", "order-two-parcels.json"])
def test_valid_orders_add_up_and_every_line_is_in_a_listed_parcel(name: str) -> None:
    order = load_json(SAMPLES / "platform-order-json" / name)
    assert Decimal(str(order["payment"]["amount"])) == order_total(order)
    tracking = set(order["shipping"]["trackingNumbers"])
    assert {line.get("parcel", next(iter(tracking))) for line in order["lines"]} <= tracking
    assert all(line.get("hsCode") for line in order["lines"])
    assert all(line["description"].lower() not in vague_terms() for line in order["lines"])
    currencies = {line["currency"] for line in order["lines"]}
    assert currencies == {order["payment"]["currency"], order["shipping"]["currency"]}


def test_two_parcel_order_ships_in_two_parcels_that_each_carry_lines() -> None:
    order = load_json(SAMPLES / "platform-order-json" / "order-two-parcels.json")
    tracking = order["shipping"]["trackingNumbers"]
    assert len(tracking) == 2
    assert {line["parcel"] for line in order["lines"]} == set(tracking)


def s10_is_right(identifier: str) -> bool:
    """UPU S10: weights 8 6 4 2 3 5 9 7 over the serial; 11 - sum mod 11, 10 -> 0, 11 -> 5."""
    match = re.fullmatch(r"[A-Z]{2}(\d{8})(\d)[A-Z]{2}", identifier)
    if match is None:
        return False
    total = sum(int(d) * w for d, w in zip(match.group(1), (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check) == int(match.group(2))


def test_two_parcel_order_uses_s10_tracking_numbers_with_right_check_digits() -> None:
    order = load_json(SAMPLES / "platform-order-json" / "order-two-parcels.json")
    assert all(s10_is_right(t) for t in order["shipping"]["trackingNumbers"])


def test_order_with_problems_has_exactly_the_announced_problems() -> None:
    """Line 2 vague description, line 3 no HS code, line 4 in a parcel shipping does not
    list, and a payment amount that is not the lines plus shipping; line 1 is valid."""
    order = load_json(SAMPLES / "platform-order-json" / "order-with-problems.json")
    lines = order["lines"]
    tracking = set(order["shipping"]["trackingNumbers"])
    vague = [i for i, line in enumerate(lines, 1) if line["description"].lower() in vague_terms()]
    missing_hs = [i for i, line in enumerate(lines, 1) if "hsCode" not in line]
    unlisted = [i for i, line in enumerate(lines, 1) if line["parcel"] not in tracking]
    assert (vague, missing_hs, unlisted) == ([2], [3], [4])
    assert Decimal(str(order["payment"]["amount"])) != order_total(order)


# ------------------------------------------------------------------ CEB311


@pytest.fixture(scope="module")
def ceb_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FEED_SCHEMAS / "ceb311-order.xsd"), SAFE))


CEB_SAMPLES = sorted((SAMPLES / "ceb311-order").glob("*.xml"))


def test_ceb_schema_is_valid_xsd_for_a_second_processor_and_documented() -> None:
    compiled = xmlschema.XMLSchema10(str(FEED_SCHEMAS / "ceb311-order.xsd"))
    assert compiled.target_namespace == CEB_NS
    assert compiled.is_valid(str(SAMPLES / "ceb311-order" / "ceb311-two-orders.xml"))
    tree = etree.parse(str(FEED_SCHEMAS / "ceb311-order.xsd"), SAFE)
    xs = "{http://www.w3.org/2001/XMLSchema}"
    declarations = [*tree.iter(f"{xs}element"), *tree.iter(f"{xs}attribute")]
    assert len(declarations) > 40
    assert [d.get("name") for d in declarations if d.find(f"{xs}annotation") is None] == []


@pytest.mark.parametrize("path", CEB_SAMPLES, ids=lambda p: p.name)
def test_ceb_samples_are_valid_against_the_feed_schema(
    ceb_schema: etree.XMLSchema, path: Path
) -> None:
    document = etree.parse(str(path), SAFE)
    assert ceb_schema.validate(document), str(ceb_schema.error_log)


def test_ceb_schema_refuses_a_missing_order_list_and_a_two_digit_currency(
    ceb_schema: etree.XMLSchema,
) -> None:
    document = etree.parse(str(SAMPLES / "ceb311-order" / "ceb311-two-orders.xml"), SAFE)
    for line in document.getroot().findall("ceb:Order[2]/ceb:OrderList", CEB):
        line.getparent().remove(line)  # type: ignore[union-attr]
    assert not ceb_schema.validate(document)

    document = etree.parse(str(SAMPLES / "ceb311-order" / "ceb311-two-orders.xml"), SAFE)
    currency = document.getroot().find("ceb:Order/ceb:OrderHead/ceb:currency", CEB)
    assert currency is not None
    currency.text = "14"
    assert not ceb_schema.validate(document)


def ceb_text(element: etree._Element, name: str) -> str:
    found = element.find(f"ceb:{name}", CEB)
    assert found is not None and found.text is not None, name
    return found.text


def test_ceb_two_orders_add_up_and_use_only_listed_codes() -> None:
    """Line total = qty x price; goodsValue = sum of lines; acturalPaid = goodsValue +
    freight - discount + taxTotal; every currency, country and unit code is in its list."""
    currencies = {row["code"] for row in read_csv("ceb-currencies.csv")}
    countries = {row["code"] for row in read_csv("ceb-countries.csv")}
    units = {row["code"] for row in read_csv("ceb-units.csv")}
    root = etree.parse(str(SAMPLES / "ceb311-order" / "ceb311-two-orders.xml"), SAFE).getroot()
    orders = root.findall("ceb:Order", CEB)
    assert len(orders) == 2
    for order in orders:
        head = order.find("ceb:OrderHead", CEB)
        assert head is not None
        lines = order.findall("ceb:OrderList", CEB)
        for line in lines:
            assert Decimal(ceb_text(line, "qty")) * Decimal(ceb_text(line, "price")) == Decimal(
                ceb_text(line, "totalPrice")
            )
            assert ceb_text(line, "currency") in currencies
            assert ceb_text(line, "country") in countries
            assert ceb_text(line, "unit") in units
        goods = sum((Decimal(ceb_text(line, "totalPrice")) for line in lines), Decimal(0))
        assert goods == Decimal(ceb_text(head, "goodsValue"))
        paid = (
            goods
            + Decimal(ceb_text(head, "freight"))
            - Decimal(ceb_text(head, "discount"))
            + Decimal(ceb_text(head, "taxTotal"))
        )
        assert paid == Decimal(ceb_text(head, "acturalPaid"))
        assert ceb_text(head, "currency") in currencies


def test_ceb_unknown_codes_sample_has_currency_999_and_an_unlisted_country() -> None:
    currencies = {row["code"] for row in read_csv("ceb-currencies.csv")}
    countries = {row["code"] for row in read_csv("ceb-countries.csv")}
    root = etree.parse(str(SAMPLES / "ceb311-order" / "ceb311-unknown-codes.xml"), SAFE).getroot()
    assert root.findtext("ceb:Order/ceb:OrderHead/ceb:currency", namespaces=CEB) == "999"
    assert "999" not in currencies
    line_countries = [e.text for e in root.iterfind("ceb:Order/ceb:OrderList/ceb:country", CEB)]
    assert line_countries and all(c not in countries for c in line_countries)


@pytest.mark.parametrize("path", CEB_SAMPLES, ids=lambda p: p.name)
def test_ceb_samples_carry_only_clearly_fake_identity_numbers(path: Path) -> None:
    """No 18-character resident-ID-shaped numbers; buyer IDs read TEST-ID-nnnn."""
    text = path.read_text(encoding="utf-8")
    assert re.search(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])", text) is None
    root = etree.fromstring(path.read_bytes(), SAFE)
    ids = [e.text or "" for e in root.iterfind(".//ceb:buyerIdNumber", CEB)]
    assert ids and all(re.fullmatch(r"TEST-ID-\d{4}", i) for i in ids)


# ------------------------------------------------------------------ CEB code lists


@pytest.mark.parametrize(
    ("name", "target", "facts"),
    [
        (
            "ceb-currencies.csv",
            ("currencies.csv", "code"),
            {"142": "CNY", "110": "HKD", "116": "JPY", "300": "EUR", "303": "GBP", "502": "USD"},
        ),
        (
            "ceb-countries.csv",
            ("countries.csv", "alpha2"),
            {"142": "CN", "502": "US", "303": "GB", "116": "JP", "133": "KR", "344": "RU"},
        ),
        (
            "ceb-units.csv",
            ("units.csv", "code"),
            {"007": "H87", "011": "H87", "035": "KGM", "036": "GRM"},
        ),
    ],
)
def test_ceb_code_lists_hold_the_known_facts_and_map_into_project_lists(
    name: str, target: tuple[str, str], facts: dict[str, str]
) -> None:
    rows = read_csv(name)
    key, value = next(iter(rows[0].keys())), list(rows[0].keys())[1]
    assert key == "code" and value in {"iso", "rec20"}
    mapping = {row["code"]: row[value] for row in rows}
    assert len(mapping) == len(rows), "codes are unique"
    assert all(re.fullmatch(r"\d{3}", code) for code in mapping)
    assert all(row["name"].strip() for row in rows)
    for code, expected in facts.items():
        assert mapping[code] == expected
    project = {row[target[1]] for row in read_csv(target[0])}
    assert set(mapping.values()) <= project


def test_ceb_country_and_currency_lists_do_not_map_two_codes_to_one() -> None:
    for name in ("ceb-currencies.csv", "ceb-countries.csv"):
        isos = [row["iso"] for row in read_csv(name)]
        assert len(isos) == len(set(isos)), name


# ------------------------------------------------------------------ IATA Cargo-XML samples

XFZB_SAMPLES = sorted((SAMPLES / "iata-xfzb").glob("*.xml"))
XFWB_SAMPLES = sorted((SAMPLES / "iata-xfwb").glob("master-*.xml"))
IATA_SAMPLES = [*XFZB_SAMPLES, *XFWB_SAMPLES]
REAL_IATA = sorted(IATA_STANDARDS.glob("*.xml"))
# Elements our samples use that the three public samples happen not to: both are Cargo-XML
# 3.00 data elements (declared value for customs; scheduled time of arrival).
KNOWN_EXTRA_PAIRS = {
    ("IncludedHouseConsignment", "DeclaredValueForCustomsAmount"),
    ("ArrivalEvent", "ScheduledOccurrenceDateTime"),
}


IATA_NS = {"d": IATA_DATA_NS, "h": "iata:housewaybill:1", "w": "iata:waybill:1"}


def test_iata_samples_are_there_and_in_the_cargo_xml_namespaces() -> None:
    assert [p.name for p in XFZB_SAMPLES] == [
        "house-waybill-minimal.xml",
        "house-waybills-two-items.xml",
    ]
    assert len(XFWB_SAMPLES) >= 1
    for path in XFZB_SAMPLES:
        root = etree.parse(str(path), SAFE).getroot()
        assert root.tag == "{iata:housewaybill:1}HouseWaybill"
    for path in XFWB_SAMPLES:
        root = etree.parse(str(path), SAFE).getroot()
        assert root.tag == "{iata:waybill:1}Waybill"


@pytest.mark.parametrize("path", IATA_SAMPLES, ids=lambda p: p.name)
def test_iata_samples_use_other_prefixes_than_the_public_samples(path: Path) -> None:
    """The public samples put the data model in the default namespace and the message
    namespace under 'ns2'; ours do not, so a mapping must go by namespace, not prefix."""
    root = etree.parse(str(path), SAFE).getroot()
    assert root.nsmap.get(None) != IATA_DATA_NS
    assert "ns2" not in root.nsmap


@pytest.mark.skipif(not REAL_IATA, reason=f"the reference standards are not at {IATA_STANDARDS}")
@pytest.mark.parametrize("path", IATA_SAMPLES, ids=lambda p: p.name)
def test_iata_samples_nest_only_elements_the_public_samples_nest_the_same_way(
    path: Path,
) -> None:
    """Every (parent, child) element pair in our samples occurs in a public sample, apart
    from two known Cargo-XML elements; every data element is in the data-model namespace."""

    def pairs(file: Path) -> set[tuple[str, str]]:
        root = etree.parse(str(file), SAFE).getroot()
        found = set()
        for element in root.iter(etree.Element):
            parent = element.getparent()
            if parent is not None:
                found.add((etree.QName(parent).localname, etree.QName(element).localname))
        return found

    public = set().union(*(pairs(p) for p in REAL_IATA))
    assert pairs(path) - public <= KNOWN_EXTRA_PAIRS
    root = etree.parse(str(path), SAFE).getroot()
    for element in root.iter(etree.Element):
        depth = len(list(element.iterancestors()))
        expected = etree.QName(root).namespace if depth <= 1 else IATA_DATA_NS
        assert etree.QName(element).namespace == expected, element.tag


HOUSE_PATH = "*/d:IncludedHouseConsignment"


@pytest.mark.parametrize(
    "path",
    [*XFZB_SAMPLES, *(p for p in REAL_IATA if "XFZB" in p.name)],
    ids=lambda p: p.name,
)
def test_one_namespace_path_reads_houses_in_ours_and_the_public_xfzb(path: Path) -> None:
    """The same namespace-qualified paths find the master AWB, house ID, consignor,
    consignee country, weight with unit and HS codes in every house waybill."""
    root = etree.parse(str(path), SAFE).getroot()
    master = root.findtext("*/d:TransportContractDocument/d:ID", namespaces=IATA_NS)
    assert master is not None and awb_check_digit_is_right(master)
    houses = root.findall(HOUSE_PATH, IATA_NS)
    assert len(houses) == 1
    house = houses[0]
    assert house.findtext("d:ID", namespaces=IATA_NS)
    assert house.findtext("d:ConsignorParty/d:Name", namespaces=IATA_NS)
    country = house.findtext(
        "d:ConsigneeParty/d:PostalStructuredAddress/d:CountryID", namespaces=IATA_NS
    )
    assert country is not None and re.fullmatch(r"[A-Z]{2}", country)
    weight = house.find("d:IncludedTareGrossWeightMeasure", IATA_NS)
    assert weight is not None and weight.get("unitCode") in {"KGM", "LBR"}
    items = house.findall("d:IncludedHouseConsignmentItem", IATA_NS)
    assert items and all(item.findall("d:TypeCode", IATA_NS) for item in items)


def test_two_item_house_has_several_items_and_several_hs_codes() -> None:
    root = etree.parse(str(SAMPLES / "iata-xfzb" / "house-waybills-two-items.xml"), SAFE)
    items = root.findall(f"{HOUSE_PATH}/d:IncludedHouseConsignmentItem", IATA_NS)
    codes = [[c.text for c in item.findall("d:TypeCode", IATA_NS)] for item in items]
    assert len(items) == 2
    assert len(codes[0]) == 2 and len({c for cs in codes for c in cs}) == 3
    gross = Decimal(
        root.findtext(f"{HOUSE_PATH}/d:IncludedTareGrossWeightMeasure", namespaces=IATA_NS) or "0"
    )
    item_weights = [
        Decimal(i.findtext("d:GrossWeightMeasure", namespaces=IATA_NS) or "0") for i in items
    ]
    assert sum(item_weights) == gross


def test_minimal_house_leaves_the_optional_groups_out() -> None:
    root = etree.parse(str(SAMPLES / "iata-xfzb" / "house-waybill-minimal.xml"), SAFE)
    for absent in (
        "h:BusinessHeaderDocument",
        f"{HOUSE_PATH}/d:IncludedCustomsNote",
        f"{HOUSE_PATH}/d:ConsignorParty/d:DefinedTradeContact",
        f"{HOUSE_PATH}/d:ConsignorParty/d:PostalStructuredAddress/d:PostcodeCode",
    ):
        assert root.find(absent, IATA_NS) is None, absent


def test_houses_hang_under_a_master_sample_with_the_same_awb_and_transport() -> None:
    master = etree.parse(
        str(SAMPLES / "iata-xfwb" / "master-consolidation-hkg-lhr.xml"), SAFE
    ).getroot()
    number = master.findtext("w:BusinessHeaderDocument/d:ID", namespaces=IATA_NS)
    assert number is not None and awb_check_digit_is_right(number)
    movement = master.find("w:MasterConsignment/d:SpecifiedLogisticsTransportMovement", IATA_NS)
    assert movement is not None
    assert movement.findtext("d:ID", namespaces=IATA_NS) == "XQ2081"
    assert movement.findtext("d:ModeCode", namespaces=IATA_NS) == "4"
    pieces = 0
    for path in XFZB_SAMPLES:
        house = etree.parse(str(path), SAFE).getroot()
        assert house.findtext("*/d:TransportContractDocument/d:ID", namespaces=IATA_NS) == number
        pieces += int(
            house.findtext(f"{HOUSE_PATH}/d:TotalPieceQuantity", namespaces=IATA_NS) or "0"
        )
    total = int(
        master.findtext("w:MasterConsignment/d:TotalPieceQuantity", namespaces=IATA_NS) or "0"
    )
    assert 0 < pieces <= total


@pytest.mark.parametrize("path", XFWB_SAMPLES, ids=lambda p: p.name)
def test_master_samples_carry_right_awb_check_digits(path: Path) -> None:
    root = etree.parse(str(path), SAFE).getroot()
    number = root.findtext("w:BusinessHeaderDocument/d:ID", namespaces=IATA_NS)
    assert number is not None and awb_check_digit_is_right(number)


# ------------------------------------------------------------------ sample folder READMEs


@pytest.mark.parametrize(
    "folder",
    ["iata-xfzb", "iata-xfwb", "express-manifest-json", "platform-order-json", "ceb311-order"],
)
def test_each_sample_folder_has_a_readme_naming_every_file(folder: str) -> None:
    readme = (SAMPLES / folder / "README.md").read_text(encoding="utf-8")
    files = [p for p in (SAMPLES / folder).iterdir() if p.name != "README.md"]
    assert files
    for path in files:
        assert f"`{path.name}`" in readme
