"""XPath 1.0 expressions as mapping files write them: tokenising, qualifying, JSON paths.

Mapping files write paths the way a person reads the document: ``Sender/Name`` rather than
``itm:Sender/itm:Name``, ``shipper.name`` for JSON. This module turns them into the XPath that
the compiled stylesheet runs, and pulls out the location paths an expression reads (for
lineage, unmapped-element reports and lint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NCNAME = r"[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*"
_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<literal>"[^"]*"|'[^']*')
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<dotdot>\.\.)
  | (?P<dot>\.)
  | (?P<colons>::)
  | (?P<punct>[()\[\],@|+=])
  | (?P<op2>//|!=|<=|>=)
  | (?P<op1>[/<>\-])
  | (?P<variable>\$(?:{_NCNAME}:)?{_NCNAME})
  | (?P<star>\*)
  | (?P<name>{_NCNAME}(?::(?:{_NCNAME}|\*))?)
    """,
    re.VERBOSE,
)
_NODE_TYPES = {"comment", "text", "processing-instruction", "node"}
_OPERATOR_NAMES = {"and", "or", "mod", "div"}


class XPathSyntaxError(ValueError):
    """An expression in a mapping file is not XPath 1.0."""


@dataclass(frozen=True, slots=True)
class Token:
    """One XPath token: ``kind`` is one of literal, number, variable, function, nodetype,
    axis, nametest, operator, punct."""

    kind: str
    text: str


def tokenize(expression: str) -> list[Token]:
    """Split an XPath 1.0 expression into tokens, applying the spec's disambiguation rules."""
    raw: list[tuple[str, str]] = []
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None:
            raise XPathSyntaxError(
                f"unexpected character {expression[position]!r} at position {position + 1}"
            )
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            raw.append((kind, match.group()))
    tokens: list[Token] = []
    for index, (kind, text) in enumerate(raw):
        following = raw[index + 1][1] if index + 1 < len(raw) else ""
        previous = tokens[-1] if tokens else None
        operator_position = previous is not None and not (
            previous.text in {"@", "::", "(", "[", ","} or previous.kind == "operator"
        )
        if kind == "star":
            tokens.append(Token("operator" if operator_position else "nametest", text))
        elif kind == "name":
            if operator_position and text in _OPERATOR_NAMES:
                tokens.append(Token("operator", text))
            elif following == "(":
                tokens.append(Token("nodetype" if text in _NODE_TYPES else "function", text))
            elif following == "::":
                tokens.append(Token("axis", text))
            else:
                tokens.append(Token("nametest", text))
        elif kind in {"op1", "op2"} or (kind == "punct" and text in {"|", "+", "="}):
            tokens.append(Token("operator", text))
        elif kind in {"dot", "dotdot", "colons"}:
            tokens.append(Token("punct", text))
        else:
            tokens.append(Token(kind, text))
    return tokens


_CLOSING = {"(": ")", "[": "]"}


def check_xpath(expression: str) -> None:
    """Raise XPathSyntaxError unless ``expression`` is well-formed XPath 1.0.

    Checks that brackets pair up (libxml2 lets an unclosed ``count(`` through), then has libxml2
    compile the expression. Names of functions, variables and prefixes are not resolved here.
    """
    from lxml import etree

    expected: list[str] = []
    for token in tokenize(expression):
        if token.kind == "punct" and token.text in _CLOSING:
            expected.append(_CLOSING[token.text])
        elif (
            token.kind == "punct"
            and token.text in {")", "]"}
            and (not expected or expected.pop() != token.text)
        ):
            raise XPathSyntaxError(f"'{token.text}' closes a bracket that is not open")
    if expected:
        raise XPathSyntaxError(f"a bracket is never closed (missing '{expected[-1]}')")
    try:
        etree.XPath(expression)
    except etree.XPathSyntaxError as exc:
        raise XPathSyntaxError(f"libxml2 cannot compile it ({exc})") from exc


