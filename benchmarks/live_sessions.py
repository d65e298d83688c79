"""Live sessions (issue 17): reads at scale and a booking race, on PostgreSQL.

A scratch database (migrated, no demo data) gets, in bulk through SQLAlchemy Core (set-up,
not the code under test): six departments (ACAD with two subdepartments, and three others),
a department admin of ACAD (so of three departments), a super admin, 40 instructors, N
learners (default 2,000), 24 courses of 5 steps each, and N live sessions (default 1,000)
over 10 weeks (the first two past): group classes of 15 to 50 seats, each an option of one
step of a course of its department, and about 15 % private slots of 30 or 60 minutes, at
weekday wall times in their department's zone, no instructor teaching two at once. Each
learner owns 2 or 3 courses (approved registrations, one step-progress row per step), and
N bookings (default 20,000) are spread over them: step bookings in the steps' options, about
5 % cancelled ones, private slots and one full session booked with credits, group classes
with credits when the steps run out; past ones attended or missed. The rows are consistent:
``seats_booked`` equals the session's bookings not cancelled, a step's progress names its
booking, no learner has two bookings at overlapping times; some learners hold unused
credits; ten learners wait for the full session (the typical learner below among them, and
on the waitlists of two more full classes). Then ANALYZE.

Reads, each a median and p95 of ``--calls`` calls (a session each, as a request has) after
``--warmup`` calls, the cases interleaved round by round, judged against 100 ms (PASS when
the p95 is under it):
- ``learner_schedule`` of a learner with about 15 bookings, and of the busiest learner;
- ``calendar_week`` of the department admin's busiest week (Europe/Berlin), and the super
  admin's busiest week;
- ``list_sessions``, first page, department admin (no filter, and upcoming only);
- ``roster`` of a full session (department admin);
- baseline in the same rounds: one indexed Core query of the learner's bookings.

Race, ``--race-runs`` times (medians): ``--racers`` (default 200) distinct learners who own a
course of one step (approved registration, progress seeded) call ``book_step`` at once on its
one session of ``--capacity`` seats (default 50), from ``--workers`` threads (default 32),
each call with its own session, all released by one gate. Checked (exit 1 otherwise): exactly
``capacity`` answered "booked" and the others ``session_full``, ``seats_booked`` equals the
capacity and the session's live bookings, no learner twice, the step booked for exactly
those learners. Bookings/s over the burst and the per-call latency. Baseline in the same run,
same threads and gate: the bare guard (lock the learner's row, one conditional seat UPDATE on
a session of the same capacity, commit); and after it, 20 of those refused book the step's
second date one after another, uncontended (ms and SQL statements per call; ``--profile``
prints cProfile of those calls). With ``--credit-slots`` (default 40): the same
learners, each given one 60-minute private credit, call ``book_with_credit`` at once on
``--credit-slots`` private slots at the same time (learner k on slot k mod slots): exactly one
booking per slot, one credit used per booking, nobody twice.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
      .venv/bin/python benchmarks/live_sessions.py [--sessions 1000] [--bookings 20000] \\
      [--learners 2000] [--calls 50] [--race-runs 3] [--racers 200] [--capacity 50] \\
      [--workers 32] [--credit-slots 40] [--profile]

PostgreSQL only (skipped without a Postgres DATABASE_URL): a scratch database is created
next to DATABASE_URL's and dropped afterwards. Writes benchmarks/results/live_sessions.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import math
import os
import pstats
import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from harness import RESULTS, ROOT, cli, scratch_database

TARGET_MS = 100.0
CHUNK = 5_000
WEEKS = 10
PAST_WEEKS = 2
STEPS_PER_COURSE = 5
COURSES_PER_DEPARTMENT = 4
INSTRUCTORS = 40
ADMIN_ZONE = "Europe/Berlin"
# (code, name, parent code, zone of its sessions); the admin holds ACAD and so its children
DEPARTMENTS = (
    ("ACAD", "Academy", None, "Europe/Berlin"),
    ("ACAD-LANG", "Languages", "ACAD", "Europe/Berlin"),
    ("ACAD-MATH", "Mathematics", "ACAD", "Europe/London"),
    ("BIZ", "Business School", None, "America/New_York"),
    ("TECH", "Technology", None, "Asia/Kolkata"),
    ("ARTS", "Arts", None, "UTC"),
)
CAPACITIES = (15, 20, 25, 30, 40, 50)
PRIVATE_SHARE = 0.15
CANCELLED_SHARE = 0.05
SEQUENTIAL = 20  # uncontended book_step calls after each race
WAITING = 10  # the full session's waitlist


# -- the data -----------------------------------------------------------------------------------


@dataclass
class Plan:
    """What the fill wrote that the measurements need."""

    admin_id: int = 0
    super_id: int = 0
    learner_ids: list[int] = field(default_factory=list)
    department_ids: dict[str, int] = field(default_factory=dict)
    typical_learner: int = 0
    typical_bookings: int = 0
    busiest_learner: int = 0
    busiest_bookings: int = 0
    admin_week: date = date.min
    admin_week_sessions: int = 0
    super_week: date = date.min
    super_week_sessions: int = 0
    full_session: int = 0
    full_capacity: int = 0
    window_end: datetime = datetime.min
    counts: dict[str, Any] = field(default_factory=dict)


def _template(model: Any, **required: Any) -> dict[str, Any]:
    """Every column of ``model`` with its default (the ``required`` ones given), no id."""
    row = model(**required).model_dump()
    row.pop("id", None)
    return row


def _next_ids(conn: Any, tables: list[str]) -> dict[str, int]:
    """The first free id of each table (the migration may have written rows)."""
    return {t: int(conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) + 1 FROM {t}").scalar())
            for t in tables}


def _insert(conn: Any, model: Any, template: dict[str, Any], rows: list[dict[str, Any]]
            ) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(model), [{**template, **r} for r in rows[start:start + CHUNK]])


def _local(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute,
                    tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _week_of(moment: datetime, zone: str) -> date:
    local = moment.astimezone(ZoneInfo(zone)).date()
    return local - timedelta(days=local.weekday())


def _free(busy: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    return all(end <= s or start >= e for s, e in busy)


def fill(url: str, *, sessions: int, bookings: int, learners: int, seed: int) -> Plan:
    """The bulk rows (see the module's docstring); what the measurements need."""
    from commerce_dash.db import build_engine
    from commerce_dash.models.accounts import User, UserRole
    from commerce_dash.models.catalog import Course, Department
    from commerce_dash.models.enrollment import Registration
    from commerce_dash.models.sessions import (
        Booking,
        CourseStep,
        LiveSession,
        SessionCredit,
        StepOption,
        StepProgress,
        WaitlistEntry,
    )

    rng = random.Random(seed)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    first_monday = _week_of(now, "UTC") - timedelta(weeks=PAST_WEEKS)
    plan = Plan(window_end=datetime.combine(first_monday + timedelta(weeks=WEEKS),
                                            datetime.min.time(), tzinfo=UTC))
    engine = build_engine(url)
    tables = ["department", "app_user", "user_role", "course", "course_step", "live_session",
              "step_option", "registration", "step_progress", "booking", "session_credit"]
    with engine.begin() as conn:
        ids = _next_ids(conn, tables)

        # departments
        dept_rows, zones = [], {}
        for n, (code, name, parent, zone) in enumerate(DEPARTMENTS):
            plan.department_ids[code] = ids["department"] + n
            zones[plan.department_ids[code]] = zone
            dept_rows.append({"id": plan.department_ids[code], "code": code, "name": name,
                              "parent_id": plan.department_ids[parent] if parent else None})
        _insert(conn, Department, _template(Department, code="", name=""), dept_rows)
        departments = list(plan.department_ids.values())
        admin_scope = {plan.department_ids[c] for c in ("ACAD", "ACAD-LANG", "ACAD-MATH")}

        # people: the admins, the instructors, the learners
        uid = ids["app_user"]
        plan.admin_id, plan.super_id = uid, uid + 1
        instructors = list(range(uid + 2, uid + 2 + INSTRUCTORS))
        plan.learner_ids = list(range(uid + 2 + INSTRUCTORS, uid + 2 + INSTRUCTORS + learners))
        people = [(plan.admin_id, "sessions-admin@bench.example.org", "Sam Sessions"),
                  (plan.super_id, "super-admin@bench.example.org", "Root Admin")]
        people += [(i, f"instructor{n}@bench.example.org", f"Instructor {n}")
                   for n, i in enumerate(instructors)]
        people += [(i, f"learner{n}@bench.example.org", f"Learner {n}")
                   for n, i in enumerate(plan.learner_ids)]
        user_t = _template(User, email="", full_name="")
        _insert(conn, User, user_t, [
            {"id": i, "email": e, "full_name": n, "created_at": now, "updated_at": now,
             "email_verified_at": now} for i, e, n in people])
        roles = [(plan.admin_id, "dept_admin", plan.department_ids["ACAD"]),
                 (plan.super_id, "super_admin", None)]
        roles += [(i, "learner", None) for i in instructors + plan.learner_ids]
        _insert(conn, UserRole, _template(UserRole, user_id=0, role=""), [
            {"id": ids["user_role"] + n, "user_id": u, "role": r, "department_id": d,
             "created_at": now} for n, (u, r, d) in enumerate(roles)])

        # courses and their steps
        course_rows, step_rows = [], []
        course_dept: dict[int, int] = {}
        steps_of: dict[int, list[int]] = {}
        step_id = ids["course_step"]
        for n in range(len(departments) * COURSES_PER_DEPARTMENT):
            cid, dept = ids["course"] + n, departments[n % len(departments)]
            course_dept[cid] = dept
            course_rows.append({"id": cid, "code": f"LIVE-{n + 1:03d}",
                                "title": f"Live course {n + 1}", "department_id": dept,
                                "published": True})
            steps_of[cid] = []
            for position in range(1, STEPS_PER_COURSE + 1):
                step_rows.append({"id": step_id, "course_id": cid, "position": position,
                                  "label": f"Step {position}", "title": f"Part {position}"})
                steps_of[cid].append(step_id)
                step_id += 1
        _insert(conn, Course, _template(Course, code="", title="", department_id=0), course_rows)
        _insert(conn, CourseStep, _template(CourseStep, course_id=0, position=1, label="",
                                            title=""), step_rows)
        step_course = {s: c for c, ss in steps_of.items() for s in ss}
        step_title = {r["id"]: f"Live course {r['course_id'] - ids['course'] + 1}: "
                               f"{r['label']}" for r in step_rows}
        all_steps = sorted(step_course)

        # sessions: group classes (each an option of one step) and private slots
        teaching: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        live: dict[int, dict[str, Any]] = {}
        option_rows: list[dict[str, Any]] = []
        options_of: dict[int, list[int]] = defaultdict(list)
        n_private = round(sessions * PRIVATE_SHARE)
        sid = ids["live_session"]
        for n in range(sessions):
            private = n >= sessions - n_private
            if private:
                dept, step, minutes = rng.choice(departments), None, rng.choice((30, 60))
            else:
                step = all_steps[n % len(all_steps)]
                dept, minutes = course_dept[step_course[step]], rng.choice((60, 60, 90))
            zone = zones[dept]
            for _ in range(200):  # a time the instructor is free
                day = first_monday + timedelta(weeks=rng.randrange(WEEKS),
                                               days=rng.randrange(5))
                start = _local(day, rng.randrange(8, 20), rng.choice((0, 30)), zone)
                end = start + timedelta(minutes=minutes)
                teacher = rng.choice(instructors)
                if _free(teaching[teacher], start, end):
                    break
            teaching[teacher].append((start, end))
            capacity = 1 if private else rng.choice(CAPACITIES)
            title = f"Private session, {minutes} min" if step is None else step_title[step]
            live[sid] = {"id": sid, "department_id": dept,
                         "kind": "private" if private else "group", "title": title,
                         "instructor_id": teacher, "starts_at": start, "ends_at": end,
                         "time_zone": zone, "capacity": capacity, "seats_booked": 0,
                         "location": "Room 4" if n % 2 else "",
                         "meeting_url": "" if n % 2 else f"https://meet.example.org/s{sid}",
                         "status": "scheduled", "created_by_id": plan.admin_id,
                         "created_at": now - timedelta(days=90), "updated_at": now}
            if step is not None:
                option_rows.append({"id": ids["step_option"] + len(option_rows),
                                    "step_id": step, "session_id": sid, "created_at": now})
                options_of[step].append(sid)
            sid += 1

        # registrations: each learner owns 2 or 3 courses of different departments or not
        courses = sorted(course_dept)
        reg_rows, owned = [], []
        reg_id = ids["registration"]
        for learner in plan.learner_ids:
            for cid in rng.sample(courses, rng.choice((2, 2, 3))):
                reg_rows.append({"id": reg_id, "dedupe_key": f"bench:{learner}:{cid}",
                                 "user_id": learner, "kind": "course", "course_id": cid,
                                 "department_id": course_dept[cid], "source": "order",
                                 "currency": "USD", "status": "approved",
                                 "reviewed_by_id": plan.admin_id,
                                 "reviewed_at": now - timedelta(days=100),
                                 "created_at": now - timedelta(days=100),
                                 "updated_at": now - timedelta(days=100)})
                owned += [(learner, reg_id, s) for s in steps_of[cid]]
                reg_id += 1

        # bookings
        busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        booking_rows: list[dict[str, Any]] = []
        credit_rows: list[dict[str, Any]] = []
        final: dict[tuple[int, int], dict[str, Any]] = {}  # (registration, step) -> booking

        def seats_left(s: int) -> int:
            return live[s]["capacity"] - live[s]["seats_booked"]

        def book(learner: int, s: int, *, status: str = "booked", step: int | None = None,
                 registration: int | None = None, credit_kind: str = "") -> dict[str, Any]:
            row = live[s]
            made = min(row["starts_at"] - timedelta(days=rng.uniform(1, 20)),
                       now - timedelta(minutes=5))
            credit_id = None
            if credit_kind:
                credit_id = ids["session_credit"] + len(credit_rows)
                credit_rows.append({
                    "id": credit_id, "dedupe_key": f"bench:{credit_id}", "user_id": learner,
                    "department_id": row["department_id"], "kind": credit_kind,
                    "minutes": (row["ends_at"] - row["starts_at"]).seconds // 60
                    if credit_kind == "private" else 0,
                    "status": "used", "booking_id": ids["booking"] + len(booking_rows),
                    "granted_at": made - timedelta(days=10), "used_at": made,
                    "updated_at": made})
            if status != "cancelled" and row["ends_at"] <= now:
                status = "attended" if rng.random() < 0.85 else "missed"
            booking = {
                "id": ids["booking"] + len(booking_rows), "session_id": s, "user_id": learner,
                "starts_at": row["starts_at"], "ends_at": row["ends_at"], "step_id": step,
                "registration_id": registration, "credit_id": credit_id, "status": status,
                "time_zone": row["time_zone"] if rng.random() < 0.7 else "Asia/Kolkata",
                "cancelled_at": made + timedelta(hours=2) if status == "cancelled" else None,
                "cancel_reason": "cancelled by the learner" if status == "cancelled" else "",
                "attendance_marked_by_id": plan.admin_id
                if status in ("attended", "missed") else None,
                "attendance_marked_at": row["ends_at"] + timedelta(hours=1)
                if status in ("attended", "missed") else None,
                "reminded_at": row["starts_at"] - timedelta(hours=24)
                if status != "cancelled" and row["starts_at"] - timedelta(hours=24) < now
                else None,
                "created_at": made, "updated_at": made}
            booking_rows.append(booking)
            if status != "cancelled":
                row["seats_booked"] += 1
                busy[learner].append((row["starts_at"], row["ends_at"]))
            return booking

        def fits(learner: int, s: int) -> bool:
            return seats_left(s) > 0 and _free(busy[learner], live[s]["starts_at"],
                                               live[s]["ends_at"])

        # one full session of the admin's departments: the biggest upcoming group class
        group_ids = [s for s, r in live.items() if r["kind"] == "group"]
        upcoming = [s for s in group_ids if live[s]["starts_at"] > now
                    and live[s]["department_id"] in admin_scope]
        plan.full_session = max(upcoming or group_ids, key=lambda s: (live[s]["capacity"], -s))
        plan.full_capacity = live[plan.full_session]["capacity"]
        for learner in rng.sample(plan.learner_ids, len(plan.learner_ids)):
            if seats_left(plan.full_session) == 0 or len(booking_rows) >= bookings:
                break
            if fits(learner, plan.full_session):
                book(learner, plan.full_session, credit_kind="group")
        # private slots: about 70 % booked with a private credit
        for s in [s for s, r in live.items() if r["kind"] == "private"]:
            if len(booking_rows) >= bookings or rng.random() >= 0.7:
                continue
            for learner in rng.sample(plan.learner_ids, 5):
                if fits(learner, s):
                    book(learner, s, credit_kind="private")
                    break
        # steps in their options (some cancelled once before)
        rng.shuffle(owned)
        for learner, registration, step in owned:
            if len(booking_rows) >= bookings:
                break
            choices = rng.sample(options_of[step], len(options_of[step]))
            if rng.random() < CANCELLED_SHARE and len(choices) > 1 \
                    and len(booking_rows) + 2 <= bookings:
                book(learner, choices.pop(), status="cancelled", step=step,
                     registration=registration)
            chosen = next((s for s in choices if fits(learner, s)), None)
            if chosen is not None and len(booking_rows) < bookings:
                final[(registration, step)] = book(learner, chosen, step=step,
                                                   registration=registration)
        # extra group classes with credits, if the steps ran out
        attempts = 0
        while len(booking_rows) < bookings and attempts < bookings * 20:
            attempts += 1
            learner, s = rng.choice(plan.learner_ids), rng.choice(group_ids)
            if fits(learner, s):
                book(learner, s, credit_kind="group")
        # unused credits: a fifth of the learners hold one or two
        for learner in rng.sample(plan.learner_ids, len(plan.learner_ids) // 5):
            for _ in range(rng.choice((1, 2))):
                credit_id = ids["session_credit"] + len(credit_rows)
                private = rng.random() < 0.5
                credit_rows.append({
                    "id": credit_id, "dedupe_key": f"bench:{credit_id}", "user_id": learner,
                    "department_id": rng.choice(departments),
                    "kind": "private" if private else "group",
                    "minutes": rng.choice((30, 60)) if private else 0, "status": "available",
                    "granted_at": now - timedelta(days=30),
                    "expires_at": now + timedelta(days=rng.choice((30, 90, 365)))
                    if rng.random() < 0.5 else None, "updated_at": now - timedelta(days=30)})

        # step progress: one row per step of each registration, naming its booking
        progress_rows = []
        learner_of = {r["id"]: r["user_id"] for r in reg_rows}
        for registration in reg_rows:
            for step in steps_of[registration["course_id"]]:
                booking = final.get((registration["id"], step))
                status = booking["status"] if booking else "unbooked"
                progress_rows.append({
                    "id": ids["step_progress"] + len(progress_rows),
                    "registration_id": registration["id"], "step_id": step,
                    "user_id": learner_of[registration["id"]], "status": status,
                    "booking_id": booking["id"] if booking else None,
                    "booked_at": booking["created_at"] if booking else None,
                    "attended_at": booking["ends_at"] if status == "attended" else None,
                    "created_at": now - timedelta(days=100), "updated_at": now})

        # write them (a booking names its credit; a credit's booking_id is a plain column)
        _insert(conn, LiveSession, _template(
            LiveSession, department_id=0, title="", starts_at=now, ends_at=now),
            list(live.values()))
        _insert(conn, StepOption, _template(StepOption, step_id=0, session_id=0), option_rows)
        _insert(conn, Registration, _template(
            Registration, dedupe_key="", user_id=0, kind="course", department_id=0), reg_rows)
        credit_t = _template(SessionCredit, dedupe_key="", user_id=0, department_id=0,
                             kind="group")
        booking_t = _template(Booking, session_id=0, user_id=0, starts_at=now, ends_at=now)
        _insert(conn, SessionCredit, credit_t, credit_rows)
        _insert(conn, Booking, booking_t, booking_rows)
        _insert(conn, StepProgress, _template(StepProgress, registration_id=0, step_id=0,
                                              user_id=0), progress_rows)
        for table in tables:
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT coalesce(max(id), 1) FROM {table}))")

    # the cases' subjects
    per_learner = Counter(b["user_id"] for b in booking_rows)
    plan.typical_learner = min(plan.learner_ids,
                               key=lambda u: (abs(per_learner[u] - 15), u))
    plan.typical_bookings = per_learner[plan.typical_learner]
    plan.busiest_learner, plan.busiest_bookings = per_learner.most_common(1)[0]
    admin_weeks = Counter(_week_of(r["starts_at"], ADMIN_ZONE) for r in live.values()
                          if r["department_id"] in admin_scope)
    plan.admin_week, plan.admin_week_sessions = admin_weeks.most_common(1)[0]
    all_weeks = Counter(_week_of(r["starts_at"], ADMIN_ZONE) for r in live.values())
    plan.super_week, plan.super_week_sessions = all_weeks.most_common(1)[0]
    # waitlists: ten learners wait for the full session; the typical learner waits for two
    # more full upcoming classes too (their schedule shows where they stand)
    holders: dict[int, set[int]] = defaultdict(set)
    for b in booking_rows:
        if b["status"] != "cancelled":
            holders[b["session_id"]].add(b["user_id"])
    full_upcoming = sorted(s for s, r in live.items() if r["kind"] == "group"
                           and r["seats_booked"] == r["capacity"] and r["starts_at"] > now)
    def line(s: int, size: int) -> list[int]:
        others = [u for u in plan.learner_ids
                  if u not in holders[s] and u != plan.typical_learner][:size - 1]
        return others + ([plan.typical_learner] if plan.typical_learner not in holders[s]
                         else [])

    lines = {plan.full_session: line(plan.full_session, WAITING)}
    for s in [s for s in full_upcoming if s != plan.full_session
              and plan.typical_learner not in holders[s]][:2]:
        lines[s] = line(s, 4)
    waitlist_rows = [
        {"session_id": s, "user_id": u, "position": n + 1, "status": "waiting",
         "time_zone": live[s]["time_zone"], "created_at": now - timedelta(hours=n + 1),
         "updated_at": now - timedelta(hours=n + 1)}
        for s, users in lines.items() for n, u in enumerate(users)]
    with engine.begin() as conn:
        _insert(conn, WaitlistEntry, _template(WaitlistEntry, session_id=0, user_id=0,
                                               position=1), waitlist_rows)
    statuses = Counter(b["status"] for b in booking_rows)
    plan.counts = {
        "sessions": len(live), "group": sum(r["kind"] == "group" for r in live.values()),
        "private": n_private, "bookings": len(booking_rows),
        "bookings_by_status": dict(statuses),
        "step_bookings": sum(b["step_id"] is not None for b in booking_rows),
        "credit_bookings": sum(b["credit_id"] is not None for b in booking_rows),
        "learners": learners, "registrations": len(reg_rows),
        "step_progress": len(progress_rows), "credits": len(credit_rows),
        "waitlist_entries": len(waitlist_rows),
        "courses": len(course_rows), "steps": len(step_rows), "options": len(option_rows),
        "full_sessions": sum(r["seats_booked"] == r["capacity"] for r in live.values()
                             if r["kind"] == "group"),
        "admin_sessions": sum(r["department_id"] in admin_scope for r in live.values()),
    }
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return plan


