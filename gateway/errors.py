"""Every exception the gateway raises on purpose.

    GatewayError                    base: a message for a person, never a traceback
     ├── InputError                 a message or file that cannot be read at all (carries Problems)
     ├── MappingError               a mapping file that does not load or compile (carries MappingIssues)
     ├── ConfigurationError         a configuration file, option or environment variable is wrong
     ├── SchemaError                a schema file is missing or does not compile
     ├── StoreError                 the message store failed (edge)
     └── DeliveryError              a delivery attempt failed (edge)
          ├── TransientDeliveryError    worth retrying: timeouts, connection errors, 429, 5xx
          └── PermanentDeliveryError    not worth retrying: the endpoint refused with a reason

Foreign exceptions (lxml, yaml, sqlite3, aiohttp) are translated where they enter, with
``raise ... from exc``, so callers only ever handle these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.problems import Problem


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose; ``str()`` is a full sentence."""


class InputError(GatewayError):
    """An input message cannot be read at all; ``problems`` says every reason found."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems)


@dataclass(frozen=True)
class MappingIssue:
    """One thing wrong with a mapping file: where it is and why it is wrong."""

    file: str
    line: int | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        rule = f" (rule {self.rule})" if self.rule else ""
        return f"{where}{rule}: {self.message}"


class MappingError(GatewayError):
    """A mapping file does not load or compile; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[MappingIssue]) -> None:
        self.issues: tuple[MappingIssue, ...] = tuple(issues)
        count = len(self.issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"The mapping has {count} {noun}:\n{lines}")


class ConfigurationError(GatewayError):
    """A configuration file, command-line option or environment variable is wrong."""


class SchemaError(GatewayError):
    """A schema file is missing or does not compile."""


class StoreError(GatewayError):
    """The message store could not do what was asked of it."""


class DeliveryError(GatewayError):
    """A delivery to an endpoint failed."""


class TransientDeliveryError(DeliveryError):
    """A delivery failed in a way worth retrying (timeout, connection error, 429, 5xx)."""


class PermanentDeliveryError(DeliveryError):
    """The endpoint refused the delivery with a reason; retrying would not help."""