def _join(tokens: list[Token]) -> str:
    out: list[str] = []
    for token in tokens:
        if token.kind == "operator":
            out.append(f" {token.text} ")
        elif token.kind == "literal" and out and not out[-1].endswith((" ", "(", ",")):
            out.append(" " + token.text)
        else:
            out.append(token.text)
    return "".join(out)


def join_tokens(tokens: list[Token]) -> str:
    """Tokens written back as an expression (the spacing ``qualify`` writes)."""
    return _join(tokens)


def qualify(expression: str, prefix: str) -> str:
    """Put ``prefix:`` on every unprefixed element name test of an expression.

    Attribute names (after ``@`` or ``attribute::``) stay unqualified, as XML attributes
    without a prefix are in no namespace.
    """
    tokens = tokenize(expression)
    result: list[Token] = []
    for index, token in enumerate(tokens):
        if token.kind == "nametest" and ":" not in token.text and token.text != "*":
            previous = tokens[index - 1].text if index else ""
            before_axis = tokens[index - 2].text if index > 1 else ""
            is_attribute = previous == "@" or (previous == "::" and before_axis == "attribute")
            if not is_attribute:
                result.append(Token("nametest", f"{prefix}:{token.text}"))
                continue
        result.append(token)
    return _join(result)


def location_paths(expression: str) -> list[str]:
    """The simple location paths an expression reads, without predicates or prefixes.

    ``concat(Sender/Name, ' ', Sender/City[1])`` reads ``Sender/Name`` and ``Sender/City``.
    Used to report which source elements no rule read; approximate by design.
    """
    tokens = tokenize(expression)
    paths: list[str] = []
    current: list[str] = []
    depth = 0
    for token in tokens:
        if token.text == "[":
            depth += 1
            continue
        if token.text == "]":
            depth -= 1
            continue
        if depth:
            continue
        if token.kind in {"nametest"} or token.text in {".", ".."}:
            name = token.text.split(":", 1)[-1]
            if current and current[-1] == "@":
                current[-1] = "@" + name
            else:
                current.append(name)
        elif token.text == "@":
            current.append("@")
        elif token.text in {"/", "//"}:
            current.append(token.text)
        elif token.kind == "axis" or token.text == "::":
            continue
        else:
            if current:
                paths.append(_path_text(current))
            current = []
    if current:
        paths.append(_path_text(current))
    return [path for path in paths if path and path not in {"/", "//"}]


def _path_text(parts: list[str]) -> str:
    text = ""
    for part in parts:
        if part in {"/", "//"}:
            text += part
        elif text and not text.endswith("/"):
            text += "/" + part
        else:
            text += part
    return text


_JSON_STEP = re.compile(
    r"""\.?(?:(?P<name>[A-Za-z_][\w\-]*)|\[(?P<quoted>'[^']*'|"[^"]*")\]|(?P<parent>\^))(?P<index>\[(?:\*|\d+)\])?"""
)


def json_path_to_xpath(path: str) -> str:
    """Turn a JSON path of a mapping file into XPath over the tree of ``formats.json_tree``.

    ``shipper.name`` -> ``shipper/name``; ``items[*]`` -> ``items``; ``items[0]`` ->
    ``items[1]``; ``$.header.id`` -> ``/json/header/id``; ``^.currency`` (one object up) ->
    ``../currency``; ``['odd key']`` -> ``_[@key='odd key']``; a filter ``lines[?(EXPR)]``
    keeps the entries for which the XPath 1.0 predicate ``EXPR`` (over the JSON tree, where
    keys are element names) holds: ``lines[?(parcel = current())]`` ->
    ``lines[parcel = current()]``.
    """
    from gateway.formats.json_tree import JSON_ROOT, ODD_KEY, element_name
    from gateway.mapping.functions import xpath_literal

    text = path.strip()
    steps: list[str] = []
    if text == "$":
        return f"/{JSON_ROOT}"
    if text.startswith("$"):
        steps.append(f"/{JSON_ROOT}")
        text = text[1:]
    if text in {"", "@"}:
        return "." if not steps else steps[0]
    position = 0
    while position < len(text):
        match = _JSON_STEP.match(text, position)
        if match is None or match.end() == position:
            raise XPathSyntaxError(f"'{path}' is not a JSON path (at character {position + 1})")
        position = match.end()
        if match.group("parent"):
            step = ".."
        else:
            quoted = match.group("quoted")
            key = quoted[1:-1] if quoted else match.group("name")
            # name the step exactly as json_tree names the element for this key
            name, odd = element_name(key)
            step = name if odd is None else f"{ODD_KEY}[@key={xpath_literal(odd)}]"
        index = match.group("index")
        if index and index != "[*]":
            step += f"[{int(index[1:-1]) + 1}]"
        while text.startswith("[?(", position):
            predicate, position = _json_filter(text, position, path)
            step += f"[{predicate}]"
        steps.append(step)
    if steps and steps[0].startswith("/"):
        return steps[0] + ("/" + "/".join(steps[1:]) if len(steps) > 1 else "")
    return "/".join(steps)


