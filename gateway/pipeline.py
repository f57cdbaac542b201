"""translate(): parse -> map to canonical -> check -> render -> validate, composed.

The pure core of the gateway. The CLI's ``translate`` and the service run this same code:

    pipeline = Pipeline()
    result = pipeline.translate("upu-itmatt", "uk-cds", data, source_name="batch.xml")

A message is read in chunks (bounded memory for XML feeds); every chunk runs through the
feed's compiled stylesheet into canonical declarations, whose problem markers become
``Problem``s, then the checks, then (per target) the destination's compiled stylesheet and
schema validation. A bad item is refused on its own; the rest go on.
"""

from __future__ import annotations

import functools
import io
import os
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import IO, Any, cast

from lxml import etree

from gateway.canonical import CANONICAL_NS, PROBLEM_NS
from gateway.errors import ConfigurationError, GatewayError, InputError, MappingError
from gateway.formats.chunks import (
    HeaderCheck,
    HeaderNeeds,
    PrefixedStream,
    SourceChunk,
    check_root,
    stream_chunks,
    whole_document,
)
from gateway.formats.json_schema import element_at, is_json_schema, json_schema_errors
from gateway.formats.json_tree import json_source, parse_json
from gateway.formats.xml import DEFAULT_MAX_BYTES, parse_xml
from gateway.mapping.catalog import CompiledMapping, MappingCatalog
from gateway.mapping.markers import (
    LineageRow,
    lift_lineage,
    markers_by_entry,
    p_attr,
    pop_p_attrs,
    problem_from_marker,
)
from gateway.mapping.paths import tokenize
from gateway.mapping.references import bound_references, variable_name
from gateway.mapping.spec import MappingSpec
from gateway.problems import Problem, Severity
from gateway.translation import TranslatedDeclaration, TranslationResult

CANONICAL_TARGET = "canonical"
DEFAULT_CHUNK_SIZE = 500
SMALL_MESSAGE_BYTES = 64 * 1024
"""An XML message up to this size is parsed whole; a larger one is streamed in chunks."""
_C = f"{{{CANONICAL_NS}}}"
_DECLARATION = f"{_C}Declaration"
SKIP_ATTRIBUTE = f"{{{PROBLEM_NS}}}skip"
_SOURCE = f"{{{PROBLEM_NS}}}src"
_ENDS_EARLY = "Missing child element(s)"
"""libxml2's schema error for an element whose content stops before what it requires."""
_DECLARATION_ATTRIBUTES = ("pos", "id", "consignment")
"""The ``p:`` attributes the feed stylesheet writes on each declaration (taken off here)."""
_WITH_SOURCE = etree.XPath("descendant-or-self::*[@p:src]", namespaces={"p": PROBLEM_NS})


@dataclass(frozen=True, slots=True)
class CanonicalDeclaration:
    """One canonical declaration read from a feed, with its problems so far."""

    index: int
    declaration_id: str
    consignment_id: str | None
    element: etree._Element
    problems: tuple[Problem, ...]
    lineage: tuple[LineageRow, ...] = ()
    json_sources: JsonSources | None = None
    """From a JSON feed: where its parts were read, as exact JSON paths."""

    @property
    def canonical(self) -> bytes:
        """The canonical declaration as XML."""
        return etree.tostring(self.element, encoding="UTF-8")

    @property
    def accepted(self) -> bool:
        return not any(problem.is_error for problem in self.problems)


@dataclass(frozen=True)
class FeedResult:
    """A feed message read into canonical declarations (or refused as a whole)."""

    feed: str
    message_id: str | None
    declarations: tuple[CanonicalDeclaration, ...]
    problems: tuple[Problem, ...] = ()
    unmapped: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        return not any(problem.is_error for problem in self.problems)


@dataclass
class _Chunk:
    feed: CompiledMapping
    message_id: str | None
    declarations: list[CanonicalDeclaration] = field(default_factory=list)
    unmapped: set[str] = field(default_factory=set)


