"""The corpus database: articles, analyses, spans and runs, with SQLAlchemy 2 and Alembic."""
