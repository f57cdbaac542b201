"""The SQLite message store: durable commits, idempotency keys, claims with leases, trails."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from gateway.lifecycle import ItemState
from gateway.store.base import (
    AttemptOutcome,
    AttemptResult,
    MessageFilter,
    NewDelivery,
    NewItem,
    NewMessage,
    NewWebhookEvent,
    OutcomeRecord,
    OutcomeSubject,
    ReceiptNotRecorded,
    ReceiptOutcomes,
)
from gateway.store.sqlite import SqliteStore


def _item(
    item_id: str,
    index: int,
    declaration: str,
    *,
    accepted: bool = True,
    endpoints: tuple[str, ...] = ("uk-cds",),
    order: str | None = None,
) -> NewItem:
    deliveries = (
        tuple(
            NewDelivery(
                endpoint,
                "uk-cds",
                f"key-{endpoint}-{declaration}",
                order or declaration,
                f"<doc>{declaration}</doc>".encode(),
            )
            for endpoint in endpoints
        )
        if accepted
        else ()
    )
    problems = () if accepted else ({"severity": "error", "code": "x", "message": "Bad."},)
    return NewItem(
        item_id,
        index,
        declaration,
        order,
        b"<Declaration/>",
        accepted,
        problems,
        deliveries,
        ("rule-a",),
    )


def _message(
    message_id: str,
    items: tuple[NewItem, ...],
    *,
    key: str | None = None,
    body_hash: str = "h1",
    at: float = 100.0,
    feed: str = "upu-itmatt",
) -> NewMessage:
    return NewMessage(
        message_id,
        feed,
        "post-a",
        key,
        body_hash,
        b"<raw/>",
        at,
        "accepted",
        202,
        {"message_id": message_id},
        (),
        items,
    )


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = SqliteStore(tmp_path / "gateway.db")
    await store.open()
    yield store
    await store.close()


async def test_saved_message_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    async with SqliteStore(path) as store:
        await store.save_message(
            _message("m1", (_item("i1", 0, "RR1"), _item("i2", 1, "RR2", accepted=False)))
        )
    async with SqliteStore(path) as reopened:
        view = await reopened.get_message("m1")
        raw = await reopened.get_raw("m1")
    assert view is not None and raw is not None
    assert raw.raw == b"<raw/>"
    assert [(item.item_id, item.state) for item in view.items] == [
        ("i1", ItemState.TRANSLATED),
        ("i2", ItemState.REFUSED),
    ]
    assert [t.to_state for t in view.items[0].transitions] == ["received", "translated"]
    assert view.items[1].transitions[-1].detail == "Bad."


async def test_store_runs_wal_with_full_synchronous_commits(store: SqliteStore) -> None:
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


async def test_concurrent_writes_are_committed_in_groups(store: SqliteStore) -> None:
    before = store.commits
    await asyncio.gather(
        *(store.save_message(_message(f"m{n}", (_item(f"i{n}", 0, f"RR{n}"),))) for n in range(200))
    )
    assert await store.queue_depths() == {"uk-cds": 200}
    assert store.commits - before < 200, "200 concurrent writes should share transactions"


async def test_same_idempotency_key_returns_the_first_message(store: SqliteStore) -> None:
    first = await store.save_message(_message("m1", (), key="K", body_hash="h1"))
    second = await store.save_message(_message("m2", (), key="K", body_hash="h2"))
    assert first.created and not second.created
    assert second.message_id == "m1" and second.body_hash == "h1"
    assert await store.get_message("m2") is None
    found = await store.find_message_by_key("post-a", "K")
    assert found is not None and found.message_id == "m1"


async def test_claim_counts_the_attempt_and_leases_the_row(store: SqliteStore) -> None:
    await store.save_message(_message("m1", (_item("i1", 0, "RR1"),)))
    claimed = await store.claim_deliveries("uk-cds", 10, lease_seconds=30, now=200.0)
    assert [(c.item_id, c.attempt) for c in claimed] == [("i1", 1)]
    assert await store.claim_deliveries("uk-cds", 10, 30, now=210.0) == [], "leased rows wait"
    again = await store.claim_deliveries("uk-cds", 10, 30, now=231.0)
    assert [c.attempt for c in again] == [2], "an expired lease makes the row claimable again"


async def test_attempt_count_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    async with SqliteStore(path) as store:
        await store.save_message(_message("m1", (_item("i1", 0, "RR1"),)))
        await store.claim_deliveries("uk-cds", 10, 5, now=200.0)
    async with SqliteStore(path) as store:
        claimed = await store.claim_deliveries("uk-cds", 10, 5, now=300.0)
    assert [c.attempt for c in claimed] == [2]


async def test_later_declaration_of_a_consignment_waits_for_the_earlier(store: SqliteStore) -> None:
    await store.save_message(
        _message(
            "m1",
            (
                _item("i1", 0, "ORIG", order="C1"),
                _item("i2", 1, "AMEND", order="C1"),
                _item("i3", 2, "OTHER", order="C2"),
            ),
        )
    )
    first = await store.claim_deliveries("uk-cds", 10, 30, now=200.0)
    assert sorted(c.item_id for c in first) == ["i1", "i3"]
    c1 = next(c for c in first if c.item_id == "i1")
    await store.finish_attempt(
        AttemptResult(
            c1.delivery_id,
            c1.attempt,
            AttemptOutcome.RETRY,
            200.0,
            201.0,
            503,
            "busy",
            next_attempt_at=205.0,
        )
    )
    assert await store.claim_deliveries("uk-cds", 10, 30, now=202.0) == []
    # the amendment waits its turn: the worker's next look is when the original is due (205),
    # not the amendment's own enqueue time, which would have it poll in a tight loop
    assert await store.next_due("uk-cds") == 205.0
    retried = await store.claim_deliveries("uk-cds", 10, 30, now=206.0)
    assert [c.item_id for c in retried] == ["i1"], "the amendment never overtakes its original"
    await store.finish_attempt(
        AttemptResult(
            retried[0].delivery_id, retried[0].attempt, AttemptOutcome.DELIVERED, 206.0, 207.0, 202
        )
    )
    after = await store.claim_deliveries("uk-cds", 10, 30, now=208.0)
    assert [c.item_id for c in after] == ["i2"]


async def test_delivery_and_dead_letter_move_the_item(store: SqliteStore) -> None:
    await store.save_message(_message("m1", (_item("i1", 0, "RR1"), _item("i2", 1, "RR2"))))
    claimed = await store.claim_deliveries("uk-cds", 10, 30, now=200.0)
    by_item = {c.item_id: c for c in claimed}
    await store.finish_attempt(
        AttemptResult(by_item["i1"].delivery_id, 1, AttemptOutcome.DELIVERED, 200, 201, 202)
    )
    await store.finish_attempt(
        AttemptResult(
            by_item["i2"].delivery_id,
            1,
            AttemptOutcome.DEAD,
            200,
            201,
            400,
            "The endpoint refused: bad EORI.",
        )
    )
    view = await store.get_message("m1")
    assert view is not None
    states = {item.item_id: item for item in view.items}
    assert states["i1"].state == ItemState.SUBMITTED
    assert states["i2"].state == ItemState.DEAD_LETTERED
    assert states["i2"].deliveries[0].last_error == "The endpoint refused: bad EORI."
    assert states["i2"].attempts[0].status_code == 400
    assert await store.queue_depths() == {}


async def test_a_receipt_is_recorded_with_the_attempt_it_answers(store: SqliteStore) -> None:
    """One transaction: the item goes submitted then acknowledged; the receipt is kept."""
    await store.save_message(_message("m1", (_item("i1", 0, "RR1"),)))
    [claimed] = await store.claim_deliveries("uk-cds", 10, 30, now=200.0)
    receipt = ReceiptOutcomes(
        "uk-cds", (OutcomeRecord("RR1", "acknowledged", None, 201.0),), b"<receipt/>"
    )
    recorded = await store.finish_attempt(
        AttemptResult(claimed.delivery_id, 1, AttemptOutcome.DELIVERED, 200, 201, 202), receipt
    )
    assert isinstance(recorded, list)
    [applied] = recorded
    assert (applied.item_id, applied.applied, applied.to_state) == (
        "i1",
        True,
        ItemState.ACKNOWLEDGED,
    )
    [item] = await store.find_items("RR1")
    assert item.state == ItemState.ACKNOWLEDGED
    assert item.deliveries[0].status == "delivered"
    assert [response.outcome for response in item.responses] == ["acknowledged"]


async def test_a_receipt_that_cannot_be_recorded_leaves_the_attempt_recorded(
    store: SqliteStore,
) -> None:
    await store.save_message(_message("m1", (_item("i1", 0, "RR1"),)))
    [claimed] = await store.claim_deliveries("uk-cds", 10, 30, now=200.0)

    def broken(subject: OutcomeSubject) -> NewWebhookEvent | None:
        raise RuntimeError("no event today")

    receipt = ReceiptOutcomes(
        "uk-cds", (OutcomeRecord("RR1", "acknowledged", None, 201.0),), b"<receipt/>", broken
    )
    recorded = await store.finish_attempt(
        AttemptResult(claimed.delivery_id, 1, AttemptOutcome.DELIVERED, 200, 201, 202), receipt
    )
    assert isinstance(recorded, ReceiptNotRecorded) and "no event today" in recorded.reason
    [item] = await store.find_items("RR1")
    assert item.state == ItemState.SUBMITTED, "delivered, the receipt rolled back alone"
    assert item.deliveries[0].status == "delivered" and item.responses == ()


async def test_outcomes_apply_legal_transitions_and_record_illegal_ones(store: SqliteStore) -> None:
    await store.save_message(_message("m1", (_item("i1", 0, "RR1"),)))
    claimed = await store.claim_deliveries("uk-cds", 10, 30, now=200.0)
    await store.finish_attempt(
        AttemptResult(claimed[0].delivery_id, 1, AttemptOutcome.DELIVERED, 200, 201, 202)
    )
    applied = await store.record_outcomes(
        "uk-cds",
        [
            OutcomeRecord("RR1", "accepted", None, 300.0),
            OutcomeRecord("RR1", "released", None, 301.0),
            OutcomeRecord("RR1", "acknowledged", None, 302.0),
            OutcomeRecord("NOPE", "accepted", None, 303.0),
        ],
        b"<notification/>",
    )
    assert [a.applied for a in applied] == [True, True, False, False]
    assert applied[3].item_id is None
    items = await store.find_items("RR1")
    assert items[0].state == ItemState.RELEASED
    assert [r.outcome for r in items[0].responses] == ["accepted", "released", "acknowledged"]
    refused = [t for t in items[0].transitions if not t.applied]
    assert len(refused) == 1 and refused[0].event == "acknowledge"


async def test_find_items_by_item_id_or_declaration_id(store: SqliteStore) -> None:
    await store.save_message(_message("m1", (_item("i1", 0, "RR1"),)))
    assert [i.item_id for i in await store.find_items("i1")] == ["i1"]
    assert [i.item_id for i in await store.find_items("RR1")] == ["i1"]
    assert await store.find_items("unknown") == []


async def test_replay_retranslates_existing_items_and_enqueues_again(store: SqliteStore) -> None:
    await store.save_message(_message("m1", (_item("i1", 0, "RR1", accepted=False),)))
    added = await store.replay_message("m1", [_item("new-id", 0, "RR1")], at=500.0)
    assert added == 1
    view = await store.get_message("m1")
    assert view is not None and len(view.items) == 1
    item = view.items[0]
    assert item.item_id == "i1" and item.state == ItemState.TRANSLATED
    assert [t.event for t in item.transitions][-2:] == ["replay", "translate"]
    assert await store.queue_depths() == {"uk-cds": 1}


async def test_select_messages_by_feed_status_destination_and_time(store: SqliteStore) -> None:
    await store.save_message(_message("m1", (_item("i1", 0, "RR1"),), at=100.0))
    await store.save_message(_message("m2", (_item("i2", 0, "RR2", accepted=False),), at=200.0))
    await store.save_message(
        _message("m3", (_item("i3", 0, "RR3", endpoints=("ens",)),), at=300.0, feed="express")
    )
    assert await store.select_messages(MessageFilter()) == ["m1", "m2", "m3"]
    assert await store.select_messages(MessageFilter(feed="express")) == ["m3"]
    assert await store.select_messages(MessageFilter(status="refused")) == ["m2"]
    assert await store.select_messages(MessageFilter(destination="ens")) == ["m3"]
    assert await store.select_messages(MessageFilter(received_from=150, received_until=250)) == [
        "m2"
    ]


async def test_release_leases_makes_in_flight_deliveries_due_at_once(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    async with SqliteStore(path) as store:
        await store.save_message(_message("m1", (_item("i1", 0, "RR1"),)))
        await store.claim_deliveries("uk-cds", 10, lease_seconds=300, now=200.0)
    async with SqliteStore(path) as store:
        assert await store.claim_deliveries("uk-cds", 10, 300, now=201.0) == []
        assert await store.release_leases(now=201.0) == 1
        again = await store.claim_deliveries("uk-cds", 10, 300, now=201.0)
    assert [c.attempt for c in again] == [2]