class Pipeline:
    """Compiled mappings, checks and schemas, ready to translate many messages (thread-safe)."""

    def __init__(
        self,
        catalog: MappingCatalog | None = None,
        *,
        parameters: Mapping[str, Mapping[str, str]] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        validate_canonical: bool = True,
    ) -> None:
        self.catalog = catalog or MappingCatalog()
        self.parameters = {target: dict(values) for target, values in (parameters or {}).items()}
        self.chunk_size = chunk_size
        self.max_bytes = max_bytes
        self.validate_canonical = validate_canonical
        self._suites: dict[tuple[str, ...], Any] = {}
        self._lock = threading.Lock()

    # -- catalogue -----------------------------------------------------------------------------

    def feeds(self) -> list[str]:
        return self.catalog.names("feed")

    def targets(self) -> list[str]:
        return [CANONICAL_TARGET, *self.catalog.names("destination")]

    def feed_mapping(self, feed: str) -> CompiledMapping:
        return self.catalog.get(feed, "feed")

    def destination_mapping(self, target: str) -> CompiledMapping:
        return self.catalog.get(target, "destination")

    def check_parameters(self, target: str) -> dict[str, str]:
        """The parameter values a target needs; ConfigurationError naming every missing one."""
        if target == CANONICAL_TARGET:
            return {}
        mapping = self.destination_mapping(target)
        given = self.parameters.get(target, {})
        values: dict[str, str] = {}
        missing = []
        for name, parameter in mapping.spec.parameters.items():
            if name in given:
                values[name] = given[name]
            elif parameter.default is not None:
                values[name] = parameter.default
            else:
                missing.append(f"'{name}' ({parameter.description or 'no description'})")
        if missing:
            raise ConfigurationError(
                f"The destination '{target}' needs the parameter(s) {', '.join(missing)}; give them "
                f"with --param NAME=VALUE or under parameters: {target}: in the configuration file."
            )
        unknown = sorted(set(given) - set(mapping.spec.parameters))
        if unknown:
            raise ConfigurationError(
                f"The destination '{target}' has no parameter(s) {', '.join(unknown)}; it takes "
                f"{', '.join(sorted(mapping.spec.parameters)) or 'none'}."
            )
        return values

    # -- reading feeds -------------------------------------------------------------------------

    def iter_feed(
        self,
        feed: str,
        stream: IO[bytes],
        *,
        source_name: str = "<message>",
        trace: bool = False,
        references: Mapping[str, bytes] | None = None,
    ) -> Iterator[_Chunk]:
        """Chunks of canonical declarations; InputError when the message cannot be read at all.

        ``references`` are the reference documents the feed mapping declares (name -> bytes,
        e.g. ``{"master": xfwb}``), read by its rules as ``$ref-NAME``; see
        ``gateway.mapping.references``.
        """
        for chunk, _ in self.iter_translated(
            feed, None, stream, source_name=source_name, trace=trace, references=references
        ):
            yield chunk

    def iter_translated(
        self,
        feed: str,
        target: str | None,
        stream: IO[bytes],
        *,
        source_name: str = "<message>",
        trace: bool = False,
        references: Mapping[str, bytes] | None = None,
        jobs: int = 1,
    ) -> Iterator[tuple[_Chunk, list[TranslatedDeclaration]]]:
        """Read a message chunk by chunk and render each chunk for ``target``, in input order
        (``target`` None: map to canonical only, the rendered list is then empty).

        With ``jobs`` above 1, chunks are mapped, checked and rendered in that many threads
        while this one reads on: lxml lets go of the interpreter lock while it parses,
        validates and transforms, so a second core does real work. At most ``2 * jobs``
        chunks are in flight, so memory stays flat whatever the batch size. When the
        message turns out to be unreadable part way, every chunk read before the fault is
        still yielded before the InputError is raised.
        """
        if target is not None and target != CANONICAL_TARGET:
            self.check_parameters(target)
        mapping = self.feed_mapping(feed)
        documents = self._reference_documents(mapping, references or {})

        def translate_chunk(
            source: SourceChunk, structural: dict[int, list[Problem]] | None
        ) -> tuple[_Chunk, list[TranslatedDeclaration]]:
            chunk = self._map_chunk(
                mapping,
                source,
                source_name,
                trace=trace,
                references=documents,
                structural=structural,
            )
            return chunk, [] if target is None else self.render(chunk, target, trace=trace)

        sources = self._source_chunks(mapping, stream, source_name, documents)
        if jobs <= 1:
            for source, structural in sources:
                yield translate_chunk(source, structural)
            return
        pool = ThreadPoolExecutor(jobs, thread_name_prefix="gateway-translate")
        pending: deque[Future[tuple[_Chunk, list[TranslatedDeclaration]]]] = deque()
        try:
            while True:
                try:
                    source, structural = next(sources)
                except StopIteration:
                    break
                except InputError:
                    while pending:
                        yield pending.popleft().result()
                    raise
                pending.append(pool.submit(translate_chunk, source, structural))
                if len(pending) >= 2 * jobs:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _reference_documents(
        self, mapping: CompiledMapping, references: Mapping[str, bytes]
    ) -> dict[str, etree._Element]:
        """Parse the reference documents given for a run (hardened parser, root checked)."""
        declared = mapping.spec.references
        unknown = sorted(set(references) - set(declared))
        if unknown:
            takes = ", ".join(sorted(declared)) or "none"
            raise ConfigurationError(
                f"The feed '{mapping.name}' takes no reference document named "
                f"{', '.join(repr(name) for name in unknown)}; the reference documents it takes "
                f"are: {takes}."
            )
        documents: dict[str, etree._Element] = {}
        for name, data in references.items():
            reference = declared[name]
            spec = self.feed_mapping(reference.feed).spec
            source_name = f"the reference document '{name}'"
            if spec.input_format == "json":
                documents[name] = parse_json(data, source_name, max_bytes=self.max_bytes)
                continue
            root = parse_xml(data, source_name, max_bytes=self.max_bytes)
            expected = _clark(spec.root, spec.namespaces) if spec.root else None
            check_root(
                root.tag,
                expected,
                source_name,
                reference.feed,
                line=cast("int | None", root.sourceline),
            )
            documents[name] = root
        return documents

    def read_feed(
        self,
        feed: str,
        data: bytes,
        *,
        source_name: str = "<message>",
        trace: bool = False,
        references: Mapping[str, bytes] | None = None,
    ) -> FeedResult:
        """Read a whole message; problems that refuse it as a whole are returned, not raised."""
        declarations: list[CanonicalDeclaration] = []
        unmapped: set[str] = set()
        message_id: str | None = None
        try:
            for chunk in self.iter_feed(
                feed,
                io.BytesIO(data),
                source_name=source_name,
                trace=trace,
                references=references,
            ):
                declarations.extend(chunk.declarations)
                unmapped |= chunk.unmapped
                message_id = message_id or chunk.message_id
        except InputError as exc:
            return FeedResult(
                feed, None, (), exc.problems or (_problem(str(exc), "input.invalid"),)
            )
        return FeedResult(feed, message_id, tuple(declarations), (), tuple(sorted(unmapped)))

    def _source_chunks(
        self,
        mapping: CompiledMapping,
        stream: IO[bytes],
        source_name: str,
        references: Mapping[str, etree._Element] | None = None,
    ) -> Iterator[tuple[SourceChunk, dict[int, list[Problem]] | None]]:
        """Source chunks, each with its structural problems when they were found while reading
        (JSON Schema), or None when the chunk is still to be validated (XSD).

        A large XML message is streamed only while the header read before its first item
        holds every message-level value (see ``gateway.formats.chunks``)."""
        spec = mapping.spec
        if spec.input_format == "json":
            data = stream.read(self.max_bytes + 1)
            root = parse_json(data, source_name, max_bytes=self.max_bytes)
            source = whole_document(root)
            if spec.input_schema and is_json_schema(spec.input_schema):
                yield source, _json_schema_problems(mapping, source, data, source_name)
            else:
                yield source, None
            return
        expected_root = _clark(spec.root, spec.namespaces) if spec.root else None
        item_path = _simple_path(spec.for_each, tuple(sorted(spec.namespaces.items())))
        head = stream.read(self.max_bytes + 1 if item_path is None else SMALL_MESSAGE_BYTES + 1)
        if item_path is None or (head and len(head) <= SMALL_MESSAGE_BYTES):
            # items that cannot stream, or a small message (one parcel, a few dozen): one
            # parse of the whole, no streaming machinery
            root = parse_xml(head, source_name, max_bytes=self.max_bytes)
            check_root(
                root.tag,
                expected_root,
                source_name,
                spec.name,
                line=cast("int | None", root.sourceline),
            )
            yield whole_document(root), None
            return
        for chunk in stream_chunks(
            cast(IO[bytes], PrefixedStream(head, stream)),
            source_name,
            feed=spec.name,
            root=expected_root,
            item_path=item_path,
            chunk_size=self.chunk_size,
            max_bytes=self.max_bytes,
            header_check=_message_header_check(spec, references or {}),
        ):
            yield chunk, None

    def _map_chunk(
        self,
        mapping: CompiledMapping,
        source: SourceChunk,
        source_name: str,
        *,
        trace: bool,
        references: Mapping[str, etree._Element] | None = None,
        structural: dict[int, list[Problem]] | None = None,
    ) -> _Chunk:
        if structural is None:
            structural = self._feed_schema_problems(mapping, source, source_name)
        transform = mapping.trace_transform() if trace else mapping.transform
        try:
            with bound_references(references or {}):
                result = transform(source.document, **{"gw-offset": str(source.offset)})  # type: ignore[arg-type]
        except etree.XSLTApplyError as exc:
            raise MappingError([]) from exc
        batch = result.getroot()
        message_id = p_attr(batch, "messageID") or None
        batch.set("feed", mapping.name)
        if message_id:
            batch.set("messageID", message_id)
        markers = markers_by_entry(batch)
        chunk = _Chunk(mapping, message_id)
        from_json = mapping.spec.input_format == "json"
        ids: list[str] = []
        for index, element in enumerate(batch):
            pos, item_id, consignment_id = pop_p_attrs(element, _DECLARATION_ATTRIBUTES)
            position = int(pos or index + 1)
            declaration_id = item_id or f"item {position}"
            ids.append(declaration_id)
            found = markers.get(index)
            problems = (
                _distinct(
                    problem_from_marker(marker, item=declaration_id, outbound=False)
                    for marker in found
                )
                if found
                else []
            )
            if structural:
                problems.extend(
                    _with_item(problem, declaration_id)
                    for problem in structural.get(position - source.offset - 1, [])
                )
            chunk.declarations.append(
                CanonicalDeclaration(
                    position - 1,
                    declaration_id,
                    consignment_id or None,
                    element,
                    tuple(problems),
                    tuple(lift_lineage(element)) if trace else (),
                    _json_sources(element) if from_json else None,
                )
            )
        if structural.get(-1):
            raise InputError(structural[-1][0].message, structural[-1])
        etree.cleanup_namespaces(batch)
        self._validate_canonical(batch, chunk)
        self._run_checks(mapping, batch, chunk, ids)
        if trace:
            chunk.unmapped = _unmapped(source.document, mapping)
        return chunk

    def _feed_schema_problems(
        self, mapping: CompiledMapping, source: SourceChunk, source_name: str
    ) -> dict[int, list[Problem]]:
        """Structural problems by item index in the chunk (-1: the message header)."""
        if not mapping.spec.input_schema:
            return {}
        schema = _load_schema(mapping.spec.input_schema)
        if schema.validate(source.document):
            return {}
        found: dict[int, list[Problem]] = {}
        items = _item_elements(source.document, mapping)
        index_of = {id(item): index for index, item in enumerate(items)}
        # A streamed chunk stops after its last item: the root and the containers holding
        # that item end early, and what the schema requires after it (a trailer, the rest of
        # a container) is still to come. Their "missing child" errors are left to the last
        # chunk, which holds the whole message besides the other items.
        cut_short = [] if source.complete or not items else list(items[-1].iterancestors())
        cut = {id(element) for element in cut_short}  # the list keeps the ids valid
        for entry in schema.error_log:  # type: ignore[attr-defined]
            index = -1
            at = node = _node_at(source.document, entry.path)
            if node is not None and id(node) in cut and _ENDS_EARLY in entry.message:
                continue
            while node is not None and id(node) not in index_of:
                node = node.getparent()
            source_path = _display_path(entry.path)
            if node is not None and at is not None:
                index = index_of[id(node)]
                # said from the item, numbered in the whole message (a streamed chunk's own
                # element positions are not the message's)
                position = source.offset + index + 1
                source_path = f"{mapping.spec.for_each_text}[{position}]{_below(node, at)}"
            message = f"{source_name} line {entry.line}: {_schema_message(entry.message)}."
            found.setdefault(index, []).append(
                Problem(
                    severity=Severity.ERROR,
                    code="feed.schema",
                    message=message,
                    source_path=source_path,
                    rule=mapping.spec.input_schema,
                    line=entry.line,
                )
            )
        return found

    def _validate_canonical(self, batch: etree._Element, chunk: _Chunk) -> None:
        if not self.validate_canonical:
            return
        schema = _canonical_schema()
        if schema is None or schema.validate(batch):
            return
        by_index: dict[int, list[Problem]] = {}
        for entry in schema.error_log:  # type: ignore[attr-defined]
            at = node = _node_at(batch, entry.path)
            while node is not None and node.getparent() is not batch:
                node = node.getparent()
            index = batch.index(node) if node is not None else -1
            # the path inside the declaration, as canonical paths are said elsewhere (the
            # batch's own numbering of declarations means nothing to the sender)
            path = (
                _below(node, at).lstrip("/") or None
                if node is not None and at is not None
                else _display_path(entry.path)
            )
            by_index.setdefault(index, []).append(
                Problem(
                    severity=Severity.ERROR,
                    code="canonical.invalid",
                    message=f"The canonical declaration is not valid: {_schema_message(entry.message)}.",
                    canonical_path=path,
                )
            )
        for index, problems in by_index.items():
            if 0 <= index < len(chunk.declarations):
                declaration = chunk.declarations[index]
                if not declaration.accepted:
                    continue  # already refused with its reasons; an incomplete form adds nothing
                chunk.declarations[index] = _add_problems(
                    declaration,
                    [_with_item(problem, declaration.declaration_id) for problem in problems],
                )

    def feed_checks(self, feed: str) -> Any:
        """The checks run on the canonical declarations of ``feed`` (a ``CheckSuite``): the
        default checks and those the feed mapping names."""
        return self._suite(self.feed_mapping(feed))

    def _suite(self, mapping: CompiledMapping, extra: Sequence[tuple[str, str, str]] = ()) -> Any:
        from gateway.checks import CheckSuite, PathCheck

        key = (mapping.name, *(f"{c}:{p}:{s}" for c, p, s in extra))
        with self._lock:
            suite = self._suites.get(key)
            if suite is None:
                checks = [
                    PathCheck(c.check, c.path, Severity(c.severity)) for c in mapping.spec.checks
                ]
                checks.extend(PathCheck(c, p, Severity(s)) for c, p, s in extra)
                suite = CheckSuite(checks, defaults=not extra)
                self._suites[key] = suite
            return suite

    def _run_checks(
        self, mapping: CompiledMapping, batch: etree._Element, chunk: _Chunk, ids: list[str]
    ) -> None:
        if not chunk.declarations:
            return
        suite = self._suite(mapping)
        results = suite.run([d.element for d in chunk.declarations], ids)
        for index, problems in enumerate(results):
            if problems:
                declaration = chunk.declarations[index]
                filled = [_with_source(problem, mapping, declaration) for problem in problems]
                chunk.declarations[index] = _add_problems(declaration, filled)

    # -- rendering -----------------------------------------------------------------------------

    def render(
        self,
        result: FeedResult | _Chunk,
        target: str,
        *,
        indices: Sequence[int] | None = None,
        trace: bool = False,
    ) -> list[TranslatedDeclaration]:
        """Render accepted declarations for a target and validate them against its schema."""
        wanted = set(indices) if indices is not None else None
        declarations = [d for d in result.declarations if wanted is None or d.index in wanted]
        if target == CANONICAL_TARGET:
            return [
                TranslatedDeclaration(
                    d.index,
                    d.declaration_id,
                    d.canonical,
                    d.canonical if d.accepted else None,
                    d.problems,
                    d.consignment_id,
                )
                for d in declarations
            ]
        mapping = self.destination_mapping(target)
        parameters = self.check_parameters(target)
        # by parent element, held as the key: a proxy let go could come back at the same
        # id() for another chunk's batch and merge two chunks out of order
        groups: dict[etree._Element | None, list[CanonicalDeclaration]] = {}
        for declaration in declarations:
            groups.setdefault(declaration.element.getparent(), []).append(declaration)
        rendered: list[TranslatedDeclaration] = []
        for group in groups.values():
            rendered.extend(self._render_group(mapping, group, parameters, trace=trace))
        return rendered

    def _render_group(
        self,
        mapping: CompiledMapping,
        declarations: list[CanonicalDeclaration],
        parameters: Mapping[str, str],
        *,
        trace: bool,
    ) -> list[TranslatedDeclaration]:
        spec = mapping.spec
        extra: dict[int, list[Problem]] = {}
        candidates = [(index, d) for index, d in enumerate(declarations) if d.accepted]
        if spec.requires and candidates and spec.per != "declaration":
            # per-declaration documents check requirements inside the stylesheet
            extra = self._requirement_problems(mapping, declarations, candidates)
        accepted = [(index, d) for index, d in candidates if not extra.get(index)]
        outputs: dict[int, tuple[bytes | None, Sequence[Problem]]] = {}
        if accepted:
            documents = self._transform_accepted(mapping, accepted, parameters, trace=trace)
            markers = markers_by_entry(documents)
            entries = list(documents)
            owners = (
                accepted[: len(entries)]
                if spec.per == "declaration"
                else [accepted[0]] * len(entries)
            )
            # the problems of each document with markers, by its number (most have none)
            problems_of: dict[int, list[Problem]] = {}
            if markers:
                feed = self._feed_of(accepted[0][1])
                for number, found_markers in markers.items():
                    if not 0 <= number < len(owners):
                        continue  # a marker outside every document concerns none of them
                    owner = owners[number][1]
                    found = [
                        _requirement_problem(marker, owner, spec.name, feed)
                        if marker.get("requirement")
                        else problem_from_marker(marker, item=owner.declaration_id, outbound=True)
                        for marker in found_markers
                    ]
                    unmet = [
                        problem
                        for problem in found
                        if problem.rule and problem.rule.endswith(":requires")
                    ]
                    # the missing requirement is the reason; what it leaves empty is noise
                    problems_of[number] = unmet or found
            if trace:
                for entry in entries:
                    if len(entry):
                        lift_lineage(entry[0])
            if spec.output_schema:
                invalid = _batch_schema_problems(spec.output_schema, documents, entries, spec.name)
                for number, found in invalid.items():
                    if not problems_of.get(number):
                        item = owners[number][1].declaration_id
                        problems_of[number] = [_with_item(p, item) for p in found]
            for number, entry in enumerate(entries):
                index, _ = owners[number]
                problems = problems_of.get(number, ())
                output_root = entry[0] if len(entry) else None
                body = (
                    None
                    if problems or output_root is None
                    else etree.tostring(output_root, encoding="UTF-8", xml_declaration=True)
                )
                outputs[index] = (body, problems)
            if spec.per == "message" and entries:
                # one document carries the whole group (its output is the first declaration's):
                # a problem in it refuses every declaration it would have carried
                for index, follower in accepted[1:]:
                    outputs[index] = (
                        None,
                        [_with_item(p, follower.declaration_id) for p in problems_of.get(0, ())],
                    )
        rendered = []
        for index, declaration in enumerate(declarations):
            body, rendering = outputs.get(index, (None, ()))
            more = extra.get(index)
            rendered.append(
                TranslatedDeclaration(
                    declaration.index,
                    declaration.declaration_id,
                    declaration.element,
                    body,
                    (*declaration.problems, *(more or ()), *rendering)
                    if more or rendering
                    else declaration.problems,
                    declaration.consignment_id,
                )
            )
        return rendered

    def _requirement_problems(
        self,
        mapping: CompiledMapping,
        declarations: list[CanonicalDeclaration],
        candidates: list[tuple[int, CanonicalDeclaration]],
    ) -> dict[int, list[Problem]]:
        """What the destination requires and each declaration lacks.

        A requirement ``A | B`` is met by either path (the partner's Exporter or the
        consignor); only when every alternative is missing is the first one reported.
        """
        spec = mapping.spec
        groups = [
            [part.strip() for part in entry.split("|") if part.strip()] for entry in spec.requires
        ]
        paths = list(dict.fromkeys(path for group in groups for path in group))
        suite = self._suite(mapping, [("required", path, "error") for path in paths])
        results = suite.run(
            [d.element for _, d in candidates], [d.declaration_id for _, d in candidates]
        )
        feed = self._feed_of(declarations[0])
        found: dict[int, list[Problem]] = {}
        for (index, declaration), problems in zip(candidates, results, strict=True):
            missing = {_generic(problem.canonical_path or "") for problem in problems}
            for group in groups:
                if all(_generic(path) in missing for path in group):
                    found.setdefault(index, []).extend(
                        _destination_problem(
                            problem, spec.name, feed, declaration, alternatives=group[1:]
                        )
                        for problem in problems
                        if _generic(problem.canonical_path or "") == _generic(group[0])
                    )
        return found

    def _transform_accepted(
        self,
        mapping: CompiledMapping,
        accepted: list[tuple[int, CanonicalDeclaration]],
        parameters: Mapping[str, str],
        *,
        trace: bool,
    ) -> etree._Element:
        """Run the destination stylesheet over the accepted declarations only.

        Per-declaration documents are rendered in place: the other declarations of the batch
        are marked ``p:skip`` for the run (the stylesheet passes them by) instead of copying
        the accepted ones into a batch of their own.
        """
        transform = (
            mapping.trace_transform()
            if trace
            else mapping.transform_for(self._feed_of(accepted[0][1]))
        )
        params = {f"param-{name}": etree.XSLT.strparam(value) for name, value in parameters.items()}
        elements = [declaration.element for _, declaration in accepted]
        parent = elements[0].getparent()
        in_place = (
            mapping.spec.per == "declaration"
            and parent is not None
            and all(element.getparent() is parent for element in elements)
        )
        if not in_place or parent is None:
            batch = etree.Element(f"{_C}DeclarationBatch", nsmap={None: CANONICAL_NS})  # type: ignore[dict-item]
            for element in elements:
                batch.append(_copy(element))
            return transform(batch, **params).getroot()  # type: ignore[arg-type]
        chosen = {id(element) for element in elements}  # the elements are held: ids are stable
        skipped = [child for child in parent if id(child) not in chosen]
        for child in skipped:
            child.set(SKIP_ATTRIBUTE, "1")
        try:
            return transform(parent.getroottree(), **params).getroot()  # type: ignore[arg-type]
        finally:
            for child in skipped:
                del child.attrib[SKIP_ATTRIBUTE]
                # setting the mark declared its namespace on the element: take that off too,
                # or the declaration's canonical form would carry it from now on
                etree.cleanup_namespaces(child)

    def _feed_of(self, declaration: CanonicalDeclaration) -> CompiledMapping | None:
        batch = declaration.element.getparent()
        name = batch.get("feed") if batch is not None else None
        return self.feed_mapping(name) if name else None

    # -- both ----------------------------------------------------------------------------------

    def translate(
        self,
        feed: str,
        target: str,
        data: bytes,
        *,
        source_name: str = "<message>",
        references: Mapping[str, bytes] | None = None,
    ) -> TranslationResult:
        """Read a message (with its reference documents, if any) and render it for one target."""
        if target != CANONICAL_TARGET:
            self.check_parameters(target)
        result = self.read_feed(feed, data, source_name=source_name, references=references)
        if not result.readable:
            return TranslationResult(feed, target, None, (), result.problems)
        return TranslationResult(
            feed, target, result.message_id, tuple(self.render(result, target)), ()
        )