def _json_filter(text: str, start: int, path: str) -> tuple[str, int]:
    """The XPath predicate of the filter ``[?(EXPR)]`` at ``start``, and the position after it.

    Brackets inside ``EXPR`` must pair up; quoted literals may hold anything.
    """
    depth = 0
    position = start + 3
    while position < len(text):
        char = text[position]
        if char in "\"'":
            end = text.find(char, position + 1)
            if end < 0:
                break
            position = end + 1
            continue
        if char in "([":
            depth += 1
        elif char in ")]":
            if depth == 0 and text.startswith(")]", position):
                predicate = text[start + 3 : position].strip()
                if not predicate:
                    raise XPathSyntaxError(f"'{path}' has an empty filter '[?()]'")
                check_xpath(predicate)
                return predicate, position + 2
            depth -= 1
            if depth < 0:
                break
        position += 1
    raise XPathSyntaxError(
        f"'{path}' is not a JSON path (the filter at character {start + 1} is not closed by ')]')"
    )


def combine_paths(base: str, path: str) -> str:
    """``path`` read from ``base``, as one plain path: ``combine_paths("Item/Sender", "../Name")``
    is ``Item/Name``; a path starting with ``/`` starts again from the top."""
    if path.startswith("/"):
        return path.lstrip("/")
    parts = [part for part in base.split("/") if part]
    for step in path.split("/"):
        if step == "..":
            if parts:
                parts.pop()
        elif step not in (".", ""):
            parts.append(step)
    return "/".join(parts)


def source_text(levels: str, tail: str, *, computed: bool = False) -> str:
    """How a source is named in a problem: ``Item[7]/Addressee/Name`` for a path below the
    enclosing items, ``sum(Contents/Content/Value) in Item[9]`` for a value an ``xpath:``
    rule computes there (not a path one could follow). A rule that climbs out of its group
    (``../Total`` from ``Line[2]``) is named by where it lands: ``Order[1]/Total``."""
    if not tail:
        return levels
    if computed:
        return f"{tail} in {levels}" if levels else tail
    return collapse_parents(f"{levels}/{tail}" if levels else tail)


_STEP_AND_PARENT = re.compile(r"(^|/)(?!\.\.(?:/|$))[^/\[\]]+(?:\[[^\]]*\])?/\.\.(?=/|$)")
"""A step (a name with at most one bracket, not ``..`` itself) followed by ``/..``."""


def collapse_parents(path: str) -> str:
    """``path`` with each ``step/..`` taken out: ``A[1]/B[2]/../C`` is ``A[1]/C``. A leading
    ``..`` that climbs above the path stays, and a path that climbs back to where it started
    (``A/..``) is kept as written."""
    while True:
        collapsed = _STEP_AND_PARENT.sub(r"\1", path, count=1)
        if collapsed == path:
            return path
        collapsed = collapsed.replace("//", "/")
        if collapsed.startswith("/") and not path.startswith("/"):
            collapsed = collapsed[1:]
        if len(collapsed) > 1:
            collapsed = collapsed.rstrip("/")
        if not collapsed:
            return path
        path = collapsed  # shorter each time: a match takes out at least "x/.."
