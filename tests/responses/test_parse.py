"""Customs responses mapped through mappings/responses/uk-cds.yaml to canonical outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import InputError, MappingError
from gateway.mapping.yaml_lines import load_yaml
from gateway.responses import CustomsOutcome, parse_response
from gateway.responses.mapping import compile_response_mapping, wco_datetime_to_iso

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
NOTIFICATIONS = STANDARDS / "wco-dm-hmrc-cds" / "samples" / "notifications"

MD = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
RES = "urn:wco:datamodel:WCO:RES-DMS:2"
DS = "urn:wco:datamodel:WCO:Response_DS:DMS:2"


def _sample(name: str) -> bytes:
    path = NOTIFICATIONS / name
    if not path.is_file():
        pytest.skip(f"the reference standards are not at {STANDARDS}")
    return path.read_bytes()


# Expected values read off the HMRC sample files by hand: the notification type in each file
# name, the LRN and MRN in its Declaration block, and its IssueDateTime.
@pytest.mark.parametrize(
    ("name", "outcome", "lrn", "mrn", "issued", "code"),
    [
        (
            "TT_IM068a_01_DMSRCV.xml",
            "acknowledged",
            "U.7849431R66ZB",
            "25GB17K2U6WMM38A05",
            "2025-01-31T11:36:14Z",
            "02",
        ),
        (
            "TT_IM068a_03_DMSREQ.xml",
            "queried",
            "TT_IM68a_1612_001",
            "22GB2VL0IA6VLYBA03",
            "2022-03-14T12:12:54Z",
            "11",
        ),
        (
            "TT_IM068a_05_DMSACC.xml",
            "accepted",
            "U.7849431R66ZB",
            "25GB17K2U6WMM38A05",
            "2025-01-31T11:36:36Z",
            "01",
        ),
        (
            "TT_IM068a_07_DMSCLE.xml",
            "released",
            "U.7849431R66ZB",
            "25GB17K2U6WMM38A05",
            "2025-01-31T11:36:36Z",
            "09",
        ),
    ],
)
def test_hmrc_sample_notifications_map_to_their_outcomes(
    name: str, outcome: str, lrn: str, mrn: str, issued: str, code: str
) -> None:
    """Each published CDS notification becomes one outcome naming the LRN, MRN and time."""
    [result] = parse_response("uk-cds", _sample(name))
    assert result.outcome == outcome
    assert result.declaration_ref == lrn
    assert result.customs_reference == mrn
    assert result.issued_at == issued
    assert result.raw_function_code == code


def test_amendment_notification_keeps_customs_statements_as_the_reason() -> None:
    """A DMSRES carries customs' statements; both become the reason, in document order."""
    [result] = parse_response("uk-cds", _sample("TT_IM068a_06_DMSRES.xml"))
    assert result.declaration_ref == "U.7849431R66ZB"
    assert result.reason is not None
    first, second = result.reason.split("; ")
    assert first.startswith("Increase Freight Charge Amount to GBP 19.34")
    assert second.startswith("Increase Customs Value Amount to GBP 115.66")


def test_query_without_text_gets_the_mappings_default_reason() -> None:
    [result] = parse_response("uk-cds", _sample("TT_IM068a_03_DMSREQ.xml"))
    assert result.reason == "Customs have a query about the declaration."


def _notification(*responses: str) -> bytes:
    body = "".join(responses)
    return (
        f'<md:MetaData xmlns:md="{MD}" xmlns="{RES}" xmlns:p1="{DS}">'
        "<md:WCODataModelVersionCode>3.6</md:WCODataModelVersionCode>"
        f"<md:WCOTypeName>RES</md:WCOTypeName>{body}</md:MetaData>"
    ).encode()


def _response(code: str, lrn: str | None = "LRN-7", extra: str = "") -> str:
    declaration = (
        f"<Declaration><FunctionalReferenceID>{lrn}</FunctionalReferenceID></Declaration>"
        if lrn
        else ""
    )
    return (
        f"<Response><FunctionCode>{code}</FunctionCode>"
        '<IssueDateTime><p1:DateTimeString formatCode="304">20250102030405Z</p1:DateTimeString>'
        f"</IssueDateTime>{extra}{declaration}</Response>"
    )