# -- helpers -----------------------------------------------------------------------------------


def _problem(message: str, code: str) -> Problem:
    return Problem(severity=Severity.ERROR, code=code, message=message)


def _distinct(problems: Iterable[Problem]) -> list[Problem]:
    """Problems with one reported once per source value: when several rules read the same
    value (one currency code used for three amounts), its refusal is one problem, not three."""
    seen: set[tuple[str, str | None, str | None]] = set()
    kept: list[Problem] = []
    for problem in problems:
        key = (problem.code, problem.source_path, problem.value)
        if problem.source_path is not None and key in seen:
            continue
        seen.add(key)
        kept.append(problem)
    return kept


def _with_item(problem: Problem, item: str) -> Problem:

    return replace(problem, item=item)


def _with_source(
    problem: Problem, mapping: CompiledMapping, declaration: CanonicalDeclaration
) -> Problem:

    if problem.source_path or not problem.canonical_path:
        return problem
    return replace(problem, source_path=_source_path(mapping, problem.canonical_path, declaration))


def _source_path(
    mapping: CompiledMapping | None, canonical_path: str, declaration: CanonicalDeclaration
) -> str | None:
    """Where in the feed message a canonical path of a declaration was read from."""
    if mapping is None or not canonical_path:
        return None
    sources = declaration.json_sources
    if sources is None:
        return mapping.source_path(canonical_path, declaration.index + 1)
    lineage = mapping.lineage_of(canonical_path)
    # a header value (a lineage without levels) is read from the top of the message
    base = (
        "$" if lineage is not None and not lineage.levels else sources.path(canonical_path, mapping)
    )
    if lineage is None:
        return base
    return json_source(base, lineage.tail, computed=lineage.computed)


