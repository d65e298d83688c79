"""Who our users are in the LMS: the link every enrollment payload's ``userId`` comes from.

The LMS fills it with its user sync, or by naming its user when it answers an enrollment
request. A payload for a learner the LMS has not named yet carries an empty ``userId`` and
the learner's email, so the LMS can find them and name them in its answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.accounts import User
from commerce_dash.models.integrations import ApiConnector, LmsUserLink
from commerce_dash.services.platform import record_audit

MAX_USERS_PER_SYNC = 1000


def lms_user_id(*, session: Session, user_id: int) -> str:
    """The LMS's id of our user, "" while the LMS has not named them."""
    link = session.get(LmsUserLink, user_id)
    return link.lms_user_id if link is not None else ""


def remember(*, session: Session, user_id: int, lms_user_id: str, source: str) -> bool:
    """Link our user to the LMS's id (in the caller's transaction); returns whether it
    changed. An LMS id names one user: a link it had to someone else moves here."""
    lms_id = lms_user_id.strip()
    if not lms_id or len(lms_id) > 100:
        raise DomainError("invalid_lms_user_id", "An LMS user id is 1 to 100 characters.",
                          field="lms_user_id")
    link = session.get(LmsUserLink, user_id)
    if link is not None and link.lms_user_id == lms_id:
        return False
    session.execute(delete(LmsUserLink).where(col(LmsUserLink.lms_user_id) == lms_id,
                                              col(LmsUserLink.user_id) != user_id))
    session.flush()
    link = link or LmsUserLink(user_id=user_id, lms_user_id=lms_id, source=source)
    link.lms_user_id, link.source, link.updated_at = lms_id, source, utcnow()
    session.add(link)
    return True


@dataclass(frozen=True)
class UserSyncResult:
    linked: int
    unchanged: int
    unknown: list[str] = field(default_factory=list)  # emails that are none of our users


def sync_users(*, session: Session, connector: ApiConnector,
               users: Sequence[tuple[str, str]]) -> UserSyncResult:
    """The LMS names its users by email (commits; audited as the connector's)."""
    if len(users) > MAX_USERS_PER_SYNC:
        raise DomainError("too_many_users", f"At most {MAX_USERS_PER_SYNC} users a request.",
                          field="users")
    wanted = {email.strip().lower(): lms_id for email, lms_id in users}
    found = {email.lower(): uid for uid, email in session.exec(
        select(User.id, User.email).where(func.lower(User.email).in_(wanted))).all()
        if uid is not None}
    linked = unchanged = 0
    for email, lms_id in wanted.items():
        if email not in found:
            continue
        if remember(session=session, user_id=found[email], lms_user_id=lms_id, source="sync"):
            linked += 1
        else:
            unchanged += 1
    unknown = sorted(set(wanted) - set(found))
    record_audit(session=session, actor=None, action="lms.users_synced",
                 entity_type="api_connector", entity_id=connector.id,
                 after={"connector": connector.name, "linked": linked, "unchanged": unchanged,
                        "unknown": len(unknown)})
    session.commit()
    return UserSyncResult(linked, unchanged, unknown)
