"""WCO DM notifications shaped like UK CDS sends them: DMSRCV, DMSACC, DMSREQ, DMSCLE, ...

Each builder returns one ``md:MetaData`` envelope (WCOTypeName RES) holding one ``Response``
of the WCO DM 3.6 response schema (``WCO_RES_2_DMS.xsd``), with the elements in the order
that schema requires: FunctionCode, FunctionalReferenceID, IssueDateTime,
AdditionalInformation, Error, Status, Declaration. The shapes follow HMRC's published
notification chain (received, query, accepted, amended, cleared). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from lxml import etree

__all__ = [
    "FUNCTION_CODES",
    "MD_NS",
    "RES_DS_NS",
    "RES_NS",
    "NotificationKind",
    "build_notification",
    "customs_reference_for",
    "wco_datetime",
]

MD_NS: Final = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
RES_NS: Final = "urn:wco:datamodel:WCO:RES-DMS:2"
RES_DS_NS: Final = "urn:wco:datamodel:WCO:Response_DS:DMS:2"
"""Namespace of the response data-set types; their DateTimeString children live in it."""
_NSMAP: Any = {"md": MD_NS, "p1": RES_DS_NS, None: RES_NS}  # lxml-stubs do not allow the None key

NotificationKind = str
"""One of the keys of ``FUNCTION_CODES``: received, accepted, rejected, control, query, cleared."""

FUNCTION_CODES: Final[dict[str, str]] = {
    "received": "02",  # DMSRCV
    "accepted": "01",  # DMSACC
    "rejected": "03",  # DMSREJ
    "control": "05",  # DMSCTL: goods held for a check
    "query": "11",  # DMSREQ
    "cleared": "09",  # DMSCLE
}

_DEFAULT_TEXTS: Final[dict[str, str]] = {
    "rejected": "The declaration failed validation by the customs endpoint simulator.",
    "control": "The goods are held for a documentary check (simulated).",
    "query": "Please confirm the value and description of the goods (simulated query).",
}


def wco_datetime(moment: datetime) -> str:
    """A WCO DateTimeString of formatCode 304: ``CCYYMMDDhhmmssZ`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def customs_reference_for(lrn: str, moment: datetime) -> str:
    """An MRN-shaped reference (18 characters: year, GB, 14 more) derived from the LRN.

    Stable for a given LRN and year, so repeated notifications about one declaration carry
    the same reference. It is shaped like a CDS MRN; it is not a real one.
    """
    digest = hashlib.sha256(lrn.encode("utf-8")).hexdigest().upper()
    return f"{moment:%y}GB{digest[:14]}"


@dataclass(frozen=True)
class _Parts:
    kind: str
    lrn: str
    mrn: str | None
    issued: datetime
    text: str | None
    notification_id: str


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{RES_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _datetime(parent: etree._Element, name: str, moment: datetime) -> None:
    holder = _sub(parent, name)
    value = etree.SubElement(holder, f"{{{RES_DS_NS}}}DateTimeString")
    value.text = wco_datetime(moment)
    value.set("formatCode", "304")


def _envelope() -> etree._Element:
    root = etree.Element(f"{{{MD_NS}}}MetaData", nsmap=_NSMAP)
    for name, text in (
        ("WCODataModelVersionCode", "3.6"),
        ("WCOTypeName", "RES"),
        ("ResponsibleCountryCode", "GB"),
        ("ResponsibleAgencyName", "HMRC"),
    ):
        etree.SubElement(root, f"{{{MD_NS}}}{name}").text = text
    return root


def _response(parts: _Parts) -> etree._Element:
    root = _envelope()
    response = _sub(root, "Response")
    _sub(response, "FunctionCode", FUNCTION_CODES[parts.kind])
    _sub(response, "FunctionalReferenceID", parts.notification_id)
    _datetime(response, "IssueDateTime", parts.issued)
    if parts.kind in ("control", "query"):
        info = _sub(response, "AdditionalInformation")
        _sub(info, "StatementDescription", parts.text)
        _sub(info, "StatementTypeCode", "AFB")
    if parts.kind == "rejected":
        error = _sub(response, "Error")
        _sub(error, "Description", parts.text)
        _sub(error, "ValidationCode", "SIM00001")
    if parts.kind == "query":
        _sub(_sub(response, "Status"), "NameCode", "39")
    declaration = _sub(response, "Declaration")
    if parts.kind == "accepted":
        _datetime(declaration, "AcceptanceDateTime", parts.issued)
    _sub(declaration, "FunctionalReferenceID", parts.lrn)
    if parts.mrn is not None:
        _sub(declaration, "ID", parts.mrn)
    if parts.kind == "rejected":
        _datetime(declaration, "RejectionDateTime", parts.issued)
    return root


def build_notification(
    kind: NotificationKind,
    lrn: str,
    *,
    mrn: str | None = None,
    issued: datetime | None = None,
    text: str | None = None,
    notification_id: str | None = None,
) -> bytes:
    """One WCO DM notification of ``kind`` about the declaration ``lrn``, as UTF-8 XML bytes.

    ``mrn`` is the customs reference (omitted from rejections of unaccepted declarations
    when None); ``text`` is the query, hold or rejection reason (a default otherwise);
    ``notification_id`` is the response's own FunctionalReferenceID (a fresh UUID otherwise).
    """
    if kind not in FUNCTION_CODES:
        raise ValueError(
            f"{kind!r} is not a notification kind; kinds are {', '.join(FUNCTION_CODES)}."
        )
    parts = _Parts(
        kind=kind,
        lrn=lrn,
        mrn=mrn,
        issued=issued or datetime.now(UTC),
        text=text or _DEFAULT_TEXTS.get(kind),
        notification_id=notification_id or uuid.uuid4().hex,
    )
    return etree.tostring(_response(parts), xml_declaration=True, encoding="UTF-8")
