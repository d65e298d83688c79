"""funnel counts per day, department and course (issue 20): course page views and cart
adds, which have no row of their own

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08 01:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # course page views and cart adds, added up in memory and flushed here (one row per key,
    # each flush adding to it)
    op.create_table(
        'funnel_count',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'stage', 'department_id', 'course_id'),
    )
    op.create_index('ix_funnel_count_department_day', 'funnel_count',
                    ['department_id', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_funnel_count_department_day', table_name='funnel_count')
    op.drop_table('funnel_count')
