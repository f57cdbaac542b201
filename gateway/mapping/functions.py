"""The named transform functions a mapping rule can ``apply``, as small pure builders.

Each function compiles to XPath that the stylesheet runs: native XPath 1.0 where it can be
expressed (trim, case, numbers, rounding), a call into a pure Python function registered in
the ``urn:customs-gateway:functions`` namespace where it cannot (code lists, dates with time
zones, regular expressions, unit conversion). A function that can fail returns the empty
string on failure; the compiler turns "input present, output empty" into a problem naming
the rule, the value and the function.

The registry follows jsonschema's keyword table: ``FUNCTIONS[name]`` is a builder taking the
rule's arguments and returning a ``Step``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

FUNCTIONS_NS = "urn:customs-gateway:functions"
FN = "gwf"
"""Prefix under which compiled stylesheets call the Python functions of this module."""


@dataclass(frozen=True, slots=True)
class Step:
    """One compiled ``apply`` step: ``build(expr)`` wraps an XPath expression of the value.

    ``fails`` is the problem code when the step returns '' for a present input;
    ``takes_nodes`` marks a step that reads the source node-set, not its string value
    (``join``), and so must come first.
    """

    name: str
    build: Callable[[str], str]
    fails: str | None = None
    describe: str = ""
    takes_nodes: bool = False
    nan_guard: bool = False
    """``build`` gives a number's text or 'NaN'; the compiler turns 'NaN' into '' (one evaluation)."""
    content: Callable[[str], str] | None = None
    """XSLT instructions writing the value, for a step no single XPath 1.0 expression can
    compute natively (``join``); the compiler puts them in a variable. ``build`` then stays
    as the same step's description as a call, for reading, and is not compiled."""


class FunctionArgumentError(ValueError):
    """The arguments given to a function in a mapping file are wrong; the text says why."""


