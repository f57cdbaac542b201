"""Response mappings: a YAML file saying how an endpoint's responses become customs outcomes.

The form (see ``mappings/responses/uk-cds.yaml`` for a commented example)::

    response_mapping: 1
    endpoint_kind: uk-cds
    document: {roots: [MetaData], namespaces: [urn:..., urn:...]}
    responses: Response                # XPath from the root, one outcome per node
    fields:                            # XPaths relative to one response node
      function_code: FunctionCode
      declaration_ref: [Declaration/FunctionalReferenceID, Declaration/ID]
      customs_reference: Declaration/ID
      issued_at: {xpath: IssueDateTime/DateTimeString, convert: wco-datetime}
    reasons: [Error/Description, ...]  # texts joined into the reason
    functions:                         # function code -> outcome (null: informational)
      "09": {notification: DMSCLE, outcome: released, reason: optional default text}

``load_response_mapping`` checks the whole file and compiles every XPath once, reporting
every problem at once as a ``MappingError``; ``ResponseMapping.read`` applies it to a parsed
document (``unqualify`` then ``evaluate``, or the same read off the tree as parsed when every
XPath is a plain child path: ``gateway.responses.child_paths``). Pure: lxml only, no I/O
beyond reading the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lxml import etree

from gateway.errors import MappingError, MappingIssue
from gateway.mapping.yaml_lines import LineDict, load_yaml
from gateway.problems import Problem, Severity
from gateway.responses.child_paths import ChildIndex, ChildPath
from gateway.responses.outcome import OUTCOMES, CustomsOutcome

__all__ = ["ResponseMapping", "load_response_mapping"]

_FIELDS = ("function_code", "declaration_ref", "customs_reference", "issued_at")
_REQUIRED_FIELDS = ("function_code", "declaration_ref")
_TOP_KEYS = {
    "response_mapping",
    "endpoint_kind",
    "description",
    "document",
    "responses",
    "fields",
    "reasons",
    "functions",
}
_WCO_DATETIME = re.compile(
    r"^(?P<date>\d{8})(?:(?P<time>\d{6})(?P<zone>Z|[+-]\d{2}))?$",
)


def wco_datetime_to_iso(text: str) -> str:
    """``20250131113614Z`` -> ``2025-01-31T11:36:14Z``; ``20250131`` -> ``2025-01-31``.

    WCO DateTimeString values use formatCode 304 (CCYYMMDDhhmmss plus a zone) or 102
    (CCYYMMDD); anything else is returned unchanged rather than guessed at.
    """
    match = _WCO_DATETIME.match(text.strip())
    if match is None:
        return text
    date = match["date"]
    iso = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    if match["time"]:
        time = match["time"]
        zone = match["zone"]
        zone = "Z" if zone == "Z" else f"{zone}:00"
        iso += f"T{time[:2]}:{time[2:4]}:{time[4:]}{zone}"
    return iso


_CONVERSIONS: dict[str, Callable[[str], str]] = {"wco-datetime": wco_datetime_to_iso}


@dataclass(frozen=True)
class _Field:
    """One outcome field: XPaths tried in order, and an optional conversion."""

    paths: tuple[etree.XPath, ...]
    convert: Callable[[str], str] | None = None

    def first_of(self, results: Iterable[Any]) -> str | None:
        """The first text of the first result that has one (results are made as needed)."""
        for result in results:
            texts = _texts(result)
            if texts:
                value = texts[0]
                return self.convert(value) if self.convert else value
        return None


@dataclass(frozen=True)
class _ChildPaths:
    """The whole mapping as child paths, to apply to a document as parsed (``ChildPath``)."""

    root_tags: frozenset[str]
    """The root element's tag as parsed, for each accepted root in each accepted namespace."""
    responses: ChildPath
    fields: Mapping[str, tuple[ChildPath, ...]]
    reasons: tuple[ChildPath, ...]
    local_names: dict[str, str | None] = field(default_factory=dict, compare=False)
    """Tags seen so far and their local names, shared by the documents read (``ChildIndex``)."""


@dataclass(frozen=True)
class _Function:
    """What one response function code means: an outcome (None: informational)."""

    notification: str | None
    outcome: str | None
    reason: str | None


