"""Enrollment: who takes which course. Registrations and their approval queue, approval
rules, self-enrollment with a subscription, enrollment at the LMS and the LMS's catalogue sync, LMS user links, and ownership (what a
learner already has, the one answer the cart and checkout ask).
"""

from .approval_rules import approval_rules as list_approval_rules
from .approval_rules import set_department_approval
from .attendance import lms_attendance_event, mark_attendance, record_lms_attendance
from .bookable import BookableRow, bookable_with_credits
from .booking_emails import booking_invite, email_booking, email_waitlist
from .bookings import book_step, book_with_credit, cancel_booking, release_session_bookings
from .credits import (
    CreditCount,
    CreditRow,
    credit_counts,
    grant_credits_for_order,
    learner_credits,
    revoke_unused_credits,
)
from .item_ownership import owned_items, program_owned
from .live_sessions import (
    SessionEdit,
    SessionIn,
    cancel_session,
    open_private_slots,
    reschedule_session,
    schedule_sessions,
    update_session,
)
from .lms_auth import authenticate_request, create_connector
from .lms_enrollment import retry_lms_enrollment, stuck_lms_enrollments
from .lms_sync import MAX_COURSES_PER_SYNC, LmsCourse, LmsModule, sync_lms_courses
from .lms_users import MAX_USERS_PER_SYNC, lms_user_id, sync_users
from .ownership import Duplicate, owned_course_ids, owned_elsewhere, program_courses
from .paid_place_refunds import use_refunds
from .registration_endings import end_registration
from .registration_reviewers import (
    ReviewersRow,
    list_registration_reviewers,
    reviewed_elsewhere,
    set_registration_reviewers,
)
from .registration_status import (
    sync_program_registrations,
    transition_enrollment,
    transition_registration,
)
from .registration_views import (
    QueueRow,
    get_for_learner,
    list_for_learner,
    list_queue,
    pending_count,
    queue_course_options,
    queue_scope,
    registration_number,
)
from .registrations import (
    BulkOutcome,
    LmsStatus,
    apply_lms_status,
    approve,
    bulk,
    cancel_pending,
    create_for_order,
    pay_lms_refund,
    reject,
)
from .schedule import Schedule, ScheduleRow, WaitlistRow, learner_schedule
from .session_reminders import REMINDER_BATCH, send_session_reminders
from .session_views import (
    CalendarDay,
    CalendarEntry,
    Roster,
    RosterBooking,
    RosterWaitlistEntry,
    SessionQuery,
    SessionRow,
    calendar_week,
    list_sessions,
    roster,
)
from .subscription_access import (
    access_subscriptions,
    covered_departments,
    end_subscription_access,
    included_course_ids,
    self_enroll,
)
from .teaching import TaughtSession, instructor_sessions, teaches_sessions
from .waitlist import (
    WaitlistLine,
    accept_offer,
    expire_offers,
    join_waitlist,
    leave_waitlist,
    promote_waitlist,
    reorder_waitlist,
    session_waitlist,
)

__all__ = [
    "cancel_pending",
    "ReviewersRow",
    "list_registration_reviewers",
    "reviewed_elsewhere",
    "queue_scope",
    "set_registration_reviewers",
    "BookableRow",
    "bookable_with_credits",
    "booking_invite",
    "BulkOutcome",
    "CalendarDay",
    "CalendarEntry",
    "CreditCount",
    "CreditRow",
    "Duplicate",
    "LmsCourse",
    "LmsModule",
    "LmsStatus",
    "MAX_COURSES_PER_SYNC",
    "MAX_USERS_PER_SYNC",
    "QueueRow",
    "REMINDER_BATCH",
    "Roster",
    "RosterBooking",
    "RosterWaitlistEntry",
    "Schedule",
    "ScheduleRow",
    "SessionEdit",
    "SessionIn",
    "SessionQuery",
    "SessionRow",
    "TaughtSession",
    "WaitlistLine",
    "WaitlistRow",
    "accept_offer",
    "access_subscriptions",
    "apply_lms_status",
    "approve",
    "authenticate_request",
    "book_step",
    "book_with_credit",
    "bulk",
    "calendar_week",
    "cancel_booking",
    "cancel_session",
    "covered_departments",
    "create_connector",
    "create_for_order",
    "credit_counts",
    "email_booking",
    "email_waitlist",
    "end_registration",
    "end_subscription_access",
    "expire_offers",
    "get_for_learner",
    "grant_credits_for_order",
    "included_course_ids",
    "owned_items",
    "program_owned",
    "instructor_sessions",
    "join_waitlist",
    "learner_credits",
    "learner_schedule",
    "leave_waitlist",
    "list_approval_rules",
    "list_for_learner",
    "list_queue",
    "list_sessions",
    "lms_user_id",
    "mark_attendance",
    "open_private_slots",
    "owned_course_ids",
    "owned_elsewhere",
    "pay_lms_refund",
    "pending_count",
    "program_courses",
    "promote_waitlist",
    "queue_course_options",
    "registration_number",
    "record_lms_attendance",
    "lms_attendance_event",
    "reject",
    "release_session_bookings",
    "reorder_waitlist",
    "reschedule_session",
    "retry_lms_enrollment",
    "revoke_unused_credits",
    "roster",
    "schedule_sessions",
    "self_enroll",
    "send_session_reminders",
    "session_waitlist",
    "set_department_approval",
    "stuck_lms_enrollments",
    "sync_lms_courses",
    "sync_program_registrations",
    "sync_users",
    "teaches_sessions",
    "transition_enrollment",
    "transition_registration",
    "update_session",
    "use_refunds",
]
