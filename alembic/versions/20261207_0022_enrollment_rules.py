"""courses' prerequisites and enrollment deadline; what an API client sent with an order

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 19:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import commerce_dash.models.base

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'course_prerequisite',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('required_course_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['required_course_id'], ['course.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('course_id', 'required_course_id'),
    )
    with op.batch_alter_table('course_prerequisite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_prerequisite_course_id'), ['course_id'],
                              unique=False)
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrollment_deadline',
                                      commerce_dash.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_context', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('client_context')
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_column('enrollment_deadline')
    with op.batch_alter_table('course_prerequisite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_prerequisite_course_id'))
    op.drop_table('course_prerequisite')
