"""A destination mapping specialised to one feed: what the feed can never write is left out.

The canonical declarations a destination stylesheet renders come from one feed mapping, and
a feed mapping writes only the canonical paths of its template (a postal item never has a
Buyer, a Seller or an AdditionalDocument). The general destination stylesheet still looks
for them in every declaration. ``specialise`` returns a copy of the destination spec without
the rules that can only ever produce nothing for that feed, so its stylesheet does less work
and writes byte for byte what the general one writes for any output of the feed:

- a ``for_each`` over paths the feed never writes repeats nothing: dropped (unless required);
- a leaf read only from such paths is empty: dropped when being empty writes nothing (no
  default, not required, no function that turns '' into a value, no problem an attribute
  could report);
- a group whose presence test reads only such paths is never written: dropped (unless
  required);
- ``A | B`` with ``A`` never written reads ``B``; ``not(A)`` is ``true()``; a ``when`` of
  ``A`` alone is ``false()``.

Only what is certain is simplified: an expression this module cannot read as plain
canonical location paths (a function, a variable, a predicate other than a position, an
axis, a wildcard) is taken as possibly present, and an entry of a list (several siblings of
one name, numbered in problem paths) is never dropped, so no numbering changes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import replace

from gateway.mapping.functions import FN, Step
from gateway.mapping.paths import Token, XPathSyntaxError, join_tokens, tokenize
from gateway.mapping.spec import CANONICAL_PREFIX, MappingSpec, Node

_POSITION = re.compile(r"\[\d+\]")

EMPTY_STAYS_EMPTY = frozenset(
    {
        "trim",
        "upper",
        "lower",
        "decimal",
        "integer",
        "multiply",
        "round",
        "format_decimal",
        "substring",
        "remove",
        "one_of",
        "convert_unit",
    }
)
"""Functions whose native XPath gives '' for '' (a step calling into Python is only called
for a value, so gives '' too); ``prefix``, ``suffix`` and a code list looked up natively may
turn '' into a value, so a leaf applying them is kept."""


def written_paths(output_paths: Iterable[str]) -> frozenset[str]:
    """The canonical paths a feed can write, from the output paths of its rules: positions
    dropped (``Communication[2]/ID`` is ``Communication/ID``), every ancestor included."""
    found: set[str] = set()
    for path in output_paths:
        steps = _POSITION.sub("", path).split("/")
        found.update("/".join(steps[: end + 1]) for end in range(len(steps)))
    return frozenset(found)


def specialise(spec: MappingSpec, written: frozenset[str]) -> MappingSpec | None:
    """``spec`` (a destination, one document per declaration) without what reads only paths
    outside ``written``; None when nothing can be left out."""
    if spec.kind != "destination" or spec.per != "declaration":
        return None
    pruner = _Pruner(written)
    template = pruner.group_copy(spec.template, "")
    if not pruner.changed:
        return None
    return replace(spec, template=template)


class _Presence(enum.Enum):
    """What a group's presence test (``StylesheetWriter.data_tests``) comes to."""

    CERTAIN = "certain"
    """Some content is certain: the group is always written."""
    NO_TESTS = "no tests"
    """Constants only: always written."""
    NEVER = "never"
    """Every test reads only paths the feed never writes: never written."""
    MAYBE = "maybe"
    """Some test may hold."""


