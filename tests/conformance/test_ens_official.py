"""Entry summary declarations rendered by ens-cc315a validate against the official CC315A schema.

Every accepted postal item of the bundled ITMATT samples becomes a CC315A that HMRC's
CC315A-v11-2.xsd (the schema pack's "ens-cc315a" validator) accepts; the same documents
passed the project-authored run-time schema inside the pipeline (no destination.schema
problem), so both schemas agree on them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.pipeline import Pipeline
from tests.conformance.conftest import AssertValidOfficial

REPO_ROOT = Path(__file__).resolve().parents[2]
UPU_SAMPLES = sorted((REPO_ROOT / "samples" / "upu-itmatt").glob("*.xml"))
PARAMETERS = {
    "message_sender": "GB123456789000",
    "transport_mode": "4",
    "conveyance_reference": "CA0937",
    "declaration_place": "LONDON HEATHROW",
    "specific_circumstances": "E",
    "first_entry_office": "GB000085",
    "expected_arrival": "202611201530",
    "lodging_person_eori": "GB123456789000",
    "lodging_person_name": "Gateway Test Postal Operator Ltd",
}


@pytest.mark.parametrize("sample", UPU_SAMPLES, ids=lambda path: path.stem)
def test_ens_documents_validate_against_the_official_schema(
    sample: Path, assert_valid_official: AssertValidOfficial
) -> None:
    """Each accepted declaration's CC315A is valid against the official IE315 schema."""
    pipeline = Pipeline(parameters={"ens-cc315a": PARAMETERS})
    result = pipeline.translate("upu-itmatt", "ens-cc315a", sample.read_bytes())
    rendered = [d for d in result.declarations if d.output is not None]
    assert rendered
    for declaration in result.declarations:
        assert "destination.schema" not in {p.code for p in declaration.problems}
    for declaration in rendered:
        assert declaration.output is not None
        assert_valid_official("ens-cc315a", declaration.output)


def test_official_schema_refuses_a_document_the_mapping_did_not_make(
    assert_valid_official: AssertValidOfficial,
) -> None:
    """The check can fail: a CC315A without its person lodging is not valid."""
    pipeline = Pipeline(parameters={"ens-cc315a": PARAMETERS})
    result = pipeline.translate("upu-itmatt", "ens-cc315a", UPU_SAMPLES[0].read_bytes())
    output = next(d.output for d in result.declarations if d.output is not None)
    assert output is not None
    start = output.index(b"<PERLODSUMDEC>")
    end = output.index(b"</PERLODSUMDEC>") + len(b"</PERLODSUMDEC>")
    with pytest.raises(AssertionError, match=r"PERLODSUMDEC|CUSOFFFENT730"):
        assert_valid_official("ens-cc315a", output[:start] + output[end:])
