"""S10 postal item identifiers and air waybill numbers, switched on for a canonical path."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.checks import CheckSuite, PathCheck
from gateway.checks.identifiers import awb_check_digit, s10_check_digit
from gateway.problems import Problem, Severity
from tests.checks.canonical_xml import batch, declaration, ids

SERIALS8 = st.text(alphabet="0123456789", min_size=8, max_size=8)
SERIALS7 = st.text(alphabet="0123456789", min_size=7, max_size=7)


def run_on_reference(*references: str, check: str = "s10") -> list[list[Problem]]:
    elements = batch(*(declaration(reference=reference) for reference in references))
    suite = CheckSuite([PathCheck(check, "FunctionalReferenceID")], defaults=False)
    return suite.run(elements, ids(len(elements)))


def test_s10_check_digits_computed_by_hand() -> None:
    # 1*8+2*6+3*4+4*2+5*3+6*5+7*9+8*7 = 204; 204 mod 11 = 6; 11-6 = 5
    assert s10_check_digit("12345678") == 5
    # 4*8+7*6+3*4+1*2+2*3+5*5+0*9+4*7 = 147; 147 mod 11 = 4; 11-4 = 7
    assert s10_check_digit("47312504") == 7
    # 1*7 = 7; 11-7 = 4
    assert s10_check_digit("00000001") == 4
    # sum 0; 11-0 = 11, which becomes 5
    assert s10_check_digit("00000000") == 5
    # 1*9 = 9; 11-9 = 2
    assert s10_check_digit("00000010") == 2
    # 1*5 = 5; 11-5 = 6
    assert s10_check_digit("00000100") == 6
    # 1*3 = 3; 11-3 = 8
    assert s10_check_digit("00001000") == 8
    # 5*9 = 45; 45 mod 11 = 1; 11-1 = 10, which becomes 0
    assert s10_check_digit("00000050") == 0


@given(SERIALS8)
def test_s10_digit_round_trips_through_the_check(serial: str) -> None:
    digit = s10_check_digit(serial)
    assert 0 <= digit <= 9
    good = f"RR{serial}{digit}GB"
    bad = f"RR{serial}{(digit + 1) % 10}GB"
    found = run_on_reference(good, bad)
    assert found[0] == []
    assert [problem.code for problem in found[1]] == ["s10.check-digit"]


def test_s10_wrong_digit_message_says_the_expected_digit() -> None:
    (problems,) = run_on_reference("RR123456784GB")
    (problem,) = problems
    assert problem.canonical_path == "FunctionalReferenceID"
    assert problem.value == "RR123456784GB"
    assert problem.rule == "s10"
    assert "check digit 5" in problem.message and "has check digit 4" in problem.message


def test_s10_shape_errors() -> None:
    found = run_on_reference("RR12345678GB", "rr123456785GB", "RR123456785XX", "1234567890123")
    assert [[problem.code for problem in problems] for problems in found] == [["s10.shape"]] * 4
    assert "'XX'" in found[2][0].message


def test_awb_check_digits_computed_by_hand() -> None:
    assert awb_check_digit("1234567") == 5  # 1234567 = 7 * 176366 + 5
    assert awb_check_digit("0000007") == 0
    assert awb_check_digit("9999999") == 2  # 9999999 = 7 * 1428571 + 2


@given(SERIALS7)
def test_awb_digit_round_trips_through_the_check(serial: str) -> None:
    digit = awb_check_digit(serial)
    assert digit == int(serial) % 7
    found = run_on_reference(
        f"020-{serial}{digit}", f"020{serial}{digit}", f"020-{serial}{(digit + 1) % 7}", check="awb"
    )
    assert found[0] == [] and found[1] == []
    assert [problem.code for problem in found[2]] == ["awb.check-digit"]


def test_awb_shape_and_message() -> None:
    found = run_on_reference("020-1234567", "02-123456755", "020 12345675", check="awb")
    assert [[problem.code for problem in problems] for problems in found] == [["awb.shape"]] * 3
    (wrong,) = run_on_reference("020-12345670", check="awb")[0]
    assert wrong.code == "awb.check-digit" and "gives 5" in wrong.message


def test_path_check_severity_is_carried_into_problems() -> None:
    elements = batch(declaration(reference="RR123456784GB"))
    suite = CheckSuite(
        [PathCheck("s10", "FunctionalReferenceID", Severity.WARNING)], defaults=False
    )
    (problems,) = suite.run(elements, ["D1"])
    assert [problem.severity for problem in problems] == [Severity.WARNING]
