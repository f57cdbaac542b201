"""Hostile and broken feed messages are refused as a whole with a reason, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import InputError
from gateway.formats.xml import MAX_DEPTH, parse_xml
from gateway.pipeline import FeedResult, Pipeline
from gateway.problems import Problem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upu-itmatt"
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "upu-itmatt"
FEED = "upu-itmatt"
NS = "urn:customs-gateway:feed:upu-itmatt:1"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


def read(pipeline: Pipeline, data: bytes, name: str) -> FeedResult:
    return pipeline.read_feed(FEED, data, source_name=name)


def only_problem(result: FeedResult) -> Problem:
    assert not result.readable
    assert result.declarations == ()
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


# (fixture, problem code, words the reason must contain, line or None)
HOSTILE = [
    ("xxe.xml", "xml.doctype", "DOCTYPE", 3),
    ("billion-laughs.xml", "xml.doctype", "DOCTYPE", 3),
    ("external-dtd.xml", "xml.doctype", "DOCTYPE", 3),
    ("malformed.xml", "xml.syntax", "not well-formed", 41),
    ("latin1-declared-utf8.xml", "xml.syntax", "not well-formed", 26),
    ("not-xml.json", "xml.syntax", "not well-formed", 1),
    ("wrong-namespace.xml", "xml.root", "urn:customs-gateway:feed:upu-itmatt:2", 2),
    ("wrong-root.xml", "xml.root", "'ITMRSP'", 2),
    ("empty.xml", "input.empty", "empty", None),
]


@pytest.mark.parametrize(("name", "code", "reason", "line"), HOSTILE)
def test_hostile_fixture_is_refused_naming_file_reason_and_line(
    pipeline: Pipeline, name: str, code: str, reason: str, line: int | None
) -> None:
    problem = only_problem(read(pipeline, (FIXTURES / name).read_bytes(), name))
    assert problem.code == code
    assert problem.message.startswith(name)
    assert reason in problem.message
    assert problem.line == line
    if line is not None:
        assert f"line {line}" in problem.message
    assert problem.message.endswith(".")


def _passwd_lines() -> list[str]:
    try:
        text = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ["root:x:0:0"]
    return [line for line in text.splitlines() if len(line) > 8] or ["root:x:0:0"]


@pytest.mark.parametrize("target", ["canonical", "uk-cds"])
def test_xxe_never_puts_local_file_content_anywhere_in_the_result(target: str) -> None:
    pipeline = Pipeline(
        parameters={"uk-cds": {"declarant_eori": "GB123456789000", "goods_location_name": "X"}}
    )
    data = (FIXTURES / "xxe.xml").read_bytes()
    result = pipeline.translate(FEED, target, data, source_name="xxe.xml")
    feed_result = pipeline.read_feed(FEED, data, source_name="xxe.xml", trace=True)
    everything = repr(result) + repr(feed_result)
    for line in _passwd_lines():
        assert line not in everything


def _after_long_prologue(name: str) -> bytes:
    """The fixture with 70 KB of comment before its DOCTYPE: past the first bytes read."""
    head, rest = (FIXTURES / name).read_bytes().split(b"\n", 1)
    return head + b"\n<!--" + b" " * 70_000 + b"-->\n" + rest


@pytest.mark.parametrize("name", ["xxe.xml", "billion-laughs.xml", "external-dtd.xml"])
def test_a_doctype_hidden_behind_a_long_prologue_is_still_refused(
    pipeline: Pipeline, name: str
) -> None:
    problem = only_problem(read(pipeline, _after_long_prologue(name), name))
    assert problem.code in {"xml.doctype", "xml.syntax"}
    assert problem.message.startswith(name)


def test_parse_xml_refuses_a_doctype_hidden_behind_a_long_prologue() -> None:
    with pytest.raises(InputError, match="DOCTYPE") as caught:
        parse_xml(_after_long_prologue("xxe.xml"), "late.xml")
    assert caught.value.problems[0].code == "xml.doctype"


def test_a_message_above_the_size_limit_is_refused(pipeline: Pipeline) -> None:
    data = (SAMPLES / "cn-to-gb-small.xml").read_bytes()
    assert len(data) > 1000
    problem = only_problem(Pipeline(max_bytes=1000).read_feed(FEED, data, source_name="big.xml"))
    assert problem.code == "input.too-large"
    assert problem.message.startswith("big.xml")
    assert "1,000 bytes" in problem.message
    # the same message under the default limit is fine
    assert read(pipeline, data, "big.xml").readable


def test_parse_xml_refuses_above_the_size_limit() -> None:
    with pytest.raises(InputError, match="limit of 10 bytes"):
        parse_xml(b"<a>0123456789</a>", "m.xml", max_bytes=10)


def _nested(depth: int) -> bytes:
    inner = "<Deep>" * depth + "x" + "</Deep>" * depth
    return (
        f'<ITMATT xmlns="{NS}" version="1.0"><MessageHeader><MessageNumber>M1</MessageNumber>'
        f"</MessageHeader><Item>{inner}</Item></ITMATT>"
    ).encode()


def test_nesting_deeper_than_the_limit_is_refused(pipeline: Pipeline) -> None:
    problem = only_problem(read(pipeline, _nested(MAX_DEPTH + 10), "deep.xml"))
    assert problem.code == "xml.too-deep"
    assert problem.message.startswith("deep.xml")
    assert str(MAX_DEPTH) in problem.message


def test_nesting_within_the_limit_is_not_refused_for_depth(pipeline: Pipeline) -> None:
    result = read(pipeline, _nested(MAX_DEPTH - 5), "ok.xml")
    assert all(problem.code != "xml.too-deep" for problem in result.problems)


def test_parse_xml_applies_the_same_depth_limit() -> None:
    with pytest.raises(InputError, match="levels deep"):
        parse_xml(b"<a>" * (MAX_DEPTH + 1) + b"</a>" * (MAX_DEPTH + 1), "d.xml")
    assert parse_xml(b"<a>" * MAX_DEPTH + b"</a>" * MAX_DEPTH, "d.xml").tag == "a"


def test_the_valid_fixture_passes_the_same_gate(pipeline: Pipeline) -> None:
    """The hardening refuses what is hostile, not the ordinary message it is built from."""
    result = read(pipeline, (FIXTURES / "valid-one-item.xml").read_bytes(), "ok.xml")
    assert result.readable
    assert [d.declaration_id for d in result.declarations] == ["RR123456785CN"]


def test_parse_xml_reuses_one_parser_per_thread_and_errors_do_not_leak_between_messages() -> None:
    """The kept parser gives the same results and messages as a fresh one, after a failure
    too, and each thread has its own (lxml parsers must not be shared by threads)."""
    import threading

    from lxml import etree

    from gateway.formats import xml

    bad = b"<a>\n<b></a>"
    messages = []
    for _ in range(2):
        with pytest.raises(InputError) as caught:
            parse_xml(bad, "bad.xml")
        messages.append(str(caught.value))
        good = parse_xml(b"<a><b>1</b></a>", "good.xml")
        assert etree.tostring(good) == b"<a><b>1</b></a>"
    try:
        etree.fromstring(bad, xml.hardened_parser())
    except etree.XMLSyntaxError as exc:
        assert messages == [str(xml.syntax_error("bad.xml", exc))] * 2
    parsers: list[etree.XMLParser] = []
    thread = threading.Thread(target=lambda: parsers.append(xml._THREAD_PARSERS.parser))
    thread.start()
    thread.join()
    assert parsers[0] is not xml._THREAD_PARSERS.parser
