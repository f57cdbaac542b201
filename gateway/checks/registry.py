"""The registry of checks, and what a check is given to look at.

A check is a small pure function, registered by name with :func:`register`, that takes a
:class:`CheckInput` and yields :class:`~gateway.problems.Problem` objects::

    @register("hs-code", default=True)
    def hs_code(check: CheckInput) -> Iterator[Problem]:
        for node in check.select(_BAD_HS_CODES):
            yield check.problem(node, "hs.shape", "...")

Checks work on the whole batch at once: a :class:`DeclarationXPath` (compiled once, at import)
runs on the batch's common parent and pulls one field of every declaration, usually already
filtered down to the failing values inside libxml2. Only failing nodes are then located
(declaration index and canonical path with 1-based indices), so valid data costs almost no
Python work.

Most checks first *screen* the batch cheaply and stop there when nothing can fail: they share
one batch-wide pass per element name (:meth:`BatchView.elements`, :meth:`BatchView.texts`,
cached for the run, so several checks reading the same field pay for it once) and test the
distinct values with Python sets. A screen may let through more than fails (then the exact,
slower selection decides) but never less.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, cast

from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.problems import Problem, Severity

__all__ = [
    "CHECKS",
    "DEFAULT_CHECKS",
    "NAMESPACES",
    "REPEATING_ELEMENTS",
    "BatchView",
    "CheckFunction",
    "CheckInput",
    "DeclarationXPath",
    "Location",
    "ReferenceData",
    "TargetPath",
    "register",
]

NAMESPACES = {"c": CANONICAL_NS}
"""Prefix ``c`` for the canonical namespace, used in every check's XPath."""

REPEATING_ELEMENTS = frozenset(
    {
        "GovernmentAgencyGoodsItem",
        "Classification",
        "Origin",
        "Communication",
        "TransportContractDocument",
        "Itinerary",
        "AdditionalDocument",
        "AdditionalInformation",
        "PreviousDocument",
        "Packaging",
    }
)
"""Canonical elements that may repeat; their canonical paths always carry a 1-based index."""


class Location(NamedTuple):
    """Where a failing node is: its declaration's position and id, and its canonical path."""

    position: int
    item: str
    path: str


@dataclass(frozen=True)
class TargetPath:
    """A canonical path that a named check is switched on for, split into steps.

    ``steps`` are element names (optionally with a 1-based ``[n]``) and, last only, one
    ``@attribute``; ``text`` is the path as written in the mapping file.
    """

    text: str
    steps: tuple[str, ...]

    @property
    def attribute(self) -> str | None:
        """The attribute name when the path ends in ``@name``, else None."""
        last = self.steps[-1]
        return last[1:] if last.startswith("@") else None


@dataclass(frozen=True)
class ReferenceData:
    """The code lists checks compare values with, loaded once per suite."""

    countries: frozenset[str]
    currencies: frozenset[str]
    mass_factors: Mapping[str, Decimal]
    vague_terms: Mapping[str, str]


class DeclarationXPath:
    """An XPath written relative to a Declaration, runnable on a whole batch at once.

    The template uses ``{d}`` for the declaration step; it is compiled twice, once as
    ``c:Declaration`` (run on the batch's parent element, selecting from every declaration
    in one libxml2 call) and once as ``self::c:Declaration`` (run on a lone declaration).
    Variables (``$codes``) are passed at run time.

    Performance note (libxml2): a path that starts with ``.//c:Name`` is one fast scan of the
    tree, linear in the batch size; ``c:Declaration//...`` or ``c:Declaration/descendant::``
    merge node sets per declaration and grow quadratically, so write field lookups at any
    depth as ``.//c:Name[...]`` (no ``{d}``: nodes of declarations outside the batch are
    dropped by :meth:`BatchView.locate`), and use ``{d}`` for declaration-level tests.
    Each scan costs about 1-2 microseconds per declaration, and a predicate evaluated on
    every node costs more than pulling the plain values and testing them with Python sets.


    ``strings=True`` makes text and attribute results plain ``str`` (no link back to their
    node, but much cheaper): for pulling every value of a field to test in Python first.
    """

    __slots__ = ("on_batch", "on_declaration", "template")

    def __init__(self, template: str, *, strings: bool = False) -> None:
        self.template = template
        smart = not strings
        self.on_batch = etree.XPath(
            template.replace("{d}", "c:Declaration"), namespaces=NAMESPACES, smart_strings=smart
        )
        self.on_declaration = etree.XPath(
            template.replace("{d}", "self::c:Declaration"),
            namespaces=NAMESPACES,
            smart_strings=smart,
        )


