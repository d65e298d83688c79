"""the processor a billing admin chose, by default and per department

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 19:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'processor_choice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('processor', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', commerce_dash.models.base.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
        sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('scope_key'),
    )
    with op.batch_alter_table('processor_choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processor_choice_department_id'), ['department_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('processor_choice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processor_choice_department_id'))
    op.drop_table('processor_choice')