class _Pruner:
    def __init__(self, written: frozenset[str]) -> None:
        self.written = written
        self.changed = False

    # -- expressions -------------------------------------------------------------------------

    def members(
        self, expression: str, context: str | None
    ) -> list[tuple[list[Token], bool]] | None:
        """The members of a union of plain location paths, each with whether the feed can
        write it; None when the expression is not such a union (or the context is unknown)."""
        if context is None or not expression:
            return None
        try:
            tokens = tokenize(expression)
        except XPathSyntaxError:
            return None
        members: list[list[Token]] = [[]]
        for token in tokens:
            if token.kind == "operator" and token.text == "|":
                members.append([])
            else:
                members[-1].append(token)
        found = []
        for member in members:
            path = _resolve(member, context)
            if path is None:
                return None
            found.append((member, path in self.written))
        return found

    def never(self, expression: str | None, context: str | None) -> bool:
        """True when ``expression`` selects no node in any output of the feed."""
        members = self.members(expression or "", context)
        return members is not None and not any(possible for _, possible in members)

    def narrowed(self, expression: str, context: str | None) -> str:
        """``expression`` without the union members the feed never writes."""
        members = self.members(expression, context)
        if members is None or all(possible for _, possible in members):
            return expression
        kept = [member for member, possible in members if possible]
        if not kept:
            return expression
        self.changed = True
        return " | ".join(join_tokens(member) for member in kept)

    def condition(self, when: str | None, context: str | None) -> str | None:
        """A ``when`` test with what it asks about never-written paths decided: a conjunct
        ``A`` makes it ``false()``, a conjunct ``not(A)`` is left out (all of them: ``true()``)."""
        if when is None:
            return None
        try:
            conjuncts = _conjuncts(tokenize(when))
        except XPathSyntaxError:
            return when
        kept: list[list[Token]] = []
        for conjunct in conjuncts:
            if self.never(join_tokens(conjunct), context):
                self.changed = True
                return "false()"
            if not (_is_not_call(conjunct) and self.never(join_tokens(conjunct[2:-1]), context)):
                kept.append(conjunct)
        if len(kept) == len(conjuncts):
            return when
        self.changed = True
        return " and ".join(join_tokens(conjunct) for conjunct in kept) if kept else "true()"

    # -- nodes -------------------------------------------------------------------------------

    def group_copy(self, node: Node, context: str | None) -> Node:
        """A copy of a group with what its children can never write left out."""
        names: dict[str, int] = {}
        for child in node.children:
            if not child.is_attribute and child.for_each is None:
                names[child.name] = names.get(child.name, 0) + 1
        children: list[Node] = []
        for child in node.children:
            alone = child.is_attribute or child.for_each is not None or names[child.name] == 1
            if alone and self.dropped(child, context):
                continue
            children.append(self.node_copy(child, context))
        pruned = replace(node, children=children)
        if self.presence(pruned, context) != self.presence(node, context):
            # e.g. a required group whose every test is false: its tests must stay as they are
            return replace(
                node, children=[self.node_copy(child, context) for child in node.children]
            )
        return pruned

    def node_copy(self, node: Node, context: str | None) -> Node:
        inner = context
        changes: dict[str, object] = {"when": self.condition(node.when, context)}
        if node.for_each is not None:
            changes["for_each"] = self.narrowed(node.for_each, context)
            inner = self.item_context(node.for_each, context)
        if node.is_leaf:
            if node.value_kind == "from":
                changes["value_xpath"] = self.narrowed(node.value_xpath, context)
            changes["children"] = [
                self.node_copy(child, context)
                for child in node.children
                if not self.dropped(child, context)
            ]
            return replace(node, **changes)  # type: ignore[arg-type]
        copy = self.group_copy(node, inner)
        return replace(copy, **changes)  # type: ignore[arg-type]

    def item_context(self, for_each: str, context: str | None) -> str | None:
        """The canonical path of the items a ``for_each`` repeats over; None when unknown."""
        members = self.members(for_each, context)
        if members is None or len(members) != 1:
            return None
        return _resolve(members[0][0], context or "")

    def dropped(self, node: Node, context: str | None) -> bool:
        """True (and the spec changed) when the node writes nothing for any feed output."""
        if self.writes_nothing(node, context):
            self.changed = True
            return True
        return False

    def writes_nothing(self, node: Node, context: str | None) -> bool:
        """True when the node writes nothing (no element, no problem) for any feed output."""
        if node.when is not None and self.never(node.when, context):
            return True
        if node.required:
            return False
        if node.for_each is not None:
            return self.never(node.for_each, context)
        if node.is_leaf:
            return self.empty_leaf(node, context) and all(
                self.silent_attribute(child, context) for child in node.children
            )
        return self.presence(node, context) is _Presence.NEVER

    def empty_leaf(self, node: Node, context: str | None) -> bool:
        """True when the leaf's value is '' for any feed output."""
        return (
            node.value_kind == "from"
            and node.default is None
            and all(step.name in EMPTY_STAYS_EMPTY or _calls_python(step) for step in node.steps)
            and self.never(node.value_xpath, context)
        )

    def silent_attribute(self, node: Node, context: str | None) -> bool:
        """True when an attribute of a leaf reports no problem for any feed output."""
        if node.required and node.default is None:
            return False
        return not any(step.fails for step in node.steps) or self.empty_leaf(node, context)

    def presence(self, node: Node, context: str | None) -> _Presence:
        """What the group's presence test comes to, mirroring ``StylesheetWriter.data_tests``."""
        tests = False
        maybe = False
        for child in node.children:
            when_false = child.when == "false()" or (
                child.when is not None and self.never(child.when, context)
            )
            if child.for_each is not None:
                false = self.never(child.for_each, context)
            elif child.is_leaf:
                if child.required and child.when is None:
                    return _Presence.CERTAIN
                if child.value_kind == "param" and child.default is None:
                    false = False
                elif (
                    child.value_kind not in ("from", "xpath", "message")
                    or child.default is not None
                ):
                    continue
                else:
                    false = child.value_kind == "from" and self.never(child.value_xpath, context)
            else:
                nested = self.presence(child, context)
                if nested is _Presence.CERTAIN:
                    if child.when is None:
                        return _Presence.CERTAIN
                    false = False
                elif nested is _Presence.NO_TESTS:
                    continue
                else:
                    false = nested is _Presence.NEVER
            tests = True
            maybe = maybe or not (false or when_false)
        if not tests:
            return _Presence.NO_TESTS
        return _Presence.MAYBE if maybe else _Presence.NEVER


