"""Course sync from the LMS: connectors, signed requests and the course upsert.

A connector has two secrets, derived from the app's secret key, its kind and its ``key_id``
(never stored): the inbound one signs its requests to us
(``X-Signature: sha256=HMAC(inbound, f"{timestamp}.{body}")``), the outbound one signs our
webhooks to it. Neither verifies the other direction, so a webhook we sent cannot be posted
back to us as the connector's request, and a secret of one kind is worth nothing to another.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.connectors.secrets import (
    CONNECTOR_KINDS,
    INBOUND,
    ConnectorSecrets,
    connector_secret,
    connector_secrets,
)
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.models.catalog import Course, CourseModule, Department
from commerce_dash.models.integrations import ApiConnector, SeenSignature
from commerce_dash.services.platform.audit import record_audit

# The same code and text rules as courses created by hand.
from commerce_dash.services.platform.org import clean_code, require_text

TIMESTAMP_TOLERANCE = timedelta(seconds=300)
# Longer than the tolerance, so a signature is remembered for as long as it could be replayed.
SEEN_SIGNATURE_TTL = timedelta(days=1)
MAX_COURSES_PER_SYNC = 500
_SIGNATURE_RE = re.compile(r"sha256=([0-9a-f]{64})")


@dataclass(frozen=True)
class LmsModule:
    lms_id: str
    title: str
    summary: str = ""
    estimated_minutes: int = 0


@dataclass(frozen=True)
class LmsCourse:
    lms_id: str
    code: str
    title: str
    department_code: str
    description: str = ""
    category: str = ""
    estimated_minutes: int = 0
    published: bool | None = None  # None: leave as it is (a new course starts unpublished)
    modules: Sequence[LmsModule] = ()


@dataclass(frozen=True)
class SyncedCourse:
    lms_id: str
    code: str
    id: int


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    courses: list[SyncedCourse] = field(default_factory=list)


def _unauthenticated(code: str, message: str) -> DomainError:
    return DomainError(code, message, kind=ErrorKind.UNAUTHENTICATED)


def _hmac_hex(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_request(key_id: str, timestamp: str, body: bytes, *, kind: str) -> str:
    """The ``X-Signature`` value a ``kind`` connector sends for ``body`` at ``timestamp``."""
    secret = connector_secret(key_id, kind=kind, direction=INBOUND)
    return f"sha256={_hmac_hex(secret, timestamp, body)}"


def create_connector(
    *, session: Session, actor: Actor | None, name: str, kind: str
) -> tuple[ApiConnector, ConnectorSecrets]:
    """A new connector and its two secrets; they are shown once and never stored."""
    actor = require_section(actor, "users")
    name = require_text(name, "name", "connector name", 80)
    if kind not in CONNECTOR_KINDS:
        raise DomainError(
            "invalid_kind", f"Choose one of: {', '.join(CONNECTOR_KINDS)}.", field="kind"
        )
    connector = ApiConnector(name=name, kind=kind, key_id=f"ck_{secrets.token_hex(16)}")
    session.add(connector)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="connector.created",
        entity_type="api_connector",
        entity_id=connector.id,
        after={"name": name, "kind": kind, "key_id": connector.key_id},
    )
    session.commit()
    return connector, connector_secrets(connector)


def deactivate_connector(
    *, session: Session, actor: Actor | None, connector_id: int, reason: str = ""
) -> ApiConnector:
    """Stop accepting a connector's requests (idempotent); the row stays for the audit log."""
    actor = require_section(actor, "users")
    connector = session.get(ApiConnector, connector_id)
    if connector is None:
        raise not_found("connector", connector_id)
    if not connector.is_active:
        return connector
    connector.is_active = False
    session.add(connector)
    record_audit(
        session=session,
        actor=actor,
        action="connector.deactivated",
        entity_type="api_connector",
        entity_id=connector_id,
        before={"is_active": True},
        after={"is_active": False},
        reason=reason.strip(),
    )
    session.commit()
    return connector


