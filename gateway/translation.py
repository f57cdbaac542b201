"""The result of translating one feed message: per declaration, canonical form, output, problems.

These are the plain values the pure pipeline hands to the edges (CLI, service, store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from gateway.problems import Problem


@dataclass(frozen=True, slots=True)
class TranslatedDeclaration:
    """One declaration made from one item (or consignment, order) of a feed message.

    ``output`` is the destination document (None when refused, or when the target is the
    canonical form itself, in which case ``canonical`` is the output).
    """

    index: int
    """0-based position of the declaration in its message."""
    declaration_id: str
    """The identifier that names it to people: postal item ID, waybill or order number."""
    canonical_source: bytes | Any
    """The canonical declaration: XML bytes, or the element itself (written out on demand)."""
    output: bytes | None
    problems: tuple[Problem, ...] = ()
    consignment_id: str | None = None
    """Declarations sharing a consignment are delivered in order."""

    @property
    def canonical(self) -> bytes:
        """The canonical declaration as XML (namespace ``CANONICAL_NS``)."""
        source = self.canonical_source
        if isinstance(source, bytes):
            return source
        return etree.tostring(source, encoding="UTF-8")

    @property
    def accepted(self) -> bool:
        """True when no problem of error severity was found."""
        return not any(problem.is_error for problem in self.problems)


@dataclass(frozen=True, slots=True)
class TranslationResult:
    """A translated message: its declarations, and problems that concern the message as a whole.

    When ``problems`` holds an error, the message could not be read or mapped at all and
    ``declarations`` is empty.
    """

    feed: str
    target: str
    message_id: str | None
    declarations: tuple[TranslatedDeclaration, ...]
    problems: tuple[Problem, ...] = field(default=())

    @property
    def readable(self) -> bool:
        """False when the message as a whole was refused (it could not be parsed or mapped)."""
        return not any(problem.is_error for problem in self.problems)
