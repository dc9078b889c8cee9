"""Simulator state in SQLite: a file shared safely by several processes, or `:memory:`."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    reference TEXT,
    lookup TEXT,
    purchased INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL
);
-- Partial: most objects (addresses, parcels) have neither, and each index entry is a write.
CREATE INDEX IF NOT EXISTS objects_reference ON objects (kind, reference)
    WHERE reference IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_lookup ON objects (kind, lookup) WHERE lookup IS NOT NULL;
CREATE TABLE IF NOT EXISTS purchases (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shipment_id TEXT NOT NULL,
    reference TEXT,
    amount TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS refunds (
    shipment_id TEXT PRIMARY KEY,
    amount TEXT NOT NULL,
    at REAL NOT NULL
);
-- Each label put on a scan form (never unique here: the ledger must be able to show a label
-- that ended up on two forms).
CREATE TABLE IF NOT EXISTS scan_form_labels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_form_id TEXT NOT NULL,
    shipment_id TEXT NOT NULL,
    tracking_code TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pickup_purchases (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    pickup_id TEXT NOT NULL,
    carrier TEXT NOT NULL,
    service TEXT NOT NULL,
    amount TEXT NOT NULL,
    confirmation TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pickup_cancellations (
    pickup_id TEXT PRIMARY KEY,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS insurance_purchases (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shipment_id TEXT NOT NULL,
    amount TEXT NOT NULL,
    fee TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (name, key)
);
"""

Row = dict[str, Any]
# An object to insert: kind, body, reference, lookup, and the body's JSON.
NewObject = tuple[str, Row, str | None, str | None, str]



def dumps(value: Any) -> bytes:
    """Compact JSON of `value` as UTF-8, for an answer's body.

    orjson rather than json: the switch alone saved some 30% of a buy's and a retrieve's
    instructions (callgrind)."""
    return orjson.dumps(value)


def encode(value: Any) -> str:
    """Compact JSON of `value`, as json.dumps(value, separators=(",", ":")) gives it (UTF-8
    left as it is rather than escaped)."""
    return orjson.dumps(value).decode()


