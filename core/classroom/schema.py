"""The class store's tables, as an ordered list of migrations applied when a store opens.

Each migration is a tuple of statements; a statement is one SQL text for both databases, or a
(SQLite, PostgreSQL) pair where their dialects differ (bytes are BLOB in one, BYTEA in the other).
`schema_version` holds one row per migration applied. Deleting a class deletes everything of it:
every table below `classes` references it with ON DELETE CASCADE.
"""

from __future__ import annotations

Statement = str | tuple[str, str]  # one SQL for both, or (SQLite's, PostgreSQL's)


def _drawings_table(image_type: str) -> str:
    """The drawings table, its image column of this database's bytes type (BLOB or BYTEA)."""
    return f"""CREATE TABLE drawings (
            id TEXT PRIMARY KEY,
            class_id TEXT NOT NULL,
            student_id TEXT NOT NULL,
            meant INTEGER NOT NULL CHECK (meant BETWEEN 0 AND 9),
            read INTEGER NOT NULL CHECK (read BETWEEN 0 AND 9),
            image {image_type} NOT NULL,
            at DOUBLE PRECISION NOT NULL,
            FOREIGN KEY (class_id, student_id) REFERENCES students (class_id, student_id) ON DELETE CASCADE
        )"""


# Times are seconds since the epoch (DOUBLE PRECISION: REAL in SQLite), so both databases compare them alike.
MIGRATIONS: tuple[tuple[Statement, ...], ...] = (
    (  # 1: a class, its students, their answers, the teacher's reveals, the class's drawings
        """CREATE TABLE classes (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            teacher_secret_hash TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            expires DOUBLE PRECISION NOT NULL,
            settings TEXT NOT NULL
        )""",
        "CREATE INDEX classes_expires ON classes (expires)",
        """CREATE TABLE students (
            class_id TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
            student_id TEXT NOT NULL,
            nickname TEXT,
            joined DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (class_id, student_id)
        )""",
        """CREATE TABLE answers (
            class_id TEXT NOT NULL,
            student_id TEXT NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (class_id, student_id, question),
            FOREIGN KEY (class_id, student_id) REFERENCES students (class_id, student_id) ON DELETE CASCADE
        )""",
        """CREATE TABLE reveals (
            class_id TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
            question TEXT NOT NULL,
            at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (class_id, question)
        )""",
        (_drawings_table("BLOB"), _drawings_table("BYTEA")),
        "CREATE INDEX drawings_cell ON drawings (class_id, meant, read, at)",
        "CREATE INDEX drawings_student ON drawings (class_id, student_id, at)",
        # Failed joins by address, not by class: a guess names no class. Kept a minute (sweep).
        "CREATE TABLE failed_joins (address TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX failed_joins_address ON failed_joins (address, at)",
    ),
    (  # 2: classes started, by address, so one visitor cannot start classes without end (kept an hour: sweep)
        "CREATE TABLE class_starts (address TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX class_starts_address ON class_starts (address, at)",
    ),
)

SCHEMA_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied DOUBLE PRECISION NOT NULL)"


def statement_for(statement: Statement, postgres: bool) -> str:
    """The SQL text of `statement` in this database's dialect."""
    if isinstance(statement, tuple):
        return statement[1] if postgres else statement[0]
    return statement