def check_fill(url: str, plan: Plan) -> dict[str, int]:
    """The rows agree with each other (exit 1 otherwise)."""
    from commerce_dash.db import build_engine

    engine = build_engine(url)
    with engine.connect() as conn:
        def one(sql: str) -> int:
            return int(conn.exec_driver_sql(sql).scalar() or 0)

        found = {
            "sessions_with_wrong_seats": one(
                "SELECT count(*) FROM live_session s WHERE s.seats_booked <> (SELECT count(*) "
                "FROM booking b WHERE b.session_id = s.id AND b.status <> 'cancelled')"),
            "sessions_over_capacity": one(
                "SELECT count(*) FROM live_session WHERE seats_booked > capacity"),
            "overlapping_booking_pairs": one(
                "SELECT count(*) FROM booking a JOIN booking b ON a.user_id = b.user_id "
                "AND a.id < b.id AND a.status <> 'cancelled' AND b.status <> 'cancelled' "
                "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"),
            "progress_not_matching_booking": one(
                "SELECT count(*) FROM step_progress p JOIN booking b ON b.id = p.booking_id "
                "WHERE b.status <> p.status OR b.user_id <> p.user_id"),
            "credits_without_booking": one(
                "SELECT count(*) FROM session_credit WHERE status = 'used' "
                "AND booking_id IS NULL"),
            "bookings": one("SELECT count(*) FROM booking"),
        }
    engine.dispose()
    bad = {k: v for k, v in found.items() if k != "bookings" and v}
    if bad or found["bookings"] != plan.counts["bookings"]:
        raise SystemExit(f"the seeded rows do not agree: {found}")
    return found


