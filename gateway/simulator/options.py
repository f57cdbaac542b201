"""What a customs endpoint simulator does: outcome shares, timing, and faults to inject."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from gateway.errors import ConfigurationError

__all__ = [
    "DeclarationValidator",
    "FaultSettings",
    "OutcomeShares",
    "SimulatorOptions",
    "parse_outcome_shares",
]

DeclarationValidator = Callable[[etree._Element], list[str]]
"""Checks a parsed declaration; returns every problem as a sentence (empty: valid)."""


@dataclass(frozen=True)
class OutcomeShares:
    """How the simulator decides declarations: relative shares, assigned in exact proportion.

    Accepted declarations are also cleared (released) when ``SimulatorOptions.release_after_accept``
    is set; held ones are accepted first, then held for a check.
    """

    accepted: float = 1.0
    queried: float = 0.0
    held: float = 0.0
    rejected: float = 0.0

    def __post_init__(self) -> None:
        values = dataclasses.asdict(self).values()
        if any(value < 0 for value in values) or sum(values) <= 0:
            raise ConfigurationError(
                "Outcome shares must be zero or more and add up to more than zero; got "
                f"{dataclasses.asdict(self)}."
            )

    def normalised(self) -> dict[str, float]:
        """The shares as fractions adding up to 1, keyed by outcome."""
        shares = dataclasses.asdict(self)
        total = sum(shares.values())
        return {name: value / total for name, value in shares.items()}


def parse_outcome_shares(text: str) -> OutcomeShares:
    """``"accepted=0.7,queried=0.1,held=0.1,rejected=0.1"`` -> ``OutcomeShares`` (for the CLI)."""
    names = {item.name for item in dataclasses.fields(OutcomeShares)}
    values: dict[str, float] = dict.fromkeys(names, 0.0)
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, _, number = part.partition("=")
        name = name.strip()
        if name not in names:
            raise ConfigurationError(
                f"{name!r} in the outcome shares {text!r} is not an outcome; use "
                f"{', '.join(sorted(names))}."
            )
        try:
            values[name] = float(number)
        except ValueError as exc:
            raise ConfigurationError(f"The share {part!r} in {text!r} is not name=number.") from exc
    return OutcomeShares(**values)


@dataclass
class FaultSettings:
    """Faults the simulator injects, changeable while it runs (``POST /control``).

    Rates are probabilities per request (0 to 1). ``latency`` (seconds) delays every answer;
    ``error_rate`` answers ``error_status`` without processing; ``timeout_rate`` hangs for
    ``hang_seconds`` without processing (longer than the client's timeout);
    ``lost_response_rate`` processes the declaration, then hangs, so the client never learns
    it was taken (its retry must be deduplicated); ``duplicate_callback_rate`` sends a
    notification twice. An outage (``start_outage``) answers 503 to everything until it ends.
    """

    latency: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    timeout_rate: float = 0.0
    hang_seconds: float = 30.0
    lost_response_rate: float = 0.0
    duplicate_callback_rate: float = 0.0

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply ``changes`` (field -> value) after checking them all; ConfigurationError lists
        every bad one."""
        known = {item.name: item for item in dataclasses.fields(self)}
        problems: list[str] = []
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in known:
                problems.append(f"{name!r} is not a fault setting")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{name} must be a number, not {value!r}")
                continue
            if name.endswith("_rate") and not 0 <= value <= 1:
                problems.append(f"{name} must be between 0 and 1, not {value}")
            elif name == "error_status" and value not in (429, 500, 502, 503, 504):
                problems.append(f"error_status must be 429, 500, 502, 503 or 504, not {value}")
            elif value < 0:
                problems.append(f"{name} must not be negative")
            else:
                checked[name] = int(value) if name == "error_status" else float(value)
        if problems:
            raise ConfigurationError(
                "The fault settings were not changed: " + "; ".join(problems) + "."
            )
        for name, value in checked.items():
            setattr(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SimulatorOptions:
    """Everything a ``CustomsSimulator`` needs to know.

    ``callback_url`` receives the asynchronous notifications (the gateway's
    ``/v1/responses/{endpoint}``); None sends none. ``validator`` checks each declaration
    (default: the project's UK CDS declaration schema). Notifications follow each accepted
    declaration after ``first_callback_delay`` seconds, ``callback_step_delay`` apart; each
    is tried ``callback_attempts`` times with exponential backoff from ``callback_backoff``.
    ``seed`` makes fault injection repeatable.
    """

    host: str = "127.0.0.1"
    port: int = 0
    callback_url: str | None = None
    callback_headers: Mapping[str, str] = field(default_factory=dict)
    outcomes: OutcomeShares = field(default_factory=OutcomeShares)
    release_after_accept: bool = True
    first_callback_delay: float = 0.05
    callback_step_delay: float = 0.02
    callback_attempts: int = 4
    callback_backoff: float = 0.1
    callback_timeout: float = 5.0
    max_concurrent_callbacks: int = 32
    faults: FaultSettings = field(default_factory=FaultSettings)
    validator: DeclarationValidator | None = None
    schema: str = "destinations/uk-cds/uk-cds-declaration.xsd"
    max_body_bytes: int = 8 * 1024 * 1024
    seed: int | None = None
