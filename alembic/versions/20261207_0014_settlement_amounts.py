"""settlement amounts: orders charged in another currency keep their settlement worth

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 05:00:00+00:00
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
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settlement_currency',
                                      sqlmodel.sql.sqltypes.AutoString(length=3),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('settlement_total', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settlement_amount', sa.Integer(), nullable=True))
    # every order so far was charged in the settlement currency
    op.execute("UPDATE orders SET settlement_currency = currency, settlement_total = total")
    op.execute("UPDATE refund_request SET settlement_amount = COALESCE(approved_amount, amount) "
               "WHERE status = 'refunded'")


def downgrade() -> None:
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.drop_column('settlement_amount')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('settlement_total')
        batch_op.drop_column('settlement_currency')
