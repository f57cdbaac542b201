"""Every mapping function, and the template directives, compiled and run through a tiny feed.

Each test writes a one-file feed mapping into a temporary mappings folder, compiles it with the
real catalog (YAML -> XSLT -> libxslt) and runs it over a small XML message; code lists come
from the bundled ``mappings/codelists`` on the default search path.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.mapping.catalog import MappingCatalog
from gateway.mapping.functions import FUNCTIONS
from gateway.mapping.markers import markers_by_entry, p_attr, problem_from_marker
from gateway.problems import Problem

NS = {"c": CANONICAL_NS}


def select(element: etree._Element, xpath: str) -> list[Any]:
    """Nodes an XPath selects (typed loosely: elements or attribute strings)."""
    return cast("list[Any]", element.xpath(xpath, namespaces=NS))


def texts(element: etree._Element, xpath: str) -> list[str | None]:
    return [node.text for node in select(element, xpath)]


@dataclass
class Mapped:
    """One mapped item: its canonical element and the problems its markers carried."""

    element: etree._Element
    problems: list[Problem]

    def text(self, path: str) -> str | None:
        """Text of the first element at a canonical path (``A/B``), None when absent."""
        xpath = "/".join(
            f"c:{step}" if not step.startswith("@") else step for step in path.split("/")
        )
        found = select(self.element, xpath)
        if not found:
            return None
        first = found[0]
        return first if isinstance(first, str) else (first.text or "")

    def count(self, path: str) -> int:
        xpath = "/".join(f"c:{step}" for step in path.split("/"))
        return len(select(self.element, xpath))

    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]


Runner = Callable[[str, str], list[Mapped]]


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    """Compile a template (YAML text under ``template:``) and run it over ``<Item>`` elements."""
    counter = iter(range(1000))

    def runner(template: str, items: str) -> list[Mapped]:
        name = f"t{next(counter)}"
        folder = tmp_path / name
        (folder / "feeds").mkdir(parents=True)
        text = (
            f"name: {name}\nkind: feed\ninput: {{format: xml, root: Batch}}\n"
            "declarations:\n  for_each: Item\n  id: ID\n  template:\n"
            + textwrap.indent(textwrap.dedent(template).strip("\n"), "    ")
            + "\n"
        )
        (folder / "feeds" / f"{name}.yaml").write_text(text, encoding="utf-8")
        compiled = MappingCatalog([folder]).get(name, "feed")
        document = etree.fromstring(f"<Batch>{items}</Batch>".encode())
        batch = compiled.transform(document).getroot()
        markers = markers_by_entry(batch)
        results = []
        for index, element in enumerate(batch):
            item = p_attr(element, "id") or ""
            p_attr(element, "pos")
            problems = [
                problem_from_marker(marker, item=item, outbound=False)
                for marker in markers.get(index, [])
            ]
            results.append(Mapped(element, problems))
        return results

    return runner


def one(run: Runner, template: str, item: str) -> Mapped:
    (mapped,) = run(template, f"<Item><ID>X1</ID>{item}</Item>")
    return mapped


# -- text --------------------------------------------------------------------------------------


def test_trim_collapses_inner_whitespace_and_strips_ends(run: Runner) -> None:
    mapped = one(run, "Out: {from: V, apply: [trim], raw: true}", "<V>  a \n  b\t</V>")
    assert mapped.text("Out") == "a b"


def test_upper_turns_accented_letters_into_capitals(run: Runner) -> None:
    mapped = one(run, "Out: {from: V, apply: [upper]}", "<V>émile zoë</V>")
    assert mapped.text("Out") == "ÉMILE ZOË"


def test_lower_turns_accented_capitals_into_small_letters(run: Runner) -> None:
    mapped = one(run, "Out: {from: V, apply: [lower]}", "<V>ÉCOLE ÀÇ</V>")
    assert mapped.text("Out") == "école àç"


def test_prefix_suffix_and_substring_compose_in_order(run: Runner) -> None:
    mapped = one(
        run,
        """
        P: {from: V, apply: [{prefix: "GB-"}]}
        S: {from: V, apply: [{suffix: "'s"}]}
        Sub: {from: V, apply: [{substring: {start: 2, length: 3}}]}
        Tail: {from: V, apply: [{substring: {start: 4}}]}
        """,
        "<V>abcdefg</V>",
    )
    assert mapped.text("P") == "GB-abcdefg"
    assert mapped.text("S") == "abcdefg's"
    assert mapped.text("Sub") == "cde"  # start counts from 0
    assert mapped.text("Tail") == "efg"


# -- numbers -----------------------------------------------------------------------------------


def test_decimal_keeps_a_number_and_reads_a_comma_separator(run: Runner) -> None:
    mapped = one(
        run,
        """
        Dot: {from: V, apply: [decimal]}
        Comma: {from: W, apply: [{decimal: {separator: ","}}]}
        """,
        "<V> 12.50 </V><W>1.234,5</W>",
    )
    assert Decimal(mapped.text("Dot") or "") == Decimal("12.5")
    assert mapped.text("Comma") == "1234.5"
    assert mapped.problems == []


def test_decimal_of_text_is_a_problem_naming_the_value_and_source(run: Runner) -> None:
    mapped = one(run, "Out: {from: V, apply: [decimal]}", "<V>twelve</V>")
    assert mapped.text("Out") is None
    (problem,) = mapped.problems
    assert problem.code == "value.not-a-number"
    assert problem.value == "twelve"
    assert problem.source_path == "Item[1]/V"
    assert "twelve" in problem.message


def test_integer_accepts_whole_numbers_and_refuses_fractions(run: Runner) -> None:
    (whole, fraction) = run(
        "Out: {from: V, apply: [integer]}",
        "<Item><ID>a</ID><V>42</V></Item><Item><ID>b</ID><V>4.5</V></Item>",
    )
    assert whole.text("Out") == "42"
    assert whole.problems == []
    assert fraction.text("Out") is None
    assert fraction.codes() == ["value.not-an-integer"]


def test_multiply_round_and_format_decimal(run: Runner) -> None:
    mapped = one(
        run,
        """
        Cents: {from: V, apply: [decimal, {multiply: 100}]}
        Rounded: {from: W, apply: [{round: 2}]}
        Formatted: {from: W, apply: [{format_decimal: "0.000"}]}
        """,
        "<V>12.5</V><W>3.14159</W>",
    )
    assert mapped.text("Cents") == "1250"
    assert mapped.text("Rounded") == "3.14"
    assert mapped.text("Formatted") == "3.142"


def test_keep_matching_keeps_a_matching_value_and_drops_another_without_a_problem(
    run: Runner,
) -> None:
    mapped = one(
        run,
        """
        Kept: {from: V, apply: [{keep_matching: "[A-Z]{2}[0-9]+"}]}
        Dropped: {from: W, apply: [{keep_matching: "[A-Z]{2}[0-9]+"}]}
        """,
        "<V>GB123</V><W>91440300MA5TAXID</W>",
    )
    assert mapped.text("Kept") == "GB123"
    assert mapped.text("Dropped") is None
    assert mapped.codes() == []


def test_remove_deletes_every_listed_character(run: Runner) -> None:
    mapped = one(run, 'Out: {from: V, apply: [{remove: " .-"}]}', "<V>6109.10-00 00</V>")
    assert mapped.text("Out") == "6109100000"


def test_round_writes_the_decimal_not_the_binary_float(run: Runner) -> None:
    """8.45 is 8.449999999999999 as a double; the output must still say 8.45."""
    mapped = one(run, "Out: {from: V, apply: [{round: 2}]}", "<V>8.45</V>")
    assert mapped.text("Out") == "8.45"


def test_decimal_keeps_the_text_as_written(run: Runner) -> None:
    mapped = one(run, "Out: {from: V, apply: [decimal]}", "<V>12.50</V>")
    assert mapped.text("Out") == "12.50"


def test_round_of_text_is_a_problem(run: Runner) -> None:
    mapped = one(run, "Out: {from: V, apply: [{round: 2}]}", "<V>n/a</V>")
    assert mapped.codes() == ["value.not-a-number"]


# -- code lists and units ------------------------------------------------------------------------


def test_codelist_maps_a_known_code_to_the_named_column(run: Runner) -> None:
    mapped = one(
        run,
        """
        Category: {from: C, apply: [{codelist: {list: cn23-categories, column: canonical}}]}
        Country: {from: K, apply: [{codelist: countries}]}
        """,
        "<C>G</C><K>GB</K>",
    )
    assert mapped.text("Category") == "GIFT"
    assert mapped.text("Country") == "GB"
    assert mapped.problems == []


def test_codelist_unknown_code_is_a_problem_naming_the_list_and_value(run: Runner) -> None:
    mapped = one(run, "Country: {from: K, apply: [{codelist: countries}]}", "<K>XX</K>")
    (problem,) = mapped.problems
    assert problem.code == "codelist.unknown"
    assert "'XX'" in problem.message
    assert "countries" in problem.message
    assert mapped.text("Country") is None


def test_convert_unit_grams_and_pounds_to_kilograms_in_exact_decimals(run: Runner) -> None:
    mapped = one(
        run,
        """
        Grams: {from: G, apply: [{convert_unit: {from: GRM, to: KGM}}]}
        Pounds: {from: L, apply: [{convert_unit: {from_path: L/@unit, to: KGM}}]}
        """,
        '<G>450</G><L unit="LBR">100</L>',
    )
    assert mapped.text("Grams") == "0.45"
    # 1 lb is defined as exactly 0.45359237 kg: no binary floating-point residue allowed
    assert mapped.text("Pounds") == "45.359237"


def test_convert_unit_from_an_unknown_unit_is_a_problem(run: Runner) -> None:
    mapped = one(
        run,
        "Out: {from: W, apply: [{convert_unit: {from_path: W/@unit, to: KGM}}]}",
        '<W unit="STONE">2</W>',
    )
    assert mapped.codes() == ["unit.unconvertible"]
    assert mapped.problems[0].value == "2"


# -- dates -------------------------------------------------------------------------------------


def test_datetime_attaches_the_configured_zone_to_naive_values(run: Runner) -> None:
    mapped = one(
        run,
        """
        Summer: {from: S, apply: [{datetime: {formats: ["%d/%m/%Y %H:%M"], timezone: Europe/London}}]}
        Winter: {from: W, apply: [{datetime: {formats: ["%d/%m/%Y %H:%M"], timezone: Europe/London}}]}
        """,
        "<S>01/07/2026 10:00</S><W>01/12/2026 10:00</W>",
    )
    assert mapped.text("Summer") == "2026-07-01T10:00:00+01:00"
    assert mapped.text("Winter") == "2026-12-01T10:00:00+00:00"


def test_datetime_iso_keeps_an_explicit_offset_and_reads_z_as_utc(run: Runner) -> None:
    mapped = one(
        run,
        """
        Zulu: {from: Z, apply: [{datetime: {formats: [iso], timezone: Asia/Shanghai}}]}
        Offset: {from: O, apply: [datetime]}
        """,
        "<Z>2026-11-20T08:15:00Z</Z><O>2026-11-20T08:15:00+08:00</O>",
    )
    assert mapped.text("Zulu") == "2026-11-20T08:15:00+00:00"
    assert mapped.text("Offset") == "2026-11-20T08:15:00+08:00"


def test_datetime_tries_formats_in_order_and_date_writes_only_the_day(run: Runner) -> None:
    mapped = one(
        run,
        """
        When: {from: T, apply: [{datetime: {formats: ["%Y%m%d%H%M", "%d.%m.%Y"], timezone: UTC}}]}
        Day: {from: D, apply: [{date: {formats: [iso]}}]}
        """,
        "<T>20.11.2026</T><D>2026-11-20T23:59:00+08:00</D>",
    )
    assert mapped.text("When") == "2026-11-20T00:00:00+00:00"
    assert mapped.text("Day") == "2026-11-20"


def test_datetime_that_matches_no_format_is_a_problem(run: Runner) -> None:
    mapped = one(
        run, "Out: {from: T, apply: [{datetime: {formats: ['%d/%m/%Y']}}]}", "<T>31/02/2026</T>"
    )
    assert mapped.codes() == ["value.not-a-date"]
    assert "%d/%m/%Y" in mapped.problems[0].message


# -- regular expressions, split, join ------------------------------------------------------------


def test_regex_replace_match_and_extract(run: Runner) -> None:
    mapped = one(
        run,
        r"""
        Clean: {from: H, apply: [{regex_replace: {pattern: "[ .]", replacement: ""}}]}
        Match: {from: S, apply: [{regex_match: "[A-Z]{2}\\d{9}[A-Z]{2}"}]}
        Serial: {from: S, apply: [{regex_extract: {pattern: "^[A-Z]{2}(\\d{8})", group: 1}}]}
        """,
        "<H>6109.10 00</H><S>RR123456785GB</S>",
    )
    assert mapped.text("Clean") == "61091000"
    assert mapped.text("Match") == "RR123456785GB"
    assert mapped.text("Serial") == "12345678"
    assert mapped.problems == []


def test_regex_match_must_match_the_whole_value(run: Runner) -> None:
    mapped = one(run, r"Out: {from: S, apply: [{regex_match: '\d{4}'}]}", "<S>12345</S>")
    assert mapped.text("Out") is None
    assert mapped.codes() == ["value.pattern"]


def test_split_takes_the_indexed_part_trimmed(run: Runner) -> None:
    mapped = one(
        run,
        """
        First: {from: V, apply: [{split: {separator: ";"}}]}
        Last: {from: V, apply: [{split: {separator: ";", index: -1}}]}
        Missing: {from: V, apply: [{split: {separator: ";", index: 9}}]}
        """,
        "<V>alpha ; beta; gamma</V>",
    )
    assert mapped.text("First") == "alpha"
    assert mapped.text("Last") == "gamma"
    assert mapped.text("Missing") is None


def test_join_concatenates_every_source_node_skipping_empty_ones(run: Runner) -> None:
    mapped = one(
        run,
        """
        Line: {from: L, apply: [join]}
        Slash: {from: L, apply: [{join: " / "}]}
        """,
        "<L>1 High St</L><L> </L><L>Flat 2</L>",
    )
    assert mapped.text("Line") == "1 High St, Flat 2"
    assert mapped.text("Slash") == "1 High St / Flat 2"


def test_one_of_keeps_a_value_listed_at_the_path_and_refuses_one_that_is_not(run: Runner) -> None:
    """one_of: the value must equal one of the values at a path read from the same node."""
    (listed, unlisted) = run(
        "Out: {from: V, apply: [{one_of: Allowed/A}]}",
        "<Item><V>B2</V><Allowed><A>A1</A><A>B2</A></Allowed></Item>"
        "<Item><V>C3</V><Allowed><A>A1</A><A>B2</A></Allowed></Item>",
    )
    assert listed.text("Out") == "B2"
    assert listed.problems == []
    assert unlisted.text("Out") is None
    assert unlisted.codes() == ["value.not-listed"]
    assert unlisted.problems[0].value == "C3"
    assert "one of the values at Allowed/A" in unlisted.problems[0].message


def test_every_registered_function_is_covered_here() -> None:
    """A new function added to FUNCTIONS must get a test in this file."""
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [name for name in FUNCTIONS if f"{name}" not in source.split("def test_every")[0]]
    assert untested == []


# -- directives ----------------------------------------------------------------------------------


def test_default_fills_a_missing_value_and_not_a_present_one(run: Runner) -> None:
    (missing, present) = run(
        "Out: {from: V, default: N/A}",
        "<Item><ID>a</ID></Item><Item><ID>b</ID><V>given</V></Item>",
    )
    assert missing.text("Out") == "N/A"
    assert present.text("Out") == "given"


def test_required_value_missing_is_a_problem_naming_output_and_source(run: Runner) -> None:
    mapped = one(
        run, "Name: {from: Sender/Name, required: true}", "<Sender><Name> </Name></Sender>"
    )
    (problem,) = mapped.problems
    assert problem.code == "required.missing"
    assert problem.canonical_path == "Name"
    assert problem.source_path == "Item[1]/Sender/Name"
    # the template starts on line 8 of the generated file (7 header lines before it)
    assert problem.rule is not None
    assert problem.rule.endswith(".yaml:8")


def test_when_writes_an_element_only_if_its_condition_holds(run: Runner) -> None:
    (gift, sale) = run(
        "Note: {value: no charge, when: \"Kind = 'G'\"}",
        "<Item><ID>a</ID><Kind>G</Kind></Item><Item><ID>b</ID><Kind>S</Kind></Item>",
    )
    assert gift.text("Note") == "no charge"
    assert sale.text("Note") is None


def test_for_each_repeats_a_group_with_its_position(run: Runner) -> None:
    mapped = one(
        run,
        """
        Line:
          for_each: Content
          Seq: {position: true}
          Text: {from: D}
        """,
        "<Content><D>tea</D></Content><Content><D>cups</D></Content><Content><D>pot</D></Content>",
    )
    assert mapped.count("Line") == 3
    assert texts(mapped.element, "c:Line/c:Seq") == ["1", "2", "3"]
    assert texts(mapped.element, "c:Line/c:Text") == ["tea", "cups", "pot"]


def test_problem_inside_for_each_names_the_position_of_the_source_node(run: Runner) -> None:
    mapped = one(
        run,
        """
        Line:
          for_each: Content
          Value: {from: V, apply: [decimal]}
        """,
        "<Content><V>1</V></Content><Content><V>bad</V></Content>",
    )
    (problem,) = mapped.problems
    assert problem.source_path == "Item[1]/Content[2]/V"
    assert problem.canonical_path == "Line[2]/Value"


def test_a_list_writes_fixed_elements_in_order(run: Runner) -> None:
    mapped = one(
        run,
        """
        Procedure:
          - {Code: "40"}
          - {Code: "1H7"}
        """,
        "",
    )
    assert texts(mapped.element, "c:Procedure/c:Code") == ["40", "1H7"]


def test_attributes_are_written_from_constants_and_source(run: Runner) -> None:
    mapped = one(
        run,
        """
        Amount:
          from: V
          "@currencyID": {from: V/@currency, apply: [upper]}
          "@kind": fixed
        """,
        '<V currency="usd">12.5</V>',
    )
    assert mapped.text("Amount") == "12.5"
    assert mapped.text("Amount/@currencyID") == "USD"
    assert mapped.text("Amount/@kind") == "fixed"


def test_a_group_whose_data_fields_are_empty_is_left_out(run: Runner) -> None:
    (without, with_phone) = run(
        """
        Communication:
          ID: {from: Phone}
          TypeCode: TE
        """,
        "<Item><ID>a</ID></Item><Item><ID>b</ID><Phone>01632 960000</Phone></Item>",
    )
    assert without.count("Communication") == 0
    assert with_phone.text("Communication/ID") == "01632 960000"
    assert with_phone.text("Communication/TypeCode") == "TE"


def test_a_group_of_constants_only_is_always_written(run: Runner) -> None:
    mapped = one(
        run,
        """
        Transport:
          ModeCode: "5"
        """,
        "",
    )
    assert mapped.text("Transport/ModeCode") == "5"
