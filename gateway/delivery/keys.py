"""The idempotency key of a delivery, derived from the declaration so it never changes.

sha256 over the endpoint, the declaration ID, the declaration's function code and a hash of
its canonical content: the same declaration sent again (a sender's retry, a replay with the
same result, a gateway retry) carries the same key, so the endpoint sees it once; an amended
declaration (other content or function code) gets a key of its own.
"""

from __future__ import annotations

import hashlib

from lxml import etree

from gateway.canonical import CANONICAL_NS


def delivery_key(endpoint: str, declaration_id: str, canonical: bytes) -> str:
    """The ``Idempotency-Key`` for one declaration sent to one endpoint."""
    content = hashlib.sha256(_content(canonical)).hexdigest()
    parts = [endpoint, declaration_id, function_code(canonical) or "", content]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def function_code(canonical: bytes) -> str | None:
    """The declaration's ``FunctionCode`` (original, amendment, cancellation), if present."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(canonical, parser)
    found = root.find(f"{{{CANONICAL_NS}}}FunctionCode")
    return found.text.strip() if found is not None and found.text else None


def _content(canonical: bytes) -> bytes:
    """Canonical XML (C14N) so insignificant serialisation differences do not change the key."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.tostring(etree.fromstring(canonical, parser), method="c14n")
