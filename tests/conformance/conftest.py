"""Conformance fixtures: the official schemas in ../shared/standards, used as a schema pack.

``official_pack`` is a ``gateway.schemas.SchemaPack`` over the reference standards folder
(skipped with a reason when that folder is absent, e.g. in a bare source distribution).
``assert_valid_official(name, xml_bytes)`` fails the test with every schema error, one per
line, when the document does not validate against the pack's validator ``name``
("uk-cds", "ens-cc315a", "wco-res"). Conformance tests of other parts belong in this folder
so that they can use both fixtures.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from gateway.schemas import SchemaPack, validation_errors

REPO_ROOT = Path(__file__).resolve().parents[2]
STANDARDS_DIR = REPO_ROOT.parent / "shared" / "standards"
UK_CDS_SAMPLES = STANDARDS_DIR / "wco-dm-hmrc-cds" / "samples"
ENS_SAMPLES = STANDARDS_DIR / "ens-uk-ics-hmrc" / "samples"

AssertValidOfficial = Callable[[str, bytes], None]


def parse_untrusted(xml_bytes: bytes) -> etree._Element:
    """Parse a document under test the way the gateway parses input: no network, no DTD."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.fromstring(xml_bytes, parser)


@pytest.fixture(scope="session")
def official_pack() -> SchemaPack:
    """The reference standards folder as a schema pack; skips when it is missing."""
    if not STANDARDS_DIR.is_dir():
        pytest.skip(f"the reference standards folder {STANDARDS_DIR} is not present")
    return SchemaPack(STANDARDS_DIR)


@pytest.fixture(scope="session")
def assert_valid_official(official_pack: SchemaPack) -> AssertValidOfficial:
    """A function that asserts ``xml_bytes`` is valid against the official schema ``name``."""

    def check(name: str, xml_bytes: bytes) -> None:
        errors = validation_errors(official_pack.validator(name), parse_untrusted(xml_bytes))
        assert not errors, f"not valid against the official {name!r} schema:\n" + "\n".join(errors)

    return check
