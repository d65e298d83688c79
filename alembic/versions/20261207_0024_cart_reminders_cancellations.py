"""cart reminders cancellations (issue 19): the cart's reminder claim, each reminder sent
(recovered orders are counted from them) and learners' opt-outs of marketing emails

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 22:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cart', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'reminded_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=True))

    op.create_table('cart_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cart_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cart_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cart_reminder_cart_id'), ['cart_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cart_reminder_user_id'), ['user_id'], unique=False)

    op.create_table('email_opt_out',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'kind', name='uq_email_opt_out_user_kind')
    )
    with op.batch_alter_table('email_opt_out', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_opt_out_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('email_opt_out', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_opt_out_user_id'))
    op.drop_table('email_opt_out')
    with op.batch_alter_table('cart_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cart_reminder_user_id'))
        batch_op.drop_index(batch_op.f('ix_cart_reminder_cart_id'))
    op.drop_table('cart_reminder')
    with op.batch_alter_table('cart', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