# -- reads --------------------------------------------------------------------------------------


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2),
            "min_ms": round(ordered[0], 2), "max_ms": round(ordered[-1], 2)}


def measure_reads(url: str, plan: Plan, *, calls: int, warmup: int) -> dict[str, Any]:
    """Median and p95 of each read, the cases interleaved round by round."""
    from sqlalchemy import event
    from sqlalchemy import select as sa_select
    from sqlmodel import Session, col

    from commerce_dash.db import build_engine
    from commerce_dash.models.accounts import User
    from commerce_dash.models.sessions import Booking
    from commerce_dash.services.enrollment import (
        SessionQuery,
        calendar_week,
        learner_schedule,
        list_sessions,
        roster,
    )
    from commerce_dash.services.platform.accounts import load_actor

    engine = build_engine(url)
    with Session(engine) as session:
        admin = load_actor(session=session, user=session.get(User, plan.admin_id))  # type: ignore[arg-type]
        root = load_actor(session=session, user=session.get(User, plan.super_id))  # type: ignore[arg-type]
    today = datetime.now(ZoneInfo(ADMIN_ZONE)).date()

    def bare(session: Session) -> int:
        return len(session.execute(sa_select(col(Booking.id), col(Booking.starts_at)).where(
            col(Booking.user_id) == plan.typical_learner,
            col(Booking.status) == "booked")).all())

    cases: list[tuple[str, Callable[[Session], int]]] = [
        ("bare: the learner's bookings, one indexed Core query", bare),
        (f"learner_schedule, learner with {plan.typical_bookings} bookings",
         lambda s: len((r := learner_schedule(s, user_id=plan.typical_learner)).upcoming)
         + len(r.past)),
        (f"learner_schedule, busiest learner ({plan.busiest_bookings} bookings)",
         lambda s: len((r := learner_schedule(s, user_id=plan.busiest_learner)).upcoming)
         + len(r.past)),
        (f"calendar_week, dept admin, busiest week ({plan.admin_week_sessions} sessions)",
         lambda s: sum(len(d.sessions) for d in calendar_week(
             s, actor=admin, week_start=plan.admin_week, time_zone=ADMIN_ZONE))),
        (f"calendar_week, super admin, busiest week ({plan.super_week_sessions} sessions)",
         lambda s: sum(len(d.sessions) for d in calendar_week(
             s, actor=root, week_start=plan.super_week, time_zone=ADMIN_ZONE))),
        ("list_sessions, dept admin, first page",
         lambda s: list_sessions(s, actor=admin, query=SessionQuery()).total),
        ("list_sessions, dept admin, first page of upcoming",
         lambda s: list_sessions(s, actor=admin, query=SessionQuery(
             date_from=today, status="scheduled", time_zone=ADMIN_ZONE)).total),
        (f"roster, full session ({plan.full_capacity} seats)",
         lambda s: len(roster(s, actor=admin, session_id=plan.full_session).bookings)),
    ]
    samples: dict[str, list[float]] = {name: [] for name, _ in cases}
    answers: dict[str, int] = {}
    for n in range(warmup + calls):
        for name, call in cases:
            with Session(engine) as session:
                t0 = time.perf_counter()
                answers[name] = call(session)
                elapsed = (time.perf_counter() - t0) * 1000
            if n >= warmup:
                samples[name].append(elapsed)
    statements: dict[str, int] = {}
    for name, call in cases:
        count = [0]

        def bump(*_args: Any, _count: list[int] = count) -> None:
            _count[0] += 1

        event.listen(engine, "before_cursor_execute", bump)
        try:
            with Session(engine) as session:
                call(session)
        finally:
            event.remove(engine, "before_cursor_execute", bump)
        statements[name] = count[0]
    engine.dispose()
    bare_median = statistics.median(samples[cases[0][0]])
    results: dict[str, Any] = {}
    for name, _ in cases:
        figures = _ms(samples[name])
        results[name] = {**figures, "x_bare": round(figures["median_ms"] / bare_median, 1),
                         "statements": statements[name], "rows": answers[name],
                         "target_ms": None if name.startswith("bare") else TARGET_MS,
                         "pass": None if name.startswith("bare")
                         else figures["p95_ms"] < TARGET_MS}
    return results


