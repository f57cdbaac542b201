"""The canonical form: WCO Data Model-aligned declarations, as models, XML and JSON."""

CANONICAL_NS = "urn:customs-gateway:canonical:1"
"""XML namespace of canonical declarations (``Declaration``) and batches (``DeclarationBatch``)."""

PROBLEM_NS = "urn:customs-gateway:problem:1"
"""XML namespace of problem markers that compiled mappings write beside canonical elements."""
