"""XML schemas the gateway validates against: its own, and an operator's official "schema pack".

Two sources of schemas:

* **Project schemas** (``load_schema``): the XSDs the gateway ships in ``schemas/`` (or an
  operator's own folders on ``GATEWAY_SCHEMAS_PATH``), named by their path relative to a
  schema folder, e.g. ``"destinations/uk-cds/uk-cds-declaration.xsd"``. Enforced at run time.
* **Schema packs** (``SchemaPack``): a folder of official, third-party schemas laid out like
  the reference standards folder (``<pack>/wco-dm-hmrc-cds/...``, ``<pack>/ens-uk-ics-hmrc/...``).
  The gateway never bundles them; an operator points it at a pack to validate against the
  official schemas as well. Validators are named (``"uk-cds"``, ``"ens-cc315a"``, ``"wco-res"``).

Loading is hardened: every schema file is read with a parser that has no network access, no
DTDs and no entity expansion, and every ``xs:import``/``xs:include`` location is checked to be
a local file before libxml2 compiles anything. Compiled schemas are cached: compiling the
official WCO declaration schema takes a noticeable fraction of a second, validating with it
takes microseconds.

``validation_errors`` turns libxml2's error log into one sentence per problem, each starting
with the line it was found on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import cast
from urllib.parse import unquote, urlparse

from lxml import etree

from gateway.errors import SchemaError
from gateway.formats.xml import hardened_parser
from gateway.resources import find_schema, schema_search_path

__all__ = ["SchemaPack", "load_schema", "validation_errors"]

XSD_NS = "http://www.w3.org/2001/XMLSchema"
_LINKING_ELEMENTS = tuple(f"{{{XSD_NS}}}{name}" for name in ("import", "include", "redefine"))
_CLARK_NAME = re.compile(r"\{([^}]*)\}([\w.\-]+)")


def _hardened_parser() -> etree.XMLParser:
    """A parser for schema files: no network, no DTD loading, no entity expansion."""
    return hardened_parser(remove_comments=True)


def _read_schema_document(path: Path) -> etree._ElementTree:
    """Parse one schema file with the hardened parser; refuse DTDs and non-schema roots."""
    try:
        tree = etree.parse(str(path), _hardened_parser())
    except (OSError, etree.XMLSyntaxError) as exc:
        raise SchemaError(f"The schema file {path} could not be read: {exc}.") from exc
    # ``DocInfo.doctype`` is the whole <!DOCTYPE ...> line, empty when there is none.
    doctype = str(getattr(tree.docinfo, "doctype", "") or "")
    if doctype or tree.docinfo.internalDTD is not None:
        raise SchemaError(
            f"The schema file {path} declares a DTD; schema files with DTDs are refused "
            "because DTDs can expand entities or reach the network."
        )
    if tree.getroot().tag != f"{{{XSD_NS}}}schema":
        raise SchemaError(
            f"The file {path} is not an XML schema: its root element is "
            f"{tree.getroot().tag!r}, not xs:schema."
        )
    return tree


def _local_target(location: str, referring_file: Path) -> Path:
    """The local file an ``xs:import``/``xs:include`` schemaLocation points at.

    Raises ``SchemaError`` for any location that is not a local file (http, ftp, ...), so
    compiling a schema can never reach the network.
    """
    parsed = urlparse(location)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise SchemaError(
                f"The schema {referring_file} imports {location!r}, a file on another host; "
                "only local schema files are allowed."
            )
        return Path(unquote(parsed.path))
    # A one-letter "scheme" is a Windows drive letter, not a URL scheme.
    if parsed.scheme and len(parsed.scheme) > 1:
        raise SchemaError(
            f"The schema {referring_file} imports {location!r}, which is not a local file; "
            "schemas are never fetched from the network."
        )
    return (referring_file.parent / unquote(location)).resolve()


def _check_local_imports(root_file: Path, root: etree._ElementTree | None = None) -> None:
    """Walk the import/include graph from ``root_file``, refusing anything not local.

    Every schema reached is read with the hardened parser (so a DTD anywhere is refused).
    A missing local file is tolerated here: libxml2 skips an import whose namespace is
    already known and reports a compile error otherwise.
    """
    pending: list[tuple[Path, etree._ElementTree | None]] = [(root_file, root)]
    seen: set[Path] = set()
    while pending:
        path, tree = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        if tree is None:
            if not path.is_file():
                continue
            tree = _read_schema_document(path)
        for link in tree.getroot().iter(*_LINKING_ELEMENTS):
            location = link.get("schemaLocation")
            if location:
                pending.append((_local_target(location, path), None))


def _compile(tree: etree._ElementTree, described_as: str) -> etree.XMLSchema:
    """Compile a parsed schema document, translating libxml2's complaint into a SchemaError."""
    try:
        return etree.XMLSchema(tree)
    except etree.XMLSchemaParseError as exc:
        entries = cast("Iterable[etree._LogEntry]", exc.error_log)
        details = "; ".join(f"line {entry.line}: {entry.message}" for entry in entries) or str(exc)
        raise SchemaError(f"The schema {described_as} does not compile: {details}") from exc


