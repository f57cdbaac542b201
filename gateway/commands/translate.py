"""``gateway translate``: feed messages in, one document per declaration out, a report of the rest."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from gateway.commands.common import load_parameters, parameters_for
from gateway.errors import ConfigurationError, InputError
from gateway.formats.xml import DEFAULT_MAX_BYTES
from gateway.pipeline import CANONICAL_TARGET, Pipeline
from gateway.problems import Problem
from gateway.translation import TranslatedDeclaration

PROGRESS_FROM_BYTES = 4 * 1024 * 1024
"""Show a progress bar for inputs above this size (a few thousand postal items)."""
SHOWN_REFUSALS = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_name(identifier: str, used: set[str], suffix: str) -> str:
    stem = _UNSAFE.sub("_", identifier).strip("._") or "declaration"
    name, number = f"{stem}{suffix}", 1
    while name in used:
        number += 1
        name = f"{stem}-{number}{suffix}"
    used.add(name)
    return name


class _Writer:
    """Where outputs go: one file per declaration, or stdout."""

    def __init__(self, out: Path | None, target: str, output_format: str) -> None:
        self.out = out
        self.target = target
        self.format = output_format
        self.used: set[str] = set()
        self.stdout = sys.stdout.buffer
        self.opened = False
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)

    def body(self, declaration: TranslatedDeclaration) -> bytes:
        if self.target == CANONICAL_TARGET and self.format == "json":
            from gateway.canonical.json import declaration_to_json
            from gateway.canonical.xml import declaration_from_xml

            return declaration_to_json(declaration_from_xml(declaration.canonical))
        return declaration.output or b""

    def write(self, declaration: TranslatedDeclaration) -> None:
        body = self.body(declaration)
        if self.out is not None:
            suffix = ".json" if self.format == "json" else ".xml"
            (self.out / _file_name(declaration.declaration_id, self.used, suffix)).write_bytes(body)
            return
        if self.target == CANONICAL_TARGET and self.format == "xml":
            if not self.opened:
                self.stdout.write(
                    b'<?xml version="1.0" encoding="UTF-8"?>\n'
                    b'<DeclarationBatch xmlns="urn:customs-gateway:canonical:1">\n'
                )
                self.opened = True
            self.stdout.write(body + b"\n")
            return
        if self.format == "json":
            self.stdout.write(body + b"\n")
            return
        self.stdout.write(body + b"\n")

    def close(self) -> None:
        if self.out is None and self.opened:
            self.stdout.write(b"</DeclarationBatch>\n")
        if self.out is None:
            self.stdout.flush()


class _Tracked:
    """A file object that reports how many bytes were read (for the progress bar)."""

    def __init__(self, stream: IO[bytes], progress: Progress | None, task: Any) -> None:
        self.stream = stream
        self.progress = progress
        self.task = task

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        if self.progress is not None:
            self.progress.advance(self.task, len(data))
        return data


@contextmanager
def _progress(console: Console, path: Path) -> Iterator[tuple[Progress | None, Any]]:
    size = path.stat().st_size
    if not console.is_terminal or size < PROGRESS_FROM_BYTES:
        yield None, None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[items]:,} items"),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task(path.name, total=size, items=0)
        yield progress, task


def default_jobs() -> int:
    """Threads for a translation when --jobs is not given: the cores, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def run(arguments: argparse.Namespace) -> int:
    """Translate every input; 0 when all translated, 1 when some items were refused."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    parameters = load_parameters(arguments.config, arguments.param)
    pipeline = Pipeline(max_bytes=arguments.max_bytes or DEFAULT_MAX_BYTES)
    feed_mapping = pipeline.feed_mapping(arguments.feed)
    target: str = arguments.target
    if target != CANONICAL_TARGET:
        declared = list(pipeline.destination_mapping(target).spec.parameters)
        pipeline.parameters = {target: parameters_for(parameters, target, declared)}
        pipeline.check_parameters(target)
    if arguments.format == "json" and target != CANONICAL_TARGET:
        raise ConfigurationError(
            "--format json is available with --to canonical only; destinations have formats of their own."
        )
    missing = [str(path) for path in arguments.inputs if not path.is_file()]
    if missing:
        raise ConfigurationError(f"The input file(s) {', '.join(missing)} do not exist.")
    arguments.references = read_references(getattr(arguments, "reference", None) or [])
    writer = _Writer(arguments.out, target, arguments.format)
    report: dict[str, Any] = {"feed": feed_mapping.name, "target": target, "inputs": []}
    refused_any = False
    try:
        for path in arguments.inputs:
            entry = _translate_file(pipeline, arguments, path, writer, console)
            report["inputs"].append(entry)
            refused_any = refused_any or bool(entry["refused"]) or not entry["readable"]
    finally:
        writer.close()
    _summary(console, report)
    if arguments.report is not None:
        arguments.report.parent.mkdir(parents=True, exist_ok=True)
        arguments.report.write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 1 if refused_any else 0


def read_references(options: list[str]) -> dict[str, bytes]:
    """``--reference NAME=FILE`` options as name -> document bytes; ConfigurationError if wrong."""
    references: dict[str, bytes] = {}
    for option in options:
        name, separator, file = option.partition("=")
        if not separator or not name.strip() or not file.strip():
            raise ConfigurationError(
                f"--reference '{option}' is not NAME=FILE; write it as --reference master=MAWB.xml."
            )
        if name.strip() in references:
            raise ConfigurationError(f"--reference names the document '{name.strip()}' twice.")
        try:
            references[name.strip()] = Path(file.strip()).read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"The reference document '{name.strip()}' cannot be read from {file.strip()}: "
                f"{exc.strerror or exc}."
            ) from exc
    return references


def _translate_file(
    pipeline: Pipeline, arguments: argparse.Namespace, path: Path, writer: _Writer, console: Console
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "file": str(path),
        "message_id": None,
        "readable": True,
        "declarations": 0,
        "accepted": 0,
        "refused": 0,
        "items": [],
        "problems": [],
    }
    shown = 0
    with path.open("rb") as stream, _progress(console, path) as (progress, task):
        tracked = _Tracked(stream, progress, task)
        try:
            for chunk, rendered in pipeline.iter_translated(
                arguments.feed,
                arguments.target,
                cast(IO[bytes], tracked),
                source_name=str(path),
                trace=arguments.trace,
                references=arguments.references,
                jobs=arguments.jobs or default_jobs(),
            ):
                entry["message_id"] = entry["message_id"] or chunk.message_id
                lineage = {d.index: d.lineage for d in chunk.declarations}
                for declaration in rendered:
                    entry["declarations"] += 1
                    item: dict[str, Any] = {
                        "id": declaration.declaration_id,
                        "index": declaration.index,
                    }
                    if declaration.accepted and declaration.output is not None:
                        writer.write(declaration)
                        entry["accepted"] += 1
                        item["status"] = "accepted"
                    else:
                        entry["refused"] += 1
                        item["status"] = "refused"
                        item["problems"] = [problem.to_dict() for problem in declaration.problems]
                        if shown < SHOWN_REFUSALS:
                            _print_refusal(console, declaration)
                        shown += 1
                    warnings = [p.to_dict() for p in declaration.problems if not p.is_error]
                    if warnings and declaration.accepted:
                        item["warnings"] = warnings
                    if arguments.trace:
                        item["lineage"] = [
                            row.__dict__ if hasattr(row, "__dict__") else _row(row)
                            for row in lineage.get(declaration.index, ())
                        ]
                    entry["items"].append(item)
                if arguments.trace:
                    entry.setdefault("unmapped", [])
                    entry["unmapped"] = sorted(set(entry["unmapped"]) | chunk.unmapped)
                if progress is not None:
                    progress.update(task, items=entry["declarations"])
        except InputError as exc:
            entry["readable"] = False
            entry["problems"] = [problem.to_dict() for problem in exc.problems] or [
                {"message": str(exc)}
            ]
            console.print(f"[bold red]refused:[/] {exc}", markup=True)
    if shown > SHOWN_REFUSALS:
        console.print(
            f"... and {shown - SHOWN_REFUSALS:,} more refused items; see --report for all of them."
        )
    if arguments.trace:
        _print_trace(console, entry)
    return entry


def _row(row: Any) -> dict[str, str]:
    return {"path": row.path, "source": row.source, "rule": row.rule, "value": row.value}


def _print_refusal(console: Console, declaration: TranslatedDeclaration) -> None:
    errors = [problem for problem in declaration.problems if problem.is_error]
    console.print(
        f"[bold red]refused[/] item {declaration.declaration_id} ({len(errors)} problem{'s' if len(errors) != 1 else ''}):",
        markup=True,
    )
    for problem in errors:
        console.print(f"  - {_where(problem)}{problem.message}", markup=False)


def _where(problem: Problem) -> str:
    parts = [
        part
        for part in (problem.source_path, f"line {problem.line}" if problem.line else None)
        if part
    ]
    return f"{', '.join(parts)}: " if parts else ""


def _print_trace(console: Console, entry: dict[str, Any]) -> None:
    from rich.table import Table

    items = entry["items"][:3]
    for item in items:
        table = Table(title=f"lineage of {item['id']}", show_lines=False)
        for column in ("field", "value", "source", "rule"):
            table.add_column(column)
        for row in item.get("lineage", []):
            table.add_row(row["path"], row["value"], row["source"], row["rule"])
        console.print(table)
    if len(entry["items"]) > 3:
        console.print(
            f"(lineage of the other {len(entry['items']) - 3} items is in the --report file)"
        )
    unmapped = entry.get("unmapped", [])
    if unmapped:
        console.print(
            f"[bold yellow]unmapped[/]: {len(unmapped)} source element(s) no rule read:",
            markup=True,
        )
        for path in unmapped:
            console.print(f"  - {path}", markup=False)
    else:
        console.print("Every source element was read by some rule.")


def _summary(console: Console, report: dict[str, Any]) -> None:
    for entry in report["inputs"]:
        if not entry["readable"]:
            console.print(f"{entry['file']}: refused as a whole.")
            continue
        console.print(
            f"{entry['file']}: {entry['declarations']:,} declaration(s), "
            f"{entry['accepted']:,} translated for {report['target']}, {entry['refused']:,} refused."
        )
