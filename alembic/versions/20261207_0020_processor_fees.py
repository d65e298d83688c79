"""the processor's reported fee of a payment, and where a ledger entry's fee came from

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payment') as batch_op:
        batch_op.add_column(sa.Column('processor_fee', sa.Integer(), nullable=True))
    with op.batch_alter_table('ledger_entry') as batch_op:
        batch_op.add_column(sa.Column(
            'fee_source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
            server_default='estimate'))


def downgrade() -> None:
    with op.batch_alter_table('ledger_entry') as batch_op:
        batch_op.drop_column('fee_source')
    with op.batch_alter_table('payment') as batch_op:
        batch_op.drop_column('processor_fee')
