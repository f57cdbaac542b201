"""A customs endpoint simulator for demos and tests (``gateway simulate``).

``CustomsSimulator`` is a real aiohttp server behaving like a national customs endpoint:
schema checks, idempotency, DMSRCV receipts, asynchronous WCO DM notifications to a
callback URL, and fault injection. ``run_simulator`` runs one until cancelled.
"""

from gateway.simulator.notifications import build_notification
from gateway.simulator.options import (
    DeclarationValidator,
    FaultSettings,
    OutcomeShares,
    SimulatorOptions,
    parse_outcome_shares,
)
from gateway.simulator.server import (
    CustomsSimulator,
    SimulatorCounts,
    run_simulator,
    schema_validator,
)

__all__ = [
    "CustomsSimulator",
    "DeclarationValidator",
    "FaultSettings",
    "OutcomeShares",
    "SimulatorCounts",
    "SimulatorOptions",
    "build_notification",
    "parse_outcome_shares",
    "run_simulator",
    "schema_validator",
]
