"""login throttle: failed sign-ins per account and the next attempt allowed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 07:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'login_throttle',
        sa.Column('account_key', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_start', commerce_dash.models.base.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('next_allowed_at', commerce_dash.models.base.UTCDateTime(timezone=True),
                  nullable=True),
        sa.PrimaryKeyConstraint('account_key'),
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
