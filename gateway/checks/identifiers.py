"""Named checks on transport identifiers: UPU S10 postal item IDs and IATA air waybills.

A mapping switches them on for a canonical path, e.g. ``s10`` on ``FunctionalReferenceID``.
The digit rules are plain functions, usable on their own.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator

from .registry import CheckInput, Finding, register
from .targets import target_values

__all__ = ["S10_WEIGHTS", "awb", "awb_check_digit", "s10", "s10_check_digit"]

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
"""UPU S10 weights of the eight serial digits."""

_S10_ASCII_OFFSET = 48 * sum(S10_WEIGHTS)
"""What the weighted sum of the serial's ASCII character codes has on top of its digits'."""
_S10 = re.compile(r"([A-Z]{2})(\d{8})(\d)([A-Z]{2})")
_AWB = re.compile(r"(\d{3})-?(\d{7})(\d)")


def s10_check_digit(serial: str) -> int:
    """The S10 check digit of an 8-digit serial number.

    Weighted sum with 8 6 4 2 3 5 9 7, then 11 minus the sum modulo 11, where 10 becomes 0
    and 11 becomes 5. ``s10_check_digit("12345678") == 5`` (RR123456785GB).
    """
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"An S10 serial number has 8 digits; '{serial}' does not.")
    total: int
    if serial.isascii():  # the hot path: weigh the character codes, no int() per digit
        total = sum(map(operator.mul, serial.encode(), S10_WEIGHTS)) - _S10_ASCII_OFFSET
    else:
        total = sum(map(operator.mul, map(int, serial), S10_WEIGHTS))
    check = 11 - total % 11
    if check == 10:
        return 0
    if check == 11:
        return 5
    return check


def awb_check_digit(serial: str) -> int:
    """The check digit of an air waybill serial: its first seven digits modulo 7."""
    if len(serial) != 7 or not serial.isdigit():
        raise ValueError(
            f"An air waybill serial has 7 digits before its check digit; '{serial}' does not."
        )
    return int(serial) % 7


@register("s10", default=False)
def s10(check: CheckInput) -> Iterator[Finding]:
    """Values on the path must be S10 item IDs: 2 letters, 8 digits, check digit, country."""
    countries = check.reference.countries
    for node, value in target_values(check):
        fault = _s10_fault(value, countries)
        if fault is None:
            continue  # valid: the common case, never located
        location = check.locate(node)
        if location is not None:
            yield check.problem(location, *fault, value)


def _s10_fault(value: str, countries: frozenset[str]) -> tuple[str, str] | None:
    """The problem code and message for an S10 value, or None when it is valid."""
    match = _S10.fullmatch(value)
    if match is None:
        return _s10_shape(
            value,
            "it must be 2 capital letters, 8 digits, "
            "a check digit and a 2-letter country code, as in RR123456785GB",
        )
    _service, serial, digit, country = match.groups()
    if country not in countries:
        return _s10_shape(
            value, f"its last two letters '{country}' are not an ISO 3166-1 country code"
        )
    expected = s10_check_digit(serial)
    if int(digit) == expected:
        return None
    return (
        "s10.check-digit",
        f"The postal item identifier '{value}' has check digit {digit}, but its serial "
        f"number {serial} gives check digit {expected}; the identifier is mistyped.",
    )


def _s10_shape(value: str, why: str) -> tuple[str, str]:
    return "s10.shape", f"'{value}' is not a UPU S10 postal item identifier: {why}."


@register("awb", default=False)
def awb(check: CheckInput) -> Iterator[Finding]:
    """Values on the path must be air waybill numbers: prefix, 7 digits, check digit."""
    for node, value in target_values(check):
        fault = _awb_fault(value)
        if fault is None:
            continue  # valid: the common case, never located
        location = check.locate(node)
        if location is not None:
            yield check.problem(location, *fault, value)


def _awb_fault(value: str) -> tuple[str, str] | None:
    """The problem code and message for an air waybill value, or None when it is valid."""
    match = _AWB.fullmatch(value)
    if match is None:
        return (
            "awb.shape",
            f"'{value}' is not an air waybill number: it must be a 3-digit airline prefix "
            "and an 8-digit serial, optionally with a hyphen after the prefix, as in "
            "020-12345675.",
        )
    _prefix, serial, digit = match.groups()
    expected = awb_check_digit(serial)
    if int(digit) == expected:
        return None
    return (
        "awb.check-digit",
        f"The air waybill number '{value}' ends in check digit {digit}, but its serial "
        f"{serial} gives {expected} ({serial} modulo 7); the number is mistyped.",
    )