def authenticate_request(
    *,
    session: Session,
    key_id: str,
    timestamp: str,
    signature: str,
    body: bytes,
    kind: str,
    now: datetime | None = None,
) -> ApiConnector:
    """The ``kind`` connector that signed ``body``, its signature recorded against replays.

    The signature must be made with the connector's inbound secret. A connector of another
    kind that signed correctly is refused (403): each route names the kind that may call it.
    The signature row joins the caller's transaction: when the request is later refused and
    rolled back, it is forgotten with everything else. Nothing is committed here.
    """
    if kind not in CONNECTOR_KINDS:
        raise ValueError(f"unknown connector kind {kind!r}")
    now = now or utcnow()
    connector = session.exec(
        select(ApiConnector).where(ApiConnector.key_id == key_id.strip())
    ).first()
    if connector is None or not connector.is_active:
        raise _unauthenticated("unknown_connector", "Unknown or inactive connector key.")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise _unauthenticated("invalid_timestamp", "X-Timestamp must be Unix seconds.")
    if abs(now.timestamp() - int(timestamp)) > TIMESTAMP_TOLERANCE.total_seconds():
        raise _unauthenticated(
            "stale_timestamp", "X-Timestamp is more than 300 seconds from our clock."
        )
    match = _SIGNATURE_RE.fullmatch(signature.strip().lower())
    inbound = connector_secret(connector.key_id, kind=connector.kind, direction=INBOUND)
    expected = _hmac_hex(inbound, timestamp, body)
    if match is None or not hmac.compare_digest(match.group(1), expected):
        raise _unauthenticated("invalid_signature", "The request signature does not match.")
    # Only a caller holding the connector's secret learns that the route is not for its kind.
    if connector.kind != kind:
        raise DomainError(
            "wrong_connector_kind",
            f"Only {kind} connectors may call this route; this key belongs to a "
            f"{connector.kind} connector.",
            kind=ErrorKind.FORBIDDEN,
        )
    digest = match.group(1)
    session.exec(  # type: ignore[call-overload]
        delete(SeenSignature).where(col(SeenSignature.seen_at) < now - SEEN_SIGNATURE_TTL)
    )
    replayed = DomainError(
        "replayed", "This signed request was already received.", kind=ErrorKind.CONFLICT
    )
    if session.get(SeenSignature, digest) is not None:
        raise replayed
    assert connector.id is not None
    session.add(SeenSignature(signature=digest, connector_id=connector.id, seen_at=now))
    connector.last_used_at = now
    session.add(connector)
    try:
        session.flush()
    except IntegrityError as exc:  # the same request arrived twice at once
        session.rollback()
        raise replayed from exc
    return connector


@dataclass(frozen=True)
class _CleanModule:
    lms_id: str
    title: str
    summary: str
    estimated_minutes: int


@dataclass(frozen=True)
class _CleanCourse:
    lms_id: str
    code: str
    title: str
    description: str
    category: str
    department_id: int
    estimated_minutes: int
    published: bool | None
    modules: tuple[_CleanModule, ...]


def _cleaned(course: LmsCourse, department_id: int) -> _CleanCourse:
    """The course with the hand-made courses' rules applied, or a DomainError naming it."""
    try:
        lms_id = course.lms_id.strip()
        if not lms_id or len(lms_id) > 64:
            raise DomainError("invalid_lms_id", "Give an lms_id of 1-64 characters.")
        category = " ".join(course.category.split())
        if len(category) > 80:
            raise DomainError("category_too_long", "Use at most 80 characters.")
        if course.estimated_minutes < 0 or any(m.estimated_minutes < 0 for m in course.modules):
            raise DomainError("invalid_duration", "The duration cannot be negative.")
        return _CleanCourse(
            lms_id=lms_id,
            code=clean_code(course.code),
            title=require_text(course.title, "title", "course title", 200),
            description=course.description.strip(),
            category=category,
            department_id=department_id,
            estimated_minutes=course.estimated_minutes,
            published=course.published,
            modules=tuple(
                _CleanModule(
                    lms_id=m.lms_id.strip()[:64],
                    title=require_text(m.title, "module_title", "module title", 200),
                    summary=m.summary.strip(),
                    estimated_minutes=m.estimated_minutes,
                )
                for m in course.modules
            ),
        )
    except DomainError as err:
        raise DomainError(
            err.code, f"Course {course.lms_id!r}: {err.message}", field=err.field
        ) from None


