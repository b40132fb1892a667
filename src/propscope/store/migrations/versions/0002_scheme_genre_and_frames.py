"""scheme, genre and frames of an analysis

Analyses made before this revision are of the SemEval-2020 scheme and have neither genre nor
frames; they keep their rows and get scheme "semeval2020".

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("analyses", sa.Column("scheme", sa.String(length=50), nullable=False, server_default="semeval2020"))
    op.add_column("analyses", sa.Column("genre", sa.String(length=20), nullable=True))
    op.add_column("analyses", sa.Column("genre_probabilities", sa.JSON(), nullable=True))
    op.add_column("analyses", sa.Column("frames", sa.JSON(), nullable=True))
    op.add_column("analyses", sa.Column("frame_scores", sa.JSON(), nullable=True))
    op.create_index("ix_analyses_genre", "analyses", ["genre"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_analyses_genre", table_name="analyses")
    with op.batch_alter_table("analyses", schema=None) as batch_op:
        for column in ("frame_scores", "frames", "genre_probabilities", "genre", "scheme"):
            batch_op.drop_column(column)