def _texts(result: Any) -> list[str]:
    """The non-empty, whitespace-normalised texts of an XPath result."""
    items = result if isinstance(result, list) else [result]
    texts: list[str] = []
    for item in items:
        if isinstance(item, etree._Element):
            # An element without children (the usual leaf) holds its whole text in .text;
            # otherwise its text is that of every descendant, as itertext() gives it (and a
            # comment or processing instruction goes to itertext() too, which refuses it).
            if type(item) is etree._Element and len(item) == 0:
                raw = item.text or ""
            else:
                raw = "".join(str(part) for part in item.itertext())
            text = " ".join(raw.split())
        elif isinstance(item, (str, bytes)):
            text = " ".join(str(item).split())
        elif isinstance(item, bool):
            continue
        elif isinstance(item, float):
            text = str(int(item)) if item.is_integer() else str(item)
        else:
            continue
        if text:
            texts.append(text)
    return texts


@dataclass(frozen=True)
class ResponseMapping:
    """A compiled response mapping for one endpoint kind."""

    endpoint_kind: str
    file: str
    roots: frozenset[str]
    namespaces: frozenset[str]
    responses: etree.XPath
    fields: Mapping[str, _Field]
    reasons: tuple[etree.XPath, ...]
    functions: Mapping[str, _Function] = field(default_factory=dict)
    child_paths: _ChildPaths | None = None
    """Every XPath of the mapping as a child path, when each is one (``read`` uses them)."""

    def read(
        self, root: etree._Element, source_name: str
    ) -> tuple[list[CustomsOutcome], list[Problem]]:
        """Apply the mapping to a parsed response document: ``unqualify`` then ``evaluate``.

        When every XPath of the mapping is a plain child path and the document maps without
        a problem, the outcomes are read off the tree as parsed (``child_paths``), which
        gives the same outcomes without renaming the elements. Anything else (a problem to
        report, with the element's path in the renamed tree) takes the general route.
        """
        paths = self.child_paths
        if paths is not None and root.tag in paths.root_tags:
            reader = _ChildReader(paths, ChildIndex(self.namespaces, paths.local_names))
            nodes = paths.responses.select(root, reader.index)
            if nodes:
                outcomes, problems = self._outcomes(nodes, reader, source_name)
                if not problems:
                    return outcomes, []
        self.unqualify(root)
        return self.evaluate(root, source_name)

    def unqualify(self, root: etree._Element) -> None:
        """Rename elements of the mapping's namespaces to their local names, in place."""
        if any("{" in namespace or "}" in namespace for namespace in self.namespaces):
            # Names with braces (never seen in practice) would garble the patterns below.
            for element in root.iter(etree.Element):
                qname = etree.QName(element)
                if qname.namespace in self.namespaces:
                    element.tag = qname.localname
        elif self.namespaces:
            # libxml2 picks out the elements of these namespaces ("{namespace}*" patterns), so
            # Python touches only the elements it renames. They are listed first: renaming
            # while the iterator walks could confuse it.
            patterns = [f"{{{namespace}}}*" for namespace in self.namespaces]
            for element in list(root.iter(*patterns)):
                # A local name is an NCName and holds no "}", so what follows the last one is it.
                element.tag = element.tag.rpartition("}")[2]
        etree.cleanup_namespaces(root)

    def evaluate(
        self, root: etree._Element, source_name: str
    ) -> tuple[list[CustomsOutcome], list[Problem]]:
        """Apply the mapping to a parsed response document (namespaces are unqualified here).

        Returns the outcomes and every problem found; informational responses yield nothing.
        """
        problems: list[Problem] = []
        if root.tag not in self.roots:
            expected = ", ".join(sorted(self.roots))
            problems.append(
                _problem(
                    source_name,
                    f"{source_name} has the root element {root.tag!r}, but a {self.endpoint_kind} "
                    f"response must have {expected} (mapping {self.file}).",
                    "response.root",
                    value=str(root.tag),
                )
            )
            return [], problems
        found = _as_list(self.responses(root))
        nodes = [node for node in found if isinstance(node, etree._Element)]
        if not nodes:
            problems.append(
                _problem(
                    source_name,
                    f"{source_name} holds no response: the mapping {self.file} looks for "
                    f"{self.responses.path!r} under the root and found nothing.",
                    "response.empty",
                )
            )
        outcomes, found = self._outcomes(nodes, _XPathReader(self), source_name)
        return outcomes, problems + found

    def _outcomes(
        self, nodes: Sequence[etree._Element], reader: _Reader, source_name: str
    ) -> tuple[list[CustomsOutcome], list[Problem]]:
        """The outcome of each response node (informational ones give none), and problems."""
        problems: list[Problem] = []
        outcomes: list[CustomsOutcome] = []
        for index, node in enumerate(nodes, start=1):
            outcome = self._outcome(node, index, reader, source_name, problems)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes, problems

    def _outcome(
        self,
        node: etree._Element,
        index: int,
        reader: _Reader,
        source_name: str,
        problems: list[Problem],
    ) -> CustomsOutcome | None:
        values = {
            name: spec.first_of(reader.field(name, node)) for name, spec in self.fields.items()
        }
        code = values.get("function_code")
        ref = values.get("declaration_ref")
        if code is None:
            problems.append(
                _problem(
                    source_name,
                    f"Response {index} in {source_name} has no function code, so its meaning "
                    "is unknown.",
                    "response.function-code.missing",
                    path=_where(node),
                    line=_line(node),
                )
            )
            return None
        meaning = self.functions.get(code)
        if meaning is None:
            known = ", ".join(sorted(self.functions))
            problems.append(
                _problem(
                    source_name,
                    f"Response {index} in {source_name} has the function code {code!r}, which "
                    f"the mapping {self.file} does not know (known codes: {known}).",
                    "response.function-code.unknown",
                    path=_where(node),
                    line=_line(node),
                    value=code,
                )
            )
            return None
        if meaning.outcome is None:
            return None
        if ref is None:
            problems.append(
                _problem(
                    source_name,
                    f"Response {index} in {source_name} (function code {code}) names no "
                    "declaration, so it cannot be matched to an item.",
                    "response.reference.missing",
                    path=_where(node),
                    line=_line(node),
                )
            )
            return None
        texts: list[str] = []
        for result in reader.reasons(node):
            texts.extend(text for text in _texts(result) if text not in texts)
        reason = "; ".join(texts) if texts else meaning.reason
        return CustomsOutcome(
            declaration_ref=ref,
            outcome=meaning.outcome,
            reason=reason,
            customs_reference=values.get("customs_reference"),
            issued_at=values.get("issued_at"),
            raw_function_code=code,
        )


