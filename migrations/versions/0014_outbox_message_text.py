"""outbox message as text

A scheduled report's post carries its charts (PNG, base64) inside the neutral message,
which can pass the 60,000 characters the column allowed: PostgreSQL refused the row.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message') as batch:
        batch.alter_column(
            'message',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=60000),
            type_=sa.Text(),
            existing_nullable=False,
        )


def downgrade() -> None:
    # A row longer than the old limit cannot go back into it. Its post is given up (skipped,
    # with the reason) rather than cut into JSON no sender could read.
    op.execute(
        "UPDATE outbox_message SET message = '{}', status = CASE WHEN status = 'sent' "
        "THEN status ELSE 'skipped' END, last_error = 'dropped by a downgrade: longer "
        "than 60000 characters' WHERE length(message) > 60000"
    )
    with op.batch_alter_table('outbox_message') as batch:
        batch.alter_column(
            'message',
            existing_type=sa.Text(),
            type_=sqlmodel.sql.sqltypes.AutoString(length=60000),
            existing_nullable=False,
        )