def _json_sources(declaration: etree._Element) -> JsonSources:
    """The array index of the entry each part of a declaration from a JSON feed was read at.

    The stylesheet marks the declaration and each repeated group with the index in its JSON
    array of the entry it was read from (``p:src``, removed here, before validation); the
    JSON paths are worked out from them only when a problem asks (``JsonSources.path``).
    """
    marked = []
    for element in cast("list[etree._Element]", _WITH_SOURCE(declaration)):  # outer first
        marked.append((element, element.get(_SOURCE) or ""))
        del element.attrib[_SOURCE]
    return JsonSources(declaration, tuple(marked))


class JsonSources:
    """Where the parts of one declaration from a JSON feed were read: exact JSON paths."""

    def __init__(
        self, declaration: etree._Element, marked: tuple[tuple[etree._Element, str], ...]
    ) -> None:
        self._declaration = declaration
        self._marked = marked  # holding the elements keeps their proxies (and ids) alive
        self._paths: dict[str, str] | None = None

    def path(self, canonical_path: str, mapping: CompiledMapping) -> str:
        """The JSON path of the innermost marked part holding ``canonical_path``."""
        paths = self._paths if self._paths is not None else self._work_out(mapping)
        steps = [step if "[" in step else f"{step}[1]" for step in canonical_path.split("/")]
        for cut in range(len(steps), -1, -1):
            found = paths.get("/".join(steps[:cut]))
            if found is not None:
                return found
        return "$"

    def _work_out(self, mapping: CompiledMapping) -> dict[str, str]:
        """Each part's path: its enclosing part's path, the for_each that reached the entry,
        and the entry's index (a filtered for_each's n-th match is not its n-th entry)."""
        paths: dict[str, str] = {}
        for element, index in self._marked:
            steps: list[str] = []
            current: etree._Element | None = element
            while current is not None and current is not self._declaration:
                before = sum(1 for _ in current.itersiblings(current.tag, preceding=True))
                steps.append(f"{etree.QName(current).localname}[{before + 1}]")
                current = current.getparent()
            steps.reverse()
            base = "$"
            for cut in range(len(steps) - 1, -1, -1) if steps else ():
                enclosing = paths.get("/".join(steps[:cut]))
                if enclosing is not None:
                    base = enclosing
                    break
            key = "/".join(steps)
            reached = mapping.group_sources.get(_generic(key), "")
            paths[key] = json_source(base, _at_index(reached, index))
        self._paths = paths
        return paths


