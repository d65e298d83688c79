"""admin api roles (issue 19)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 22:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # who reviews a department's registrations: enrollment_admins, dept_admins or both
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_reviewers',
                                      sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=False, server_default='both'))
    # idempotency keys of admin API calls that act once (the one-call refund)
    op.create_table('admin_idempotency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('created_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'scope', 'key', name='uq_admin_idempotency_key')
    )


def downgrade() -> None:
    op.drop_table('admin_idempotency')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_column('registration_reviewers')