def test_namespaced_notification_reads_like_the_unqualified_samples() -> None:
    """Live CDS notifications qualify their elements; they map the same way."""
    [result] = parse_response("uk-cds", _notification(_response("09")))
    assert result == CustomsOutcome("LRN-7", "released", None, None, "2025-01-02T03:04:05Z", "09")


def test_rejection_reason_comes_from_the_error_descriptions() -> None:
    errors = (
        "<Error><Description>Commodity code unknown</Description>"
        "<ValidationCode>CDS12062</ValidationCode></Error>"
        "<Error><ValidationCode>CDS40049</ValidationCode></Error>"
    )
    [result] = parse_response("uk-cds", _notification(_response("03", extra=errors)))
    assert result.outcome == "rejected"
    assert result.reason == "Commodity code unknown; CDS40049"


def test_one_envelope_with_several_responses_gives_one_outcome_each() -> None:
    body = _notification(_response("01", "A"), _response("05", "B"))
    results = parse_response("uk-cds", body)
    assert [(r.declaration_ref, r.outcome) for r in results] == [("A", "accepted"), ("B", "held")]


def test_informational_notification_yields_no_outcome() -> None:
    """DMSTAX (13) is mapped with outcome null: nothing changes for the item."""
    assert parse_response("uk-cds", _notification(_response("13"))) == []


def test_mrn_stands_in_when_no_lrn_is_given() -> None:
    response = (
        "<Response><FunctionCode>01</FunctionCode>"
        "<Declaration><ID>25GB000000000000A1</ID></Declaration></Response>"
    )
    [result] = parse_response("uk-cds", _notification(response))
    assert result.declaration_ref == "25GB000000000000A1"


def test_unknown_code_and_missing_reference_are_all_reported() -> None:
    """Every unmappable response is reported at once, with the code that was not known."""
    body = _notification(_response("77"), _response("01", lrn=None))
    with pytest.raises(InputError) as caught:
        parse_response("uk-cds", body)
    codes = [problem.code for problem in caught.value.problems]
    assert codes == ["response.function-code.unknown", "response.reference.missing"]
    assert "'77'" in caught.value.problems[0].message


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "input.empty"),
        (b"<MetaData><Response>", "xml.syntax"),
        (
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><MetaData>&e;</MetaData>',
            "xml.doctype",
        ),
        (b"<Declaration/>", "response.root"),
        (b"<MetaData/>", "response.empty"),
    ],
)
def test_bad_bodies_are_refused_with_a_problem(body: bytes, code: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_response("uk-cds", body)
    assert [problem.code for problem in caught.value.problems] == [code]


def test_unknown_endpoint_kind_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="no response mapping"):
        parse_response("no-such-endpoint", b"<MetaData/>")


def test_mapping_errors_are_all_reported_with_lines() -> None:
    text = """\
response_mapping: 1
endpoint_kind: broken
document: {roots: [MetaData]}
responses: "Response["
fields:
  function_code: FunctionCode
functions:
  "01": {outcome: approved}
"""
    with pytest.raises(MappingError) as caught:
        compile_response_mapping(load_yaml(text, "broken.yaml"), "broken.yaml")
    issues = {issue.rule: issue for issue in caught.value.issues}
    assert set(issues) == {"responses", "fields.declaration_ref", "functions.01.outcome"}
    assert issues["responses"].line == 4
    assert issues["functions.01.outcome"].line == 8


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("20250131113614Z", "2025-01-31T11:36:14Z"),
        ("20250131113614+01", "2025-01-31T11:36:14+01:00"),
        ("20250131", "2025-01-31"),
        ("not a date", "not a date"),
    ],
)
def test_wco_datetime_strings_become_iso_8601(text: str, iso: str) -> None:
    assert wco_datetime_to_iso(text) == iso