def _at_index(for_each: str, index: str) -> str:
    """A for_each's text with its last array selection (``[*]``, ``[?(...)]``) as ``[index]``."""
    if not for_each.endswith("]"):
        return for_each
    depth = 0
    for position in range(len(for_each) - 1, -1, -1):
        if for_each[position] == "]":
            depth += 1
        elif for_each[position] == "[":
            depth -= 1
            if depth == 0:
                return for_each[:position] + (f"[{index}]" if index else "")
    return for_each


def _requirement_problem(
    marker: etree._Element,
    declaration: CanonicalDeclaration,
    target: str,
    feed: CompiledMapping | None,
) -> Problem:
    """The problem for a destination requirement the declaration does not meet."""
    alternatives = [part.strip() for part in (marker.get("requirement") or "").split("|")]
    path = marker.get("path")
    source = _source_path(feed, path or "", declaration)
    return Problem(
        severity=Severity.ERROR,
        code="required.missing",
        message=_requirement_message(path or "", target, source, alternatives[1:]),
        item=declaration.declaration_id,
        canonical_path=path,
        source_path=source,
        rule=marker.get("rule"),
    )


def _generic(path: str) -> str:
    """A canonical path without positions: ``A[2]/B`` -> ``A/B``."""
    return re.sub(r"\[\d+\]", "", path)


