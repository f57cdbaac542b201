"""``gateway mappings lint`` and ``gateway mappings test``."""

from __future__ import annotations

import argparse
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from gateway.errors import ConfigurationError, GatewayError, MappingError, MappingIssue
from gateway.mapping.catalog import MappingCatalog, load_spec
from gateway.mapping.paths import XPathSyntaxError, combine_paths, location_paths
from gateway.mapping.spec import MappingSpec, Node
from gateway.pipeline import Pipeline

# -- lint ------------------------------------------------------------------------------------


def lint_spec(spec: MappingSpec) -> list[MappingIssue]:
    """Canonical paths a mapping names that the canonical model does not have, and the like."""
    from gateway.canonical.structure import find_element
    from gateway.checks import check_names

    issues: list[MappingIssue] = []

    def exists(path: str) -> bool:
        if spec.kind == "destination" and spec.per == "message":
            path = re.sub(r"^Declaration(\[[^\]]*\])?/?", "", path)
        element_path, _, attribute = path.partition("/@")
        element = find_element(element_path)
        return element is not None and (not attribute or attribute in element.attributes)

    def visit_feed(node: Node) -> None:
        for child in node.children:
            path = (
                f"{node.path}/{child.name}".lstrip("/")
                if not child.is_attribute
                else f"{node.path}/{child.name}"
            )
            path = path.replace("/@", "/@")
            if not exists(path):
                issues.append(
                    MappingIssue(
                        spec.file,
                        child.line,
                        child.path,
                        f"the canonical model has no field {path}.",
                    )
                )
                continue
            visit_feed(child)

    def visit_destination(node: Node, base: str) -> None:
        for child in node.children:
            context = base
            if child.for_each is not None:
                context = combine_paths(base, child.for_each_text)
                if not exists(context):
                    issues.append(
                        MappingIssue(
                            spec.file,
                            child.line,
                            child.path,
                            f"for_each reads {context}, which the canonical model does not have.",
                        )
                    )
            if child.value_kind in ("from", "xpath"):
                try:
                    paths = location_paths(child.value_text)
                except XPathSyntaxError:
                    paths = []
                for path in paths:
                    full = combine_paths(context, path)
                    if full and not exists(full):
                        issues.append(
                            MappingIssue(
                                spec.file,
                                child.line,
                                child.path,
                                f"reads {full}, which the canonical model does not have.",
                            )
                        )
            visit_destination(child, context)

    if spec.kind == "feed":
        visit_feed(spec.template)
        known = set(check_names())
        for check in spec.checks:
            if check.check not in known:
                issues.append(
                    MappingIssue(
                        spec.file,
                        check.line,
                        "checks",
                        f"there is no check named '{check.check}'; the checks are {', '.join(sorted(known))}.",
                    )
                )
            if not exists(re.sub(r"\[\d+\]", "", check.path)):  # [n] picks a repetition
                issues.append(
                    MappingIssue(
                        spec.file,
                        check.line,
                        "checks",
                        f"the check path {check.path} is not a canonical field.",
                    )
                )
        if spec.input_schema:
            issues.extend(_schema_issue(spec, spec.input_schema))
    else:
        visit_destination(spec.template, "")
        for path in (part.strip() for entry in spec.requires for part in entry.split("|")):
            if not exists(path):
                issues.append(
                    MappingIssue(
                        spec.file,
                        None,
                        "requires",
                        f"requires {path}, which is not a canonical field.",
                    )
                )
        if spec.output_schema:
            issues.extend(_schema_issue(spec, spec.output_schema))
    return issues


def _schema_issue(spec: MappingSpec, relative: str) -> list[MappingIssue]:
    from gateway.formats.json_schema import is_json_schema, load_json_schema
    from gateway.schemas import load_schema

    try:
        if is_json_schema(relative):
            load_json_schema(relative)
        else:
            load_schema(relative)
    except GatewayError as exc:
        return [MappingIssue(spec.file, None, "schema", str(exc))]
    return []


def lint(arguments: argparse.Namespace) -> int:
    """Compile every mapping; check the canonical paths it names. 0 when all are clean."""
    del arguments
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    catalog = MappingCatalog()
    problems: list[MappingIssue] = []
    count = 0
    for kind in ("feed", "destination"):
        for name in catalog.names(kind):
            count += 1
            path = catalog.path_of(name, kind)
            assert path is not None
            try:
                catalog.get(name, kind)
                found = lint_spec(load_spec(path))
            except MappingError as exc:
                found = list(exc.issues)
            problems.extend(found)
            status = "[green]ok[/]" if not found else f"[red]{len(found)} problem(s)[/]"
            console.print(f"{kind} {name}: {status}", markup=True)
    for issue in problems:
        console.print(f"  {issue}", markup=False)
    console.print(f"{count} mapping(s) checked, {len(problems)} problem(s).")
    return 0 if not problems else 1


