"""The browser's time zone, which pages that show times ask for once on load (times are shown
in the viewer's zone): the script that reads it, and the check of what it answered."""

from __future__ import annotations

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.sessions import zone

__all__ = ["BROWSER_ZONE_SCRIPT", "known_zone"]

# answered through ``rx.call_script(BROWSER_ZONE_SCRIPT, callback=...)``
BROWSER_ZONE_SCRIPT = "Intl.DateTimeFormat().resolvedOptions().timeZone"


def known_zone(value: object, default: str = "UTC") -> str:
    """``value`` when it names an IANA zone this server knows (a browser may send anything),
    else ``default``."""
    name = str(value or "").strip()[:64]
    try:
        zone(name)
    except DomainError:
        return default
    return name