def _conjuncts(tokens: list[Token]) -> list[list[Token]]:
    """The operands of a top-level ``and`` (the whole expression alone when there is none,
    or when a top-level ``or`` binds looser than it)."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.text in {"(", "["}:
            depth += 1
        elif token.text in {")", "]"}:
            depth -= 1
        if depth == 0 and token.kind == "operator" and token.text == "or":
            return [tokens]
        if depth == 0 and token.kind == "operator" and token.text == "and":
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _is_not_call(tokens: list[Token]) -> bool:
    """True for ``not( ... )`` and nothing after it."""
    if len(tokens) < 4 or tokens[0].text != "not" or tokens[1].text != "(":
        return False
    depth = 0
    for index, token in enumerate(tokens[1:], start=1):
        if token.text in {"(", "["}:
            depth += 1
        elif token.text in {")", "]"}:
            depth -= 1
            if depth == 0:
                return index == len(tokens) - 1
    return False


def _calls_python(step: Step) -> bool:
    """True for a step compiled to a call into Python (made only for a value, so '' stays '')."""
    return f"{FN}:" in step.build("''")


def _resolve(tokens: list[Token], context: str) -> str | None:
    """The canonical path (no positions) a plain relative location path names from
    ``context``; None for anything else (a function, a variable, an axis, a wildcard, a
    predicate other than a position, a path from the root or above the declaration)."""
    steps = [part for part in context.split("/") if part]
    index = 0
    expect_step = True
    while index < len(tokens):
        token = tokens[index]
        if expect_step:
            if token.kind == "punct" and token.text == "..":
                if not steps:
                    return None
                steps.pop()
            elif token.kind == "punct" and token.text == ".":
                pass
            elif token.kind == "punct" and token.text == "@":
                if index + 1 >= len(tokens):
                    return None
                name = tokens[index + 1]
                if name.kind != "nametest" or ":" in name.text or name.text == "*":
                    return None
                steps.append("@" + name.text)
                index += 1
            elif token.kind == "nametest" and token.text.startswith(f"{CANONICAL_PREFIX}:"):
                steps.append(token.text.split(":", 1)[1])
                if index + 1 < len(tokens) and tokens[index + 1].text == "[":
                    # only a position, e.g. Classification[1]: a node the path names anyway
                    predicate = tokens[index + 2 : index + 4]
                    if (
                        len(predicate) != 2
                        or predicate[0].kind != "number"
                        or "." in predicate[0].text
                        or predicate[1].text != "]"
                    ):
                        return None
                    index += 3
            else:
                return None
            expect_step = False
        elif token.kind == "operator" and token.text == "/":
            expect_step = True
        else:
            return None
        index += 1
    if expect_step or not steps:
        return None
    return "/".join(steps)


__all__ = ["EMPTY_STAYS_EMPTY", "specialise", "written_paths"]