def xpath_literal(text: str) -> str:
    """``text`` as an XPath 1.0 string literal, whatever quotes it holds."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in parts) + ")"


_LOWER = "abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþ"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞ"
_DIGITS = "0123456789"
_TO_UPPER = f"'{_DIGITS}{_UPPER}{_LOWER}', '{_DIGITS}{_UPPER}{_UPPER}'"
_TO_LOWER = f"'{_DIGITS}{_LOWER}{_UPPER}', '{_DIGITS}{_LOWER}{_LOWER}'"
"""The ``translate`` arguments of ``upper`` and ``lower``. libxml2 looks each character of
the value up in the first string from its start, so digits and letters already in the
wanted case come first, mapped to themselves: codes and identifiers (mostly digits and
capitals) are found in a few steps instead of after the whole alphabet. The result is the
same as translating the letters of the other case alone, for every input."""


def _formatted(expr: str, decimals: int) -> str:
    """A number written with at most ``decimals`` decimals, or 'NaN'.

    ``format-number`` rounds to the pattern, so binary floating point never shows through
    (``string(number('8.45'))`` is ``8.449999999999999`` in libxml2 2.14).
    """
    pattern = "0." + "#" * decimals if decimals else "0"
    return f"format-number({expr}, '{pattern}')"


def _is_number(text: str) -> str:
    """A test that ``number(text)`` is a number, not NaN (NaN alone is not equal to itself).

    It gives what ``string(number(text)) != 'NaN'`` gives, without writing the number out as
    text, which costs libxml2 a formatted print.
    """
    return f"(number({text}) = number({text}))"


Qualify = Callable[[str], str]
Builder = Callable[[Any, Qualify], Step]


def _args(
    value: Any, name: str, allowed: set[str], required: Collection[str] = ()
) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise FunctionArgumentError(
            f"'{name}' takes a mapping of arguments ({', '.join(sorted(allowed))})."
        )
    unknown = set(value) - allowed
    if unknown:
        raise FunctionArgumentError(
            f"'{name}' does not know the argument(s) {', '.join(sorted(unknown))}; "
            f"it takes {', '.join(sorted(allowed)) or 'none'}."
        )
    missing = set(required) - set(value)
    if missing:
        raise FunctionArgumentError(f"'{name}' needs the argument(s) {', '.join(sorted(missing))}.")
    return dict(value)


def _no_args(name: str, value: Any) -> None:
    if value not in (None, {}, True):
        raise FunctionArgumentError(f"'{name}' takes no arguments.")


def _trim(value: Any, _q: Qualify) -> Step:
    _no_args("trim", value)
    return Step("trim", lambda e: f"normalize-space({e})")


def _upper(value: Any, _q: Qualify) -> Step:
    _no_args("upper", value)
    return Step("upper", lambda e: f"translate({e}, {_TO_UPPER})")


def _lower(value: Any, _q: Qualify) -> Step:
    _no_args("lower", value)
    return Step("lower", lambda e: f"translate({e}, {_TO_LOWER})")


def _decimal(value: Any, _q: Qualify) -> Step:
    args = _args(value if isinstance(value, Mapping) else None, "decimal", {"separator"})
    separator = str(args.get("separator", "."))
    if separator not in {".", ","}:
        raise FunctionArgumentError("'decimal' takes separator '.' or ','.")

    def build(expr: str) -> str:
        # the text itself is kept (12.50 stays 12.50); number() only decides whether it is one
        text = f"normalize-space({expr})"
        if separator == ",":
            text = f"translate(translate({text}, '.', ''), ',', '.')"
        return f"substring({text}, 1, 999 * {_is_number(text)})"

    return Step("decimal", build, fails="value.not-a-number", describe="a decimal number")


def _integer(value: Any, _q: Qualify) -> Step:
    _no_args("integer", value)

    def build(expr: str) -> str:
        number = f"number(normalize-space({expr}))"
        return f"substring({_formatted(number, 0)}, 1, 999 * (floor({number}) = {number}))"

    return Step("integer", build, fails="value.not-an-integer", describe="a whole number")


def _multiply(value: Any, _q: Qualify) -> Step:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise FunctionArgumentError("'multiply' takes a number, e.g. 'multiply: 100'.")
    return Step(
        "multiply",
        lambda e: _formatted(f"number({e}) * {value!r}", 9),
        fails="value.not-a-number",
        describe="a number",
        nan_guard=True,
    )


def _round(value: Any, _q: Qualify) -> Step:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 9:
        raise FunctionArgumentError("'round' takes the number of decimal places, 0 to 9.")
    return Step(
        "round",
        lambda e: _formatted(f"number({e})", value),
        fails="value.not-a-number",
        describe="a number",
        nan_guard=True,
    )


def _format_decimal(value: Any, _q: Qualify) -> Step:
    if not isinstance(value, str):
        raise FunctionArgumentError("'format_decimal' takes a pattern such as '0.00'.")
    pattern = xpath_literal(value)
    return Step(
        "format_decimal",
        lambda e: f"format-number(number({e}), {pattern})",
        fails="value.not-a-number",
        describe="a number",
        nan_guard=True,
    )


def _prefix(value: Any, _q: Qualify) -> Step:
    literal = xpath_literal(str(value))
    return Step("prefix", lambda e: f"concat({literal}, {e})")


def _suffix(value: Any, _q: Qualify) -> Step:
    literal = xpath_literal(str(value))
    return Step("suffix", lambda e: f"concat({e}, {literal})")


def _substring(value: Any, _q: Qualify) -> Step:
    args = _args(value, "substring", {"start", "length"}, {"start"})
    start = int(args["start"]) + 1
    if "length" in args:
        length = int(args["length"])
        return Step("substring", lambda e: f"substring({e}, {start}, {length})")
    return Step("substring", lambda e: f"substring({e}, {start})")


def _lookup_table(entries: Mapping[str, str]) -> str | None:
    """``|code=value|...|`` for a lookup in native XPath; None when a code or value cannot be
    written that way (it holds '|' or '=', or both kinds of quote)."""
    parts = []
    for code, value in sorted(entries.items()):
        if not value:
            continue
        if any(mark in code or mark in value for mark in ("|", "=")):
            return None
        parts.append(f"{code}={value}")
    table = "|" + "|".join(parts) + "|"
    return None if ("'" in table and '"' in table) else table


def _table_lookup(table: str, key_expression: str) -> str:
    """XPath giving the value for a key in a ``|code=value|`` table ('' when absent)."""
    return (
        f"substring-before(substring-after({xpath_literal(table)}, "
        f"concat('|', {key_expression}, '=')), '|')"
    )


def _codelist(value: Any, _q: Qualify) -> Step:
    if isinstance(value, str):
        args: dict[str, Any] = {"list": value}
    else:
        args = _args(value, "codelist", {"list", "column"}, {"list"})
    name = str(args["list"])
    column = str(args.get("column", "")) or None
    from gateway.codelists import load_codelist
    from gateway.errors import ConfigurationError

    try:
        codes = load_codelist(name)
        entries = {code: codes.get(code, column) or "" for code in codes.codes}
    except ConfigurationError as exc:
        raise FunctionArgumentError(f"'codelist' cannot use the code list '{name}': {exc}") from exc
    table = _lookup_table(entries)
    describe = f"a code of the code list '{name}'"
    if table is None:
        call = f"{FN}:codelist({xpath_literal(name)}, {xpath_literal(column or '')}, "
        return Step(
            "codelist", lambda e: f"{call}string({e}))", fails="codelist.unknown", describe=describe
        )
    return Step(
        "codelist",
        lambda e: _table_lookup(table, f"string({e})"),
        fails="codelist.unknown",
        describe=describe,
    )


def _remove(value: Any, _q: Qualify) -> Step:
    if not isinstance(value, str) or not value:
        raise FunctionArgumentError(
            "'remove' takes the characters to delete, e.g. remove: \" .-\"."
        )
    characters = xpath_literal(value)
    return Step("remove", lambda e: f"translate({e}, {characters}, '')")


def _one_of(value: Any, qualify: Qualify) -> Step:
    """The value unchanged when it equals one of the values at a path of the input, else ''.

    The path is read from the same node as the value (``one_of: ^.shipping.trackingNumbers``
    checks that a line's parcel is one the order lists).
    """
    if not isinstance(value, str) or not value.strip():
        raise FunctionArgumentError(
            "'one_of' takes the path of the allowed values, "
            "e.g. one_of: ^.shipping.trackingNumbers."
        )
    allowed = qualify(value.strip())
    return Step(
        "one_of",
        lambda e: f"substring({e}, 1, string-length({e}) * number({e} = {allowed}))",
        fails="value.not-listed",
        describe=f"one of the values at {value.strip()}",
    )


def _convert_unit(value: Any, qualify: Qualify) -> Step:
    args = _args(value, "convert_unit", {"from", "from_path", "to"}, {"to"})
    if ("from" in args) == ("from_path" in args):
        raise FunctionArgumentError(
            "'convert_unit' needs exactly one of 'from' (a unit code) or 'from_path'."
        )
    target = str(args["to"]).strip().upper()
    factors = _unit_factors()
    if target not in factors:
        raise FunctionArgumentError(
            f"'convert_unit' cannot convert to '{target}': units.csv gives it no quantity and factor."
        )
    quantity, target_factor = factors[target]
    ratios = {
        code: _plain(factor / target_factor)
        for code, (kind, factor) in factors.items()
        if kind == quantity
    }
    describe = f"a quantity in a unit convertible to {target}"
    if "from" in args:
        source = str(args["from"]).strip().upper()
        if source not in ratios:
            raise FunctionArgumentError(f"'convert_unit' cannot convert {source} to {target}.")
        ratio = ratios[source]
        return Step(
            "convert_unit",
            lambda e: _formatted(f"number({e}) * {ratio}", 6),
            fails="unit.unconvertible",
            describe=describe,
            nan_guard=True,
        )
    unit = f"translate(normalize-space({qualify(str(args['from_path']))}), {_TO_UPPER})"
    factor = f"number({_table_lookup(_lookup_table(ratios) or '||', unit)})"
    return Step(
        "convert_unit",
        lambda e: _formatted(f"number({e}) * {factor}", 6),
        fails="unit.unconvertible",
        describe=describe,
        nan_guard=True,
    )


def _datetime_step(name: str, output: str) -> Builder:
    def build_step(value: Any, _q: Qualify) -> Step:
        args = _args(value, name, {"formats", "timezone", "output"})
        formats = args.get("formats", ["iso"])
        if isinstance(formats, str):
            formats = [formats]
        timezone = str(args.get("timezone", "UTC"))
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise FunctionArgumentError(
                f"'{name}' names an unknown time zone '{timezone}'."
            ) from exc
        out = str(args.get("output", output))
        joined = xpath_literal("\n".join(str(item) for item in formats))
        call = f"{FN}:datetime(string({{0}}), {joined}, {xpath_literal(timezone)}, {xpath_literal(out)})"
        return Step(
            name,
            call.format,
            fails="value.not-a-date",
            describe=f"a date in one of the formats {', '.join(map(str, formats))}",
        )

    return build_step


def _regex_args(value: Any, name: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    args = _args(value, name, allowed, required)
    try:
        re.compile(str(args["pattern"]))
    except re.error as exc:
        raise FunctionArgumentError(f"'{name}' has an invalid regular expression: {exc}.") from exc
    return args


def _regex_replace(value: Any, _q: Qualify) -> Step:
    args = _regex_args(
        value, "regex_replace", {"pattern", "replacement"}, {"pattern", "replacement"}
    )
    pattern, replacement = (
        xpath_literal(str(args["pattern"])),
        xpath_literal(str(args["replacement"])),
    )
    return Step(
        "regex_replace", lambda e: f"{FN}:regex-replace(string({e}), {pattern}, {replacement})"
    )


def _regex_match(value: Any, _q: Qualify) -> Step:
    if isinstance(value, str):
        value = {"pattern": value}
    args = _regex_args(value, "regex_match", {"pattern"}, {"pattern"})
    pattern = xpath_literal(str(args["pattern"]))
    return Step(
        "regex_match",
        lambda e: f"{FN}:regex-extract(string({e}), {pattern}, 0)",
        fails="value.pattern",
        describe=f"a value matching {args['pattern']}",
    )


def _keep_matching(value: Any, _q: Qualify) -> Step:
    if isinstance(value, str):
        value = {"pattern": value}
    args = _regex_args(value, "keep_matching", {"pattern"}, {"pattern"})
    pattern = xpath_literal(str(args["pattern"]))
    return Step("keep_matching", lambda e: f"{FN}:regex-extract(string({e}), {pattern}, 0)")


def _regex_extract(value: Any, _q: Qualify) -> Step:
    args = _regex_args(value, "regex_extract", {"pattern", "group"}, {"pattern"})
    pattern = xpath_literal(str(args["pattern"]))
    group = int(args.get("group", 1))
    return Step(
        "regex_extract",
        lambda e: f"{FN}:regex-extract(string({e}), {pattern}, {group})",
        fails="value.pattern",
        describe=f"a value matching {args['pattern']}",
    )


def _split(value: Any, _q: Qualify) -> Step:
    args = _args(value, "split", {"separator", "index"}, {"separator"})
    separator = xpath_literal(str(args["separator"]))
    index = int(args.get("index", 0))
    return Step("split", lambda e: f"{FN}:split(string({e}), {separator}, {index})")


def _join(value: Any, _q: Qualify) -> Step:
    text = ", " if value in (None, True) else str(value)
    separator = xpath_literal(text)

    def content(expression: str) -> str:
        # the trimmed text of each non-empty node, in document order, with the separator
        # between: native XSLT, no call into Python for each value
        nodes = f"({expression})[normalize-space() != '']"
        return (
            f"<xsl:for-each select={quoteattr(nodes)}>"
            f'<xsl:if test="position() != 1"><xsl:text>{escape(text)}</xsl:text></xsl:if>'
            '<xsl:value-of select="normalize-space()"/></xsl:for-each>'
        )

    return Step("join", lambda e: f"{FN}:join({e}, {separator})", takes_nodes=True, content=content)


FUNCTIONS: dict[str, Builder] = {
    "trim": _trim,
    "upper": _upper,
    "lower": _lower,
    "decimal": _decimal,
    "integer": _integer,
    "multiply": _multiply,
    "round": _round,
    "format_decimal": _format_decimal,
    "prefix": _prefix,
    "suffix": _suffix,
    "substring": _substring,
    "codelist": _codelist,
    "remove": _remove,
    "one_of": _one_of,
    "convert_unit": _convert_unit,
    "datetime": _datetime_step("datetime", "iso"),
    "date": _datetime_step("date", "%Y-%m-%d"),
    "regex_replace": _regex_replace,
    "regex_match": _regex_match,
    "regex_extract": _regex_extract,
    "keep_matching": _keep_matching,
    "split": _split,
    "join": _join,
}
"""Every function a mapping file may name in ``apply``."""


# ---- the Python side: pure functions called from compiled stylesheets ------------------------


def _text(value: Any) -> str:
    if isinstance(value, list):
        return _text(value[0]) if value else ""
    if isinstance(value, etree._Element):
        return "".join(str(text) for text in value.itertext())
    return "" if value is None else str(value)


def codelist_value(name: str, column: str, code: str) -> str:
    """The code's row value in ``column`` (or the code itself), '' when the code is unknown."""
    from gateway.codelists import load_codelist

    code = code.strip()
    if not code:
        return ""
    found = load_codelist(name).get(code, column or None)
    return found or ""


@lru_cache(maxsize=1)
def _unit_factors() -> dict[str, tuple[str, Decimal]]:
    from gateway.codelists import load_codelist

    units = load_codelist("units")
    factors: dict[str, tuple[str, Decimal]] = {}
    for code in units.codes:
        quantity = units.get(code, "quantity") or ""
        factor = units.get(code, "factor") or ""
        if quantity and factor:
            try:
                factors[code] = (quantity, Decimal(factor))
            except InvalidOperation:
                continue
    return factors


def convert_unit(value: str, source_unit: str, target_unit: str) -> str:
    """``value`` in ``source_unit`` expressed in ``target_unit`` (exact decimal), '' if impossible."""
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        return ""
    if not amount.is_finite():
        return ""
    source_unit, target_unit = source_unit.strip().upper(), target_unit.strip().upper()
    if source_unit == target_unit:
        return _plain(amount)
    factors = _unit_factors()
    if source_unit not in factors or target_unit not in factors:
        return ""
    (source_quantity, source_factor), (target_quantity, target_factor) = (
        factors[source_unit],
        factors[target_unit],
    )
    if source_quantity != target_quantity:
        return ""
    converted = (amount * source_factor / target_factor).quantize(Decimal("0.000001"))
    return _plain(converted)


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text if text != "-0" else "0"


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def convert_datetime(value: str, formats: str, timezone: str, output: str) -> str:
    """Parse ``value`` with the first matching format, attach ``timezone`` to naive values,
    and write it as ISO 8601 (``iso``) or with a strftime pattern; '' when nothing matches."""
    text = value.strip()
    if not text:
        return ""
    parsed: datetime | None = None
    for pattern in formats.split("\n"):
        try:
            parsed = (
                datetime.fromisoformat(text.replace("Z", "+00:00"))
                if pattern == "iso"
                else datetime.strptime(text, pattern)
            )
        except ValueError:
            continue
        break
    if parsed is None:
        return ""
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(timezone))
    if output == "iso":
        return parsed.isoformat()
    return parsed.strftime(output)


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def regex_replace(value: str, pattern: str, replacement: str) -> str:
    return _pattern(pattern).sub(replacement, value)


