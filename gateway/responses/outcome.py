"""A customs outcome: what a customs administration decided about one declaration."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

OUTCOMES: Final = ("acknowledged", "accepted", "released", "held", "queried", "rejected")
"""Every canonical outcome, roughly in the order a declaration meets them.

``acknowledged``: customs received the declaration; ``accepted``: it is legally accepted;
``released``: the goods may go; ``held``: the goods are held (a check, duties due);
``queried``: customs ask the declarant something; ``rejected``: refused or invalidated.
"""


@dataclass(frozen=True)
class CustomsOutcome:
    """One customs response about one declaration, in the gateway's own vocabulary.

    ``declaration_ref`` is the declarant's reference the gateway sent (the LRN, WCO
    FunctionalReferenceID), or the customs reference when the response names no LRN;
    ``customs_reference`` is the MRN customs assigned; ``issued_at`` is ISO 8601 when the
    response says when it was issued; ``raw_function_code`` is the response's own code
    (e.g. ``"09"`` for a CDS DMSCLE) so nothing is lost in translation.
    """

    declaration_ref: str
    outcome: str
    reason: str | None
    customs_reference: str | None
    issued_at: str | None
    raw_function_code: str

    def to_dict(self) -> dict[str, Any]:
        """The outcome as JSON-ready data."""
        return asdict(self)