def _checked_batch(session: Session, courses: Sequence[LmsCourse]) -> list[_CleanCourse]:
    if len(courses) > MAX_COURSES_PER_SYNC:
        raise DomainError(
            "too_many_courses", f"Send at most {MAX_COURSES_PER_SYNC} courses per call."
        )
    wanted = {c.department_code.strip().upper() for c in courses}
    found = dict(
        session.exec(
            select(Department.code, Department.id).where(col(Department.code).in_(wanted))
        ).all()
    )
    unknown = sorted(wanted - set(found))
    if unknown:
        raise DomainError(
            "unknown_department",
            f"Unknown department code(s): {', '.join(unknown)}. Nothing was synced.",
            field="department_code",
        )
    cleaned = [_cleaned(c, found[c.department_code.strip().upper()] or 0) for c in courses]
    for attribute in ("lms_id", "code"):
        values = [getattr(c, attribute) for c in cleaned]
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise DomainError(
                f"duplicate_{attribute}",
                f"The batch holds {attribute} {', '.join(twice)} more than once.",
            )
    return cleaned


def _replace_modules(session: Session, course_id: int, modules: Sequence[_CleanModule]) -> None:
    session.exec(delete(CourseModule).where(col(CourseModule.course_id) == course_id))  # type: ignore[call-overload]
    # The old positions must be gone before new rows reuse them (unique course/position).
    session.flush()
    for position, module in enumerate(modules, start=1):
        session.add(
            CourseModule(
                course_id=course_id,
                position=position,
                title=module.title,
                summary=module.summary,
                estimated_minutes=module.estimated_minutes,
                lms_id=module.lms_id or None,
            )
        )


def _fields(course: Course, modules: int) -> dict[str, object]:
    return {
        "code": course.code,
        "title": course.title,
        "category": course.category,
        "estimated_minutes": course.estimated_minutes,
        "published": course.published,
        "modules": modules,
    }


def sync_lms_courses(
    *, session: Session, connector: ApiConnector, courses: Sequence[LmsCourse]
) -> SyncResult:
    """Create or update courses by ``lms_id``, all or nothing, and commit.

    Any unknown department or invalid course refuses the whole batch. A new course keeps the
    code it was sent with; later syncs update its texts, duration, modules (replaced, in the
    order sent) and, when given, whether it is published.
    """
    cleaned = _checked_batch(session, courses)
    existing = {
        c.lms_id: c
        for c in session.exec(
            select(Course).where(col(Course.lms_id).in_([c.lms_id for c in cleaned]))
        ).all()
    }
    new_codes = [c.code for c in cleaned if c.lms_id not in existing]
    taken = sorted(session.exec(select(Course.code).where(col(Course.code).in_(new_codes))).all())
    if taken:
        raise DomainError(
            "code_taken",
            f"Course code(s) {', '.join(taken)} already belong to other courses.",
            kind=ErrorKind.CONFLICT,
            field="code",
        )
    try:
        synced = [
            _write_course(session, data, existing.get(data.lms_id), connector.name)
            for data in cleaned
        ]
        session.commit()
    except IntegrityError as exc:  # a concurrent sync created the same course first
        session.rollback()
        raise DomainError(
            "sync_conflict",
            "Another sync changed these courses at the same time; send the batch again.",
            kind=ErrorKind.CONFLICT,
        ) from exc
    created = sum(1 for data in cleaned if data.lms_id not in existing)
    return SyncResult(created, len(cleaned) - created, synced)


def _write_course(
    session: Session, data: _CleanCourse, course: Course | None, connector_name: str
) -> SyncedCourse:
    """Create or update one course with its modules and audit row (not committed)."""
    before = None
    if course is None:
        course = Course(
            code=data.code,
            department_id=data.department_id,
            lms_id=data.lms_id,
            title=data.title,
            published=bool(data.published),
        )
    else:
        modules_before = session.exec(
            select(CourseModule.id).where(CourseModule.course_id == course.id)
        ).all()
        before = _fields(course, len(modules_before))
    course.title = data.title
    course.description = data.description
    course.category = data.category
    course.estimated_minutes = data.estimated_minutes
    if data.published is not None:
        course.published = data.published
    course.updated_at = utcnow()
    session.add(course)
    session.flush()
    assert course.id is not None
    _replace_modules(session, course.id, data.modules)
    record_audit(
        session=session,
        actor=None,
        action="course.synced_from_lms",
        entity_type="course",
        entity_id=course.id,
        before=before,
        after={**_fields(course, len(data.modules)), "lms_id": data.lms_id},
        reason=f"LMS connector {connector_name}",
    )
    return SyncedCourse(data.lms_id, course.code, course.id)
