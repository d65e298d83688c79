"""The catalog's prices kept ready: write the prices whose window edge has passed."""

from __future__ import annotations

import logging

from commerce_dash.db import session_scope
from commerce_dash.services import catalog as catalog_area

log = logging.getLogger(__name__)


def refresh_catalog_prices() -> dict[str, int]:
    """One run in its own transaction: a price that started or ended since the last run
    is written to ``price_in_force`` (the catalog reads the rule meanwhile)."""
    with session_scope() as session:
        done = catalog_area.refresh_due(session=session)
    if done["keys"]:
        log.info("catalog prices: %(keys)s keys rewritten at their window edge", done)
    return done
