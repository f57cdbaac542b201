"""Finding, loading and compiling mapping files: each compiled once, then reused.

Mapping folders are searched in order (an operator's own first, then the bundled one);
``feeds/NAME.yaml`` and ``destinations/NAME.yaml`` inside each. Compiling a mapping reads and
checks the YAML, writes its stylesheet and has libxslt compile it; the result is cached.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from lxml import etree

from gateway.errors import MappingError, MappingIssue
from gateway.mapping.functions import extension_functions
from gateway.mapping.paths import combine_paths, source_text
from gateway.mapping.references import reference_extension
from gateway.mapping.spec import MappingSpec, Node, read_mapping
from gateway.mapping.specialise import specialise, written_paths
from gateway.mapping.xslt import ChildOrder, stylesheet_text
from gateway.resources import mapping_search_path

FOLDERS = {"feed": "feeds", "destination": "destinations"}
_INDEX = re.compile(r"\[[^\]]*\]")
_EXTENSIONS = {**extension_functions(), **reference_extension()}
"""The extension functions every generated stylesheet is compiled with."""


class _Direct:
    """The source path of an output path cannot be written as a template: work it out."""


_DIRECT = _Direct()
_UNKNOWN = _Direct()
"""An output path not in the cache yet."""
_PROBE = 7_000_000_001
_OTHER_PROBE = 8_000_000_003
"""Two item positions no message reaches, whose digits no mapping file spells."""
PositionTemplate = tuple[str, str] | str | None | _Direct
"""The text before and after the item's position in a source path; the whole source path
when it does not hold the position; None for an output path no rule writes; ``_DIRECT``."""


@dataclass(frozen=True)
class SourceStep:
    """One level of a source path: the for_each text as written and the output group it fills."""

    text: str
    group: str | None
    path: str = ""
    """The output path (no positions) of the group it fills; "" for the declaration."""


@dataclass(frozen=True)
class Lineage:
    """Where a canonical (or output) field comes from: enclosing for_each levels and the rule."""

    levels: tuple[SourceStep, ...]
    tail: str
    rule: str
    computed: bool = False
    """The tail is an XPath expression (an ``xpath:`` rule), not a path below the levels."""


@dataclass
class CompiledMapping:
    """A mapping file ready to run: its spec, stylesheet and static lineage."""

    spec: MappingSpec
    stylesheet: str
    transform: etree.XSLT
    lineage: dict[str, Lineage]
    read_paths: frozenset[str]
    group_sources: dict[str, str] = field(default_factory=dict)
    """The for_each text of each repeated output group, by its output path ("": the items)."""
    _trace: etree.XSLT | None = field(default=None, repr=False)
    _order: ChildOrder | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _keys: dict[str, str] = field(default_factory=dict, repr=False)
    """Lineage keys already worked out, by output path (the same few paths recur per item)."""
    _specialised: dict[str, tuple[CompiledMapping, etree.XSLT]] = field(
        default_factory=dict, repr=False
    )
    """Destination stylesheets specialised to a feed, by feed name (with the feed mapping)."""
    _templates: dict[str, PositionTemplate] = field(default_factory=dict, repr=False)
    """How the source path of each output path is written around an item's position."""

    @property
    def name(self) -> str:
        return self.spec.name

    def trace_transform(self) -> etree.XSLT:
        """The same stylesheet, writing rule and source attributes on every field (for --trace)."""
        with self._lock:
            if self._trace is None:
                self._trace = _compile_xslt(
                    stylesheet_text(self.spec, order=self._order, trace=True), self.spec.file
                )
            return self._trace

    def transform_for(self, feed: CompiledMapping | None) -> etree.XSLT:
        """The destination stylesheet for canonical declarations that ``feed`` wrote.

        It leaves out the rules that read only canonical paths the feed never writes (see
        ``gateway.mapping.specialise``) and writes the same bytes as ``transform`` for any
        output of that feed. Declarations from no known feed (None) get ``transform``.
        """
        if feed is None or self.spec.kind != "destination" or feed.spec.kind != "feed":
            return self.transform
        with self._lock:
            cached = self._specialised.get(feed.name)
            if cached is not None and cached[0] is feed:
                return cached[1]
            spec = specialise(self.spec, written_paths(feed.lineage))
            transform = (
                self.transform
                if spec is None
                else _compile_xslt(stylesheet_text(spec, order=self._order), self.spec.file)
            )
            self._specialised[feed.name] = (feed, transform)
            return transform

    def source_path(self, output_path: str, position: int) -> str | None:
        """The source path (with positions) of a canonical path such as
        ``GoodsShipment/GovernmentAgencyGoodsItem[2]/Commodity/Description``.

        The same few output paths recur item after item with only the item's ``position``
        changing, so each path's answer is worked out once as the text around the position
        (see ``_position_template``) and filled in afterwards.
        """
        template = self._templates.get(output_path, _UNKNOWN)
        if template is _UNKNOWN:
            template = _remember(self._templates, output_path, self._position_template(output_path))
        if template is None or isinstance(template, str):
            return template
        if isinstance(template, tuple):
            before, after = template
            return f"{before}{position}{after}"
        return self._work_out_source_path(output_path, position)

    def _position_template(self, output_path: str) -> PositionTemplate:
        """How ``source_path`` depends on the item's position, worked out from two probes.

        The position is written once, as the first level's index, and the rest of the path
        is named around it without reading it (its digits are just what stands between
        brackets). So the answers for two positions that appear nowhere else tell it all:
        one text around the position (a pair), one text whatever the position (a string, or
        None for a path no rule writes), or ``_DIRECT`` when they do not agree with either.
        """
        first = self._work_out_source_path(output_path, _PROBE)
        second = self._work_out_source_path(output_path, _OTHER_PROBE)
        if first is None or second is None:
            return None if first is None and second is None else _DIRECT
        if first == second and str(_PROBE) not in first:
            return first
        before, found, after = first.partition(str(_PROBE))
        if found and str(_PROBE) not in after and second == f"{before}{_OTHER_PROBE}{after}":
            return (before, after)
        return _DIRECT

    def _work_out_source_path(self, output_path: str, position: int) -> str | None:
        """``source_path`` from the lineage, without the cache."""
        found = self.lineage_of(output_path)
        if found is None:
            return None
        indices = dict(re.findall(r"([^/\[]+)\[(\d+)\]", output_path))
        parts = []
        for number, level in enumerate(found.levels):
            index = str(position) if number == 0 else indices.get(level.group or "", "1")
            parts.append(f"{level.text}[{index}]")
        return source_text("/".join(parts), found.tail, computed=found.computed)

    def lineage_of(self, output_path: str) -> Lineage | None:
        """The lineage of an output path (positions allowed), or None for a path no rule writes."""
        return self.lineage.get(self._entry_key(output_path)) or self.lineage.get(
            _INDEX.sub("", output_path)
        )

    def _entry_key(self, output_path: str) -> str:
        """The lineage key of a path that keeps the index of list entries (a template key given
        as a list, e.g. two TransportContractDocument entries) and drops for_each positions."""
        known = self._keys.get(output_path)
        if known is None:
            known = _remember(self._keys, output_path, self._work_out_key(output_path))
        return known

    def _work_out_key(self, output_path: str) -> str:
        key = ""
        for step in output_path.split("/"):
            indexed = f"{key}/{step}" if key else step
            if "[" in step and any(
                known == indexed or known.startswith(indexed + "/") for known in self.lineage
            ):
                key = indexed
            else:
                plain = _INDEX.sub("", step)
                key = f"{key}/{plain}" if key else plain
        return key


