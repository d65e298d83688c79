"""certificate templates images pdf cache

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 07:41:05.480283+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stored_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('certificate_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('orientation', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('title_text', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('footer_text', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('font', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('primary_color', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('background_image_id', sa.Integer(), nullable=True),
    sa.Column('signatures', sa.JSON(), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['background_image_id'], ['stored_image.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('certificate_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_template_department_id'), ['department_id'], unique=False)
        batch_op.create_index('uq_certificate_template_default', ['department_id'], unique=True, postgresql_where=sa.text('is_default'), sqlite_where=sa.text('is_default'))

    op.create_table('certificate_pdf',
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('rendered_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], ),
    sa.PrimaryKeyConstraint('certificate_id')
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('issued_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('issue_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('updated_at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False, server_default=sa.func.now()))
        batch_op.create_foreign_key('fk_certificate_revoked_by_id', 'app_user', ['revoked_by_id'], ['id'])
        batch_op.create_foreign_key('fk_certificate_template_id', 'certificate_template', ['template_id'], ['id'])
        batch_op.create_foreign_key('fk_certificate_issued_by_id', 'app_user', ['issued_by_id'], ['id'])

    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_image_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_department_logo_image_id', 'stored_image', ['logo_image_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_constraint('fk_department_logo_image_id', type_='foreignkey')
        batch_op.drop_column('logo_image_id')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint('fk_certificate_issued_by_id', type_='foreignkey')
        batch_op.drop_constraint('fk_certificate_template_id', type_='foreignkey')
        batch_op.drop_constraint('fk_certificate_revoked_by_id', type_='foreignkey')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('issue_note')
        batch_op.drop_column('issued_by_id')
        batch_op.drop_column('template_id')
        batch_op.drop_column('revoked_by_id')

    op.drop_table('certificate_pdf')
    with op.batch_alter_table('certificate_template', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_template_default', postgresql_where=sa.text('is_default'), sqlite_where=sa.text('is_default'))
        batch_op.drop_index(batch_op.f('ix_certificate_template_department_id'))

    op.drop_table('certificate_template')
    op.drop_table('stored_image')
