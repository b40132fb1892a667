"""Opening the corpus database: SQLite by default, PostgreSQL by URL, always migrated to head.

Every open runs the Alembic migrations, so a database made by an older propscope is brought up
to date before use, and a new one is created from the same migrations (never `create_all`),
so SQLite and PostgreSQL get exactly the same schema.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
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
    try:
        migrate(engine)
    except OperationalError as error:
        raise InputError(f"cannot open the database ({error.orig}); check the URL and the server", path=shown) from None
    return engine


def _sqlite_pragmas(connection: Any, _: object) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never see a half-written transaction
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("propscope.store") / "migrations"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