def _destination_problem(
    problem: Problem,
    target: str,
    feed: CompiledMapping | None,
    declaration: CanonicalDeclaration,
    *,
    alternatives: Sequence[str] = (),
) -> Problem:

    path = problem.canonical_path or ""
    source = _source_path(feed, path, declaration)
    message = _requirement_message(path, target, source, alternatives)
    return replace(problem, message=message, source_path=source)


def _requirement_message(
    path: str, target: str, source: str | None, alternatives: Sequence[str]
) -> str:
    """Why a declaration lacking a value the destination requires is refused."""
    where = f" (read from {source})" if source else ""
    either = "".join(f" or {alternative}" for alternative in alternatives)
    return (
        f"The destination '{target}' requires {path}{either}, but this declaration has no "
        f"value for it{where}."
    )


def _add_problems(
    declaration: CanonicalDeclaration, problems: Sequence[Problem]
) -> CanonicalDeclaration:

    return replace(declaration, problems=(*declaration.problems, *problems))


def _copy(element: etree._Element) -> etree._Element:
    import copy

    return copy.deepcopy(element)


def _clark(qname: str, namespaces: Mapping[str, str]) -> str:
    if ":" in qname:
        prefix, local = qname.split(":", 1)
        return f"{{{namespaces.get(prefix, '')}}}{local}"
    from gateway.mapping.spec import SOURCE_PREFIX

    default = namespaces.get(SOURCE_PREFIX)
    return f"{{{default}}}{qname}" if default else qname