class BatchView:
    """A batch of Declaration elements and the ids they are reported under.

    Runs :class:`DeclarationXPath` selections over the batch and maps the nodes found back
    to a declaration index and a canonical path.
    """

    def __init__(self, declarations: Sequence[etree._Element], ids: Sequence[str]) -> None:
        if len(declarations) != len(ids):
            raise ValueError(
                f"A batch of {len(declarations)} declarations came with {len(ids)} ids; "
                "each declaration needs exactly one id."
            )
        self.declarations = declarations
        self.ids = ids
        self._index: dict[etree._Element, int] = {}
        groups: dict[etree._Element, list[etree._Element]] = {}
        lone: list[etree._Element] = []
        for position, declaration in enumerate(declarations):
            self._index[declaration] = position
            parent = declaration.getparent()
            if parent is None:
                lone.append(declaration)
            else:
                groups.setdefault(parent, []).append(declaration)
        self._batch_roots: list[etree._Element] = []
        for parent, members in groups.items():
            # Run on the parent when the batch is most of it; a few declarations picked
            # out of a big parent are cheaper to visit one by one.
            if len(parent) <= 4 * len(members):
                self._batch_roots.append(parent)
            else:
                lone.extend(members)
        self._lone = lone
        self._elements: dict[tuple[str, ...], list[etree._Element]] = {}
        self._texts: dict[tuple[str, ...], list[str | None]] = {}

    def __len__(self) -> int:
        return len(self.declarations)

    def select(self, xpath: DeclarationXPath, **variables: Any) -> list[Any]:
        """Every node ``xpath`` selects in the batch's declarations, batch-wide."""
        found: list[Any] = []
        for root in self._batch_roots:
            found.extend(cast("list[Any]", xpath.on_batch(root, **variables)))
        for declaration in self._lone:
            found.extend(cast("list[Any]", xpath.on_declaration(declaration, **variables)))
        return found

    def any(self, xpath: DeclarationXPath) -> bool:
        """Whether a boolean ``xpath`` (``boolean(...)``) is true for any part of the batch."""
        roots = [(xpath.on_batch, root) for root in self._batch_roots]
        roots.extend((xpath.on_declaration, declaration) for declaration in self._lone)
        return any(bool(compiled(root)) for compiled, root in roots)

    def iter(self, *tags: str) -> Iterator[etree._Element]:
        """Every element with one of ``tags`` (Clark notation) in the batch, in one C scan.

        Like :meth:`select`, it may yield elements of declarations outside the batch that
        share its parent; :meth:`locate` returns None for those.
        """
        for root in self._batch_roots:
            yield from root.iter(*tags)
        for declaration in self._lone:
            yield from declaration.iter(*tags)

    def elements(self, *tags: str) -> list[etree._Element]:
        """Every element with one of ``tags`` (Clark notation), as :meth:`iter` finds them.

        One scan of the batch per distinct ``tags``, kept for the rest of the run, so that
        the checks reading the same elements share it. The lists are filled straight from
        lxml's iterators (no generator in between: that cost a tenth of a microsecond an
        element).
        """
        found = self._elements.get(tags)
        if found is None:
            found = []
            for root in self._batch_roots:
                found.extend(root.iter(*tags))
            for declaration in self._lone:
                found.extend(declaration.iter(*tags))
            self._elements[tags] = found
        return found

    def texts(self, *tags: str) -> list[str | None]:
        """The text of each element of :meth:`elements` (None for none), in the same order."""
        found = self._texts.get(tags)
        if found is None:
            found = self._texts[tags] = [element.text for element in self.elements(*tags)]
        return found

    def is_declaration(self, element: etree._Element | None) -> bool:
        """Whether ``element`` is one of the batch's declarations."""
        return element in self._index

    def locate(self, node: Any) -> Location | None:
        """The declaration and canonical path of an element or attribute value found.

        Returns None for a node outside the batch (a declaration of the same parent that
        the caller did not pass in).
        """
        suffix: list[str] = []
        element = node
        if isinstance(node, etree._ElementUnicodeResult):
            element = node.getparent()
            if node.is_attribute and node.attrname is not None:
                suffix.append("@" + _local(str(node.attrname)))
        steps: list[str] = []
        while element is not None:
            position = self._index.get(element)
            if position is not None:
                path = "/".join([*reversed(steps), *suffix])
                return Location(position, self.ids[position], path)
            steps.append(_step(element))
            element = element.getparent()
        return None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _step(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return "node()"
    name = _local(tag)
    siblings = element.itersiblings(tag, preceding=True)
    before = sum(1 for _ in siblings)
    if name in REPEATING_ELEMENTS or before or next(element.itersiblings(tag), None) is not None:
        return f"{name}[{before + 1}]"
    return name


@dataclass(frozen=True)
class CheckInput:
    """What one check runs on: the batch, the code lists, and its own settings.

    ``target`` is the canonical path a named check was switched on for (None for the
    default checks, which know their own paths); ``severity`` and ``rule`` go into every
    problem the check reports.
    """

    batch: BatchView
    reference: ReferenceData
    rule: str
    target: TargetPath | None = None
    severity: Severity = Severity.ERROR

    def select(self, xpath: DeclarationXPath, **variables: Any) -> list[Any]:
        """Every node ``xpath`` selects in the batch (see :meth:`BatchView.select`)."""
        return self.batch.select(xpath, **variables)

    def locate(self, node: Any) -> Location | None:
        """Declaration and canonical path of a node (see :meth:`BatchView.locate`)."""
        return self.batch.locate(node)

    def problem(
        self,
        location: Location,
        code: str,
        message: str,
        value: str | None = None,
        *,
        path: str | None = None,
    ) -> tuple[int, Problem]:
        """A problem of this check at ``location``, paired with its declaration index."""
        return location.position, Problem(
            severity=self.severity,
            code=code,
            message=message,
            item=location.item,
            canonical_path=location.path if path is None else path,
            value=value,
            rule=self.rule,
        )


Finding = tuple[int, Problem]
"""A problem and the index of the declaration it belongs to."""

CheckFunction = Callable[[CheckInput], Iterator[Finding]]
"""A check: a pure function from the batch to the problems it finds (with their index)."""

CHECKS: dict[str, CheckFunction] = {}
"""Every check by name: the default ones and the named ones a mapping switches on."""

DEFAULT_CHECKS: list[str] = []
"""Names of the checks that run on every declaration unless disabled, in run order."""


def register(name: str, *, default: bool) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under ``name``; ``default`` ones run always, others on a path."""

    def decorate(function: CheckFunction) -> CheckFunction:
        if name in CHECKS:
            raise ValueError(f"A check named '{name}' is already registered.")
        CHECKS[name] = function
        if default:
            DEFAULT_CHECKS.append(name)
        return function

    return decorate


def node_text(node: Any) -> str:
    """The text of an element (empty when it has none) or an attribute value."""
    if isinstance(node, etree._Element):
        return node.text or ""
    return str(node)
