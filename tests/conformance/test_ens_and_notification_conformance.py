"""The schema pack's ENS (CC315A) and WCO notification validators against official samples."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from gateway.schemas import SchemaPack, validation_errors

MD = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
RES = "urn:wco:datamodel:WCO:RES-DMS:2"
RES_DS = "urn:wco:datamodel:WCO:Response_DS:DMS:2"


def _ens_sample(pack: SchemaPack, name: str) -> etree._ElementTree:
    path = pack.folder / "ens-uk-ics-hmrc" / "samples" / name
    return etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))


def test_valid_ens_sample_passes_the_official_cc315a_schema(official_pack: SchemaPack) -> None:
    """HMRC's valid IE315 sample is valid against CC315A-v11-2.xsd from the pack."""
    sample = _ens_sample(official_pack, "CC315A-schemaValidSample-v11-2.xml")
    assert validation_errors(official_pack.validator("ens-cc315a"), sample) == []


def test_invalid_ens_sample_fails_with_line_numbered_errors(official_pack: SchemaPack) -> None:
    """HMRC's invalid IE315 sample fails, each error naming the line of the bad element."""
    sample = _ens_sample(official_pack, "CC315A-schemaInvalidSample-v11-2.xml")
    errors = validation_errors(official_pack.validator("ens-cc315a"), sample)
    assert errors
    for error in errors:
        line = int(error.split(":", 1)[0].removeprefix("line "))
        element_name = error.split("'")[1]
        on_line = [e for e in sample.iter(etree.Element) if getattr(e, "sourceline", None) == line]
        assert any(etree.QName(e).localname == element_name for e in on_line), error


def _namespaced_notification(path: Path) -> etree._Element:
    """HMRC publishes its notification samples without namespaces; put them back in theirs."""
    root = etree.parse(str(path), etree.XMLParser(no_network=True)).getroot()
    for element in root.iter(etree.Element):
        local = etree.QName(element).localname
        in_response = local == "Response" or any(
            etree.QName(a).localname == "Response" for a in element.iterancestors()
        )
        if local == "DateTimeString":
            namespace = RES_DS
        elif in_response:
            namespace = RES
        else:
            namespace = MD
        element.tag = f"{{{namespace}}}{local}"
    return etree.fromstring(etree.tostring(root))


def test_notification_samples_in_their_namespaces_pass_the_official_res_schema(
    official_pack: SchemaPack,
) -> None:
    """The wco-res validator (MetaData + WCO_RES_2_DMS) accepts HMRC's notification chain.

    DMSRES is left out: it embeds a copy of the declaration whose elements belong to the
    DEC-DMS namespace, which this simple re-namespacing does not reconstruct.
    """
    folder = official_pack.folder / "wco-dm-hmrc-cds" / "samples" / "notifications"
    samples = [p for p in sorted(folder.glob("*.xml")) if "DMSRES" not in p.name]
    assert len(samples) == 6
    validator = official_pack.validator("wco-res")
    for sample in samples:
        assert validation_errors(validator, _namespaced_notification(sample)) == [], sample.name


def test_notification_without_namespaces_is_refused(official_pack: SchemaPack) -> None:
    """The RES validator is strict: the published, namespace-less form is not valid."""
    folder = official_pack.folder / "wco-dm-hmrc-cds" / "samples" / "notifications"
    raw = etree.parse(str(folder / "TT_IM068a_05_DMSACC.xml"))
    errors = validation_errors(official_pack.validator("wco-res"), raw)
    assert errors and "MetaData" in errors[0]
