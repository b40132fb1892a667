"""Alembic environment: migrations run on the connection propscope opens (see store.database)."""

from __future__ import annotations

from alembic import context

from propscope.store.schema import Base

connection = context.config.attributes["connection"]
# transaction_per_migration=False and the caller's open transaction: every migration step runs
# inside the one transaction store.database.migrate began, so the upgrade is all or nothing
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
