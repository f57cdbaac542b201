"""Build canonical declaration XML for check tests, as text (independent of the models)."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from gateway.canonical import CANONICAL_NS


def item(
    description: str | None = "Cotton T-shirts",
    hs: Sequence[str] = ("610910",),
    *,
    value: str = "12.50",
    currency: str = "USD",
    gross: str | None = "0.4",
    net: str | None = "0.3",
    gross_unit: str = "KGM",
    net_unit: str = "KGM",
    origin: str = "CN",
    quantity: str = "2",
) -> str:
    """One GovernmentAgencyGoodsItem, valid unless told otherwise."""
    parts = [f'<CustomsValueAmount currencyID="{currency}">{value}</CustomsValueAmount><Commodity>']
    if description is not None:
        parts.append(f"<Description>{description}</Description>")
    parts.extend(f"<Classification><ID>{code}</ID></Classification>" for code in hs)
    measures = ""
    if gross is not None:
        measures += f'<GrossMassMeasure unitCode="{gross_unit}">{gross}</GrossMassMeasure>'
    if net is not None:
        measures += f'<NetNetWeightMeasure unitCode="{net_unit}">{net}</NetNetWeightMeasure>'
    parts.append(f"<GoodsMeasure>{measures}</GoodsMeasure>")
    parts.append(f"<InvoiceLine><Quantity>{quantity}</Quantity></InvoiceLine></Commodity>")
    parts.append(f"<Origin><CountryCode>{origin}</CountryCode></Origin>")
    return "<GovernmentAgencyGoodsItem>" + "".join(parts) + "</GovernmentAgencyGoodsItem>"


def declaration(
    *items: str,
    reference: str = "RR123456785GB",
    total_gross: str | None = None,
    total_unit: str = "KGM",
    destination: str = "GB",
    consignor_country: str = "CN",
    invoice: str = "25.00",
    invoice_currency: str = "USD",
    extra: str = "",
) -> str:
    """One Declaration; with no items given it has one valid goods item."""
    goods = "".join(items) if items else item()
    total = (
        f'<TotalGrossMassMeasure unitCode="{total_unit}">{total_gross}</TotalGrossMassMeasure>'
        if total_gross is not None
        else ""
    )
    return (
        f"<Declaration><FunctionalReferenceID>{reference}</FunctionalReferenceID>"
        f'<TypeCode>IM</TypeCode><InvoiceAmount currencyID="{invoice_currency}">{invoice}'
        f"</InvoiceAmount>{total}{extra}<GoodsShipment>"
        "<Consignee><Name>Jane Doe</Name><Address><CityName>London</CityName>"
        "<CountryCode>GB</CountryCode></Address></Consignee>"
        f"<Consignor><Name>Shop Ltd</Name><Address><CountryCode>{consignor_country}</CountryCode>"
        f"</Address></Consignor><Destination><CountryCode>{destination}</CountryCode></Destination>"
        f"{goods}</GoodsShipment></Declaration>"
    )


def batch(*declarations: str) -> list[etree._Element]:
    """The Declaration elements of a DeclarationBatch holding ``declarations``."""
    text = "".join(declarations)
    root = etree.fromstring(f'<DeclarationBatch xmlns="{CANONICAL_NS}">{text}</DeclarationBatch>')
    return list(root)


def ids(count: int) -> list[str]:
    return [f"D{number}" for number in range(1, count + 1)]
