"""price in force per item and currency (issue 20): the catalog's prices kept ready, and the
catalog's version for its ETags

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08 01:00:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce_dash.models.base

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'price_in_force',
        sa.Column('item_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('interval', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('price_id', sa.Integer(), nullable=True),
        sa.Column('amount', sa.Integer(), nullable=True),
        sa.Column('price_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('next_edge', commerce_dash.models.base.UTCDateTime(timezone=True),
                  nullable=True),
        sa.PrimaryKeyConstraint('item_type', 'item_id', 'currency', 'interval'),
    )
    op.create_index(op.f('ix_price_in_force_next_edge'), 'price_in_force', ['next_edge'],
                    unique=False)
    op.create_table(
        'catalog_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', commerce_dash.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    _backfill()


def _backfill() -> None:
    """The prices in force now, by the catalog's rule (services/catalog/prices_table.py):
    not deactivated, started, not ended; several: the latest start, then the highest id;
    the next edge is when the one in force ends or a scheduled one starts."""
    bind = op.get_bind()
    utc = commerce_dash.models.base.UTCDateTime(timezone=True)
    price = sa.table(
        'price', sa.column('id', sa.Integer()), sa.column('item_type', sa.String()),
        sa.column('item_id', sa.Integer()), sa.column('currency', sa.String()),
        sa.column('interval', sa.String()), sa.column('amount', sa.Integer()),
        sa.column('price_type', sa.String()), sa.column('effective_from', utc),
        sa.column('effective_until', utc), sa.column('deactivated_at', utc),
    )
    now = datetime.now(UTC)
    rows = bind.execute(sa.select(price).where(
        price.c.deactivated_at.is_(None),
        sa.or_(price.c.effective_until.is_(None), price.c.effective_until > now))).all()
    current: dict[tuple, sa.Row] = {}
    edges: dict[tuple, datetime | None] = {}
    for r in rows:
        key = (r.item_type, r.item_id, r.currency, r.interval)
        edges.setdefault(key, None)
        if r.effective_from <= now:
            best = current.get(key)
            if best is None or (r.effective_from, r.id) > (best.effective_from, best.id):
                current[key] = r
        else:
            edge = edges[key]
            edges[key] = r.effective_from if edge is None else min(edge, r.effective_from)
    out = []
    for key, edge in edges.items():
        c = current.get(key)
        if c is not None and c.effective_until is not None:
            edge = c.effective_until if edge is None else min(edge, c.effective_until)
        out.append({'item_type': key[0], 'item_id': key[1], 'currency': key[2],
                    'interval': key[3], 'price_id': c.id if c else None,
                    'amount': c.amount if c else None, 'price_type': c.price_type if c else '',
                    'next_edge': edge})
    table = sa.table(
        'price_in_force', sa.column('item_type', sa.String()), sa.column('item_id', sa.Integer()),
        sa.column('currency', sa.String()), sa.column('interval', sa.String()),
        sa.column('price_id', sa.Integer()), sa.column('amount', sa.Integer()),
        sa.column('price_type', sa.String()), sa.column('next_edge', utc),
    )
    for i in range(0, len(out), 500):
        bind.execute(sa.insert(table), out[i:i + 500])
    change = sa.table('catalog_change', sa.column('id', sa.Integer()), sa.column('at', utc))
    bind.execute(sa.insert(change).values(at=now))


def downgrade() -> None:
    op.drop_table('catalog_change')
    op.drop_index(op.f('ix_price_in_force_next_edge'), table_name='price_in_force')
    op.drop_table('price_in_force')
