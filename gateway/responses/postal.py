"""Customs outcomes in postal vocabulary: an ItemCustomsResponse for a postal sender.

A postal operator speaks in items and S10 identifiers, not in WCO declarations. For each
outcome about one of its items it gets an ``ItemCustomsResponse`` (namespace
``POSTAL_RESPONSE_NS``, schema ``schemas/responses/upu-itmatt-response.xsd``) whose status
code and text come from ``mappings/responses/postal/<feed>.yaml``, so an operator with the
real UPU code lists changes a mapping file, not code.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from gateway.errors import MappingError, MappingIssue
from gateway.mapping.yaml_lines import LineDict, load_yaml
from gateway.resources import mapping_search_path
from gateway.responses.outcome import OUTCOMES, CustomsOutcome

__all__ = ["POSTAL_RESPONSE_NS", "PostalStatus", "postal_vocabulary", "render_postal_response"]

POSTAL_RESPONSE_NS = "urn:customs-gateway:response:upu-itmatt:1"
"""XML namespace of ItemCustomsResponse messages."""

_MAX_TEXT = 2048
_ISO_DATE_OR_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$"
)
_CODE = re.compile(r"^[A-Z0-9]{1,8}$")


@dataclass(frozen=True)
class PostalStatus:
    """How one canonical outcome reads in a postal feed's vocabulary."""

    code: str
    text: str


def _load_vocabulary(path: Path) -> dict[str, PostalStatus]:
    file = str(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), file)
    except OSError as exc:
        raise MappingError(
            [MappingIssue(file, None, "", f"the file could not be read: {exc.strerror}.")]
        ) from exc
    issues: list[MappingIssue] = []
    statuses = data.get("statuses") if isinstance(data, LineDict) else None
    if not isinstance(statuses, LineDict):
        raise MappingError([MappingIssue(file, None, "statuses", "statuses must be a block.")])
    vocabulary: dict[str, PostalStatus] = {}
    for outcome in OUTCOMES:
        entry = statuses.get(outcome)
        line = statuses.line_of(outcome)
        if not isinstance(entry, LineDict):
            issues.append(
                MappingIssue(
                    file,
                    line,
                    f"statuses.{outcome}",
                    f"the outcome {outcome!r} needs a status block with a code and a text.",
                )
            )
            continue
        code, text = str(entry.get("code", "")), str(entry.get("text", ""))
        if not _CODE.match(code) or not text:
            issues.append(
                MappingIssue(
                    file,
                    line,
                    f"statuses.{outcome}",
                    "a status needs a code of 1 to "
                    "8 capital letters or digits and a non-empty text.",
                )
            )
            continue
        vocabulary[outcome] = PostalStatus(code, text)
    for extra in sorted(set(statuses) - set(OUTCOMES)):
        issues.append(
            MappingIssue(
                file,
                statuses.line_of(extra),
                f"statuses.{extra}",
                f"{extra!r} is not an outcome; outcomes are {', '.join(OUTCOMES)}.",
            )
        )
    if issues:
        raise MappingError(issues)
    return vocabulary


@functools.lru_cache(maxsize=8)
def postal_vocabulary(feed: str = "upu-itmatt") -> dict[str, PostalStatus]:
    """The outcome -> postal status table of ``feed`` (cached)."""
    if not re.match(r"^[a-z0-9][a-z0-9._-]{0,63}$", feed):
        raise MappingError(
            [MappingIssue("responses/postal", None, "", f"{feed!r} is not a feed name.")]
        )
    for folder in mapping_search_path():
        path = folder / "responses" / "postal" / f"{feed}.yaml"
        if path.is_file():
            return _load_vocabulary(path)
    raise MappingError(
        [
            MappingIssue(
                f"responses/postal/{feed}.yaml",
                None,
                "",
                f"the feed {feed!r} has no postal response vocabulary.",
            )
        ]
    )


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def render_postal_response(
    outcome: CustomsOutcome, item_id: str, *, feed: str = "upu-itmatt"
) -> bytes:
    """The ItemCustomsResponse XML (UTF-8, with declaration) telling a post about one outcome."""
    if outcome.outcome not in OUTCOMES:
        raise ValueError(f"{outcome.outcome!r} is not a customs outcome.")
    status = postal_vocabulary(feed)[outcome.outcome]

    def child(parent: etree._Element, name: str, text: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{POSTAL_RESPONSE_NS}}}{name}")
        element.text = text
        return element

    namespaces: Any = {None: POSTAL_RESPONSE_NS}  # lxml-stubs do not allow the None key
    root = etree.Element(f"{{{POSTAL_RESPONSE_NS}}}ItemCustomsResponse", nsmap=namespaces)
    root.set("version", "1")
    child(root, "ItemId", item_id)
    child(root, "DeclarationReference", outcome.declaration_ref)
    if outcome.customs_reference:
        child(root, "CustomsReference", outcome.customs_reference)
    status_element = child(root, "Status", status.text)
    status_element.set("code", status.code)
    status_element.set("outcome", outcome.outcome)
    if outcome.reason:
        child(root, "Reason", _clip(outcome.reason))
    if outcome.issued_at and _ISO_DATE_OR_DATETIME.match(outcome.issued_at):
        child(root, "IssuedAt", outcome.issued_at)
    child(root, "CustomsFunctionCode", outcome.raw_function_code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
