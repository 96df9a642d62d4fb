"""Where customer records live: in memory, or in SQLite (`--db`) so they survive a restart.

Records are plain 16-property dicts, treated as immutable: an update builds a new dict and `put`
stores it whole. Reads are served from memory; the SQLite store writes each `put` in one
transaction (WAL journal) before it updates memory, so an acknowledged write is on disk and a
process killed at any moment leaves only whole records (each one JSON text in one row).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from qflow_contracts.mock.fixtures import Fixtures, IdType

Record = dict[str, Any]


class MemoryStore:
    """Customers and customer-id types in memory."""

    def __init__(self, fixtures: Fixtures) -> None:
        self.id_types: list[IdType] = sorted(fixtures.id_types, key=lambda t: t.id)
        self._types_by_ref = {t.ext_ref: t for t in self.id_types}
        self._records: dict[int, Record] = {}
        self._by_personal: dict[tuple[int, str], int] = {}
        self._load(fixtures.customers)

    def _load(self, records: Iterable[Record]) -> None:
        for record in records:
            self._remember(record)

    def _remember(self, record: Record) -> None:
        customer_id = record["CustomerId"]
        old = self._records.get(customer_id)
        if old is not None:
            self._by_personal.pop((old["PersonalIdTypeId"], old["PersonalId"]), None)
        self._records[customer_id] = record
        if record["PersonalId"] is not None and record["PersonalIdTypeId"] is not None:
            self._by_personal.setdefault((record["PersonalIdTypeId"], record["PersonalId"]), customer_id)

    def get(self, customer_id: int) -> Record | None:
        """The record with this CustomerId."""
        return self._records.get(customer_id)

    def find(self, type_id: int, personal_id: str) -> Record | None:
        """The record with this PersonalId within the customer-id type `type_id`."""
        customer_id = self._by_personal.get((type_id, personal_id))
        return None if customer_id is None else self._records.get(customer_id)

    def find_any_type(self, personal_id: str) -> Record | None:
        """The first record (lowest CustomerId) with this PersonalId, whatever its type."""
        for customer_id in sorted(self._records):
            if self._records[customer_id]["PersonalId"] == personal_id:
                return self._records[customer_id]
        return None

    def find_collated(self, type_id: int | None, personal_id: str) -> Record | None:
        """The first record (lowest CustomerId) whose PersonalId matches as SQL Server's default
        collation compares (case-insensitive, trailing spaces ignored), within `type_id` (any
        type when None)."""
        wanted = personal_id.rstrip(" ").casefold()
        for customer_id in sorted(self._records):
            record = self._records[customer_id]
            pid = record["PersonalId"]
            if (
                isinstance(pid, str)
                and pid.rstrip(" ").casefold() == wanted
                and (type_id is None or record["PersonalIdTypeId"] == type_id)
            ):
                return record
        return None

    def type_by_ext_ref(self, ext_ref: str) -> IdType | None:
        """The customer-id type with this external reference."""
        return self._types_by_ref.get(ext_ref)

    def lowest_type(self) -> IdType | None:
        """The customer-id type with the lowest id."""
        return self.id_types[0] if self.id_types else None

    def customer_ids(self) -> list[int]:
        """Every CustomerId, ascending."""
        return sorted(self._records)

    def put(self, records: list[Record]) -> None:
        """Store whole records, all or none."""
        for record in records:
            self._remember(record)

    def close(self) -> None:
        """Nothing to release."""


class SqliteStore(MemoryStore):
    """Customers in an SQLite file; an empty file is seeded from the fixtures, a filled one is kept."""

    def __init__(self, fixtures: Fixtures, path: Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS id_types (id INTEGER PRIMARY KEY, ext_ref TEXT NOT NULL, name TEXT)"
        )
        (count,) = self._db.execute("SELECT COUNT(*) FROM customers").fetchone()
        if count == 0:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO id_types VALUES (?, ?, ?)",
                [(t.id, t.ext_ref, t.name) for t in fixtures.id_types],
            )
            self._write(fixtures.customers)
            self._db.execute("COMMIT")
        types = [IdType(i, ref, name or "") for i, ref, name in self._db.execute("SELECT * FROM id_types")]
        rows = self._db.execute("SELECT doc FROM customers ORDER BY id").fetchall()
        super().__init__(Fixtures(customers=[orjson.loads(doc) for (doc,) in rows], id_types=types))

    def _write(self, records: list[Record]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO customers (id, doc) VALUES (?, ?)",
            [(r["CustomerId"], orjson.dumps(r).decode()) for r in records],
        )

    def put(self, records: list[Record]) -> None:
        """Write the records in one transaction, then serve them from memory."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._write(records)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        super().put(records)

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def open_store(fixtures: Fixtures, db: Path | None) -> MemoryStore:
    """A SQLite store at `db`, or a memory store."""
    return MemoryStore(fixtures) if db is None else SqliteStore(fixtures, db)
