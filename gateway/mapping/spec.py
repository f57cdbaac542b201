"""Mapping files (YAML) read into a typed tree, with every mistake reported at once.

A mapping file is a template of the output document. Each key of ``template`` names an output
element (``GoodsShipment/Consignor/Name`` may stand for three nested keys, ``@currencyID`` an
attribute); its value says how to fill it:

- a plain scalar: a constant;
- ``{from: PATH}``: a value read from the input (XPath for XML, a JSON path for JSON), with
  ``apply`` (a list of named functions), ``default``, ``required``, ``when``;
- ``{value: ...}``, ``{param: NAME}``, ``{position: true}``, ``{xpath: EXPR}``: constants,
  configuration parameters, the position in the enclosing ``for_each``, raw XPath;
- a mapping of further keys: a group element; ``for_each`` repeats it per input node;
- a list: the element several times, one per entry, in order.

Directive names (``from``, ``for_each``, ``when`` ...) are reserved and cannot be output names.

A feed mapping may declare ``references`` (``{master: {feed: iata-xfwb, description: ...}}``):
documents given with the message for one run, read in paths as ``$ref-NAME`` (the document's
root element); see ``gateway.mapping.references``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.errors import MappingError, MappingIssue
from gateway.mapping.functions import FUNCTIONS, FunctionArgumentError, Step
from gateway.mapping.paths import (
    Token,
    XPathSyntaxError,
    check_xpath,
    json_path_to_xpath,
    qualify,
    tokenize,
)
from gateway.mapping.yaml_lines import LineDict, LineList, load_yaml

REFERENCE_PREFIX = "ref-"
"""``$ref-NAME`` in a path reads the reference document NAME (see ``references.py``)."""

VALUE_KEYS = ("from", "xpath", "message", "value", "param", "position")
NODE_KEYS = {*VALUE_KEYS, "apply", "default", "required", "when", "for_each", "as", "raw", "note"}
KINDS = ("feed", "destination")
INPUT_FORMATS = ("xml", "json")
SOURCE_PREFIX = "src"
CANONICAL_PREFIX = "c"


@dataclass
class Node:
    """One output element or attribute of a template, and how it is filled."""

    name: str
    path: str
    line: int
    value_kind: str | None = None
    value_text: str = ""
    value_xpath: str = ""
    steps: list[Step] = field(default_factory=list)
    default: str | None = None
    required: bool = False
    raw: bool = False
    for_each: str | None = None
    for_each_text: str = ""
    when: str | None = None
    alias: str | None = None
    children: list[Node] = field(default_factory=list)

    @property
    def is_attribute(self) -> bool:
        return self.name.startswith("@")

    @property
    def is_leaf(self) -> bool:
        return self.value_kind is not None

    def child_group(self, name: str) -> Node | None:
        for child in self.children:
            if child.name == name and not child.is_leaf and child.for_each is None:
                return child
        return None


@dataclass(frozen=True)
class PathCheckSpec:
    """A named check the mapping switches on for a canonical path."""

    check: str
    path: str
    severity: str
    line: int


@dataclass(frozen=True)
class Parameter:
    """A value a mapping takes from configuration (e.g. the declarant's EORI)."""

    name: str
    description: str
    default: str | None
    line: int


@dataclass(frozen=True)
class Reference:
    """A document a feed mapping reads besides its input, as ``$ref-NAME`` (e.g. the master
    air waybill of a house waybill); given per run, absent means its fields are empty."""

    name: str
    feed: str
    description: str
    line: int


@dataclass
class MappingSpec:
    """A whole mapping file, loaded and checked."""

    name: str
    kind: str
    title: str
    file: str
    input_format: str
    namespaces: dict[str, str]
    root: str | None
    input_schema: str | None
    message_id: str | None
    message_values: dict[str, tuple[str, str]]
    """Header values read once per message: name -> (path as written, XPath from the root)."""
    for_each: str
    for_each_text: str
    declaration_id: str | None
    consignment_id: str | None
    checks: list[PathCheckSpec]
    parameters: dict[str, Parameter]
    output_root: str | None
    output_namespaces: dict[str, str]
    output_schema: str | None
    official_schema: str | None
    per: str
    requires: list[str]
    template: Node
    media_type: str = "application/xml"
    references: dict[str, Reference] = field(default_factory=dict)


class _Issues:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[MappingIssue] = []

    def add(self, line: int | None, rule: str, message: str) -> None:
        self.items.append(MappingIssue(self.file, line, rule, message))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Reader:
    """Turns the loaded YAML of one mapping file into a MappingSpec, collecting issues."""

    def __init__(self, data: LineDict, file: str) -> None:
        self.data = data
        self.file = file
        self.issues = _Issues(file)
        self.input_format = "xml"
        self.path_prefix: str | None = None
        self.parameters: dict[str, Parameter] = {}
        self.references: dict[str, Reference] = {}
        self.message_values: dict[str, tuple[str, str]] = {}

    # -- expressions -------------------------------------------------------------------------

    def expression(self, text: Any, line: int, rule: str, *, json_path: bool) -> str:
        """The XPath a mapping expression compiles to, or '' after recording an issue."""
        if not isinstance(text, str | int | float) or isinstance(text, bool) or str(text) == "":
            self.issues.add(line, rule, f"expected a path or expression, found {text!r}.")
            return ""
        expr = str(text)
        try:
            if json_path and self.input_format == "json":
                return json_path_to_xpath(expr)
            self.reference_variables(tokenize(expr), line, rule)
            qualified = qualify(expr, self.path_prefix) if self.path_prefix else expr
            check_xpath(qualified)
            return qualified
        except XPathSyntaxError as exc:
            self.issues.add(line, rule, f"'{expr}' is not a valid path: {exc}.")
            return ""

    def reference_variables(self, tokens: list[Token], line: int, rule: str) -> None:
        """Record an issue for each ``$ref-NAME`` naming no declared reference document."""
        for token in tokens:
            if token.kind != "variable" or not token.text.startswith("$" + REFERENCE_PREFIX):
                continue
            name = token.text[1 + len(REFERENCE_PREFIX) :]
            if name not in self.references:
                known = ", ".join(sorted(self.references)) or "none are declared"
                self.issues.add(
                    line,
                    rule,
                    f"reads the reference document '{name}' ({token.text}), which 'references' "
                    f"does not declare ({known}).",
                )

    def qualifier(self, line: int, rule: str) -> Callable[[str], str]:
        return lambda expr: self.expression(expr, line, rule, json_path=True)

    # -- template ----------------------------------------------------------------------------

    def template(self, block: Any, root_name: str, line: int) -> Node:
        root = Node(name=root_name, path="", line=line)
        if not isinstance(block, LineDict):
            self.issues.add(line, "template", "the template must be a mapping of output elements.")
            return root
        for key in block:
            if key in NODE_KEYS:  # directives belong to an element, never to the template itself
                self.issues.add(
                    block.line_of(key),
                    key,
                    f"'{key}' is a directive and cannot name an output element.",
                )
        self.fill_group(root, block)
        return root

    def fill_group(self, parent: Node, block: LineDict) -> None:
        for key, value in block.items():
            if key in NODE_KEYS:
                continue
            line = block.line_of(key)
            parts = [part for part in str(key).split("/") if part]
            if not parts:
                self.issues.add(line, str(key), "an output name cannot be empty.")
                continue
            target = parent
            for part in parts[:-1]:
                existing = target.child_group(part)
                if existing is None:
                    existing = Node(name=part, path=_join_path(target.path, part), line=line)
                    target.children.append(existing)
                target = existing
            self.add_entry(target, parts[-1], value, line)

    def add_entry(
        self, parent: Node, name: str, value: Any, line: int, *, merge: bool = True
    ) -> None:
        path = _join_path(parent.path, name)
        if name in NODE_KEYS:
            self.issues.add(
                line, path, f"'{name}' is a directive and cannot name an output element."
            )
            return
        if isinstance(value, LineList):
            if name.startswith("@"):
                self.issues.add(line, path, "an attribute cannot be repeated.")
                return
            for entry in value:
                self.add_entry(parent, name, entry, getattr(entry, "line", line), merge=False)
            return
        node = Node(name=name, path=path, line=line)
        if isinstance(value, LineDict):
            self.read_node(node, value)
        elif value is None:
            self.issues.add(
                line, path, "has no value; give a constant, a 'from' path or child elements."
            )
            return
        else:
            node.value_kind, node.value_text = "value", _text(value)
        if node.is_attribute and (node.children or node.for_each):
            self.issues.add(
                line, path, "an attribute holds a single value, not elements or for_each."
            )
        mergeable = merge and not node.is_leaf and node.for_each is None and node.when is None
        existing = parent.child_group(name) if mergeable else None
        if existing is not None and node.children and existing.line != line:
            existing.children.extend(node.children)
            return
        parent.children.append(node)

    def read_node(self, node: Node, block: LineDict) -> None:
        rule = node.path
        present = [key for key in VALUE_KEYS if key in block]
        if len(present) > 1:
            self.issues.add(block.line, rule, f"give only one of {', '.join(present)}.")
        if "for_each" in block:
            node.for_each_text = _text(block["for_each"])
            node.for_each = self.expression(
                block["for_each"], block.line_of("for_each"), rule, json_path=True
            )
        if "when" in block:
            node.when = self.expression(block["when"], block.line_of("when"), rule, json_path=False)
        if "as" in block:
            node.alias = _text(block["as"])
        node.required = bool(block.get("required", False))
        node.raw = bool(block.get("raw", False))
        if "default" in block:
            node.default = _text(block["default"])
        if present:
            kind = present[0]
            node.value_kind, node.value_text = kind, _text(block[kind])
            line = block.line_of(kind)
            if kind == "from":
                node.value_xpath = self.expression(block[kind], line, rule, json_path=True)
            elif kind == "xpath":
                node.value_xpath = self.expression(block[kind], line, rule, json_path=False)
            elif kind == "param":
                self.parameter_reference(node.value_text, line, rule)
            elif kind == "message":
                name = node.value_text
                if name not in self.message_values:
                    known = ", ".join(sorted(self.message_values)) or "none are declared"
                    self.issues.add(
                        line,
                        rule,
                        f"uses the message value '{name}', which message.values does not "
                        f"declare ({known}).",
                    )
                else:
                    node.value_text = self.message_values[name][0]
                    node.value_xpath = f"$message-{name}"
            elif kind == "position" and block[kind] is not True:
                self.issues.add(line, rule, "'position' takes the value true.")
        elif node.default is not None:
            node.value_kind, node.value_text = "value", node.default
        if "apply" in block:
            node.steps = self.steps(block["apply"], block.line_of("apply"), rule)
            if node.value_kind in ("value", "param", "position"):
                self.issues.add(
                    block.line_of("apply"),
                    rule,
                    f"'apply' works on values read from the input (from, xpath, message); "
                    f"it would do nothing to a {node.value_kind}.",
                )
        self.fill_group(node, block)
        if node.is_leaf and any(not child.is_attribute for child in node.children):
            self.issues.add(
                block.line, rule, "an element with a value cannot also have child elements."
            )
        if not node.is_leaf and not node.children:
            self.issues.add(block.line, rule, "has neither a value nor child elements.")

    def parameter_reference(self, name: str, line: int, rule: str) -> None:
        if name not in self.parameters:
            known = ", ".join(sorted(self.parameters)) or "none are declared"
            self.issues.add(
                line,
                rule,
                f"uses the parameter '{name}', which 'parameters' does not declare ({known}).",
            )

    def steps(self, value: Any, line: int, rule: str) -> list[Step]:
        entries = value if isinstance(value, list) else [value]
        steps: list[Step] = []
        for position, entry in enumerate(entries):
            if isinstance(entry, str):
                name, args = entry, None
            elif isinstance(entry, dict) and len(entry) == 1:
                name, args = next(iter(entry.items()))
            else:
                self.issues.add(
                    line,
                    rule,
                    f"apply entry {position + 1} must be a function name or 'name: arguments'.",
                )
                continue
            builder = FUNCTIONS.get(str(name))
            if builder is None:
                known = ", ".join(sorted(FUNCTIONS))
                self.issues.add(
                    line, rule, f"'{name}' is not a known function; the functions are: {known}."
                )
                continue
            try:
                step = builder(args, self.qualifier(line, rule))
            except FunctionArgumentError as exc:
                self.issues.add(line, rule, str(exc))
                continue
            if step.takes_nodes and position:
                self.issues.add(
                    line, rule, f"'{name}' reads the source nodes and must come first in apply."
                )
            steps.append(step)
        return steps


def _join_path(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def _section(data: LineDict, key: str, issues: _Issues, *, required: bool) -> LineDict:
    block = data.get(key)
    if isinstance(block, LineDict):
        return block
    if block is not None or required:
        issues.add(data.line_of(key), key, f"'{key}' must be a mapping.")
    empty = LineDict()
    empty.line, empty.key_lines = data.line_of(key), {}
    return empty


def _namespaces(block: Any, issues: _Issues, rule: str, line: int) -> dict[str, str]:
    if block is None:
        return {}
    if not isinstance(block, dict) or not all(isinstance(v, str) for v in block.values()):
        issues.add(line, rule, "namespaces must map prefixes to namespace URIs.")
        return {}
    return {("" if key in ("", "default") else str(key)): value for key, value in block.items()}


def read_mapping(text: str, file: str) -> MappingSpec:
    """Read a mapping file's text; MappingError lists every problem found in it."""
    duplicates: list[MappingIssue] = []
    data = load_yaml(text, file, duplicates=duplicates)
    if not isinstance(data, LineDict):
        raise MappingError(
            [*duplicates, MappingIssue(file, 1, "", "a mapping file must be a YAML mapping.")]
        )
    reader = _Reader(data, file)
    issues = reader.issues
    issues.items.extend(duplicates)
    allowed = {
        "name",
        "kind",
        "title",
        "description",
        "input",
        "message",
        "declarations",
        "output",
        "parameters",
        "documents",
        "requires",
        "references",
    }
    for key in data:
        if key not in allowed:
            issues.add(
                data.line_of(key),
                key,
                f"'{key}' is not a mapping-file section; sections are {', '.join(sorted(allowed))}.",
            )
    name = _text(data.get("name", Path(file).stem))
    if name != Path(file).stem:
        issues.add(
            data.line_of("name"),
            "name",
            f"the name '{name}' differs from the file name '{Path(file).stem}'.",
        )
    kind = _text(data.get("kind", ""))
    if kind not in KINDS:
        issues.add(data.line_of("kind"), "kind", f"'kind' must be one of {', '.join(KINDS)}.")
    for key, block in (_section(data, "parameters", issues, required=False)).items():
        line = (
            data["parameters"].line_of(key) if isinstance(data.get("parameters"), LineDict) else 0
        )
        spec = block if isinstance(block, dict) else {}
        default = spec.get("default")
        reader.parameters[str(key)] = Parameter(
            str(key),
            _text(spec.get("description", "")),
            None if default is None else _text(default),
            line,
        )
    namespaces: dict[str, str] = {}
    root = schema = message_id = declaration_id = consignment_id = None
    for_each_text, for_each = "", ""
    checks: list[PathCheckSpec] = []
    output_namespaces: dict[str, str] = {}
    output_root = output_schema = official = None
    per, requires, media_type = "declaration", [], "application/xml"
    if kind == "feed":
        source = _section(data, "input", issues, required=True)
        reader.input_format = _text(source.get("format", "xml"))
        if reader.input_format not in INPUT_FORMATS:
            issues.add(
                source.line_of("format"),
                "input.format",
                f"format must be one of {', '.join(INPUT_FORMATS)}.",
            )
        namespaces = _namespaces(
            source.get("namespaces"), issues, "input.namespaces", source.line_of("namespaces")
        )
        if "" in namespaces:
            namespaces[SOURCE_PREFIX] = namespaces.pop("")
            reader.path_prefix = SOURCE_PREFIX
        root = _text(source["root"]) if "root" in source else None
        reader.references = _references(data, issues)
        schema = _text(source["schema"]) if "schema" in source else None
        message = _section(data, "message", issues, required=False)
        if "id" in message:
            message_id = reader.expression(
                message["id"], message.line_of("id"), "message.id", json_path=True
            )
        values = message.get("values") or {}
        if not isinstance(values, dict):
            issues.add(
                message.line_of("values"), "message.values", "values must map names to paths."
            )
            values = {}
        for key, path in values.items():
            line = values.line_of(key) if isinstance(values, LineDict) else message.line
            xpath = reader.expression(path, line, f"message.values.{key}", json_path=True)
            reader.message_values[str(key)] = (_text(path), xpath)
        block = _section(data, "declarations", issues, required=True)
        for_each_text = _text(block.get("for_each", ""))
        for_each = reader.expression(
            block.get("for_each"),
            block.line_of("for_each"),
            "declarations.for_each",
            json_path=True,
        )
        if "id" in block:
            declaration_id = reader.expression(
                block["id"], block.line_of("id"), "declarations.id", json_path=True
            )
        else:
            issues.add(
                block.line, "declarations.id", "declarations need an 'id': the item's identifier."
            )
        if "consignment" in block:
            consignment_id = reader.expression(
                block["consignment"],
                block.line_of("consignment"),
                "declarations.consignment",
                json_path=True,
            )
        checks = _checks(block.get("checks"), block.line_of("checks"), issues)
        template = reader.template(block.get("template"), "Declaration", block.line_of("template"))
    else:
        reader.path_prefix = CANONICAL_PREFIX
        out = _section(data, "output", issues, required=True)
        output_namespaces = _namespaces(
            out.get("namespaces"), issues, "output.namespaces", out.line_of("namespaces")
        )
        output_root = _text(out.get("root", "")) or None
        if output_root is None:
            issues.add(out.line, "output.root", "the output needs a 'root' element name.")
        output_schema = _text(out["schema"]) if "schema" in out else None
        official = _text(out["official_schema"]) if "official_schema" in out else None
        media_type = _text(out.get("media_type", media_type))
        requires_block = data.get("requires", [])
        requires = (
            [_text(item) for item in requires_block] if isinstance(requires_block, list) else []
        )
        documents = _section(data, "documents", issues, required=True)
        per = _text(documents.get("per", "declaration"))
        if per not in ("declaration", "message"):
            issues.add(
                documents.line_of("per"),
                "documents.per",
                "'per' must be 'declaration' or 'message'.",
            )
        template = reader.template(
            documents.get("template"), output_root or "Document", documents.line_of("template")
        )
    if issues.items:
        raise MappingError(issues.items)
    return MappingSpec(
        name=name,
        kind=kind,
        title=_text(data.get("title", name)),
        file=file,
        input_format=reader.input_format if kind == "feed" else "canonical",
        namespaces=namespaces,
        root=root,
        input_schema=schema,
        message_id=message_id,
        message_values=reader.message_values,
        for_each=for_each,
        for_each_text=for_each_text,
        declaration_id=declaration_id,
        consignment_id=consignment_id,
        checks=checks,
        parameters=reader.parameters,
        output_root=output_root,
        output_namespaces=output_namespaces,
        output_schema=output_schema,
        official_schema=official,
        per=per,
        requires=requires,
        template=template,
        media_type=media_type,
        references=reader.references,
    )


def _references(data: LineDict, issues: _Issues) -> dict[str, Reference]:
    """The ``references`` section of a feed mapping: NAME -> {feed, description}."""
    block = _section(data, "references", issues, required=False)
    found: dict[str, Reference] = {}
    for key, entry in block.items():
        line = block.line_of(key)
        name = str(key)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name):
            issues.add(
                line, f"references.{name}", "a reference name must be an XML name, e.g. master."
            )
            continue
        if not isinstance(entry, dict) or "feed" not in entry:
            issues.add(
                line,
                f"references.{name}",
                "each reference needs 'feed' (the feed mapping that reads such documents) and "
                "may have a 'description'.",
            )
            continue
        unknown = sorted(set(entry) - {"feed", "description"})
        if unknown:
            issues.add(
                line,
                f"references.{name}",
                f"'{', '.join(map(str, unknown))}' is not a reference setting; the settings are "
                "feed and description.",
            )
        found[name] = Reference(
            name, _text(entry["feed"]), _text(entry.get("description", "")), line
        )
    return found


def _checks(block: Any, line: int, issues: _Issues) -> list[PathCheckSpec]:
    if block is None:
        return []
    if not isinstance(block, list):
        issues.add(line, "declarations.checks", "checks must be a list of {check, path}.")
        return []
    result = []
    for entry in block:
        entry_line = getattr(entry, "line", line)
        if not isinstance(entry, dict) or "check" not in entry or "path" not in entry:
            issues.add(
                entry_line,
                "declarations.checks",
                "each check needs 'check' (a name) and 'path' (a canonical path).",
            )
            continue
        result.append(
            PathCheckSpec(
                _text(entry["check"]),
                _text(entry["path"]),
                _text(entry.get("severity", "error")),
                entry_line,
            )
        )
    return result
