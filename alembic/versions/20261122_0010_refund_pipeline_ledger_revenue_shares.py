"""refund pipeline ledger revenue shares

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 08:11:22.672632+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=24),
                              existing_nullable=False)
    op.create_table('revenue_share_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('platform_bps', sa.Integer(), nullable=False),
    sa.Column('creator_bps', sa.Integer(), nullable=False),
    sa.Column('instructor_bps', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope_key')
    )
    op.create_table('ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('entry_type', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('refund_request_id', sa.Integer(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('transaction_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('instructor_id', sa.Integer(), nullable=True),
    sa.Column('creator_id', sa.Integer(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('gross', sa.Integer(), nullable=False),
    sa.Column('tax', sa.Integer(), nullable=False),
    sa.Column('processor_fee', sa.Integer(), nullable=False),
    sa.Column('net', sa.Integer(), nullable=False),
    sa.Column('platform_bps', sa.Integer(), nullable=False),
    sa.Column('creator_bps', sa.Integer(), nullable=False),
    sa.Column('instructor_bps', sa.Integer(), nullable=False),
    sa.Column('platform_amount', sa.Integer(), nullable=False),
    sa.Column('creator_amount', sa.Integer(), nullable=False),
    sa.Column('instructor_amount', sa.Integer(), nullable=False),
    sa.Column('recorded_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], ),
    sa.ForeignKeyConstraint(['creator_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['instructor_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['learner_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id'], ),
    sa.ForeignKeyConstraint(['refund_request_id'], ['refund_request.id'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_entry.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_course_recorded', ['course_id', 'recorded_at'], unique=False)
        batch_op.create_index('ix_ledger_creator_recorded', ['creator_id', 'recorded_at'], unique=False)
        batch_op.create_index('ix_ledger_department_recorded', ['department_id', 'recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_refund_request_id'), ['refund_request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_reverses_id'), ['reverses_id'], unique=False)
        batch_op.create_index('ix_ledger_instructor_recorded', ['instructor_id', 'recorded_at'], unique=False)
        batch_op.create_index('ix_ledger_recorded', ['recorded_at'], unique=False)

    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lines', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('approved_amount', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('processor_refund_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('refunded_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False, server_default=sa.func.now()))
        batch_op.create_foreign_key('fk_refund_request_decided_by_id', 'app_user', ['decided_by_id'], ['id'])
    if op.get_bind().dialect.name == "postgresql":
        # Without these Postgres assumes every ledger row has its own month and plans the
        # reports' GROUP BY serially (see revenue_reports.STATISTICS).
        op.execute("CREATE STATISTICS IF NOT EXISTS st_ledger_entry_month ON "
                   "(date_trunc('month', timezone('UTC', recorded_at))) FROM ledger_entry")
        op.execute("CREATE STATISTICS IF NOT EXISTS st_ledger_entry_day ON "
                   "(date_trunc('day', timezone('UTC', recorded_at))) FROM ledger_entry")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_ledger_entry_month")
        op.execute("DROP STATISTICS IF EXISTS st_ledger_entry_day")
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.drop_constraint('fk_refund_request_decided_by_id', type_='foreignkey')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('refunded_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')
        batch_op.drop_column('processor_refund_id')
        batch_op.drop_column('decision_reason')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('approved_amount')
        batch_op.drop_column('lines')

    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_recorded')
        batch_op.drop_index('ix_ledger_instructor_recorded')
        batch_op.drop_index(batch_op.f('ix_ledger_entry_reverses_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entry_refund_request_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entry_order_id'))
        batch_op.drop_index('ix_ledger_department_recorded')
        batch_op.drop_index('ix_ledger_creator_recorded')
        batch_op.drop_index('ix_ledger_course_recorded')

    op.drop_table('ledger_entry')
    op.drop_table('revenue_share_rule')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=24),
                              type_=sa.String(length=16), existing_nullable=False)
