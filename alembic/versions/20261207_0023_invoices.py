"""invoices (issue 19): seller details, per-year number counters, invoices and credit notes

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 22:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_WHEN = commerce_dash.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'seller_details',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', _STR(length=200), nullable=False),
        sa.Column('address', sa.Text(), nullable=False),
        sa.Column('tax_id', _STR(length=64), nullable=False),
        sa.Column('email', _STR(length=254), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', _WHEN, nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'invoice_counter',
        sa.Column('kind', _STR(length=16), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'year'),
    )
    op.create_table(
        'invoice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', _STR(length=32), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('currency', _STR(length=3), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=True),
        sa.Column('issued_at', _WHEN, nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
        sa.UniqueConstraint('order_id'),
        sa.UniqueConstraint('year', 'sequence', name='uq_invoice_year_sequence'),
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_user_id'), ['user_id'], unique=False)
    op.create_table(
        'credit_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', _STR(length=32), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=True),
        sa.Column('refund_request_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('currency', _STR(length=3), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=True),
        sa.Column('issued_at', _WHEN, nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
        sa.ForeignKeyConstraint(['refund_request_id'], ['refund_request.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
        sa.UniqueConstraint('refund_request_id'),
        sa.UniqueConstraint('year', 'sequence', name='uq_credit_note_year_sequence'),
    )
    with op.batch_alter_table('credit_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_note_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('credit_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_note_user_id'))
        batch_op.drop_index(batch_op.f('ix_credit_note_order_id'))
    op.drop_table('credit_note')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_user_id'))
    op.drop_table('invoice')
    op.drop_table('invoice_counter')
    op.drop_table('seller_details')
