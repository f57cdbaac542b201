"""The lifecycle of one item: an explicit state machine, every transition named in one table.

::

    received ─► translated ─► submitted ─► acknowledged ─► accepted ─► released
        │            │            │              │             │
        ▼            ▼            ▼              ▼             ▼
     refused    dead-lettered   (accepted, released, held, queried, rejected)

``queried`` (customs asked for information) and ``held`` (customs stopped the goods) lead on to
accepted, released or rejected. ``replayed`` takes any item that has been translated back to
``received`` so today's mappings run again on its stored raw message.

Pure: no I/O. The service stores every transition it applies and logs, without applying, any
transition this table refuses.
"""

from __future__ import annotations

from enum import StrEnum

from gateway.errors import GatewayError


class ItemState(StrEnum):
    """Where an item is in its life, from received by the gateway to released by customs."""

    RECEIVED = "received"
    TRANSLATED = "translated"
    REFUSED = "refused"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    RELEASED = "released"
    HELD = "held"
    QUERIED = "queried"
    REJECTED = "rejected"
    DEAD_LETTERED = "dead-lettered"


class ItemEvent(StrEnum):
    """Something that happens to an item: the gateway's own steps and customs outcomes."""

    TRANSLATE = "translate"
    REFUSE = "refuse"
    SUBMIT = "submit"
    ACKNOWLEDGE = "acknowledge"
    ACCEPT = "accept"
    RELEASE = "release"
    HOLD = "hold"
    QUERY = "query"
    REJECT = "reject"
    DEAD_LETTER = "dead-letter"
    REPLAY = "replay"


S = ItemState
E = ItemEvent

_CUSTOMS_DECISIONS: dict[ItemEvent, ItemState] = {
    E.ACCEPT: S.ACCEPTED,
    E.RELEASE: S.RELEASED,
    E.HOLD: S.HELD,
    E.QUERY: S.QUERIED,
    E.REJECT: S.REJECTED,
}

TRANSITIONS: dict[ItemState, dict[ItemEvent, ItemState]] = {
    S.RECEIVED: {E.TRANSLATE: S.TRANSLATED, E.REFUSE: S.REFUSED},
    S.TRANSLATED: {E.SUBMIT: S.SUBMITTED, E.DEAD_LETTER: S.DEAD_LETTERED, E.REPLAY: S.RECEIVED},
    S.REFUSED: {E.REPLAY: S.RECEIVED},
    S.SUBMITTED: {
        E.SUBMIT: S.SUBMITTED,
        E.ACKNOWLEDGE: S.ACKNOWLEDGED,
        E.DEAD_LETTER: S.DEAD_LETTERED,
        E.REPLAY: S.RECEIVED,
        **_CUSTOMS_DECISIONS,
    },
    S.ACKNOWLEDGED: {E.REPLAY: S.RECEIVED, **_CUSTOMS_DECISIONS},
    S.ACCEPTED: {
        E.RELEASE: S.RELEASED,
        E.HOLD: S.HELD,
        E.QUERY: S.QUERIED,
        E.REPLAY: S.RECEIVED,
    },
    S.QUERIED: {
        E.ACKNOWLEDGE: S.ACKNOWLEDGED,
        E.REPLAY: S.RECEIVED,
        **_CUSTOMS_DECISIONS,
    },
    S.HELD: {
        E.RELEASE: S.RELEASED,
        E.REJECT: S.REJECTED,
        E.QUERY: S.QUERIED,
        E.REPLAY: S.RECEIVED,
    },
    S.RELEASED: {E.REPLAY: S.RECEIVED},
    S.REJECTED: {E.REPLAY: S.RECEIVED},
    S.DEAD_LETTERED: {E.REPLAY: S.RECEIVED},
}
"""For each state, the events it accepts and the state each leads to; anything else is illegal."""

OUTCOME_EVENTS: dict[str, ItemEvent] = {
    "acknowledged": E.ACKNOWLEDGE,
    "accepted": E.ACCEPT,
    "released": E.RELEASE,
    "held": E.HOLD,
    "queried": E.QUERY,
    "rejected": E.REJECT,
}
"""Customs outcomes (``gateway.responses``) as lifecycle events."""

FINAL_STATES = frozenset({S.REFUSED, S.RELEASED, S.REJECTED, S.DEAD_LETTERED})
"""States an item stays in unless an operator replays it."""


class IllegalTransition(GatewayError):
    """An event that the lifecycle does not allow in the item's current state."""

    def __init__(self, current: ItemState, event: ItemEvent) -> None:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        super().__init__(
            f"An item that is {current.value} cannot take the event '{event.value}'; "
            f"the events allowed in that state are: {allowed}."
        )
        self.current = current
        self.event = event


def transition(current: ItemState, event: ItemEvent) -> ItemState:
    """The state an item in ``current`` moves to on ``event``; raises ``IllegalTransition``."""
    try:
        return TRANSITIONS[current][event]
    except KeyError:
        raise IllegalTransition(current, event) from None


def is_allowed(current: ItemState, event: ItemEvent) -> bool:
    """True when ``event`` is legal for an item in ``current``."""
    return event in TRANSITIONS[current]