def _checked_relative_path(relative_path: str) -> str:
    """Refuse absolute paths and ``..`` so a schema name cannot leave the schema folders."""
    pure = PurePosixPath(relative_path.replace("\\", "/"))
    if not relative_path or pure.is_absolute() or ".." in pure.parts or ":" in relative_path:
        raise SchemaError(
            f"The schema name {relative_path!r} is not a relative path inside a schema folder; "
            "use a name such as 'destinations/uk-cds/uk-cds-declaration.xsd'."
        )
    return str(pure)


@functools.lru_cache(maxsize=64)
def _load_schema_file(path: Path) -> etree.XMLSchema:
    tree = _read_schema_document(path)
    _check_local_imports(path, tree)
    return _compile(tree, str(path))


def load_schema(relative_path: str) -> etree.XMLSchema:
    """The compiled project schema ``relative_path`` from the schema search path (cached).

    The operator's folders (``GATEWAY_SCHEMAS_PATH``) are searched before the bundled
    ``schemas/`` folder. Raises ``SchemaError`` when no folder has the file or it does not
    compile.
    """
    name = _checked_relative_path(relative_path)
    path = find_schema(name)
    if path is None:
        searched = ", ".join(str(folder) for folder in schema_search_path())
        raise SchemaError(
            f"The schema {name!r} was not found in any schema folder (searched: {searched})."
        )
    return _load_schema_file(path.resolve())


WRAPPER_ROOT = "documents"
WRAPPER_ENTRY = "document"


def load_wrapped_schema(relative_path: str) -> etree.XMLSchema:
    """A schema for ``<documents><document>DOC</document>...</documents>`` (no namespace),
    each DOC valid against the project schema ``relative_path``: one validation call for a
    whole batch of outputs. Cached like ``load_schema``."""
    name = _checked_relative_path(relative_path)
    path = find_schema(name)
    if path is None:
        load_schema(relative_path)  # raises the SchemaError that names the folders searched
        raise AssertionError("unreachable")
    return _wrapped(path.resolve())


@functools.lru_cache(maxsize=64)
def _wrapped(path: Path) -> etree.XMLSchema:
    target = _read_schema_document(path).getroot().get("targetNamespace") or ""
    xs = "http://www.w3.org/2001/XMLSchema"
    driver = (
        f'<xs:schema xmlns:xs="{xs}">'
        f'<xs:import namespace="{target}" schemaLocation="{path.as_uri()}"/>'
        f'<xs:element name="{WRAPPER_ROOT}"><xs:complexType><xs:sequence>'
        f'<xs:element name="{WRAPPER_ENTRY}" minOccurs="0" maxOccurs="unbounded"><xs:complexType>'
        '<xs:sequence><xs:any namespace="##other" processContents="strict"/></xs:sequence>'
        '<xs:attribute name="index" type="xs:integer"/>'
        "</xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element></xs:schema>"
    )
    _load_schema_file(path)  # the imported file passes the same local-only checks first
    tree = etree.ElementTree(etree.fromstring(driver.encode(), _hardened_parser()))
    return _compile(tree, f"batch wrapper of {path}")


@dataclass(frozen=True)
class _PackEntry:
    """How to build one named validator: the pack files it imports, by namespace."""

    description: str
    imports: Sequence[tuple[str, str]]  # (namespace, path relative to the pack folder)


_MD_NS = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
_DEC_NS = "urn:wco:datamodel:WCO:DEC-DMS:2"
_RES_NS = "urn:wco:datamodel:WCO:RES-DMS:2"

_PACK_ENTRIES: dict[str, _PackEntry] = {
    "uk-cds": _PackEntry(
        "UK CDS declaration (WCO DM 3.6 Declaration in md:MetaData)",
        [
            (_MD_NS, "wco-dm-hmrc-cds/DocumentMetaData_2_DMS.xsd"),
            (_DEC_NS, "wco-dm-hmrc-cds/WCO_DEC_2_DMS.xsd"),
        ],
    ),
    "wco-res": _PackEntry(
        "UK CDS notification (WCO DM 3.6 Response in md:MetaData)",
        [
            (_MD_NS, "wco-dm-hmrc-cds/notification/DocumentMetaData_2_DMS.xsd"),
            # WCO_RES_2_DMS.xsd imports the declaration schema from a sibling folder that the
            # published layout does not have; importing it first makes libxml2 reuse it.
            (_DEC_NS, "wco-dm-hmrc-cds/WCO_DEC_2_DMS.xsd"),
            (_RES_NS, "wco-dm-hmrc-cds/notification/WCO_RES_2_DMS.xsd"),
        ],
    ),
    "ens-cc315a": _PackEntry(
        "Entry summary declaration IE315 (EU ICS1 as used by the UK)",
        [("", "ens-uk-ics-hmrc/CC315A-v11-2.xsd")],
    ),
}


