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
    return delivery_key_of(endpoint, declaration_id, parse_canonical(canonical))


def delivery_key_of(endpoint: str, declaration_id: str, root: etree._Element) -> str:
    """``delivery_key`` of a canonical declaration already parsed (``parse_canonical``): the
    ingest path parses each declaration once for its routing facts and its keys."""
    content = hashlib.sha256(etree.tostring(root, method="c14n")).hexdigest()
    parts = [endpoint, declaration_id, _function_code(root) or "", content]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def function_code(canonical: bytes) -> str | None:
    """The declaration's ``FunctionCode`` (original, amendment, cancellation), if present."""
    return _function_code(parse_canonical(canonical))


def parse_canonical(canonical: bytes) -> etree._Element:
    """A serialised canonical declaration, parsed as the delivery key reads it."""
    # Canonical XML (C14N) of the parsed tree is hashed, so insignificant serialisation
    # differences do not change the key. lxml parsers are not thread-safe: one per call.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(canonical, parser)


def _function_code(root: etree._Element) -> str | None:
    found = root.find(f"{{{CANONICAL_NS}}}FunctionCode")
    return found.text.strip() if found is not None and found.text else None
