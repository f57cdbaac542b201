"""The ceb311-order feed: China Customs' CEB311 order message becomes one declaration per Order.

Expected values are read from the samples with lxml and from the CEB code lists with the csv
module, independently of the mapping; the code lists themselves are checked against the ISO and
UN/ECE lists the rest of the gateway uses.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.pipeline import Pipeline
from gateway.translation import TranslationResult
from tests.oracles import elements as selected

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "ceb311-order"
CODELISTS = ROOT / "mappings" / "codelists"
FEED = "ceb311-order"
CEB = {"ceb": "http://www.chinaport.gov.cn/ceb"}
NS = {"c": CANONICAL_NS}


def read_csv(name: str) -> dict[str, dict[str, str]]:
    with (CODELISTS / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    key = next(iter(rows[0]))
    return {row[key]: row for row in rows}


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


def translate(pipeline: Pipeline, name: str) -> TranslationResult:
    data = (SAMPLES / name).read_bytes()
    return pipeline.translate(FEED, "canonical", data, source_name=name)


def elements(
    element: etree._Element, path: str, namespaces: dict[str, str] = NS
) -> list[etree._Element]:
    """The elements ``path`` selects below ``element``."""
    return selected(element, path, namespaces)


def text(element: etree._Element, path: str, namespaces: dict[str, str] = NS) -> str:
    return str(element.xpath(f"string({path})", namespaces=namespaces)).strip()


def test_each_order_becomes_one_accepted_declaration_named_by_its_order_number(
    pipeline: Pipeline,
) -> None:
    source = etree.parse(str(SAMPLES / "ceb311-two-orders.xml")).getroot()
    order_numbers = [
        text(n, ".", CEB) for n in elements(source, "ceb:Order/ceb:OrderHead/ceb:orderNo", CEB)
    ]
    result = translate(pipeline, "ceb311-two-orders.xml")
    assert result.message_id == source.get("guid")
    assert [d.declaration_id for d in result.declarations] == order_numbers
    assert all(d.accepted for d in result.declarations), [d.problems for d in result.declarations]


def test_order_heads_arrive_with_codes_translated_to_iso(pipeline: Pipeline) -> None:
    currencies, countries, units = (
        read_csv("ceb-currencies"),
        read_csv("ceb-countries"),
        read_csv("ceb-units"),
    )
    source = etree.parse(str(SAMPLES / "ceb311-two-orders.xml")).getroot()
    orders = elements(source, "ceb:Order", CEB)
    for order, declaration in zip(
        orders, translate(pipeline, "ceb311-two-orders.xml").declarations, strict=True
    ):
        root = etree.fromstring(declaration.canonical)

        def head(name: str, order: etree._Element = order) -> str:
            return text(order, f"ceb:OrderHead/ceb:{name}", CEB)

        currency = currencies[head("currency")]["iso"]
        assert text(root, "c:FunctionalReferenceID") == head("orderNo")
        assert text(root, "c:TypeCode") == "IM"  # orderType I: import into China
        assert text(root, "c:GoodsShipment/c:Destination/c:CountryCode") == "CN"
        assert Decimal(text(root, "c:InvoiceAmount")) == Decimal(head("goodsValue"))
        assert text(root, "c:InvoiceAmount/@currencyID") == currency
        freight = "c:GoodsShipment/c:CustomsValuation/c:FreightChargeAmount"
        assert Decimal(text(root, freight)) == Decimal(head("freight"))
        paid = "c:ECommerce/c:Payment/c:PaidAmount"
        assert Decimal(text(root, paid)) == Decimal(head("acturalPaid"))
        assert text(root, paid + "/@currencyID") == currency
        assert text(root, "c:ECommerce/c:Payment/c:TransactionID") == head("payTransactionId")
        assert text(root, "c:ECommerce/c:Platform/c:ID") == head("ebpCode")
        assert text(root, "c:ECommerce/c:Order/c:ID") == head("orderNo")
        assert text(root, "c:GoodsShipment/c:Seller/c:ID") == head("ebcCode")
        assert text(root, "c:GoodsShipment/c:Buyer/c:Name") == head("buyerName")
        assert text(root, "c:GoodsShipment/c:Consignee/c:Name") == head("consignee")
        assert text(root, "c:GoodsShipment/c:Consignee/c:Address/c:Line") == head(
            "consigneeAddress"
        )
        assert text(root, "c:GoodsShipment/c:Consignee/c:Address/c:CountryCode") == "CN"
        assert "+08:00" in text(root, "c:IssueDateTime")  # appTime is Beijing time

        lines = elements(order, "ceb:OrderList", CEB)
        items = elements(root, "c:GoodsShipment/c:GovernmentAgencyGoodsItem")
        assert len(items) == len(lines) == int(text(root, "c:GoodsItemQuantity"))
        for line, item in zip(lines, items, strict=True):

            def field(name: str, line: etree._Element = line) -> str:
                return text(line, f"ceb:{name}", CEB)

            assert text(item, "c:SequenceNumeric") == field("gnum")
            assert Decimal(text(item, "c:CustomsValueAmount")) == Decimal(field("totalPrice"))
            assert (
                text(item, "c:CustomsValueAmount/@currencyID")
                == currencies[field("currency")]["iso"]
            )
            assert text(item, "c:Origin/c:CountryCode") == countries[field("country")]["iso"]
            assert text(item, "c:Commodity/c:ProductID") == field("itemNo")
            description = field("itemDescribe") or field("itemName")
            assert text(item, "c:Commodity/c:Description") == description
            tariff = "c:Commodity/c:GoodsMeasure/c:TariffQuantity"
            assert Decimal(text(item, tariff)) == Decimal(field("qty"))
            assert text(item, tariff + "/@unitCode") == units[field("unit")]["rec20"]
            assert Decimal(text(item, "c:Commodity/c:InvoiceLine/c:UnitPriceAmount")) == Decimal(
                field("price")
            )


def test_the_coffee_sold_by_the_kilogram_keeps_its_unit(pipeline: Pipeline) -> None:
    """Unit code 035 is the kilogram: the fractional quantity 1.5 is declared as 1.5 KGM."""
    second = translate(pipeline, "ceb311-two-orders.xml").declarations[1]
    root = etree.fromstring(second.canonical)
    tariff = (
        "c:GoodsShipment/c:GovernmentAgencyGoodsItem[2]/c:Commodity/c:GoodsMeasure/c:TariffQuantity"
    )
    assert (text(root, tariff), text(root, tariff + "/@unitCode")) == ("1.5", "KGM")


def test_unknown_china_customs_codes_refuse_the_order_naming_each_code_once(
    pipeline: Pipeline,
) -> None:
    """Currency 999 (order and line) and country 000 are in no list: one problem per place
    they occur, even where several amounts use the same currency code."""
    (declaration,) = translate(pipeline, "ceb311-unknown-codes.xml").declarations
    assert not declaration.accepted
    found = sorted(
        (p.code, p.value, (p.source_path or "").split("/", 1)[1]) for p in declaration.problems
    )
    assert found == [
        ("codelist.unknown", "000", "ceb:OrderList[1]/ceb:country"),
        ("codelist.unknown", "999", "ceb:OrderHead/ceb:currency"),
        ("codelist.unknown", "999", "ceb:OrderList[1]/ceb:currency"),
    ]
    assert all("ceb-c" in p.message for p in declaration.problems)


# -- the code lists ---------------------------------------------------------------------------


def test_ceb_currency_codes_translate_to_active_iso_4217_codes() -> None:
    iso = read_csv("currencies")
    ceb = read_csv("ceb-currencies")
    assert ceb["142"]["iso"] == "CNY"
    assert all(row["iso"] in iso for row in ceb.values())
    assert len({row["iso"] for row in ceb.values()}) == len(ceb)


def test_ceb_country_codes_translate_to_iso_3166_codes() -> None:
    iso = read_csv("countries")
    ceb = read_csv("ceb-countries")
    assert (ceb["142"]["iso"], ceb["303"]["iso"], ceb["502"]["iso"], ceb["116"]["iso"]) == (
        "CN",
        "GB",
        "US",
        "JP",
    )
    assert all(row["iso"] in iso for row in ceb.values())
    assert len({row["iso"] for row in ceb.values()}) == len(ceb)


def test_ceb_unit_codes_translate_to_rec_20_codes() -> None:
    rec20 = read_csv("units")
    ceb = read_csv("ceb-units")
    assert (ceb["035"]["rec20"], ceb["036"]["rec20"]) == ("KGM", "GRM")
    assert all(row["rec20"] in rec20 for row in ceb.values())