def regex_extract(value: str, pattern: str, group: int) -> str:
    match = _pattern(pattern).search(value) if group else _pattern(pattern).fullmatch(value)
    if match is None:
        return ""
    return match.group(group) or ""


def split_value(value: str, separator: str, index: int) -> str:
    parts = value.split(separator)
    return parts[index].strip() if -len(parts) <= index < len(parts) else ""


def join_values(values: Any, separator: str) -> str:
    items = values if isinstance(values, list) else [values]
    return separator.join(text for text in (_text(item).strip() for item in items) if text)


def extension_functions() -> dict[tuple[str, str], Callable[..., Any]]:
    """The XPath extension functions generated stylesheets call, by (namespace, name).

    They are handed to each compiled stylesheet (``etree.XSLT(..., extensions=...)``) and not
    registered globally: lxml copies every globally registered function into every XPath and
    XSLT evaluation of the process, which made each of those calls, the checks' included,
    about 1.3 µs slower.
    """
    return {
        (FUNCTIONS_NS, "codelist"): lambda _ctx, name, column, code: codelist_value(
            _text(name), _text(column), _text(code)
        ),
        (FUNCTIONS_NS, "convert-unit"): lambda _ctx, value, source, target: convert_unit(
            _text(value), _text(source), _text(target)
        ),
        (FUNCTIONS_NS, "datetime"): lambda _ctx, value, formats, zone, output: convert_datetime(
            _text(value), _text(formats), _text(zone), _text(output)
        ),
        (FUNCTIONS_NS, "regex-replace"): lambda _ctx, value, pattern, replacement: regex_replace(
            _text(value), _text(pattern), _text(replacement)
        ),
        (FUNCTIONS_NS, "regex-extract"): lambda _ctx, value, pattern, group: regex_extract(
            _text(value), _text(pattern), int(float(_text(group) or 0))
        ),
        (FUNCTIONS_NS, "split"): lambda _ctx, value, separator, index: split_value(
            _text(value), _text(separator), int(float(_text(index) or 0))
        ),
        (FUNCTIONS_NS, "join"): lambda _ctx, values, separator: join_values(
            values, _text(separator)
        ),
    }
