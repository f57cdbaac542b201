"""A problem found in an input message: what, where and why, for a person to act on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a problem is: errors refuse the item, warnings let it through."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with one item (or with the whole message when ``item`` is None).

    ``code`` is a stable dotted identifier (``s10.check-digit``, ``codelist.unknown``) that
    programs can match on; ``message`` is a full sentence for people.
    """

    severity: Severity
    code: str
    message: str
    item: str | None = None
    canonical_path: str | None = None
    source_path: str | None = None
    value: str | None = None
    rule: str | None = None
    line: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        """The problem as plain JSON-ready data, without empty fields."""
        data = asdict(self)
        data["severity"] = self.severity.value
        return {key: value for key, value in data.items() if value is not None}

    def describe(self) -> str:
        """One line for a terminal report: where, then why."""
        where = [part for part in (self.item, self.source_path or self.canonical_path) if part]
        prefix = " ".join(where)
        line = f" line {self.line}" if self.line else ""
        return (
            f"{self.severity.value}: {prefix}{line}: {self.message}"
            if prefix
            else (f"{self.severity.value}:{line} {self.message}")
        )
