"""lms user links: the LMS's own id of each learner

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'lms_user_link',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('lms_user_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('updated_at', commerce_dash.models.base.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
        sa.PrimaryKeyConstraint('user_id'),
        sa.UniqueConstraint('lms_user_id'),
    )


def downgrade() -> None:
    op.drop_table('lms_user_link')
