"""Opening the corpus database: SQLite by default, PostgreSQL by URL, always migrated to head.

Every open runs the Alembic migrations, so a database made by an older propscope is brought up
to date before use, and a new one is created from the same migrations (never `create_all`),
so SQLite and PostgreSQL get exactly the same schema.

Migrations run in one transaction that holds the database's write lock (SQLite: BEGIN
IMMEDIATE; PostgreSQL: a transaction-level advisory lock), so a kill at any statement leaves
either the old schema or the new one, never half of it, and two processes opening one new
database at once migrate it once. Python's sqlite3 module would commit every CREATE TABLE on
its own, so propscope takes transactions on SQLite into its own hands (SQLAlchemy's recipe
for pysqlite); every write transaction there begins IMMEDIATE, which makes concurrent writers
wait for each other (busy_timeout) instead of failing.
"""

from __future__ import annotations

import sqlite3
import time
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from propscope.errors import InputError

DEFAULT_URL = "sqlite:///propscope.db"


def normalise_url(url: str) -> str:
    """A bare file path means a SQLite file; anything else must be an SQLAlchemy URL."""
    if "://" not in url:
        return f"sqlite:///{Path(url)}"
    return url


def open_database(url: str = DEFAULT_URL, *, create: bool = True) -> Engine:
    """An engine on an up-to-date database; errors name the URL (without its password).

    With `create=False` (commands that only read) a SQLite file that does not exist is an
    error instead of a new, empty database."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(
            "is not a database URL; use a file path, sqlite:///file.db or postgresql+psycopg://user@host/db",
            path=url,
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        database = Path(parsed.database)
        if not create and not database.is_file():
            raise InputError(
                f"no corpus database here; make one with 'propscope batch INPUT --db {database}'", path=database
            )
        database.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as error:
        raise InputError(f"the database driver {error.name!r} is not installed; pip install it", path=shown) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    try:
        migrate(engine)
    except OperationalError as error:
        raise InputError(f"cannot open the database ({error.orig}); check the URL and the server", path=shown) from None
    return engine


def _sqlite_pragmas(connection: Any, _: object) -> None:
    connection.isolation_level = None  # no implicit transactions: _sqlite_begin starts every one
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA foreign_keys=ON")
    _enable_wal(cursor)  # readers never see a half-written transaction
    cursor.close()


#: how often, and how far apart, a connection retries switching a new file to WAL
_WAL_ATTEMPTS, _WAL_PAUSE_SECONDS = 100, 0.05


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL, retrying while another connection switches it. Two processes
    opening one new file at once both try; SQLite then fails one of them at once with
    "database is locked" (waiting could deadlock, so busy_timeout does not apply), and
    that one finds the file in WAL mode when it tries again."""
    for attempt in range(_WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(_WAL_PAUSE_SECONDS)


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("propscope.store") / "migrations"))
    return config


#: any constant works: it only has to be the same for every propscope process
_MIGRATION_LOCK = 7_342_019


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there), in one
    transaction that holds the database's write lock."""
    config = alembic_config()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
