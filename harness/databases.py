"""A PostgreSQL schema of one's own, for the class store's tests and bench/class.py: made fresh,
given as a store's URL (its search_path set to it), dropped afterwards.

    with postgres_schema(os.environ["GALLERY_TEST_POSTGRES"], "class_store") as url:
        store = open_store(url, questions=...)
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import psycopg


@contextlib.contextmanager
def postgres_schema(dsn: str, prefix: str) -> Iterator[str]:
    """A new schema `<prefix>_<12 hex>` in `dsn`'s database, as a URL whose connections use it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")  # a name made here, not a value
    try:
        yield f"{dsn}{'&' if '?' in dsn else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