class _Reader(Protocol):
    """How ``ResponseMapping._outcome`` reads a response node's fields and reasons."""

    def field(self, name: str, node: etree._Element) -> Iterator[Any]:
        """The results of the field's paths at ``node``, one path after the other."""
        ...

    def reasons(self, node: etree._Element) -> Iterator[Any]:
        """The results of the reason paths at ``node``."""
        ...


class _XPathReader:
    """The general route: the mapping's compiled XPaths, on a document ``unqualify`` renamed."""

    def __init__(self, mapping: ResponseMapping) -> None:
        self.mapping = mapping

    def field(self, name: str, node: etree._Element) -> Iterator[Any]:
        return (path(node) for path in self.mapping.fields[name].paths)

    def reasons(self, node: etree._Element) -> Iterator[Any]:
        return (path(node) for path in self.mapping.reasons)


class _ChildReader:
    """The same paths as child paths, read off the document as parsed (``ChildPath``)."""

    def __init__(self, paths: _ChildPaths, index: ChildIndex) -> None:
        self.paths = paths
        self.index = index

    def field(self, name: str, node: etree._Element) -> Iterator[Any]:
        return (path.select(node, self.index) for path in self.paths.fields[name])

    def reasons(self, node: etree._Element) -> Iterator[Any]:
        return (path.select(node, self.index) for path in self.paths.reasons)


def _where(node: etree._Element) -> str:
    """The path of a response node in its document, for a problem about it."""
    return str(node.getroottree().getpath(node))