# -- golden-file cases -------------------------------------------------------------------------


@dataclass
class GoldenResult:
    """The outcome of one golden case: files that differ, are missing or are unexpected."""

    case: Path
    differences: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences


def golden_cases(folder: Path) -> list[Path]:
    """Every case folder (holding case.yaml) below ``folder``."""
    return sorted(path.parent for path in folder.rglob("case.yaml"))


def actual_files(case: Path) -> dict[str, bytes]:
    """What today's mappings produce for a case: one file per accepted declaration + refusals."""
    settings = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8")) or {}
    feed, target = str(settings["feed"]), str(settings["target"])
    source = (case / str(settings["input"])).resolve()
    parameters = {target: {str(k): str(v) for k, v in (settings.get("parameters") or {}).items()}}
    pipeline = Pipeline(parameters=parameters)
    files: dict[str, bytes] = {}
    refusals: list[dict[str, Any]] = []
    references = {  # reference documents (e.g. master: the XFWB of an XFZB), paths as for input
        str(name): (case / str(path)).resolve().read_bytes()
        for name, path in (settings.get("references") or {}).items()
    }
    result = pipeline.translate(
        feed, target, source.read_bytes(), source_name=source.name, references=references
    )
    for declaration in result.declarations:
        if declaration.accepted and declaration.output is not None:
            files[f"{declaration.declaration_id}.xml"] = declaration.output
        else:
            refusals.append(
                {
                    "id": declaration.declaration_id,
                    "problems": [
                        {
                            key: value
                            for key, value in problem.to_dict().items()
                            if key in ("code", "source_path", "canonical_path", "value")
                        }
                        for problem in declaration.problems
                        if problem.is_error
                    ],
                }
            )
    summary = {
        "message_id": result.message_id,
        "message_problems": [problem.to_dict() for problem in result.problems],
        "refused": refusals,
    }
    files["refusals.json"] = (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode()
    return files


def run_case(case: Path, *, update: bool = False) -> GoldenResult:
    result = GoldenResult(case)
    expected_dir = case / "expected"
    actual = actual_files(case)
    if update:
        expected_dir.mkdir(exist_ok=True)
        for old in expected_dir.iterdir():
            old.unlink()
        for name, body in actual.items():
            (expected_dir / name).write_bytes(body)
        return result
    expected = (
        {path.name: path.read_bytes() for path in expected_dir.iterdir()}
        if expected_dir.is_dir()
        else {}
    )
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            result.differences.append(f"{name}: expected, but today's mappings did not produce it")
        elif name not in expected:
            result.differences.append(f"{name}: produced, but not among the expected files")
        elif expected[name] != actual[name]:
            diff = difflib.unified_diff(
                _lines(expected[name]),
                _lines(actual[name]),
                "expected/" + name,
                "actual/" + name,
                lineterm="",
                n=1,
            )
            result.differences.append("\n".join(list(diff)[:40]))
    return result


def _lines(body: bytes) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    return text.replace("><", ">\n<").splitlines()


def test(arguments: argparse.Namespace) -> int:
    """Run every golden case; 0 when all match."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    folder: Path = arguments.golden or Path.cwd() / "tests" / "golden"
    if not folder.is_dir():
        raise ConfigurationError(
            f"There is no folder of golden cases at {folder}; give one with --golden DIR."
        )
    cases = golden_cases(folder)
    if not cases:
        raise ConfigurationError(f"{folder} holds no golden case (a folder with a case.yaml).")
    failed = 0
    for case in cases:
        outcome = run_case(case, update=arguments.update)
        name = case.relative_to(folder)
        if arguments.update:
            console.print(f"updated {name}")
        elif outcome.passed:
            console.print(f"[green]pass[/] {name}", markup=True)
        else:
            failed += 1
            console.print(f"[red]FAIL[/] {name}", markup=True)
            for difference in outcome.differences:
                console.print(difference, markup=False)
    console.print(f"{len(cases)} golden case(s), {failed} failed.")
    return 0 if failed == 0 else 1
