"""The item lifecycle: an explicit transition table; illegal transitions raise."""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError
from gateway.lifecycle import (
    FINAL_STATES,
    OUTCOME_EVENTS,
    TRANSITIONS,
    IllegalTransition,
    ItemEvent,
    ItemState,
    is_allowed,
    transition,
)

S, E = ItemState, ItemEvent


def test_happy_path_from_received_to_released() -> None:
    state = S.RECEIVED
    for event in (E.TRANSLATE, E.SUBMIT, E.ACKNOWLEDGE, E.ACCEPT, E.RELEASE):
        state = transition(state, event)
    assert state is S.RELEASED


@pytest.mark.parametrize(
    ("path", "end"),
    [
        ((E.REFUSE,), S.REFUSED),
        ((E.TRANSLATE, E.DEAD_LETTER), S.DEAD_LETTERED),
        ((E.TRANSLATE, E.SUBMIT, E.QUERY, E.ACCEPT, E.HOLD, E.RELEASE), S.RELEASED),
        ((E.TRANSLATE, E.SUBMIT, E.ACKNOWLEDGE, E.REJECT), S.REJECTED),
        ((E.TRANSLATE, E.SUBMIT, E.ACCEPT, E.HOLD, E.REJECT), S.REJECTED),
    ],
)
def test_other_legal_paths(path: tuple[ItemEvent, ...], end: ItemState) -> None:
    state = S.RECEIVED
    for event in path:
        state = transition(state, event)
    assert state is end


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (S.RECEIVED, E.SUBMIT),
        (S.TRANSLATED, E.RELEASE),
        (S.RELEASED, E.ACCEPT),
        (S.REJECTED, E.RELEASE),
        (S.REFUSED, E.SUBMIT),
        (S.ACCEPTED, E.ACKNOWLEDGE),
    ],
)
def test_illegal_transitions_raise_a_gateway_error_naming_the_allowed_events(
    state: ItemState, event: ItemEvent
) -> None:
    assert not is_allowed(state, event)
    with pytest.raises(IllegalTransition) as raised:
        transition(state, event)
    assert isinstance(raised.value, GatewayError)
    assert state.value in str(raised.value) and event.value in str(raised.value)


def test_every_state_has_a_row_and_final_states_only_replay() -> None:
    assert set(TRANSITIONS) == set(ItemState)
    for state in FINAL_STATES:
        assert set(TRANSITIONS[state]) == {E.REPLAY}


def test_every_customs_outcome_is_an_event() -> None:
    from gateway.responses import OUTCOMES

    assert set(OUTCOMES) == set(OUTCOME_EVENTS)
