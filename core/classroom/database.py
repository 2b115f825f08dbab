"""The class store's connections: one short transaction per operation, on SQLite or PostgreSQL, with
one SQL text for both (`Transaction.run` turns `?` into psycopg's `%s`). SQLite files are put in WAL
mode (`wal_mode`) so readers and a writer work at once across processes."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, nullcontext

import psycopg

BUSY_SECONDS = 10.0  # a SQLite writer waits this long for another's lock; each holds it for milliseconds


class Transaction:
    """One open transaction: SQL written with `?` placeholders, run with them as this database wants."""

    def __init__(self, connection, postgres: bool):
        self.connection, self.postgres = connection, postgres

    def run(self, sql: str, parameters: tuple = ()):
        """The cursor of `sql` run with `parameters`; the only place SQL meets a database."""
        if self.postgres:
            assert "%" not in sql, "psycopg reads % as a placeholder"
            sql = sql.replace("?", "%s")
        return self.connection.execute(sql, parameters)


@contextmanager
def transaction(url: str, postgres: bool, write: bool, writing: threading.Lock) -> Iterator[Transaction]:
    """A connection to `url` and a transaction on it: committed if the block returns, rolled back if
    it raises. A SQLite writer first takes `writing`, the store's lock for this process's writers, so
    SQLite's busy timeout is only spent waiting for other processes."""
    if postgres:
        with psycopg.connect(url, connect_timeout=10) as connection:  # commits or rolls back, then closes
            yield Transaction(connection, postgres=True)
        return
    with writing if write else nullcontext():
        connection = sqlite3.connect(url, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            connection.execute("PRAGMA foreign_keys = ON")  # per connection: the cascades need it
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # a writer locks first, so it never has to retry
            try:
                yield Transaction(connection, postgres=False)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()


def wal_mode(path: str) -> None:
    """Put the SQLite file at `path` in WAL mode (kept in the file: readers and a writer at once).

    Switching needs the file to itself, and SQLite answers "database is locked" at once, without
    waiting out the busy timeout, while another process opening the same new file holds it: three
    processes opening a fresh store together failed one time in four (tests/test_class_store.py). So
    it is retried for up to BUSY_SECONDS; once any process has switched, the file says "wal"."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            with closing(sqlite3.connect(path, timeout=BUSY_SECONDS)) as connection:
                if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    connection.execute("PRAGMA journal_mode = WAL")
                return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
