"""tax sources (issue 19): which source priced an order's tax and its tax by rate; a
payment's processor declines counted apart from mistyped card details

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 22:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_source', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('tax_breakdown', sa.JSON(), nullable=True))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declines', sa.Integer(), nullable=False,
                                      server_default='0'))
    # orders priced before: the table or TaxJar, as their provider says
    op.execute("UPDATE orders SET tax_source = CASE WHEN tax_provider = 'taxjar' THEN 'taxjar' "
               "WHEN tax_provider = 'manual' THEN 'table' ELSE 'none' END")
    # payments failed before: every failure counted as a decline, as the review did
    op.execute("UPDATE payment SET declines = attempts_failed")


def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('declines')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('tax_breakdown')
        batch_op.drop_column('tax_source')