# -- the race -----------------------------------------------------------------------------------


def _race(engine: Any, calls: list[Callable[[Any], str]], workers: int
          ) -> tuple[list[str], list[float], float]:
    """Run each call in a pool of ``workers`` threads (a session each), all held at one gate
    until every worker is ready: (answers, per-call ms, seconds from the gate to the last)."""
    from sqlmodel import Session

    from commerce_dash.domain.errors import DomainError

    ready = threading.Barrier(workers + 1)
    gate = threading.Event()

    def hold() -> None:
        ready.wait(timeout=60)
        gate.wait(timeout=60)

    def run(call: Callable[[Any], str]) -> tuple[str, float]:
        gate.wait(timeout=60)
        t0 = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            try:
                answer = call(session)
            except DomainError as refused:
                answer = refused.code
            except Exception as failed:  # noqa: BLE001 - reported and checked below
                answer = f"error: {type(failed).__name__}: {failed}"[:200]
        return answer, (time.perf_counter() - t0) * 1000

    with ThreadPoolExecutor(max_workers=workers) as pool:
        holders = [pool.submit(hold) for _ in range(workers)]  # every thread started
        ready.wait(timeout=60)
        futures = [pool.submit(run, c) for c in calls]
        started = time.perf_counter()
        gate.set()
        for h in holders:
            h.result()
        done = [f.result(timeout=600) for f in futures]
        seconds = time.perf_counter() - started
    return [a for a, _ in done], [ms for _, ms in done], seconds