@functools.lru_cache(maxsize=256)
def _simple_path(
    expression: str, namespace_items: tuple[tuple[str, str], ...]
) -> tuple[str, ...] | None:
    """The Clark names of a for_each made only of child steps (streamable), else None."""
    namespaces = dict(namespace_items)
    tokens = tokenize(expression)
    names: list[str] = []
    expect_name = True
    for token in tokens:
        if (
            expect_name
            and token.kind == "nametest"
            and token.text != "*"
            and not token.text.endswith(":*")
        ):
            names.append(_clark(token.text, namespaces))
            expect_name = False
        elif not expect_name and token.text == "/":
            expect_name = True
        else:
            return None
    return tuple(names) if names and not expect_name else None


def _message_header_check(
    spec: MappingSpec, references: Mapping[str, etree._Element]
) -> HeaderCheck | None:
    """Whether a header holds every message-level value of a feed mapping (None: it has none).

    The values are read as the feed stylesheet reads them: from the root element, with the
    mapping's namespaces and the reference documents as ``$ref-NAME``.
    """
    expressions = ([spec.message_id] if spec.message_id else []) + [
        xpath for _text, xpath in spec.message_values.values()
    ]
    if not expressions:
        return None
    paths = _message_paths(tuple(expressions), tuple(sorted(spec.namespaces.items())))
    variables: dict[str, Any] = {variable_name(name): [] for name in spec.references}
    variables.update({variable_name(name): [root] for name, root in references.items()})

    def check(header: etree._Element, containers: Sequence[etree._Element]) -> HeaderNeeds:
        places = [_where_selected(path, header, containers, variables) for path in paths]
        return HeaderNeeds(
            known=all(place is not None for place in places),
            in_containers=any(place == "containers" for place in places),
        )

    return check


@functools.lru_cache(maxsize=64)
def _message_paths(
    expressions: tuple[str, ...], namespace_items: tuple[tuple[str, str], ...]
) -> tuple[etree.XPath | None, ...]:
    """The message-level paths of a mapping, compiled once (None: libxml2 cannot compile it)."""
    compiled: list[etree.XPath | None] = []
    for expression in expressions:
        try:
            compiled.append(etree.XPath(expression, namespaces=dict(namespace_items)))
        except etree.XPathSyntaxError:
            compiled.append(None)
    return tuple(compiled)


def _where_selected(
    path: etree.XPath | None,
    header: etree._Element,
    containers: Sequence[etree._Element],
    variables: Mapping[str, Any],
) -> str | None:
    """Where the node whose value the stylesheet takes lies: 'header', 'containers', or None
    when the path selects nothing yet, or gives a value that cannot say (a number, a string,
    the root or a container itself, whose text includes the items)."""
    if path is None:
        return None
    try:
        found = path(header, **variables)
    except etree.XPathError:
        return None  # e.g. a function of the stylesheet: judged on the complete message
    if not isinstance(found, list) or not found:
        return None
    first = found[0]
    if isinstance(first, etree._Element):
        if first is header or first in containers:
            return None
        owner: etree._Element | None = first
    elif isinstance(first, etree._ElementUnicodeResult):
        owner = first.getparent()
        if first.is_tail and owner is not None:
            owner = owner.getparent()
    else:
        return "header"  # a namespace node
    while owner is not None:
        if owner in containers:
            return "containers"
        owner = owner.getparent()
    return "header"