class SchemaPack:
    """A folder of official schemas an operator points the gateway at.

    The layout is that of the reference standards folder: ``<pack>/wco-dm-hmrc-cds/...``
    and ``<pack>/ens-uk-ics-hmrc/...``. ``validator(name)`` compiles the named validator the
    first time it is asked for and keeps it.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise SchemaError(f"The schema pack folder {self.folder} does not exist.")
        self._validators: dict[str, etree.XMLSchema] = {}

    @staticmethod
    def names() -> list[str]:
        """The validator names a schema pack can provide."""
        return sorted(_PACK_ENTRIES)

    def __repr__(self) -> str:
        return f"SchemaPack({str(self.folder)!r})"

    def validator(self, name: str) -> etree.XMLSchema:
        """The compiled official schema called ``name`` (see ``names()``), built once."""
        cached = self._validators.get(name)
        if cached is not None:
            return cached
        entry = _PACK_ENTRIES.get(name)
        if entry is None:
            raise SchemaError(
                f"The schema pack has no validator called {name!r}; "
                f"known validators are {', '.join(self.names())}."
            )
        schema = self._build(name, entry)
        self._validators[name] = schema
        return schema

    def _pack_file(self, name: str, relative: str) -> Path:
        path = (self.folder / relative).resolve()
        if not path.is_file():
            raise SchemaError(
                f"The schema pack {self.folder} lacks {relative}, which the {name!r} "
                "validator needs; is the pack laid out like the standards folder?"
            )
        return path

    def _build(self, name: str, entry: _PackEntry) -> etree.XMLSchema:
        files = [(namespace, self._pack_file(name, rel)) for namespace, rel in entry.imports]
        for _, path in files:
            _check_local_imports(path)
        described_as = f"{name!r} ({entry.description}) in the pack {self.folder}"
        if len(files) == 1:
            return _compile(_read_schema_document(files[0][1]), described_as)
        return _compile(_driver_schema(files), described_as)


def _driver_schema(files: Sequence[tuple[str, Path]]) -> etree._ElementTree:
    """A tiny in-memory XSD importing each (namespace, local file), so one schema sees all.

    The official md:MetaData element ends in a strict wildcard over the declaration
    namespace; the wildcard only validates when the declaration schema is loaded alongside.
    """
    root = etree.Element(f"{{{XSD_NS}}}schema", nsmap={"xs": XSD_NS})
    for namespace, path in files:
        etree.SubElement(
            root,
            f"{{{XSD_NS}}}import",
            namespace=namespace,
            schemaLocation=path.as_uri(),
        )
    return etree.ElementTree(root)


def validation_errors(
    schema: etree.XMLSchema, document: etree._Element | etree._ElementTree
) -> list[str]:
    """Every way ``document`` breaks ``schema``, as ``"line N: message"`` sentences.

    An empty list means the document is valid. Namespace-qualified names in libxml2's
    messages are shortened to their local names (``{urn:...}FunctionCode`` -> ``FunctionCode``)
    unless the message names the same local name in two namespaces (then the namespace is the
    point and stays); the path of the offending element is added.
    """
    if schema.validate(document):
        return []
    tree = document if isinstance(document, etree._ElementTree) else document.getroottree()
    entries = cast("Iterable[etree._LogEntry]", schema.error_log)
    return [_sentence(entry, tree) for entry in entries]


def _shorten_names(message: str) -> str:
    """Drop namespaces from ``{ns}local`` names when no local name is ambiguous without them."""
    namespaces_by_local: dict[str, set[str]] = {}
    for namespace, local in _CLARK_NAME.findall(message):
        namespaces_by_local.setdefault(local, set()).add(namespace)
    if any(len(namespaces) > 1 for namespaces in namespaces_by_local.values()):
        return message
    return _CLARK_NAME.sub(r"\2", message)


def _readable_path(tree: etree._ElementTree, libxml2_path: str | None) -> str | None:
    """``/MetaData/Declaration/TypeCode`` for libxml2's ``/md:MetaData/*[6]/*[2]``."""
    if not libxml2_path:
        return None
    root = tree.getroot()
    namespaces = {prefix: uri for prefix, uri in root.nsmap.items() if prefix}
    try:
        found = tree.xpath(libxml2_path, namespaces=namespaces)
    except etree.XPathError:
        return libxml2_path
    if not isinstance(found, list) or len(found) != 1 or not isinstance(found[0], etree._Element):
        return libxml2_path
    steps: list[str] = []
    element: etree._Element | None = found[0]
    while element is not None:
        name = etree.QName(element).localname
        parent = element.getparent()
        if parent is not None:
            same = [sibling for sibling in parent if sibling.tag == element.tag]
            if len(same) > 1:
                name += f"[{same.index(element) + 1}]"
        steps.append(name)
        element = parent
    return "/" + "/".join(reversed(steps))


def _sentence(entry: etree._LogEntry, tree: etree._ElementTree) -> str:
    message = _shorten_names(entry.message.strip())
    if not message.endswith("."):
        message += "."
    path = _readable_path(tree, entry.path)
    where = f" (at {path})" if path else ""
    return f"line {entry.line}: {message}{where}"