def _race_engine(url: str, workers: int) -> Any:
    """An engine whose pool holds a connection per worker, opened before the race."""
    from sqlalchemy import text
    from sqlmodel import create_engine

    engine = create_engine(url, pool_pre_ping=True, pool_size=workers, max_overflow=0)
    held = [engine.connect() for _ in range(workers)]
    for conn in held:
        conn.execute(text("SELECT 1"))
        conn.close()
    return engine


def race_run(url: str, plan: Plan, run: int, *, racers: int, capacity: int, workers: int,
             credit_slots: int, profile: bool = False) -> dict[str, Any]:
    """One step race, its bare-guard baseline and (``credit_slots``) the credit race."""
    from sqlalchemy import event, func, insert, update
    from sqlalchemy import select as sa_select
    from sqlmodel import Session, col, select

    from commerce_dash.db import build_engine
    from commerce_dash.domain.actor import Actor, Grant
    from commerce_dash.models.accounts import User
    from commerce_dash.models.catalog import Course
    from commerce_dash.models.enrollment import Registration
    from commerce_dash.models.sessions import (
        Booking,
        CourseStep,
        LiveSession,
        SessionCredit,
        StepOption,
        StepProgress,
    )
    from commerce_dash.services.enrollment import book_step, book_with_credit

    dept = plan.department_ids["ACAD-LANG"]
    # after the seeded weeks: no racer has anything then
    start = plan.window_end + timedelta(days=1 + 3 * run, hours=12)
    setup = build_engine(url)
    learners = plan.learner_ids[:racers]
    now = datetime.now(UTC)
    with Session(setup, expire_on_commit=False) as session:
        course = Course(code=f"RACE-{run}", title=f"Popular workshop {run + 1}",
                        department_id=dept, published=True)
        session.add(course)
        session.flush()
        step = CourseStep(course_id=course.id or 0, position=1, label="Step 1",
                          title="The workshop")
        popular = LiveSession(department_id=dept, kind="group", title=f"Popular {run + 1}",
                              starts_at=start, ends_at=start + timedelta(hours=1),
                              time_zone=ADMIN_ZONE, capacity=capacity,
                              instructor_id=plan.admin_id)
        guard = LiveSession(department_id=dept, kind="group", title=f"Baseline {run + 1}",
                            starts_at=start + timedelta(days=400),
                            ends_at=start + timedelta(days=400, hours=1), capacity=capacity)
        alone = LiveSession(department_id=dept, kind="group", title=f"Second date {run + 1}",
                            starts_at=start + timedelta(days=1),
                            ends_at=start + timedelta(days=1, hours=1),
                            time_zone=ADMIN_ZONE, capacity=capacity)
        session.add_all([step, popular, guard, alone])
        session.flush()
        session.add(StepOption(step_id=step.id or 0, session_id=popular.id or 0))
        session.add(StepOption(step_id=step.id or 0, session_id=alone.id or 0))
        session.execute(insert(Registration), [
            {"dedupe_key": f"race:{run}:{u}", "user_id": u, "kind": "course",
             "course_id": course.id, "department_id": dept, "source": "order",
             "currency": "USD", "status": "approved", "approval_required": False,
             "amount_paid": 0, "rejection_reason": "", "created_at": now, "updated_at": now}
            for u in learners])
        regs = session.execute(sa_select(col(Registration.id), col(Registration.user_id)).where(
            col(Registration.course_id) == course.id)).all()
        session.execute(insert(StepProgress), [
            {"registration_id": r, "step_id": step.id, "user_id": u, "status": "unbooked",
             "created_at": now, "updated_at": now} for r, u in regs])
        session.commit()
        people = {u.id: u for u in session.exec(select(User).where(
            col(User.id).in_(learners))).all()}
    actors = [Actor(user_id=u, email=people[u].email, full_name=people[u].full_name,
                    grants=(Grant("learner"),)) for u in learners]
    step_id, popular_id, guard_id = step.id or 0, popular.id or 0, guard.id or 0
    alone_id = alone.id or 0

    engine = _race_engine(url, workers)

    def booker(actor: Actor) -> Callable[[Session], str]:
        return lambda s: book_step(s, actor=actor, step_id=step_id, session_id=popular_id,
                                   time_zone=ADMIN_ZONE).status

    def bare_guard(actor: Actor) -> Callable[[Session], str]:
        def call(s: Session) -> str:
            s.execute(sa_select(col(User.id)).where(col(User.id) == actor.user_id)
                      .with_for_update())
            won = s.execute(update(LiveSession).where(
                col(LiveSession.id) == guard_id,
                col(LiveSession.seats_booked) < col(LiveSession.capacity))
                .values(seats_booked=col(LiveSession.seats_booked) + 1)).rowcount == 1  # type: ignore[attr-defined]
            s.commit()
            return "booked" if won else "session_full"
        return call

    base_answers, _base_ms, base_seconds = _race(engine, [bare_guard(a) for a in actors],
                                                 workers)
    answers, call_ms, seconds = _race(engine, [booker(a) for a in actors], workers)

    with Session(setup) as session:
        def one(query: Any) -> int:
            return int(session.execute(query).scalar_one())

        seats = one(sa_select(col(LiveSession.seats_booked)).where(
            col(LiveSession.id) == popular_id))
        live_bookings = one(sa_select(func.count()).select_from(Booking).where(
            col(Booking.session_id) == popular_id, col(Booking.status) == "booked"))
        distinct = one(sa_select(func.count(func.distinct(col(Booking.user_id)))).where(
            col(Booking.session_id) == popular_id))
        progress = one(sa_select(func.count()).select_from(StepProgress).where(
            col(StepProgress.step_id) == step_id, col(StepProgress.status) == "booked",
            col(StepProgress.booking_id).is_not(None)))
        guard_seats = one(sa_select(col(LiveSession.seats_booked)).where(
            col(LiveSession.id) == guard_id))
    # uncontended: some who lost book the step's second date one after another
    losers = [a for a, answer in zip(actors, answers, strict=True) if answer != "booked"]
    alone_ms: list[float] = []
    statements = [0]

    def bump(*_args: Any) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", bump)
    profiler = cProfile.Profile() if profile else None
    try:
        for actor in losers[:SEQUENTIAL]:
            with Session(engine, expire_on_commit=False) as session:
                if profiler:
                    profiler.enable()
                t0 = time.perf_counter()
                book_step(session, actor=actor, step_id=step_id, session_id=alone_id,
                          time_zone=ADMIN_ZONE)
                alone_ms.append((time.perf_counter() - t0) * 1000)
                if profiler:
                    profiler.disable()
    finally:
        event.remove(engine, "before_cursor_execute", bump)
    if profiler:
        text_out = io.StringIO()
        stats = pstats.Stats(profiler, stream=text_out)
        stats.sort_stats("cumulative").print_stats(35)
        print(f"\ncProfile of {len(alone_ms)} uncontended book_step calls\n"
              + text_out.getvalue())
    tally = Counter(answers)
    check = {"booked": tally["booked"], "session_full": tally["session_full"],
             "other_answers": {k: v for k, v in tally.items()
                               if k not in ("booked", "session_full")},
             "seats_booked": seats, "live_bookings": live_bookings,
             "distinct_learners": distinct, "steps_booked": progress,
             "baseline_seats": guard_seats,
             "baseline_booked": Counter(base_answers)["booked"]}
    ok = (tally["booked"] == seats == live_bookings == distinct == progress == capacity
          and tally["session_full"] == racers - capacity and not check["other_answers"]
          and guard_seats == check["baseline_booked"] == capacity)
    result: dict[str, Any] = {
        "racers": racers, "capacity": capacity, "workers": workers,
        "seconds": round(seconds, 3), "calls_per_s": round(racers / seconds, 1),
        "bookings_per_s": round(capacity / seconds, 1), "call_ms": _ms(call_ms),
        "baseline_seconds": round(base_seconds, 3),
        "x_baseline": round(seconds / base_seconds, 1),
        "alone": {"calls": len(alone_ms), **(_ms(alone_ms) if alone_ms else {}),
                  "statements_per_call": round(statements[0] / max(1, len(alone_ms)), 1)},
        "check": check, "exact": ok}

    if credit_slots:
        slot_start = plan.window_end + timedelta(days=2 + 3 * run, hours=15)
        with Session(setup, expire_on_commit=False) as session:
            slots = [LiveSession(department_id=dept, kind="private",
                                 title=f"Private race {run + 1}.{n + 1}", starts_at=slot_start,
                                 ends_at=slot_start + timedelta(minutes=60), capacity=1)
                     for n in range(credit_slots)]
            session.add_all(slots)
            session.execute(insert(SessionCredit), [
                {"dedupe_key": f"race:{run}:{u}", "user_id": u, "department_id": dept,
                 "kind": "private", "minutes": 60, "status": "available",
                 "granted_at": now, "updated_at": now}
                for u in learners])
            session.commit()
            slot_ids = [s.id or 0 for s in slots]

        def credit_booker(k: int, actor: Actor) -> Callable[[Session], str]:
            target = slot_ids[k % len(slot_ids)]
            return lambda s: book_with_credit(s, actor=actor, session_id=target).status

        c_answers, c_ms, c_seconds = _race(
            engine, [credit_booker(k, a) for k, a in enumerate(actors)], workers)
        with Session(setup) as session:
            per_slot = dict(session.execute(
                sa_select(col(Booking.session_id), func.count()).where(
                    col(Booking.session_id).in_(slot_ids), col(Booking.status) == "booked")
                .group_by(col(Booking.session_id))).all())
            seats_ok = int(session.execute(sa_select(func.count()).select_from(LiveSession)
                                           .where(col(LiveSession.id).in_(slot_ids),
                                                  col(LiveSession.seats_booked) == 1))
                           .scalar_one())
            # a learner may spend an older credit of theirs first (the one expiring first)
            used = int(session.execute(sa_select(func.count(func.distinct(
                col(SessionCredit.id)))).select_from(Booking).join(
                SessionCredit, col(SessionCredit.id) == col(Booking.credit_id)).where(
                col(Booking.session_id).in_(slot_ids), col(Booking.status) == "booked",
                col(SessionCredit.status) == "used",
                col(SessionCredit.booking_id) == col(Booking.id))).scalar_one())
            twice = int(session.execute(sa_select(func.count()).select_from(
                sa_select(col(Booking.user_id)).where(
                    col(Booking.session_id).in_(slot_ids), col(Booking.status) == "booked")
                .group_by(col(Booking.user_id)).having(func.count() > 1).subquery()))
                .scalar_one())
        c_tally = Counter(c_answers)
        c_check = {"booked": c_tally["booked"], "session_full": c_tally["session_full"],
                   "other_answers": {k: v for k, v in c_tally.items()
                                     if k not in ("booked", "session_full")},
                   "slots_with_one_booking": sum(1 for v in per_slot.values() if v == 1),
                   "slots_with_one_seat": seats_ok, "credits_used": used,
                   "learners_twice": twice}
        c_ok = (c_tally["booked"] == used == seats_ok == c_check["slots_with_one_booking"]
                == len(slot_ids) and c_tally["session_full"] == racers - len(slot_ids)
                and not c_check["other_answers"] and twice == 0)
        result["credit_race"] = {
            "slots": len(slot_ids), "seconds": round(c_seconds, 3),
            "calls_per_s": round(racers / c_seconds, 1),
            "bookings_per_s": round(len(slot_ids) / c_seconds, 1), "call_ms": _ms(c_ms),
            "check": c_check, "exact": c_ok}
    engine.dispose()
    setup.dispose()
    return result


