"""How long the default checks take per declaration, on a batch of synthetic declarations.

Run: ``.venv/bin/python benchmarks/checks.py [COUNT]`` (default 10,000 declarations, each a
typical two-item postal declaration). Prints microseconds per declaration, best of 5 runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.checks import CheckSuite, PathCheck

PARTY = (
    "<{role}><Name>Jane Doe</Name><Address><Line>1 High Street</Line><CityName>London</CityName>"
    "<PostcodeID>SW1A 1AA</PostcodeID><CountryCode>{country}</CountryCode></Address></{role}>"
)
ITEM = (
    "<GovernmentAgencyGoodsItem><SequenceNumeric>{n}</SequenceNumeric>"
    '<CustomsValueAmount currencyID="USD">12.50</CustomsValueAmount>'
    "<Commodity><Description>{description}</Description>"
    "<Classification><ID>610910</ID></Classification>"
    '<GoodsMeasure><GrossMassMeasure unitCode="KGM">0.4</GrossMassMeasure>'
    '<NetNetWeightMeasure unitCode="KGM">0.3</NetNetWeightMeasure></GoodsMeasure>'
    '<InvoiceLine><ItemChargeAmount currencyID="USD">12.50</ItemChargeAmount>'
    "<Quantity>2</Quantity></InvoiceLine></Commodity>"
    "<Origin><CountryCode>CN</CountryCode></Origin></GovernmentAgencyGoodsItem>"
)
DESCRIPTIONS = ("Cotton T-shirts", "Leather wallet", "Ceramic coffee mugs", "Wool scarf")


def declaration(number: int) -> str:
    """One canonical declaration with two goods items, valid for every default check."""
    items = "".join(
        ITEM.format(n=n, description=DESCRIPTIONS[(number + n) % len(DESCRIPTIONS)]) for n in (1, 2)
    )
    return (
        f"<Declaration><FunctionalReferenceID>RR{number:08d}0GB</FunctionalReferenceID>"
        '<TypeCode>IM</TypeCode><InvoiceAmount currencyID="USD">25.00</InvoiceAmount>'
        '<TotalGrossMassMeasure unitCode="KGM">0.8</TotalGrossMassMeasure>'
        "<GoodsShipment>"
        + PARTY.format(role="Consignee", country="GB")
        + PARTY.format(role="Consignor", country="CN")
        + "<Destination><CountryCode>GB</CountryCode></Destination>"
        + items
        + "</GoodsShipment></Declaration>"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    text = "".join(declaration(n) for n in range(count))
    root = etree.fromstring(f'<DeclarationBatch xmlns="{CANONICAL_NS}">{text}</DeclarationBatch>')
    batch = list(root)
    ids = [f"D{n}" for n in range(count)]
    suites = {
        "default checks": CheckSuite(),
        "default + required description": CheckSuite(
            [PathCheck("required", "GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description")]
        ),
    }
    for label, suite in suites.items():
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            problems = suite.run(batch, ids)
            best = min(best, time.perf_counter() - started)
        found = sum(len(found) for found in problems)
        print(
            f"{label}: {best / count * 1e6:.2f} µs per declaration "
            f"({count} declarations, {found} problems)"
        )


if __name__ == "__main__":
    main()