_T = TypeVar("_T")
_CACHED_PATHS = 4096
"""Entries a per-path cache holds before it starts again (output paths carry positions)."""


def _remember(cache: dict[str, _T], key: str, value: _T) -> _T:
    """Put ``value`` in a per-path cache, emptying the cache first when it is full."""
    if len(cache) >= _CACHED_PATHS:
        cache.clear()
    cache[key] = value
    return value


def _compile_xslt(text: str, file: str) -> etree.XSLT:
    try:
        return etree.XSLT(etree.fromstring(text.encode()), extensions=_EXTENSIONS)
    except (etree.XSLTParseError, etree.XMLSyntaxError) as exc:
        raise MappingError(
            [MappingIssue(file, None, "", f"the generated stylesheet does not compile: {exc}.")]
        ) from exc


def _walk(
    node: Node, levels: tuple[SourceStep, ...], out: str, file: str
) -> Iterator[tuple[str, Lineage]]:
    """Lineage by output path; entries of a list (same name, no for_each) also under
    ``Name[n]``, numbered as the stylesheet numbers them, so each keeps its own source."""
    counts: dict[str, int] = {}
    for child in node.children:
        if not child.is_attribute and child.for_each is None:
            counts[child.name] = counts.get(child.name, 0) + 1
    seen: dict[str, int] = {}
    for child in node.children:
        child_levels = levels
        if child.for_each is not None:
            child_levels = (
                *levels,
                SourceStep(
                    child.for_each_text, child.name, f"{out}/{child.name}" if out else child.name
                ),
            )
        paths = [f"{out}/{child.name}" if out else child.name]
        if counts.get(child.name, 0) > 1:
            seen[child.name] = seen.get(child.name, 0) + 1
            paths.append(f"{paths[0]}[{seen[child.name]}]")
        for path in paths:
            if child.is_leaf:
                if child.value_kind == "message":
                    yield path, Lineage((), child.value_text, f"{file}:{child.line}")
                else:
                    tail = child.value_text if child.value_kind in ("from", "xpath") else ""
                    yield (
                        path,
                        Lineage(
                            child_levels,
                            tail,
                            f"{file}:{child.line}",
                            computed=child.value_kind == "xpath",
                        ),
                    )
            yield from _walk(child, child_levels, path, file)


