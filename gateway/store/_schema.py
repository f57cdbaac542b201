"""The SQLite schema of the message store (created when missing; version in user_version)."""

SCHEMA_VERSION = 2
"""2: the webhook outbox (``webhook_outbox``, ``webhook_attempts``)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    message_id      TEXT PRIMARY KEY,
    feed            TEXT NOT NULL,
    sender          TEXT NOT NULL,
    idempotency_key TEXT,
    body_hash       TEXT NOT NULL,
    raw             BLOB NOT NULL,
    received_at     REAL NOT NULL,
    status          TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response        TEXT NOT NULL,
    problems        TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_key
    ON messages(sender, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_time ON messages(received_at);

CREATE TABLE IF NOT EXISTS items (
    item_id        TEXT PRIMARY KEY,
    message_id     TEXT NOT NULL REFERENCES messages(message_id),
    idx            INTEGER NOT NULL,
    declaration_id TEXT NOT NULL,
    consignment_id TEXT,
    canonical      BLOB NOT NULL,
    state          TEXT NOT NULL,
    problems       TEXT NOT NULL,
    route_rules    TEXT NOT NULL,
    updated_at     REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_message ON items(message_id, idx);
CREATE INDEX IF NOT EXISTS items_by_declaration ON items(declaration_id);

CREATE TABLE IF NOT EXISTS outbox (
    delivery_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id           TEXT NOT NULL REFERENCES items(item_id),
    endpoint          TEXT NOT NULL,
    target            TEXT NOT NULL,
    idempotency_key   TEXT NOT NULL,
    ordering_key      TEXT NOT NULL,
    body              BLOB NOT NULL,
    content_type      TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempt           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   REAL NOT NULL,
    lease_until       REAL,
    last_error        TEXT,
    first_enqueued_at REAL NOT NULL,
    delivered_at      REAL
);
CREATE INDEX IF NOT EXISTS outbox_due
    ON outbox(endpoint, next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_in_order
    ON outbox(endpoint, ordering_key, delivery_id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_by_item ON outbox(item_id);

CREATE TABLE IF NOT EXISTS attempts (
    attempt_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES outbox(delivery_id),
    item_id     TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    started_at  REAL NOT NULL,
    finished_at REAL NOT NULL,
    status_code INTEGER,
    detail      TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_item ON attempts(item_id);

CREATE TABLE IF NOT EXISTS response_documents (
    document_id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint    TEXT NOT NULL,
    received_at REAL NOT NULL,
    body        BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS responses (
    response_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id     INTEGER REFERENCES response_documents(document_id),
    item_id         TEXT,
    endpoint        TEXT NOT NULL,
    declaration_ref TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    reason          TEXT,
    received_at     REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_by_item ON responses(item_id);

CREATE TABLE IF NOT EXISTS transitions (
    transition_id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id       TEXT NOT NULL,
    at            REAL NOT NULL,
    from_state    TEXT,
    to_state      TEXT,
    event         TEXT NOT NULL,
    applied       INTEGER NOT NULL,
    detail        TEXT
);
CREATE INDEX IF NOT EXISTS transitions_by_item ON transitions(item_id);

CREATE TABLE IF NOT EXISTS webhook_outbox (
    webhook_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL UNIQUE,
    partner         TEXT NOT NULL,
    item_id         TEXT NOT NULL REFERENCES items(item_id),
    outcome         TEXT NOT NULL,
    body            BLOB NOT NULL,
    status          TEXT NOT NULL,
    attempt         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until     REAL,
    last_error      TEXT,
    created_at      REAL NOT NULL,
    sent_at         REAL
);
CREATE INDEX IF NOT EXISTS webhook_outbox_due
    ON webhook_outbox(partner, next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_outbox_in_order
    ON webhook_outbox(partner, item_id, webhook_id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_outbox_by_item ON webhook_outbox(item_id);

CREATE TABLE IF NOT EXISTS webhook_attempts (
    attempt_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id  INTEGER NOT NULL REFERENCES webhook_outbox(webhook_id),
    item_id     TEXT NOT NULL,
    partner     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    started_at  REAL NOT NULL,
    finished_at REAL NOT NULL,
    status_code INTEGER,
    detail      TEXT
);
CREATE INDEX IF NOT EXISTS webhook_attempts_by_item ON webhook_attempts(item_id);
"""
