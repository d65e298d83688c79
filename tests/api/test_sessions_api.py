"""Seed 003 phase 9 through the API: a department admin builds a course of 4 steps with a
group class per step and sells it bundled with 2 private credits; a learner buys it (progress
seeded once under a duplicate completion), books step 1 (no credit used), uses a private
credit, cancels before and after the cut-off, gets the .ics; attendance of every step (the
instructor, then the signed LMS report for the last) completes the course and its
certificate appears."""

from __future__ import annotations

import hashlib
import hmac
import json
import time as clock
from datetime import UTC, date, datetime, timedelta

import icalendar
from sqlmodel import select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.completion import CompletionCriteria, Requirement
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import OrderLine
from commerce_dash.models.sessions import Booking, LiveSession, SessionCredit, StepProgress
from commerce_dash.services import enrollment, learning
from commerce_dash.services.catalog import pricing
from commerce_dash.services.enrollment import lms_sync
from tests.api.conftest import signed_in
from tests.builders import a_course, paid_order
from tests.conftest import create_department, create_user


def _lms_signed(connector, payload, *, seconds_ago: int = 0):
    raw = json.dumps(payload).encode()
    ts = str(int(clock.time()) - seconds_ago)
    digest = hmac.new(connector["secret"].encode(), ts.encode() + b"." + raw,
                      hashlib.sha256).hexdigest()
    return {"content": raw, "headers": {
        "content-type": "application/json", "X-Connector-Key": connector["key_id"],
        "X-Timestamp": ts, "X-Signature": f"sha256={digest}"}}


def _started(session, session_id: int) -> None:
    """Time passes: the class began an hour ago (attendance is marked once it started)."""
    live = session.get(LiveSession, session_id)
    live.starts_at = datetime.now(UTC) - timedelta(hours=1)
    live.ends_at = live.starts_at + timedelta(hours=1)
    session.add(live)
    for booking in session.exec(select(Booking).where(Booking.session_id == session_id)):
        booking.starts_at, booking.ends_at = live.starts_at, live.ends_at
        session.add(booking)
    session.commit()


