"""image departments: a stored image belongs to the department whose templates and logo use it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 06:00:00+00:00

Backfill, from what uses each image today:
- used by the templates (background or a signature) or the logo of one department: that
  department's;
- used by several departments: the lowest department id keeps the row, and every other one
  gets a copy of it (a new random key) that its templates and logo are pointed at, so no
  existing template breaks and no image is shared across departments;
- used by none: no department, which only a super-admin may use (the template or logo that
  first uses it makes it that department's). The uploader's department is not used: a
  dept-admin may manage several and a super-admin none.

The downgrade drops the column; copies made by the upgrade stay as rows of their own.
"""

import secrets
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_images = sa.table('stored_image', sa.column('id', sa.Integer()), sa.column('key', sa.String()),
                   sa.column('department_id', sa.Integer()))
_templates = sa.table('certificate_template', sa.column('id', sa.Integer()),
                      sa.column('department_id', sa.Integer()),
                      sa.column('background_image_id', sa.Integer()),
                      sa.column('signatures', sa.JSON()))
_departments = sa.table('department', sa.column('id', sa.Integer()),
                        sa.column('logo_image_id', sa.Integer()),
                        sa.column('logo_url', sa.String()))
_COPIED = ('purpose', 'filename', 'content_type', 'sha256', 'width', 'height', 'size_bytes',
           'data', 'uploaded_by_id', 'created_at')


def upgrade() -> None:
    with _rows_kept_aside(), op.batch_alter_table('stored_image', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_stored_image_department_id', ['department_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_stored_image_department_id', 'department',
                                    ['department_id'], ['id'], ondelete='SET NULL')
    _backfill(op.get_bind())


@contextmanager
def _rows_kept_aside() -> Iterator[None]:
    """SQLite adds a foreign key by rebuilding the table (copy, drop, rename). Dropping
    stored_image while templates and logos point at its rows fails with foreign keys on, and
    a deferred check would still fail at commit (the rename puts no row back). So the rows
    wait in a temporary table, stored_image is emptied with the check deferred, rebuilt
    empty, and refilled: each row put back satisfies the references to it again."""
    if op.get_bind().dialect.name != 'sqlite':
        yield
        return
    columns = ', '.join(f'"{c}"' for c in ('id', 'key', *_COPIED))
    op.execute('CREATE TEMP TABLE stored_image_rows AS SELECT * FROM stored_image')
    # the pragma lasts until the transaction ends; pysqlite opens one at a data change
    op.execute('UPDATE stored_image SET id = id WHERE 0 = 1')
    op.execute('PRAGMA defer_foreign_keys = ON')
    op.execute('DELETE FROM stored_image')
    yield
    op.execute(f'INSERT INTO stored_image ({columns}) SELECT {columns} FROM stored_image_rows')
    op.execute('DROP TABLE stored_image_rows')


def _backfill(conn: sa.Connection) -> None:
    templates = [dict(t) for t in conn.execute(sa.select(_templates)).mappings()]
    logos = conn.execute(sa.select(_departments.c.id, _departments.c.logo_image_id)
                         .where(_departments.c.logo_image_id.is_not(None))).all()
    users: dict[int, set[int]] = defaultdict(set)
    for t in templates:
        for image_id in _template_images(t):
            users[image_id].add(t['department_id'])
    for department_id, image_id in logos:
        users[image_id].add(department_id)
    for image_id, departments in users.items():
        first, *others = sorted(departments)
        conn.execute(_images.update().where(_images.c.id == image_id)
                     .values(department_id=first))
        for department_id in others:
            copy_id, copy_key = _copy(conn, image_id, department_id)
            for t in templates:
                if t['department_id'] == department_id and image_id in _template_images(t):
                    _repoint_template(conn, t, image_id, copy_id)
            old_key = conn.execute(sa.select(_images.c.key)
                                   .where(_images.c.id == image_id)).scalar_one()
            conn.execute(
                _departments.update()
                .where(_departments.c.id == department_id,
                       _departments.c.logo_image_id == image_id)
                .values(logo_image_id=copy_id,
                        logo_url=sa.func.replace(_departments.c.logo_url, old_key, copy_key)))


def _template_images(template: dict[str, Any]) -> set[int]:
    found = {template['background_image_id']} if template['background_image_id'] else set()
    for signature in template['signatures'] or []:
        if isinstance(signature, dict) and signature.get('image_id'):
            found.add(int(signature['image_id']))
    return found


def _copy(conn: sa.Connection, image_id: int, department_id: int) -> tuple[int, str]:
    """A copy of the image row (bytes copied in the database) for another department."""
    key = secrets.token_urlsafe(16)[:22]
    columns = ', '.join(_COPIED)
    conn.execute(sa.text(
        f'INSERT INTO stored_image ("key", department_id, {columns}) '
        f"SELECT :key, :department_id, {columns} FROM stored_image WHERE id = :image_id"
    ), {'key': key, 'department_id': department_id, 'image_id': image_id})
    copy_id = conn.execute(sa.select(_images.c.id).where(_images.c.key == key)).scalar_one()
    return copy_id, key


def _repoint_template(conn: sa.Connection, template: dict[str, Any], old: int, new: int) -> None:
    """Point the template at the copy (and keep ``template`` current for later images)."""
    if template['signatures'] is not None:
        template['signatures'] = [
            {**s, 'image_id': new} if isinstance(s, dict) and s.get('image_id') == old else s
            for s in template['signatures']
        ]
    if template['background_image_id'] == old:
        template['background_image_id'] = new
    conn.execute(_templates.update().where(_templates.c.id == template['id']).values(
        background_image_id=template['background_image_id'],
        signatures=template['signatures']))


def downgrade() -> None:
    with _rows_kept_aside(), op.batch_alter_table('stored_image', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_image_department_id')
        batch_op.drop_constraint('fk_stored_image_department_id', type_='foreignkey')
        batch_op.drop_column('department_id')