# -- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--bookings", type=int, default=20_000)
    parser.add_argument("--learners", type=int, default=2_000)
    parser.add_argument("--calls", type=int, default=50, help="timed calls per read")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per read first")
    parser.add_argument("--race-runs", type=int, default=3)
    parser.add_argument("--racers", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=50)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--credit-slots", type=int, default=40,
                        help="private slots of the credit race (0: no credit race)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the uncontended book_step calls of the first race")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("live_sessions.py needs DATABASE_URL pointing at PostgreSQL; skipped.")
        return 0
    if args.racers > args.learners:
        parser.error("--racers must not exceed --learners")
    if not 0 < args.capacity < args.racers or args.credit_slots >= args.racers:
        parser.error("the race needs fewer seats (--capacity, --credit-slots) than --racers")
    with scratch_database() as url:
        env = {"COMMERCE_SCHEDULER_ENABLED": "false"}
        cli(url, "migrate", extra_env=env)
        os.environ.update({"DATABASE_URL": url, **env})
        from commerce_dash.db import reset_engine
        from commerce_dash.settings import get_settings

        logging.disable(logging.WARNING)
        get_settings.cache_clear()
        reset_engine()
        t0 = time.perf_counter()
        plan = fill(url, sessions=args.sessions, bookings=args.bookings,
                    learners=args.learners, seed=args.seed)
        fill_seconds = time.perf_counter() - t0
        consistency = check_fill(url, plan)
        c = plan.counts
        print(f"filled in {fill_seconds:.1f} s: {c['sessions']} sessions ({c['group']} group, "
              f"{c['private']} private, {c['full_sessions']} full; {c['admin_sessions']} in "
              f"the dept admin's departments), {c['bookings']} bookings "
              f"{c['bookings_by_status']} ({c['step_bookings']} for steps, "
              f"{c['credit_bookings']} with credits), {c['learners']} learners, "
              f"{c['registrations']} registrations, {c['step_progress']} step-progress rows, "
              f"{c['credits']} credits, {c['waitlist_entries']} waitlist entries; rows "
              f"consistent", flush=True)
        reads = measure_reads(url, plan, calls=args.calls, warmup=args.warmup)
        print(f"\nreads, PostgreSQL, {args.calls} calls each after {args.warmup} warm-up "
              f"(a session per call); PASS when p95 < {TARGET_MS:.0f} ms")
        print(f"{'case':<74}{'median':>8}{'p95':>8}{'x bare':>8}{'SQL':>5}{'rows':>6}  verdict")
        for name, r in reads.items():
            verdict = "" if r["pass"] is None else ("PASS" if r["pass"] else "FAIL")
            print(f"{name:<74}{r['median_ms']:>8.1f}{r['p95_ms']:>8.1f}{r['x_bare']:>8.1f}"
                  f"{r['statements']:>5}{r['rows']:>6}  {verdict}")
        races = []
        for run in range(args.race_runs):
            result = race_run(url, plan, run, racers=args.racers, capacity=args.capacity,
                              workers=args.workers, credit_slots=args.credit_slots,
                              profile=args.profile and run == 0)
            races.append(result)
            ch = result["check"]
            print(f"\nrace {run + 1}/{args.race_runs}: {args.racers} learners, "
                  f"{args.workers} threads, book_step on one session of {args.capacity} seats: "
                  f"{result['seconds']:.2f} s ({result['calls_per_s']:.0f} calls/s, "
                  f"{result['bookings_per_s']:.0f} bookings/s), call p50 "
                  f"{result['call_ms']['median_ms']:.0f} ms p95 "
                  f"{result['call_ms']['p95_ms']:.0f} ms (alone, one after another: "
                  f"{result['alone'].get('median_ms', 0):.0f} ms, "
                  f"{result['alone']['statements_per_call']} statements); bare guard "
                  f"{result['baseline_seconds']:.2f} s (x{result['x_baseline']}); booked "
                  f"{ch['booked']}, session_full {ch['session_full']}, other "
                  f"{ch['other_answers'] or 0}, seats_booked {ch['seats_booked']}, live "
                  f"bookings {ch['live_bookings']}, distinct learners "
                  f"{ch['distinct_learners']}, steps booked {ch['steps_booked']}: "
                  f"{'EXACT' if result['exact'] else 'WRONG'}", flush=True)
            if "credit_race" in result:
                cr = result["credit_race"]
                cc = cr["check"]
                print(f"  credit race: book_with_credit on {cr['slots']} private slots: "
                      f"{cr['seconds']:.2f} s ({cr['calls_per_s']:.0f} calls/s), call p95 "
                      f"{cr['call_ms']['p95_ms']:.0f} ms; booked {cc['booked']}, session_full "
                      f"{cc['session_full']}, other {cc['other_answers'] or 0}, credits used "
                      f"{cc['credits_used']}, learners twice {cc['learners_twice']}: "
                      f"{'EXACT' if cr['exact'] else 'WRONG'}", flush=True)
        reset_engine()
    exact = all(r["exact"] and r.get("credit_race", {"exact": True})["exact"] for r in races)
    race_median: dict[str, Any] = {}
    if races:
        race_median = {
            "seconds": statistics.median(r["seconds"] for r in races),
            "calls_per_s": statistics.median(r["calls_per_s"] for r in races),
            "bookings_per_s": statistics.median(r["bookings_per_s"] for r in races),
            "call_p95_ms": statistics.median(r["call_ms"]["p95_ms"] for r in races),
            "alone_median_ms": statistics.median(r["alone"].get("median_ms", 0)
                                                 for r in races),
            "baseline_seconds": statistics.median(r["baseline_seconds"] for r in races),
            "x_baseline": statistics.median(r["x_baseline"] for r in races)}
        if "credit_race" in races[0]:
            race_median["credit_race_seconds"] = statistics.median(
                r["credit_race"]["seconds"] for r in races)
    targets = all(r["pass"] for r in reads.values() if r["pass"] is not None)
    print(f"\nsummary: reads {'all under' if targets else 'NOT all under'} "
          f"{TARGET_MS:.0f} ms at p95; race (median of {len(races)}): "
          f"{race_median.get('seconds', 0):.2f} s for {args.racers} calls, "
          f"{race_median.get('bookings_per_s', 0):.0f} bookings/s, "
          f"x{race_median.get('x_baseline', 0)} the bare guard; exactly the capacity booked "
          f"in every race: {exact}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "live_sessions.json"
    out.write_text(json.dumps({
        "benchmark": "live_sessions", "database": "postgresql", "args": vars(args),
        "fill_seconds": round(fill_seconds, 1), "data": plan.counts,
        "consistency": consistency,
        "subjects": {"typical_learner": plan.typical_learner,
                     "typical_bookings": plan.typical_bookings,
                     "busiest_learner": plan.busiest_learner,
                     "busiest_bookings": plan.busiest_bookings,
                     "admin_week": plan.admin_week.isoformat(),
                     "admin_week_sessions": plan.admin_week_sessions,
                     "super_week": plan.super_week.isoformat(),
                     "super_week_sessions": plan.super_week_sessions,
                     "full_session": plan.full_session, "full_capacity": plan.full_capacity},
        "target_ms": TARGET_MS, "reads": reads, "reads_meet_target": targets,
        "races": races, "race_median": race_median, "races_exact": exact}, indent=2,
        default=str))
    print(f"wrote {out.relative_to(ROOT)}")
    return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