def _item_elements(document: etree._Element, mapping: CompiledMapping) -> list[etree._Element]:
    spec = mapping.spec
    return list(document.xpath(spec.for_each, namespaces=spec.namespaces))  # type: ignore[arg-type]


def _json_schema_problems(
    mapping: CompiledMapping, source: SourceChunk, data: bytes, source_name: str
) -> dict[int, list[Problem]]:
    """JSON Schema problems by item index (-1: outside every item, refusing the message)."""
    relative = mapping.spec.input_schema or ""
    errors = json_schema_errors(relative, data)
    if not errors:
        return {}
    items = _item_elements(source.document, mapping)
    index_of = {id(item): index for index, item in enumerate(items)}
    found: dict[int, list[Problem]] = {}
    for error in errors:
        node: etree._Element | None = element_at(source.document, error.path)
        while node is not None and id(node) not in index_of:
            node = node.getparent()
        index = index_of[id(node)] if node is not None else -1
        found.setdefault(index, []).append(
            Problem(
                severity=Severity.ERROR,
                code="feed.schema",
                message=f"{source_name} at {error.json_path}: {error.message}.",
                source_path=error.json_path,
                rule=f"{relative}#/{error.schema_rule}",
            )
        )
    return found


def _node_at(root: etree._Element, path: str | None) -> etree._Element | None:
    if not path:
        return None
    try:
        found = root.getroottree().xpath(path)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _below(item: etree._Element, node: etree._Element) -> str:
    """The path from ``item`` down to ``node`` by local names, numbered where a name repeats
    among its siblings: ``/Contents/Content[2]/HSCode``; '' for the item itself."""
    steps: list[str] = []
    current: etree._Element | None = node
    while current is not None and current is not item:
        name = etree.QName(current).localname
        parent = current.getparent()
        same = [] if parent is None else [s for s in parent if s.tag == current.tag]
        steps.append(f"{name}[{same.index(current) + 1}]" if len(same) > 1 else name)
        current = parent
    return "".join(f"/{step}" for step in reversed(steps))


def _display_path(path: str | None) -> str | None:
    if not path:
        return None
    return re.sub(r"\*\[local-name\(\)\s*=\s*'([^']+)'\]", r"\1", re.sub(r"\{[^}]*\}", "", path))


def _schema_message(message: str) -> str:
    return re.sub(r"\{[^}]*\}", "", message).rstrip(".")


_schemas: dict[str, etree.XMLSchema] = {}


def _load_schema(relative: str) -> etree.XMLSchema:
    return _cached_schema(relative, os.environ.get("GATEWAY_SCHEMAS_PATH", ""), wrapped=False)


@functools.lru_cache(maxsize=128)
def _cached_schema(relative: str, search_path: str, *, wrapped: bool) -> etree.XMLSchema:
    """Schemas by name and search path: finding a file costs system calls, a message must not."""
    del search_path  # part of the cache key only
    from gateway.schemas import load_schema, load_wrapped_schema

    return load_wrapped_schema(relative) if wrapped else load_schema(relative)


def _canonical_schema() -> etree.XMLSchema | None:
    try:
        from gateway.canonical.xsd import canonical_schema
    except ImportError:
        return None
    return canonical_schema()


def _batch_schema_problems(
    relative: str, documents: etree._Element, entries: list[etree._Element], target: str
) -> dict[int, list[Problem]]:
    """Schema problems of rendered documents by their number, in one validation call."""
    wrapped = _cached_schema(relative, os.environ.get("GATEWAY_SCHEMAS_PATH", ""), wrapped=True)
    if wrapped.validate(documents):
        return {}
    found: dict[int, list[Problem]] = {}
    for entry in wrapped.error_log:  # type: ignore[attr-defined]
        match = re.match(r"^/documents/document(?:\[(\d+)\])?", entry.path or "")
        if match is None:
            continue
        number = int(match.group(1) or 1) - 1
        if not 0 <= number < len(entries):
            continue
        path = _display_path((entry.path or "")[match.end() :])
        found.setdefault(number, []).append(
            Problem(
                severity=Severity.ERROR,
                code="destination.schema",
                message=(
                    f"The {target} document is not valid against its schema: "
                    f"{_schema_message(entry.message)}."
                ),
                source_path=path,
                rule=target,
            )
        )
    return found


def _unmapped(document: etree._Element, mapping: CompiledMapping) -> set[str]:
    read = mapping.read_paths
    found: set[str] = set()
    for element in document.iter():
        if not isinstance(element.tag, str) or element is document:
            continue
        path = _generic_path(element, document)
        if len(element) == 0 and (element.text or "").strip() and not _is_read(path, read):
            found.add(path)
        for name in element.attrib:
            attribute = f"{path}/@{etree.QName(name).localname}"
            if not _is_read(attribute, read):
                found.add(attribute)
    return found


def _generic_path(element: etree._Element, top: etree._Element) -> str:
    parts = []
    current: etree._Element | None = element
    while current is not None and current is not top:
        parts.append(etree.QName(current).localname)
        current = current.getparent()
    return "/".join(reversed(parts))


def _is_read(path: str, read: frozenset[str]) -> bool:
    if path in read:
        return True
    return any(path.startswith(prefix + "/") for prefix in read)


def raise_for_gateway(exc: Exception) -> GatewayError:
    """Wrap an unexpected exception from a mapping run as a GatewayError."""
    return GatewayError(f"The translation failed unexpectedly: {exc}.")
