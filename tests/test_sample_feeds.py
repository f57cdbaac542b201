"""Tests for gateway.sample_feeds: S10 identifiers and the ITMATT batch generator."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from gateway.sample_feeds import (
    ITMATT_NAMESPACE,
    PROBLEM_KINDS,
    itmatt_batch_bytes,
    make_s10,
    s10_check_digit,
    write_itmatt_batch,
)

NS = {"it": ITMATT_NAMESPACE}
UNIT_TO_KG = {"KGM": Decimal(1), "GRM": Decimal("0.001")}


def independent_check_digit(serial8: str) -> int:
    """The S10 rule written out again, separately from the code under test."""
    weights = [8, 6, 4, 2, 3, 5, 9, 7]
    total = 0
    for position in range(8):
        total += int(serial8[position]) * weights[position]
    remainder = total % 11
    return {0: 5, 1: 0}.get(remainder, 11 - remainder)


# ---------------------------------------------------------------- S10


@pytest.mark.parametrize(
    ("serial8", "expected"),
    [
        # 4*8+7*6+3*4+1*2+2*3+4*5+8*9+2*7 = 200; 200 mod 11 = 2; 11-2 = 9
        ("47312482", 9),
        # 1*8+2*6+3*4+4*2+5*3+6*5+7*9+8*7 = 204; 204 mod 11 = 6; 11-6 = 5
        ("12345678", 5),
        # 6*2 = 12; 12 mod 11 = 1; 11-1 = 10, written as 0
        ("00060000", 0),
        # sum 0; 11-0 = 11, written as 5
        ("00000000", 5),
        # 1*6+1*5 = 11; 11 mod 11 = 0; 11, written as 5
        ("01000100", 5),
    ],
)
def test_s10_check_digit_matches_hand_computed_examples(serial8: str, expected: int) -> None:
    assert s10_check_digit(serial8) == expected


@given(st.integers(min_value=0, max_value=99_999_999))
def test_s10_check_digit_agrees_with_the_rule_for_any_serial(serial: int) -> None:
    serial8 = f"{serial:08d}"
    assert s10_check_digit(serial8) == independent_check_digit(serial8)
    assert make_s10("RR", serial, "GB") == f"RR{serial8}{independent_check_digit(serial8)}GB"


def test_make_s10_builds_prefix_serial_check_digit_and_country() -> None:
    assert make_s10("RR", 47312482, "GB") == "RR473124829GB"
    assert make_s10("rr", 12345678, "cn") == "RR123456785CN"
    assert make_s10("EE", 60000, "US") == "EE000600000US"


@pytest.mark.parametrize("serial8", ["1234567", "123456789", "1234567a", "１２３４５６７８", ""])
def test_s10_check_digit_refuses_anything_but_eight_ascii_digits(serial8: str) -> None:
    with pytest.raises(ValueError, match="eight digits"):
        s10_check_digit(serial8)


@pytest.mark.parametrize(
    ("prefix", "serial", "country"),
    [("R", 1, "GB"), ("R1", 1, "GB"), ("RR", -1, "GB"), ("RR", 100_000_000, "GB"), ("RR", 1, "G")],
)
def test_make_s10_refuses_malformed_parts(prefix: str, serial: int, country: str) -> None:
    with pytest.raises(ValueError):
        make_s10(prefix, serial, country)


# ---------------------------------------------------------------- generator


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def text(element: etree._Element, path: str) -> str:
    found = element.find(path, NS)
    assert found is not None, path
    return found.text or ""


def problems_of(item: etree._Element) -> list[str]:
    """Every problem kind the item shows, judged from the XML alone."""
    found: list[str] = []
    item_id = text(item, "it:ItemID")
    if independent_check_digit(item_id[2:10]) != int(item_id[10]):
        found.append("s10-check-digit")
    contents = item.findall("it:Contents/it:Content", NS)
    if any(text(c, "it:Description").lower() in {"gift", "parts"} for c in contents):
        found.append("vague-description")
    gross = item.find("it:GrossWeight", NS)
    assert gross is not None
    gross_kg = Decimal(gross.text or "") * UNIT_TO_KG[gross.get("unit", "")]
    net_kg = Decimal(0)
    for content in contents:
        net = content.find("it:NetWeight", NS)
        assert net is not None
        net_kg += Decimal(net.text or "") * UNIT_TO_KG[net.get("unit", "")]
    if net_kg > gross_kg:
        found.append("net-above-gross")
    if any(c.findtext("it:OriginCountry", namespaces=NS) == "XX" for c in contents):
        found.append("unknown-country")
    if not text(item, "it:Addressee/it:Name").strip():
        found.append("missing-addressee-name")
    hs_codes = [c.findtext("it:HSCode", namespaces=NS) for c in contents]
    if any(code is not None and not (code.isdigit() and 6 <= len(code) <= 10) for code in hs_codes):
        found.append("bad-hs-code")
    if any(Decimal(text(c, "it:Value")) < 0 for c in contents):
        found.append("negative-value")
    return found


def test_generator_is_deterministic_for_a_seed_and_varies_with_it() -> None:
    first = itmatt_batch_bytes(40, seed=11, problem_rate=0.2)
    assert first == itmatt_batch_bytes(40, seed=11, problem_rate=0.2)
    assert first != itmatt_batch_bytes(40, seed=12, problem_rate=0.2)


def test_generator_writes_the_number_of_items_asked_with_clean_items_by_default() -> None:
    root = parse(itmatt_batch_bytes(300, seed=5))
    items = root.findall("it:Item", NS)
    assert len(items) == 300
    assert [problems_of(item) for item in items] == [[]] * 300
    ids = [text(item, "it:ItemID") for item in items]
    assert len(set(ids)) == 300, "item identifiers repeat"


def test_generator_content_is_varied() -> None:
    root = parse(itmatt_batch_bytes(300, seed=2))
    contents_per_item = {
        len(i.findall("it:Contents/it:Content", NS)) for i in root.findall("it:Item", NS)
    }
    units = {e.get("unit") for e in root.iter(f"{{{ITMATT_NAMESPACE}}}GrossWeight")}
    origins = {e.text for e in root.iterfind(".//it:Content/it:OriginCountry", NS)}
    descriptions = {e.text for e in root.iterfind(".//it:Description", NS)}
    categories = {e.text for e in root.iterfind("it:Item/it:Category", NS)}
    assert contents_per_item == {1, 2, 3}
    assert units == {"KGM", "GRM"}
    assert len(origins) >= 4
    assert len(descriptions) >= 20
    assert {"S", "G"} <= categories


@pytest.mark.parametrize(("items", "rate"), [(140, 0.1), (70, 1.0), (100, 0.25), (33, 0.5)])
def test_problem_rate_gives_that_share_of_items_one_problem_each(items: int, rate: float) -> None:
    root = parse(itmatt_batch_bytes(items, seed=3, problem_rate=rate))
    found = [problems_of(item) for item in root.findall("it:Item", NS)]
    with_problems = [kinds for kinds in found if kinds]
    assert len(with_problems) == int(items * rate)
    assert all(len(kinds) == 1 for kinds in with_problems)
    if len(with_problems) >= len(PROBLEM_KINDS):
        assert {kinds[0] for kinds in with_problems} == set(PROBLEM_KINDS)


def test_message_number_defaults_from_the_seed_and_can_be_given() -> None:
    default = parse(itmatt_batch_bytes(1, seed=42))
    given = parse(itmatt_batch_bytes(1, seed=42, message_number="CNA-GBA-X-1"))
    assert text(default, "it:MessageHeader/it:MessageNumber") == "CNA-GBA-20261120-000042"
    assert text(given, "it:MessageHeader/it:MessageNumber") == "CNA-GBA-X-1"


class RecordingSink(io.RawIOBase):
    """A binary stream that keeps only sizes, so a large batch costs no memory here."""

    def __init__(self) -> None:
        self.writes: list[int] = []
        self.tail = b""

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.writes.append(len(data))
        self.tail = bytes(data[-20:])
        return len(data)


def test_large_batch_is_written_in_bounded_pieces() -> None:
    sink = RecordingSink()
    write_itmatt_batch(sink, 20_000, seed=9, problem_rate=0.05)  # type: ignore[arg-type]
    assert sum(sink.writes) > 20_000 * 500
    assert len(sink.writes) > 100
    assert max(sink.writes) < 256 * 1024
    assert sink.tail.endswith(b"</ITMATT>\n")


@pytest.mark.parametrize(("items", "rate"), [(0, 0.0), (-1, 0.0), (1, -0.1), (1, 1.5)])
def test_generator_refuses_impossible_arguments(items: int, rate: float) -> None:
    with pytest.raises(ValueError):
        itmatt_batch_bytes(items, problem_rate=rate)