def _read_paths(spec: MappingSpec) -> frozenset[str]:
    from gateway.mapping.paths import XPathSyntaxError, location_paths

    paths: set[str] = set()

    def visit(node: Node, base: str) -> None:
        for child in node.children:
            child_base = base
            if child.for_each is not None:
                child_base = combine_paths(base, _plain(child.for_each))
                paths.add(child_base)
            if child.value_kind in ("from", "xpath"):
                try:
                    for path in location_paths(child.value_xpath):
                        paths.add(combine_paths(child_base, path))
                except XPathSyntaxError:
                    continue
            visit(child, child_base)

    item = _plain(spec.for_each)
    visit(spec.template, item)
    for _text, xpath in spec.message_values.values():
        paths.update(location_paths(xpath))
    for expression in (spec.message_id, spec.declaration_id, spec.consignment_id):
        if expression:
            base = "" if expression is spec.message_id else item
            for path in location_paths(expression):
                paths.add(combine_paths(base, path))
    return frozenset(paths)


def _plain(expression: str) -> str:
    from gateway.mapping.paths import location_paths

    found = location_paths(expression) if expression else []
    return found[0] if found else expression


def compile_spec(spec: MappingSpec, order: ChildOrder | None = None) -> CompiledMapping:
    """Compile a loaded spec; MappingError when the stylesheet does not compile."""
    text = stylesheet_text(spec, order=order)
    transform = _compile_xslt(text, spec.file)
    lineage_levels: tuple[SourceStep, ...] = (
        (SourceStep(spec.for_each_text, None),)
        if spec.kind == "feed"
        else (SourceStep("Declaration", None),)
    )
    file = Path(spec.file).name
    lineage = dict(_walk(spec.template, lineage_levels, "", file))
    groups = {step.path: step.text for entry in lineage.values() for step in entry.levels}
    return CompiledMapping(
        spec, text, transform, lineage, _read_paths(spec), group_sources=groups, _order=order
    )


def canonical_order() -> ChildOrder | None:
    """Child order from the canonical model, so feed mappings may list fields in any order."""
    try:
        from gateway.canonical.structure import find_element
    except ImportError:  # pragma: no cover - the model ships with the package
        return None

    def order(parent_path: str, names: list[str]) -> list[str]:
        element = find_element(parent_path) if parent_path else find_element("")
        if element is None:
            return names
        known = [child.name for child in element.children]
        return [name for name in known if name in names] + [
            name for name in names if name not in known
        ]

    return order


class MappingCatalog:
    """All mapping files on a search path, compiled on first use and cached (thread-safe)."""

    def __init__(self, search_path: Sequence[Path] | None = None) -> None:
        self.search_path = list(search_path) if search_path is not None else mapping_search_path()
        self._compiled: dict[tuple[str, str], CompiledMapping] = {}
        self._lock = threading.Lock()

    def names(self, kind: str) -> list[str]:
        """Names of the mappings of one kind (``feed`` or ``destination``)."""
        found: set[str] = set()
        for folder in self.search_path:
            directory = folder / FOLDERS[kind]
            if directory.is_dir():
                found.update(path.stem for path in directory.glob("*.yaml"))
        return sorted(found)

    def path_of(self, name: str, kind: str) -> Path | None:
        for folder in self.search_path:
            candidate = folder / FOLDERS[kind] / f"{name}.yaml"
            if candidate.is_file():
                return candidate
        return None

    def get(self, name: str, kind: str) -> CompiledMapping:
        """The compiled mapping; MappingError when it is missing or broken."""
        key = (kind, name)
        with self._lock:
            cached = self._compiled.get(key)
            if cached is not None:
                return cached
            path = self.path_of(name, kind)
            if path is None:
                known = ", ".join(self.names(kind)) or "none"
                raise MappingError(
                    [
                        MappingIssue(
                            f"{FOLDERS[kind]}/{name}.yaml",
                            None,
                            "",
                            f"there is no {kind} mapping named '{name}'; the {kind} mappings are: {known}.",
                        )
                    ]
                )
            spec = load_spec(path)
            if spec.kind != kind:
                raise MappingError(
                    [
                        MappingIssue(
                            str(path),
                            None,
                            "kind",
                            f"the file says kind '{spec.kind}' but sits among the {kind} mappings.",
                        )
                    ]
                )
            compiled = compile_spec(spec, canonical_order() if kind == "feed" else None)
            self._compiled[key] = compiled
            return compiled


def load_spec(path: Path) -> MappingSpec:
    """Read one mapping file from disk."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(
            [MappingIssue(str(path), None, "", f"the file cannot be read: {exc}.")]
        ) from exc
    return read_mapping(text, str(path))
