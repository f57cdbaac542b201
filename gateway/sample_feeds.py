"""Deterministic generators of ITMATT-shaped feed messages, for demos, tests and benchmarks.

The format is the project's own (``schemas/feeds/upu-itmatt.xsd``). A batch is written in
pieces to a binary stream, so 100,000 items or more take bounded memory::

    with Path("batch.xml").open("wb") as out:
        write_itmatt_batch(out, 100_000, seed=7, problem_rate=0.05)

The same arguments always give the same bytes. With ``problem_rate`` above zero, that share of
the items carries exactly one problem each a customs officer would refuse, taking the kinds in
turn (see :data:`PROBLEM_KINDS`).

S10 item identifiers (UPU standard S10): two service letters, an eight-digit serial number, a
check digit, and the ISO 3166-1 alpha-2 code of the issuing country. The check digit weighs
the serial digits by 8 6 4 2 3 5 9 7, takes 11 minus the sum modulo 11, and writes 10 as 0
and 11 as 5.

Pure: standard library only.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import BinaryIO
from xml.sax.saxutils import escape

__all__ = [
    "ITMATT_NAMESPACE",
    "PROBLEM_KINDS",
    "itmatt_batch_bytes",
    "make_s10",
    "s10_check_digit",
    "write_itmatt_batch",
]

ITMATT_NAMESPACE = "urn:customs-gateway:feed:upu-itmatt:1"


PROBLEM_KINDS: tuple[str, ...] = (
    "s10-check-digit",  # the item identifier's check digit is wrong
    "vague-description",  # a content is described as "Gift" or "Parts"
    "net-above-gross",  # the contents weigh more than the whole item
    "unknown-country",  # a content's country of origin is "XX"
    "missing-addressee-name",  # the addressee's name is empty
    "bad-hs-code",  # a content's HS code is "61A9"
    "negative-value",  # a content's value is below zero
)
"""The kinds of problem ``problem_rate`` injects, in the order they are taken in turn."""

_FLUSH_BYTES = 64 * 1024


def s10_check_digit(serial8: str) -> int:
    """The S10 check digit of an eight-digit serial number (``"47312482"`` -> ``9``).

    Raises ValueError when ``serial8`` is not exactly eight ASCII digits. The rule itself lives
    with the checks (``gateway.checks.identifiers``); generating and checking share it.
    """
    if len(serial8) != 8 or not (serial8.isascii() and serial8.isdigit()):
        raise ValueError(f"An S10 serial number is exactly eight digits; {serial8!r} is not.")
    from gateway.checks.identifiers import s10_check_digit as rule

    return rule(serial8)


def make_s10(prefix: str, serial: int, country: str) -> str:
    """A complete S10 identifier: ``make_s10("RR", 47312482, "GB") == "RR473124829GB"``.

    ``prefix`` is two letters of the service, ``serial`` 0 to 99,999,999, ``country`` the two
    letters of the issuing country; letters are upper-cased. Raises ValueError otherwise.
    """
    if len(prefix) != 2 or not (prefix.isascii() and prefix.isalpha()):
        raise ValueError(f"An S10 service indicator is two letters; {prefix!r} is not.")
    if len(country) != 2 or not (country.isascii() and country.isalpha()):
        raise ValueError(f"An S10 country code is two letters; {country!r} is not.")
    if not 0 <= serial <= 99_999_999:
        raise ValueError(f"An S10 serial number is 0 to 99,999,999; {serial} is not.")
    serial8 = f"{serial:08d}"
    return f"{prefix.upper()}{serial8}{s10_check_digit(serial8)}{country.upper()}"


# --------------------------------------------------------------------------- built-in data


@dataclass(frozen=True)
class _Goods:
    description: str
    hs_code: str
    unit_kg: tuple[float, float]  # net weight of one article, kg
    unit_usd: tuple[float, float]  # value of one article, USD


_GOODS: tuple[_Goods, ...] = (
    _Goods("Men's cotton T-shirt, knitted", "610910", (0.15, 0.25), (4.0, 15.0)),
    _Goods("Women's cotton blouse, woven", "620630", (0.12, 0.22), (6.0, 25.0)),
    _Goods("Children's knitted wool jumper", "611020", (0.18, 0.30), (8.0, 30.0)),
    _Goods("Polyester running shorts", "620343", (0.08, 0.15), (5.0, 18.0)),
    _Goods("Leather wallet for men", "420231", (0.08, 0.15), (6.0, 40.0)),
    _Goods("Canvas backpack with laptop sleeve", "420292", (0.50, 0.90), (12.0, 45.0)),
    _Goods("Stainless steel water bottle, 750 ml", "732393", (0.25, 0.40), (5.0, 20.0)),
    _Goods("Ceramic coffee mug", "691200", (0.30, 0.45), (3.0, 12.0)),
    _Goods("Silicone phone case for smartphone", "392690", (0.03, 0.06), (1.5, 9.0)),
    _Goods("USB-C charging cable, 1 m", "854442", (0.03, 0.06), (1.0, 8.0)),
    _Goods("Wireless in-ear headphones", "851830", (0.05, 0.12), (10.0, 60.0)),
    _Goods("Smartwatch with silicone strap", "851762", (0.05, 0.10), (20.0, 90.0)),
    _Goods("LED desk lamp", "940521", (0.40, 0.90), (8.0, 35.0)),
    _Goods("Plastic building bricks toy set", "950300", (0.30, 1.00), (6.0, 40.0)),
    _Goods("Plush teddy bear", "950300", (0.15, 0.40), (4.0, 20.0)),
    _Goods("Jigsaw puzzle, 1000 pieces", "950590", (0.50, 0.80), (6.0, 18.0)),
    _Goods("Printed paperback novel", "490199", (0.25, 0.50), (5.0, 15.0)),
    _Goods("Sterling silver necklace", "711311", (0.01, 0.03), (15.0, 80.0)),
    _Goods("Stainless steel kitchen knife", "821192", (0.12, 0.25), (6.0, 30.0)),
    _Goods("Bamboo chopsticks, set of 10 pairs", "441990", (0.10, 0.20), (2.0, 8.0)),
    _Goods("Green tea leaves, 250 g pack", "090210", (0.25, 0.25), (6.0, 20.0)),
    _Goods("Women's leather ankle boots", "640399", (0.70, 1.10), (25.0, 70.0)),
    _Goods("Men's synthetic running shoes", "640411", (0.50, 0.80), (15.0, 55.0)),
    _Goods("Sunglasses with plastic frame", "900410", (0.02, 0.05), (3.0, 25.0)),
    _Goods("Nail polish, 15 ml bottle", "330430", (0.04, 0.06), (1.5, 6.0)),
    _Goods("Cotton bath towel", "630260", (0.30, 0.60), (5.0, 20.0)),
    _Goods("Acrylic paint set, 24 colours", "321310", (0.30, 0.60), (4.0, 18.0)),
    _Goods("Mechanical keyboard for computers", "847160", (0.60, 1.10), (20.0, 80.0)),
    _Goods("Bicycle LED rear light", "851210", (0.03, 0.08), (3.0, 15.0)),
    _Goods("Fishing reel, spinning type", "950731", (0.20, 0.40), (10.0, 45.0)),
)

_CONTENT_ORIGINS = ("CN", "CN", "CN", "VN", "BD", "IN", "TR", "KR", "TW", "MY")

_SENDER_NAMES = (
    "Li Wei",
    "Wang Fang",
    "Zhang Min",
    "Liu Yang",
    "Chen Jing",
    "Yang Lei",
    "Huang Xiu Ying",
    "Zhao Qiang",
    "Wu Hui",
    "Zhou Ping",
    "Shenzhen Brightway Trading Co., Ltd.",
    "Yiwu Happy Home Goods Co., Ltd.",
    "Guangzhou Pearl River Apparel Co., Ltd.",
)
_SENDER_PLACES = (
    ("No. 18 Keyuan Road, Nanshan District", "Shenzhen", "518057"),
    ("Room 1203, Building 5, 88 Futian Road", "Yiwu", "322000"),
    ("45 Tianhe North Road, Tianhe District", "Guangzhou", "510620"),
    ("Unit 7, 210 Zhangjiang Road, Pudong", "Shanghai", "201203"),
    ("12 Wensan Road, Xihu District", "Hangzhou", "310012"),
)
_ADDRESSEE_NAMES = (
    "Oliver Bennett",
    "Amelia Clarke",
    "Harry Whitfield",
    "Isla Morgan",
    "Jack Patel",
    "Sophie Reynolds",
    "George Okafor",
    "Emily Thornton",
    "Noah Fitzgerald",
    "Grace Liddell",
    "Mohammed Hussain",
    "Charlotte Ainsworth",
    "Thomas Kerrigan",
    "Ava Lindqvist",
)
_ADDRESSEE_PLACES = (
    ("14 Marlowe Crescent", "Leeds", "LS6 2QT"),
    ("Flat 3, 27 Chesterton Road", "Cambridge", "CB4 3AX"),
    ("8 Harbour View", "Plymouth", "PL1 3RP"),
    ("112 Wellington Street", "Glasgow", "G2 6HJ"),
    ("5 Orchard Close", "Norwich", "NR4 7TJ"),
    ("Apartment 9, 40 Canal Street", "Manchester", "M1 3HE"),
    ("63 Bridge End Lane", "Cardiff", "CF11 9AB"),
    ("2 Kingsley Mews", "London", "SE15 4QF"),
)
_CATEGORIES = ("S", "S", "S", "S", "S", "S", "G", "G", "C", "R", "O")


def _money(value: float) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _weight(kg: float, unit: str) -> str:
    if unit == "GRM":
        return str(Decimal(kg * 1000).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return str(Decimal(kg).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _element(name: str, text: str, **attributes: str) -> str:
    attrs = "".join(
        f' {key}="{escape(value, {chr(34): "&quot;"})}"' for key, value in attributes.items()
    )
    return f"<{name}{attrs}>{escape(text)}</{name}>"


def _header(message_number: str, seed: int) -> str:
    day = 1 + seed % 28
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ITMATT xmlns="{ITMATT_NAMESPACE}" version="1.0">\n'
        "  <MessageHeader>\n"
        f"    {_element('MessageNumber', message_number)}\n"
        f"    <MessageDateTime>2026-11-{day:02d}T08:15:00+08:00</MessageDateTime>\n"
        "    <Sender><OperatorCode>CNA</OperatorCode><OperatorName>China Post</OperatorName>"
        "</Sender>\n"
        "    <Receiver><OperatorCode>GBA</OperatorCode><OperatorName>Royal Mail</OperatorName>"
        "</Receiver>\n"
        "  </MessageHeader>\n"
    )


def _problem_index(index: int, problem_rate: float) -> int | None:
    """Which problem number item ``index`` carries, or None: spreads the share evenly."""
    before = int(index * problem_rate)
    after = int((index + 1) * problem_rate)
    return before if after > before else None


def _item(rng: random.Random, index: int, seed: int, problem: str | None) -> str:
    serial = (seed * 7_919 + index * 104_729 + 10_000_000) % 100_000_000
    item_id = make_s10(rng.choice(("RR", "RB", "LX", "EE", "CP")), serial, "CN")
    if problem == "s10-check-digit":
        wrong = (int(item_id[10]) + rng.randint(1, 9)) % 10
        item_id = f"{item_id[:10]}{wrong}{item_id[11:]}"
    category = rng.choice(_CATEGORIES)
    unit = "GRM" if rng.random() < 0.3 else "KGM"
    lines: list[str] = []
    net_total = 0.0
    for position in range(rng.randint(1, 3)):
        goods = rng.choice(_GOODS)
        quantity = rng.randint(1, 4)
        net_kg = quantity * rng.uniform(*goods.unit_kg)
        net_total += float(_weight(net_kg, unit)) / (1000 if unit == "GRM" else 1)
        value = quantity * rng.uniform(*goods.unit_usd)
        description = goods.description
        hs_code = goods.hs_code if rng.random() < 0.85 else None
        origin: str | None = rng.choice(_CONTENT_ORIGINS) if rng.random() < 0.8 else None
        value_text = _money(value)
        if position == 0:
            if problem == "vague-description":
                description = "Gift" if index % 2 == 0 else "Parts"
            elif problem == "unknown-country":
                origin = "XX"
            elif problem == "bad-hs-code":
                hs_code = "61A9"
            elif problem == "negative-value":
                value_text = f"-{value_text}"
        parts = [
            _element("Description", description),
            _element("Quantity", str(quantity)),
            _element("NetWeight", _weight(net_kg, unit), unit=unit),
            _element("Value", value_text, currency="USD"),
        ]
        if hs_code is not None:
            parts.append(_element("HSCode", hs_code))
        if origin is not None:
            parts.append(_element("OriginCountry", origin))
        lines.append("        <Content>" + "".join(parts) + "</Content>\n")
    if problem == "net-above-gross":
        gross_kg = net_total * 0.6
    else:
        gross_kg = net_total + rng.uniform(0.02, 0.25)
    sender_name = rng.choice(_SENDER_NAMES)
    street, city, postcode = rng.choice(_SENDER_PLACES)
    addressee_name = "" if problem == "missing-addressee-name" else rng.choice(_ADDRESSEE_NAMES)
    a_street, a_city, a_postcode = rng.choice(_ADDRESSEE_PLACES)
    hour = 8 + index % 10
    posting = (
        f"    <PostingDateTime>2026-11-{1 + seed % 28:02d}T{hour:02d}:{index % 60:02d}:00+08:00"
        "</PostingDateTime>\n"
        if rng.random() < 0.7
        else ""
    )
    postage = (
        f"    {_element('Postage', _money(rng.uniform(18.0, 95.0)), currency='CNY')}\n"
        if rng.random() < 0.6
        else ""
    )
    phone = _element("Phone", f"+86 139 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}")
    return (
        "  <Item>\n"
        f"    {_element('ItemID', item_id)}\n"
        "    <OriginCountry>CN</OriginCountry>\n"
        "    <DestinationCountry>GB</DestinationCountry>\n"
        f"{posting}"
        f"    {_element('Category', category)}\n"
        f"    <Sender>{_element('Name', sender_name)}{_element('AddressLine', street)}"
        f"{_element('City', city)}{_element('Postcode', postcode)}"
        f"<CountryCode>CN</CountryCode>{phone}</Sender>\n"
        f"    <Addressee>{_element('Name', addressee_name)}{_element('AddressLine', a_street)}"
        f"{_element('City', a_city)}{_element('Postcode', a_postcode)}"
        "<CountryCode>GB</CountryCode></Addressee>\n"
        f"    {_element('GrossWeight', _weight(gross_kg, unit), unit=unit)}\n"
        f"{postage}"
        "    <Contents>\n"
        f"{''.join(lines)}"
        "    </Contents>\n"
        "  </Item>\n"
    )


def _pieces(items: int, seed: int, problem_rate: float, message_number: str) -> Iterator[str]:
    rng = random.Random(seed)
    yield _header(message_number, seed)
    for index in range(items):
        number = _problem_index(index, problem_rate)
        problem = None if number is None else PROBLEM_KINDS[number % len(PROBLEM_KINDS)]
        yield _item(rng, index, seed, problem)
    yield "</ITMATT>\n"


def write_itmatt_batch(
    out: BinaryIO,
    items: int,
    *,
    seed: int = 0,
    problem_rate: float = 0.0,
    message_number: str | None = None,
) -> None:
    """Write one ITMATT message of ``items`` items (UTF-8) to ``out``, in bounded memory.

    The output is the same for the same arguments. ``problem_rate`` (0 to 1) is the share of
    items that carry exactly one problem each, spread evenly through the batch; the kinds are
    taken in the order of :data:`PROBLEM_KINDS`. The message number defaults to one derived
    from the seed. Raises ValueError for fewer than one item or a rate outside 0 to 1.
    """
    if items < 1:
        raise ValueError(f"An ITMATT message holds at least one item; {items} were asked for.")
    if not 0.0 <= problem_rate <= 1.0:
        raise ValueError(f"The problem rate is a share from 0 to 1; {problem_rate} is not.")
    number = message_number or f"CNA-GBA-20261120-{seed % 1_000_000:06d}"
    buffer: list[str] = []
    size = 0
    for piece in _pieces(items, seed, problem_rate, number):
        buffer.append(piece)
        size += len(piece)
        if size >= _FLUSH_BYTES:
            out.write("".join(buffer).encode("utf-8"))
            buffer.clear()
            size = 0
    if buffer:
        out.write("".join(buffer).encode("utf-8"))


def itmatt_batch_bytes(
    items: int,
    *,
    seed: int = 0,
    problem_rate: float = 0.0,
    message_number: str | None = None,
) -> bytes:
    """The bytes :func:`write_itmatt_batch` writes, for small batches held in memory."""
    out = io.BytesIO()
    write_itmatt_batch(
        out, items, seed=seed, problem_rate=problem_rate, message_number=message_number
    )
    return out.getvalue()