def _line(node: etree._Element) -> int | None:
    line = node.sourceline
    return line if isinstance(line, int) else None


def _as_list(result: Any) -> list[Any]:
    return result if isinstance(result, list) else [result]


def _problem(
    source_name: str,
    message: str,
    code: str,
    *,
    path: str | None = None,
    line: int | None = None,
    value: str | None = None,
) -> Problem:
    return Problem(
        severity=Severity.ERROR,
        code=code,
        message=message,
        source_path=path or source_name,
        line=line,
        value=value,
    )


class _Compiler:
    """Checks a loaded YAML document and collects every issue before failing."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[MappingIssue] = []

    def issue(self, where: LineDict | None, key: str, rule: str, message: str) -> None:
        line = where.line_of(key) if isinstance(where, LineDict) else None
        self.issues.append(MappingIssue(self.file, line, rule, message))

    def xpath(self, text: Any, where: LineDict, key: str, rule: str) -> etree.XPath | None:
        if not isinstance(text, str) or not text.strip():
            self.issue(where, key, rule, f"{rule} must be an XPath expression (text).")
            return None
        try:
            return etree.XPath(text)
        except etree.XPathSyntaxError as exc:
            self.issue(where, key, rule, f"the XPath {text!r} does not compile: {exc}.")
            return None

    def xpaths(self, value: Any, where: LineDict, key: str, rule: str) -> tuple[etree.XPath, ...]:
        items = value if isinstance(value, list) else [value]
        compiled = [self.xpath(item, where, key, rule) for item in items]
        return tuple(path for path in compiled if path is not None)

    def strings(self, value: Any, where: LineDict, key: str, rule: str) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.issue(where, key, rule, f"{rule} must be a list of texts.")
            return frozenset()
        return frozenset(value)

    def field(self, value: Any, where: LineDict, key: str) -> _Field | None:
        rule = f"fields.{key}"
        convert: Callable[[str], str] | None = None
        paths_value = value
        if isinstance(value, LineDict):
            unknown = set(value) - {"xpath", "convert"}
            for name in sorted(unknown):
                self.issue(value, name, f"{rule}.{name}", f"unknown key {name!r} in {rule}.")
            paths_value = value.get("xpath")
            convert_name = value.get("convert")
            if convert_name is not None:
                convert = _CONVERSIONS.get(str(convert_name))
                if convert is None:
                    self.issue(
                        value,
                        "convert",
                        f"{rule}.convert",
                        f"unknown conversion {convert_name!r}; known: "
                        f"{', '.join(sorted(_CONVERSIONS))}.",
                    )
            where = value
            key = "xpath"
        paths = self.xpaths(paths_value, where, key, rule)
        return _Field(paths, convert) if paths else None

    def function(self, code: str, value: Any, where: LineDict) -> _Function | None:
        rule = f"functions.{code}"
        if not isinstance(value, LineDict):
            self.issue(where, code, rule, f"{rule} must be a block with an outcome.")
            return None
        for name in sorted(set(value) - {"notification", "outcome", "reason"}):
            self.issue(value, name, f"{rule}.{name}", f"unknown key {name!r} in {rule}.")
        if "outcome" not in value:
            self.issue(value, "outcome", rule, f"{rule} needs an outcome (or null).")
        outcome = value.get("outcome")
        if outcome is not None and outcome not in OUTCOMES:
            self.issue(
                value,
                "outcome",
                f"{rule}.outcome",
                f"the outcome {outcome!r} is not one of {', '.join(OUTCOMES)}.",
            )
            return None
        reason = value.get("reason")
        notification = value.get("notification")
        return _Function(
            notification=None if notification is None else str(notification),
            outcome=outcome,
            reason=None if reason is None else str(reason),
        )


def compile_response_mapping(data: Any, file: str) -> ResponseMapping:
    """Check a loaded response-mapping document and compile it; MappingError lists all issues."""
    compiler = _Compiler(file)
    if not isinstance(data, LineDict):
        raise MappingError([MappingIssue(file, None, "", "the file must be a YAML mapping.")])
    for key in sorted(set(data) - _TOP_KEYS):
        compiler.issue(data, key, key, f"unknown top-level key {key!r}.")
    if data.get("response_mapping") != 1:
        compiler.issue(data, "response_mapping", "response_mapping", "response_mapping must be 1.")
    kind = data.get("endpoint_kind")
    if not isinstance(kind, str) or not kind:
        compiler.issue(data, "endpoint_kind", "endpoint_kind", "endpoint_kind must be a name.")
        kind = ""
    document = data.get("document")
    roots: frozenset[str] = frozenset()
    namespaces: frozenset[str] = frozenset()
    if isinstance(document, LineDict):
        roots = compiler.strings(document.get("roots"), document, "roots", "document.roots")
        namespaces = compiler.strings(
            document.get("namespaces", []), document, "namespaces", "document.namespaces"
        )
    else:
        compiler.issue(data, "document", "document", "document must be a block with roots.")
    responses = compiler.xpath(data.get("responses"), data, "responses", "responses")
    fields_block = data.get("fields")
    fields: dict[str, _Field] = {}
    if isinstance(fields_block, LineDict):
        for name in sorted(set(fields_block) - set(_FIELDS)):
            compiler.issue(
                fields_block,
                name,
                f"fields.{name}",
                f"unknown field {name!r}; fields are {', '.join(_FIELDS)}.",
            )
        for name in _FIELDS:
            if name in fields_block:
                compiled = compiler.field(fields_block[name], fields_block, name)
                if compiled is not None:
                    fields[name] = compiled
            elif name in _REQUIRED_FIELDS:
                compiler.issue(fields_block, name, f"fields.{name}", f"fields.{name} is required.")
    else:
        compiler.issue(data, "fields", "fields", "fields must be a block of XPaths.")
    reasons = compiler.xpaths(data.get("reasons", []), data, "reasons", "reasons")
    functions_block = data.get("functions")
    functions: dict[str, _Function] = {}
    if isinstance(functions_block, LineDict) and functions_block:
        for code, value in functions_block.items():
            meaning = compiler.function(str(code), value, functions_block)
            if meaning is not None:
                functions[str(code)] = meaning
    else:
        compiler.issue(data, "functions", "functions", "functions must map codes to outcomes.")
    if compiler.issues or responses is None:
        raise MappingError(compiler.issues)
    return ResponseMapping(
        endpoint_kind=kind,
        file=file,
        roots=roots,
        namespaces=namespaces,
        responses=responses,
        fields=fields,
        reasons=reasons,
        functions=functions,
        child_paths=_child_paths(roots, namespaces, responses, fields, reasons),
    )


def _child_paths(
    roots: frozenset[str],
    namespaces: frozenset[str],
    responses: etree.XPath,
    fields: Mapping[str, _Field],
    reasons: tuple[etree.XPath, ...],
) -> _ChildPaths | None:
    """The mapping's XPaths as child paths, or None when one of them is not a child path.

    Namespace or root names with braces (never seen in practice) also keep the mapping on
    its general route, where what such names mean is left to lxml.
    """
    if any("{" in name or "}" in name for name in (*roots, *namespaces)):
        return None
    every = [responses, *(path for spec in fields.values() for path in spec.paths), *reasons]
    compiled = {path.path: ChildPath.compile(path.path) for path in every}
    children = {text: path for text, path in compiled.items() if path is not None}
    if len(children) != len(compiled):
        return None
    return _ChildPaths(
        root_tags=frozenset(
            {*roots, *(f"{{{namespace}}}{root}" for namespace in namespaces for root in roots)}
        ),
        responses=children[responses.path],
        fields={
            name: tuple(children[path.path] for path in spec.paths) for name, spec in fields.items()
        },
        reasons=tuple(children[path.path] for path in reasons),
    )


def load_response_mapping(path: Path) -> ResponseMapping:
    """Read and compile the response mapping file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(
            [MappingIssue(str(path), None, "", f"the file could not be read: {exc.strerror}.")]
        ) from exc
    return compile_response_mapping(load_yaml(text, str(path)), str(path))


def known_codes(mapping: ResponseMapping) -> Sequence[str]:
    """The function codes a mapping knows, sorted."""
    return sorted(mapping.functions)
