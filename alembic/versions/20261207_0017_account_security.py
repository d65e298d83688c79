"""account security: email verification, two-factor sign-in, recovery codes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 08:00:00+00:00

Accounts that exist already count as verified (they were made before verification).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = commerce_dash.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('totp_enabled_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.execute("UPDATE app_user SET email_verified_at = created_at")
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_factor_at', UTC, nullable=True))
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('used_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_hash'),
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('second_factor_at')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('email_verified_at')
