"""payment disputes: chargebacks reported by the processor

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'payment_dispute',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('processor', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('dispute_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('fee', sa.Integer(), nullable=False),
        sa.Column('order_status_before', sqlmodel.sql.sqltypes.AutoString(length=24),
                  nullable=False),
        sa.Column('refund_request_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', commerce_dash.models.base.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('closed_at', commerce_dash.models.base.UTCDateTime(timezone=True),
                  nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], ),
        sa.ForeignKeyConstraint(['refund_request_id'], ['refund_request.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('processor', 'dispute_id', name='uq_payment_dispute_processor_id'),
    )
    with op.batch_alter_table('payment_dispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_dispute_order_id'), ['order_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_dispute_order_id'))
    op.drop_table('payment_dispute')
