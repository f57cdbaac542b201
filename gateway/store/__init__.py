"""The durable message store: one interface (``MessageStore``), SQLite as the embedded default."""

from gateway.store.base import MessageStore
from gateway.store.sqlite import SqliteStore

__all__ = ["MessageStore", "SqliteStore"]