def test_phase_9_course_with_steps_end_to_end(client, session, super_admin):
    dept = create_department(session, "MUSIC")
    create_user(session, "dept@example.com", grants=(Grant(RoleName.DEPT_ADMIN, dept),))
    teacher = create_user(session, "teacher@example.com", full_name="Tara Teacher")
    learner = create_user(session, "lee@example.com", full_name="Lee Learner")
    admin = signed_in(client, "dept@example.com")
    course_id = a_course(session, super_admin, "SFZ", title="SFZ Foundation",
                         department_id=dept, price=None)

    # steps and a group class per step, a weekly series two weeks out
    for n in range(1, 5):
        made = client.post(f"/api/v2/admin/courses/{course_id}/steps", headers=admin,
                           json={"label": f"Step {n}", "title": f"Part {n}"})
        assert made.status_code == 201, made.text
    steps = client.get(f"/api/v2/admin/courses/{course_id}/steps", headers=admin).json()
    assert [s["label"] for s in steps] == ["Step 1", "Step 2", "Step 3", "Step 4"]
    first_day = date.today() + timedelta(days=14)
    classes = client.post("/api/v2/admin/sessions", headers=admin, json={
        "department_id": dept, "title": "SFZ class", "day": first_day.isoformat(),
        "start": "09:00", "end": "10:00", "time_zone": "Asia/Kolkata", "capacity": 8,
        "instructor_id": teacher.user_id, "repeat_weeks": 4})
    assert classes.status_code == 201, classes.text
    classes = classes.json()
    assert [c["local_start"][-11:] for c in classes][0].endswith("09:00 IST")
    for step, live in zip(steps, classes, strict=True):
        attached = client.post(f"/api/v2/admin/steps/{step['step_id']}/options", headers=admin,
                               json={"session_id": live["id"]})
        assert attached.status_code == 201, attached.text
        assert attached.json()["options"][0]["seats_left"] == 8
    # a bad class: the end before the start, refused beside the field, nothing written
    bad = client.post("/api/v2/admin/sessions", headers=admin, json={
        "department_id": dept, "title": "Backwards", "day": first_day.isoformat(),
        "start": "10:00", "end": "09:00", "time_zone": "UTC", "capacity": 8})
    assert bad.status_code == 422 and bad.json()["code"] == "session_ends_before_start"

    # sold bundled with 2 private 60-minute credits valid 90 days
    pricing.create_price(session=session, actor=super_admin, item_type="course",
                         item_id=course_id, price_type="one_time", amount=50_000,
                         currency="USD", private_credits=2, private_minutes=60,
                         credit_expiry_days=90)
    public = client.get("/api/v2/courses/SFZ/steps").json()
    assert len(public) == 4 and public[0]["options"][0]["capacity"] == 8
    order = paid_order(session, learner, ("course", course_id))
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    enrollment.grant_credits_for_order(session, order, list(lines))  # a duplicate webhook
    session.commit()
    progress = session.exec(select(StepProgress).where(
        StepProgress.user_id == learner.user_id)).all()
    assert sorted(p.status for p in progress) == ["unbooked"] * 4
    assert len(session.exec(select(SessionCredit).where(
        SessionCredit.user_id == learner.user_id)).all()) == 2

    me = signed_in(client, "lee@example.com")
    mine = client.get(f"/api/v2/me/courses/{course_id}/steps", headers=me).json()
    assert [s["status"] for s in mine] == ["unbooked"] * 4

    # book step 1: booked, no credit used
    booked = client.post("/api/v2/me/bookings", headers=me, json={
        "session_id": classes[0]["id"], "step_id": steps[0]["step_id"],
        "time_zone": "Europe/Berlin"})
    assert booked.status_code == 201, booked.text
    assert booked.json()["uses_credit"] is False
    schedule = client.get("/api/v2/me/schedule", headers=me).json()
    assert [r["title"] for r in schedule["upcoming"]] == ["SFZ class"]
    assert [c["status"] for c in schedule["credits"]] == ["available", "available"]
    again = client.post("/api/v2/me/bookings", headers=me, json={
        "session_id": classes[0]["id"], "step_id": steps[0]["step_id"]})
    assert again.status_code == 409

    # the invite parses back: 09:00 Kolkata is 04:30 in Berlin in winter (03:30 UTC)
    ics = client.get(f"/api/v2/me/bookings/{booked.json()['booking_id']}/invite.ics",
                     headers=me)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    event = next(iter(icalendar.Calendar.from_ical(ics.content).walk("VEVENT")))
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "Europe/Berlin"
    assert start.astimezone(UTC) == datetime.fromisoformat(classes[0]["starts_at"])
    if first_day.month in (11, 12, 1, 2):
        assert (start.hour, start.minute) == (4, 30)

    # a private credit: slots open, one booked (credit used), cancelled early (credit back)
    slots = client.post("/api/v2/admin/sessions/private-slots", headers=admin, json={
        "department_id": dept, "instructor_id": teacher.user_id,
        "day": (first_day + timedelta(days=1)).isoformat(), "start": "14:00",
        "end": "16:00", "time_zone": "UTC", "minutes": 60})
    assert slots.status_code == 201 and len(slots.json()) == 2
    offered = client.get("/api/v2/me/bookable", headers=me).json()
    assert [o["kind"] for o in offered] == ["private", "private"]
    private = client.post("/api/v2/me/bookings", headers=me,
                          json={"session_id": slots.json()[0]["id"]})
    assert private.status_code == 201 and private.json()["uses_credit"] is True
    credits = client.get("/api/v2/me/credits", headers=me).json()
    assert sorted(c["status"] for c in credits) == ["available", "used"]
    cancelled = client.post(f"/api/v2/me/bookings/{private.json()['booking_id']}/cancel",
                            headers=me)
    assert cancelled.json()["message"] == "Cancelled; your credit is back."
    assert [c["status"] for c in client.get("/api/v2/me/credits", headers=me).json()] == [
        "available", "available"]

    # a slot within the cut-off: cancelling spends the credit
    soon = datetime.now(UTC) + timedelta(hours=3)
    late = client.post("/api/v2/admin/sessions/private-slots", headers=admin, json={
        "department_id": dept, "instructor_id": teacher.user_id,
        "day": soon.date().isoformat(), "start": soon.strftime("%H:00"),
        "end": (soon.replace(minute=0) + timedelta(hours=1)).strftime("%H:%M"),
        "time_zone": "UTC", "minutes": 60})
    if late.status_code == 201:  # (not when 3 hours from now is past midnight UTC)
        spent = client.post("/api/v2/me/bookings", headers=me,
                            json={"session_id": late.json()[0]["id"]})
        assert spent.status_code == 201, spent.text
        gone = client.post(f"/api/v2/me/bookings/{spent.json()['booking_id']}/cancel",
                           headers=me)
        assert gone.json()["message"].startswith("Cancelled; the credit was spent")
        assert sorted(c["status"] for c in client.get(
            "/api/v2/me/credits", headers=me).json()) == ["available", "used"]

    # all steps attended: the rule, bookings of steps 2-4, the classes begin
    learning.set_completion_rule(session=session, actor=super_admin, course_id=course_id,
                                 criteria=CompletionCriteria(Requirement.ALL_STEPS))
    bookings = [booked.json()["booking_id"]]
    for step, live in zip(steps[1:], classes[1:], strict=True):
        made = client.post("/api/v2/me/bookings", headers=me, json={
            "session_id": live["id"], "step_id": step["step_id"]})
        assert made.status_code == 201, made.text
        bookings.append(made.json()["booking_id"])
    for live in classes:
        _started(session, live["id"])
    tara = signed_in(client, "teacher@example.com")
    too_early_learner = client.post(f"/api/v2/bookings/{bookings[0]}/attendance",
                                    headers=me, json={"attended": True})
    assert too_early_learner.status_code == 403
    for booking_id in bookings[:3]:
        marked = client.post(f"/api/v2/bookings/{booking_id}/attendance", headers=tara,
                             json={"attended": True})
        assert marked.status_code == 200 and marked.json()["status"] == "attended"
    assert session.exec(select(Certificate).where(
        Certificate.user_id == learner.user_id)).first() is None

    connector, secrets = lms_sync.create_connector(session=session, actor=super_admin,
                                                   name="Campus LMS", kind="lms")
    lms = {"key_id": connector.key_id, "secret": secrets.inbound}
    report = {"eventId": "att-1", "email": "lee@example.com",
              "stepId": steps[3]["step_id"], "attended": True}
    first = client.post("/api/v2/attendance", **_lms_signed(lms, report))
    assert first.status_code == 200 and first.json() == {"applied": True,
                                                         "booking_id": bookings[3]}
    # the LMS delivers the same event again (a new signature): nothing more happens
    replay = client.post("/api/v2/attendance", **_lms_signed(lms, report, seconds_ago=5))
    assert replay.status_code == 200 and replay.json()["applied"] is False
    session.expire_all()
    mine = client.get(f"/api/v2/me/courses/{course_id}/steps", headers=me).json()
    assert [s["status"] for s in mine] == ["attended"] * 4
    certificate = session.exec(select(Certificate).where(
        Certificate.user_id == learner.user_id)).one()
    assert certificate.course_id == course_id and certificate.status == "active"
