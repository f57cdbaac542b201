"""How long the checks take per declaration, on batches of synthetic declarations.

Run: ``.venv/bin/python benchmarks/checks.py [BATCH_SIZE [BATCHES]]`` (default 20 batches of
500 declarations, the pipeline's chunk size; each a typical two-item postal declaration with
varied amounts, masses and descriptions, all valid). Each batch has its own parent element,
as in the pipeline. For the default checks alone, with the ``s10`` check a UPU feed switches
on, and with a ``required`` path check, prints microseconds per declaration, best of 7 runs:
on one batch (the figure to watch: the target is 10 µs or less), and over all the batches
at once (colder caches, a few microseconds more; the pipeline sits nearer this one).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.checks import CheckSuite, PathCheck
from gateway.checks.identifiers import s10_check_digit

PARTY = (
    "<{role}><Name>Jane Doe</Name><Address><Line>1 High Street</Line><CityName>London</CityName>"
    "<PostcodeID>SW1A 1AA</PostcodeID><CountryCode>{country}</CountryCode></Address></{role}>"
)
ITEM = (
    "<GovernmentAgencyGoodsItem><SequenceNumeric>{n}</SequenceNumeric>"
    '<CustomsValueAmount currencyID="USD">{value}</CustomsValueAmount>'
    "<Commodity><Description>{description}</Description>"
    "<Classification><ID>{hs}</ID></Classification>"
    '<GoodsMeasure><GrossMassMeasure unitCode="KGM">{gross}</GrossMassMeasure>'
    '<NetNetWeightMeasure unitCode="KGM">{net}</NetNetWeightMeasure></GoodsMeasure>'
    '<InvoiceLine><ItemChargeAmount currencyID="USD">{value}</ItemChargeAmount>'
    "<Quantity>{quantity}</Quantity></InvoiceLine></Commodity>"
    "<Origin><CountryCode>CN</CountryCode></Origin></GovernmentAgencyGoodsItem>"
)
DESCRIPTIONS = (
    *("Cotton T-shirts", "Leather wallet", "Ceramic coffee mugs", "Wool scarf"),
    *("Silicone phone case", "Stainless steel water bottle", "Children's picture book"),
)
HS_CODES = ("610910", "420231", "691200", "611710", "392690", "961700", "490300")


def declaration(number: int) -> str:
    """One canonical declaration with two goods items, valid for every default check.

    Amounts and masses vary from declaration to declaration, as in real feeds (most are
    distinct), so that no check gets away with testing a handful of values.
    """
    items = []
    total_gross = 0
    for n in (1, 2):
        gross = 100 + (number * 7 + n * 13) % 1900  # grams
        net = gross - 10 - (number + n) % 50
        total_gross += gross
        kind = (number + n) % len(DESCRIPTIONS)
        items.append(
            ITEM.format(
                n=n,
                value=f"{(number * 37 + n * 11) % 9000 / 100 + 1:.2f}",
                description=DESCRIPTIONS[kind],
                hs=HS_CODES[kind],
                gross=f"{gross / 1000:.3f}",
                net=f"{net / 1000:.3f}",
                quantity=1 + (number + n) % 4,
            )
        )
    serial = f"{number % 10**8:08d}"
    return (
        f"<Declaration><FunctionalReferenceID>RR{serial}{s10_check_digit(serial)}GB"
        "</FunctionalReferenceID><TypeCode>IM</TypeCode>"
        f'<InvoiceAmount currencyID="USD">{number % 500 + 0.5:.2f}</InvoiceAmount>'
        f'<TotalGrossMassMeasure unitCode="KGM">{(total_gross + 50) / 1000:.3f}'
        "</TotalGrossMassMeasure><GoodsShipment>"
        + PARTY.format(role="Consignee", country="GB")
        + PARTY.format(role="Consignor", country="CN")
        + "<Destination><CountryCode>GB</CountryCode></Destination>"
        + "".join(items)
        + "</GoodsShipment></Declaration>"
    )


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    batches: list[tuple[list[etree._Element], list[str]]] = []
    for first in range(0, size * count, size):
        numbers = range(first, first + size)
        text = "".join(declaration(number) for number in numbers)
        root = etree.fromstring(
            f'<DeclarationBatch xmlns="{CANONICAL_NS}">{text}</DeclarationBatch>'
        )
        batches.append((list(root), [f"D{number}" for number in numbers]))
    suites = {
        "default checks": CheckSuite(),
        "default + s10": CheckSuite([PathCheck("s10", "FunctionalReferenceID")]),
        "default + required description": CheckSuite(
            [PathCheck("required", "GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description")]
        ),
    }
    for label, suite in suites.items():
        one = _best_time(suite, batches[:1])
        every = _best_time(suite, batches)
        found = sum(len(problems) for batch, ids in batches for problems in suite.run(batch, ids))
        print(
            f"{label}: {one / size * 1e6:.2f} µs per declaration on one batch of {size}, "
            f"{every / (size * count) * 1e6:.2f} over {count} batches ({found} problems)"
        )


def _best_time(suite: CheckSuite, batches: list[tuple[list[etree._Element], list[str]]]) -> float:
    """Seconds for the suite to check every batch, best of 7 runs."""
    best = float("inf")
    for _ in range(7):
        started = time.perf_counter()
        for batch, ids in batches:
            suite.run(batch, ids)
        best = min(best, time.perf_counter() - started)
    return best


if __name__ == "__main__":
    main()