class Store:
    """Objects as JSON documents plus the purchase ledger, in one SQLite database.

    Every read decodes what SQLite holds: several simulators may share one file, and what
    another one committed is what the next read sees."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        target = str(path) if path is not None else ":memory:"
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_private(path)
        # The server touches the connection only from its event loop thread; the flag lets
        # that thread differ from the one that opened it.
        self._db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 15000")
        # Some builds (Debian's) zero every freed page. Each buy frees the overflow pages of
        # the shipment it rewrites; zeroing them (and, with a file, logging the zeros) buys a
        # simulator nothing.
        self._db.execute("PRAGMA secure_delete = OFF")
        if path is not None:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        self._depth = 0
        self._group = False  # a shared transaction is open (see defer_commits)
        self._schedule: Callable[[Callable[[], None]], object] | None = None
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self.commit()
        self._db.close()

    def defer_commits(self, schedule: Callable[[Callable[[], None]], object]) -> None:
        """Let transactions share one COMMIT, which `schedule(commit)` runs soon after.

        The server passes its event loop's `call_soon`: the requests handled in one turn of
        the loop join one SQLite transaction, each in a savepoint of its own (an error undoes
        only its own request), and all of them wait for that COMMIT before answering. A
        WAL commit (and BEGIN IMMEDIATE's file locking) cost as much as the rest of a
        create, so under load one is shared by every request of a loop turn."""
        self._schedule = schedule

    @property
    def pending(self) -> bool:
        """Whether a shared transaction is waiting for its COMMIT."""
        return self._group

    def commit(self) -> None:
        """Commit the shared transaction, if one is open."""
        if not self._group:
            return
        self._group = False
        try:
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """An IMMEDIATE transaction: it takes the write lock up front, so read-check-write
        sequences (a buy) are serialised across processes."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        grouped = self._schedule is not None
        if grouped:
            self._open_group()
            self._db.execute("SAVEPOINT request")
        else:
            self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            if grouped:
                self._db.execute("ROLLBACK TO request")
                self._db.execute("RELEASE request")
            else:
                self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("RELEASE request" if grouped else "COMMIT")
        finally:
            self._depth = 0

    def _open_group(self) -> None:
        if self._group or self._schedule is None:
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._group = True
        self._schedule(self.commit)

    # -- meta -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def init_meta(self, key: str, value: str) -> str:
        """The stored value, or `value` stored now if there is none yet."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, value),
            )
            stored = self.meta(key)
        assert stored is not None
        return stored

    # -- objects --------------------------------------------------------------------------

    def insert(
        self, kind: str, body: Row, *, reference: str | None = None, lookup: str | None = None,
        text: str | None = None,
    ) -> None:
        """Store a new object; `text` is its JSON when the caller has encoded it already."""
        self._db.execute(
            "INSERT INTO objects (id, kind, reference, lookup, purchased, body) "
            "VALUES (?, ?, ?, ?, 0, ?)",
            (body["id"], kind, reference, lookup, encode(body) if text is None else text),
        )

    def insert_many(self, objects: list[NewObject]) -> None:
        """Store new objects in one statement (a statement each cost more than the rows)."""
        self._db.executemany(
            "INSERT INTO objects (id, kind, reference, lookup, purchased, body) "
            "VALUES (?, ?, ?, ?, 0, ?)",
            [(body["id"], kind, reference, lookup, text)
             for kind, body, reference, lookup, text in objects],
        )

    def update(
        self, body: Row, *, purchased: bool | None = None, lookup: str | None = None,
        text: str | None = None,
    ) -> None:
        self._db.execute(
            "UPDATE objects SET body = ?, purchased = COALESCE(?, purchased), "
            "lookup = COALESCE(?, lookup) WHERE id = ?",
            (encode(body) if text is None else text, purchased, lookup, body["id"]),
        )

    def delete(self, kind: str, object_id: str) -> bool:
        """Remove an object; whether there was one of that kind."""
        return self._db.execute(
            "DELETE FROM objects WHERE id = ? AND kind = ?", (object_id, kind)).rowcount > 0

    def get(self, kind: str, object_id: str) -> Row | None:
        row = self._db.execute(
            "SELECT body FROM objects WHERE id = ? AND kind = ?", (object_id, kind)
        ).fetchone()
        return None if row is None else _load(row[0])

    def by_reference(self, kind: str, reference: str) -> Row | None:
        row = self._db.execute(
            "SELECT body FROM objects WHERE kind = ? AND reference = ? "
            "ORDER BY seq DESC LIMIT 1",
            (kind, reference),
        ).fetchone()
        return None if row is None else _load(row[0])

    def by_lookup(self, kind: str, lookup: str) -> list[Row]:
        rows = self._db.execute(
            "SELECT body FROM objects WHERE kind = ? AND lookup = ? ORDER BY seq",
            (kind, lookup),
        )
        return [_load(text) for (text,) in rows]

    def page(
        self,
        kind: str,
        *,
        limit: int,
        before_id: str | None = None,
        purchased: bool | None = None,
        lookups: list[str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> tuple[list[Row], bool]:
        """Newest first, `limit` objects older than `before_id`; and whether more exist.

        `fields`: top-level body fields that must equal the given text, case aside."""
        sql = "SELECT body FROM objects WHERE kind = ?"
        args: list[Any] = [kind]
        if before_id is not None:
            sql += " AND seq < COALESCE((SELECT seq FROM objects WHERE id = ?), -1)"
            args.append(before_id)
        if purchased is not None:
            sql += " AND purchased = ?"
            args.append(int(purchased))
        if lookups is not None:
            sql += f" AND lookup IN ({','.join('?' * len(lookups))})"
            args.extend(lookups)
        for name, value in (fields or {}).items():
            sql += " AND lower(json_extract(body, ?)) = lower(?)"
            args += [f"$.{name}", value]
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit + 1)
        rows = [_load(text) for (text,) in self._db.execute(sql, args)]
        return rows[:limit], len(rows) > limit

    # -- ledger ---------------------------------------------------------------------------

    def record_purchase(self, shipment_id: str, reference: str | None, amount: Decimal) -> None:
        self._db.execute(
            "INSERT INTO purchases (shipment_id, reference, amount, at) VALUES (?, ?, ?, ?)",
            (shipment_id, reference, str(amount), time.time()),
        )

    def record_refund(self, shipment_id: str, amount: Decimal) -> None:
        self._db.execute(
            "INSERT INTO refunds (shipment_id, amount, at) VALUES (?, ?, ?) "
            "ON CONFLICT (shipment_id) DO NOTHING",
            (shipment_id, str(amount), time.time()),
        )

    def with_id_prefix(self, kind: str, prefix: str) -> list[Row]:
        """Objects of `kind` whose id starts with `prefix` (a range scan of the id index)."""
        rows = self._db.execute(
            "SELECT body FROM objects WHERE id >= ? AND id < ? AND kind = ? ORDER BY seq",
            (prefix, prefix + "\uffff", kind),
        )
        return [_load(text) for (text,) in rows]

    def record_scan_form(self, scan_form_id: str, labels: list[tuple[str, str]]) -> None:
        """The (shipment id, tracking code) of every label a new scan form lists."""
        at = time.time()
        self._db.executemany(
            "INSERT INTO scan_form_labels (scan_form_id, shipment_id, tracking_code, at) "
            "VALUES (?, ?, ?, ?)",
            [(scan_form_id, shipment_id, code, at) for shipment_id, code in labels],
        )

    def record_pickup(self, pickup_id: str, carrier: str, service: str, amount: Decimal,
                      confirmation: str) -> None:
        self._db.execute(
            "INSERT INTO pickup_purchases (pickup_id, carrier, service, amount, confirmation, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (pickup_id, carrier, service, str(amount), confirmation, time.time()),
        )

    def record_pickup_cancellation(self, pickup_id: str) -> None:
        self._db.execute(
            "INSERT INTO pickup_cancellations (pickup_id, at) VALUES (?, ?) "
            "ON CONFLICT (pickup_id) DO NOTHING",
            (pickup_id, time.time()),
        )

    def record_insurance(self, shipment_id: str, amount: Decimal, fee: Decimal) -> None:
        self._db.execute(
            "INSERT INTO insurance_purchases (shipment_id, amount, fee, at) VALUES (?, ?, ?, ?)",
            (shipment_id, str(amount), str(fee), time.time()),
        )

    def scan_form_labels(self) -> list[tuple[str, str, str]]:
        """(scan form id, shipment id, tracking code) of every label put on a form."""
        rows = self._db.execute(
            "SELECT scan_form_id, shipment_id, tracking_code FROM scan_form_labels ORDER BY seq")
        return [(str(f), str(s), str(c)) for f, s, c in rows]

    def pickup_purchases(self) -> list[tuple[str, str, str, Decimal]]:
        rows = self._db.execute(
            "SELECT pickup_id, carrier, service, amount FROM pickup_purchases ORDER BY seq")
        return [(str(p), str(c), str(s), Decimal(a)) for p, c, s, a in rows]

    def pickup_cancellations(self) -> list[str]:
        return [str(p) for (p,) in self._db.execute("SELECT pickup_id FROM pickup_cancellations")]

    def insurance_purchases(self) -> list[tuple[str, Decimal, Decimal]]:
        rows = self._db.execute(
            "SELECT shipment_id, amount, fee FROM insurance_purchases ORDER BY seq")
        return [(str(s), Decimal(a), Decimal(f)) for s, a, f in rows]

    def add_counters(self, deltas: dict[tuple[str, str], int]) -> None:
        if not deltas:
            return
        with self.transaction():
            self._db.executemany(
                "INSERT INTO counters (name, key, count) VALUES (?, ?, ?) "
                "ON CONFLICT (name, key) DO UPDATE SET count = count + excluded.count",
                [(name, key, n) for (name, key), n in deltas.items()],
            )

    def counters(self) -> list[tuple[str, str, int]]:
        return [
            (str(n), str(k), int(c))
            for n, k, c in self._db.execute("SELECT name, key, count FROM counters")
        ]

    def purchases(self) -> list[tuple[str, str | None, Decimal]]:
        rows = self._db.execute("SELECT shipment_id, reference, amount FROM purchases ORDER BY seq")
        return [(str(s), r, Decimal(a)) for s, r, a in rows]

    def refunds(self) -> list[tuple[str, Decimal]]:
        rows = self._db.execute("SELECT shipment_id, amount FROM refunds")
        return [(str(s), Decimal(a)) for s, a in rows]

    def reset(self) -> None:
        with self.transaction():
            for table in ("meta", "objects", "purchases", "refunds", "counters",
                          "scan_form_labels", "pickup_purchases", "pickup_cancellations",
                          "insurance_purchases"):
                self._db.execute(f"DELETE FROM {table}")


def _create_private(path: Path) -> None:
    """Create the state file readable by its owner only, whatever the umask: it holds
    recipients' names and addresses. SQLite gives its -wal and -shm files the same mode."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _load(text: str) -> Row:
    body: Row = orjson.loads(text)
    return body
