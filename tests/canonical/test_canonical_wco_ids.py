"""Every canonical WCO DM ID and name equals the official UK CDS WCO DM schema's annotation.

The test walks ``WCO_DEC_2_DMS.xsd`` (read-only reference in ../shared/standards) element by
element path, reading each element's ``WCOID`` and ``WCOName`` annotation, and looks each
canonical element up by its path. Where the canonical tree places a class elsewhere than the
UK CDS profile (Carrier at Declaration level, Itinerary under GoodsShipment/Consignment), the
path is mapped; where the profile has the class only in another place (AdditionalDocument Name
at item level, Communication under another party), the same class/element pair elsewhere in the
schema is used (for a class, the same class anywhere: its WCO ID does not depend on place).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from gateway.canonical.structure import CanonicalElement, iter_fields

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
WCO_XSD = STANDARDS / "wco-dm-hmrc-cds" / "WCO_DEC_2_DMS.xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"

CANONICAL_TO_XSD_PREFIX = {
    "Carrier": "Consignment/Carrier",
    "GoodsShipment/Consignment/Itinerary": "Consignment/Itinerary",
}
"""Canonical path prefix -> the path prefix of the same class in the UK CDS schema."""

Annotation = tuple[str | None, str | None]


def _annotation(element: etree._Element) -> Annotation:
    wco_id = element.find(f"{XS}annotation//{{*}}WCOID")
    wco_name = element.find(f"{XS}annotation//{{*}}WCOName")
    return (
        None if wco_id is None else " ".join((wco_id.text or "").split()),
        None if wco_name is None else " ".join((wco_name.text or "").split()),
    )


@cache
def official_annotations() -> dict[str, Annotation]:
    """Path below Declaration (e.g. ``GoodsShipment/Consignor/Name``) -> (WCOID, WCOName)."""
    if not WCO_XSD.is_file():
        pytest.skip(f"The WCO DM reference schema is not at {WCO_XSD}.")
    root = etree.parse(str(WCO_XSD)).getroot()
    named = {ct.get("name"): ct for ct in root.findall(f"{XS}complexType")}
    found: dict[str, Annotation] = {}

    def walk(element: etree._Element, path: str) -> None:
        complex_type = element.find(f"{XS}complexType")
        if complex_type is None:
            complex_type = named.get(element.get("type"))
        if complex_type is None:
            return
        for child in complex_type.iter(f"{XS}element"):
            owner = child.getparent()
            while owner is not None and owner is not complex_type and owner.tag != f"{XS}element":
                owner = owner.getparent()
            if owner is not complex_type:
                continue  # belongs to a deeper element
            child_path = f"{path}/{child.get('name')}" if path else str(child.get("name"))
            found[child_path] = _annotation(child)
            walk(child, child_path)

    declaration = root.find(f"{XS}element[@name='Declaration']")
    assert declaration is not None
    found[""] = _annotation(declaration)
    walk(declaration, "")
    return found


def _xsd_path(canonical_path: str) -> str:
    for prefix, replacement in CANONICAL_TO_XSD_PREFIX.items():
        if canonical_path == prefix or canonical_path.startswith(prefix + "/"):
            return replacement + canonical_path[len(prefix) :]
    return canonical_path


def _same_class_elsewhere(element: CanonicalElement) -> set[Annotation]:
    """Annotations of the same class (for a group) or class/element pair (for a leaf)."""
    tail = "/".join(element.path.split("/")[-1 if element.is_group else -2 :])
    return {
        annotation
        for path, annotation in official_annotations().items()
        if path == tail or path.endswith("/" + tail)
    }


WCO_ELEMENTS = [element for element in iter_fields() if element.wco_id is not None]
EXTENSIONS = [element for element in iter_fields() if element.wco_id is None]


def test_the_official_schema_is_walked_deep_enough() -> None:
    """The walker reaches deep elements, so a missing match cannot come from a shallow walk."""
    annotations = official_annotations()
    assert annotations["GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description"] == (
        "137",
        "Description of goods",
    )
    assert annotations[""] == ("42A", "Declaration")


@pytest.mark.parametrize("element", WCO_ELEMENTS, ids=lambda element: element.path or "/")
def test_wco_id_and_name_match_the_official_schema(element: CanonicalElement) -> None:
    """The element's WCO ID and name are those the UK CDS schema gives the same element."""
    ours = (element.wco_id, element.wco_name)
    exact = official_annotations().get(_xsd_path(element.path))
    if exact is not None:
        assert ours == exact, f"{element.path}: official {exact}, canonical {ours}"
    else:
        elsewhere = _same_class_elsewhere(element)
        assert ours in elsewhere, f"{element.path}: {ours} not among official {elsewhere}"


@pytest.mark.parametrize("element", EXTENSIONS, ids=lambda element: element.path)
def test_extensions_say_where_they_come_from(element: CanonicalElement) -> None:
    """An element without a WCO ID has no name either and a description saying its origin."""
    assert element.wco_name is None
    assert any(
        phrase in element.description
        for phrase in ("not in the UK CDS profile", "without a WCO ID")
    ), element.description


def test_elements_in_the_profile_without_wco_id_are_not_given_one() -> None:
    """Classification/IdentificationTypeCode has no WCO ID in the profile; ours has none."""
    path = "GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Classification/IdentificationTypeCode"
    assert official_annotations()[path] == (None, None)
    assert path in {element.path for element in EXTENSIONS}
