"""Enrollment: who takes which course. Registrations and their approval queue, approval
rules, self-enrollment with a subscription, enrollment at the LMS and the LMS's catalogue sync, LMS user links, and ownership (what a
learner already has, the one answer the cart and checkout ask).
"""

from .approval_rules import approval_rules as list_approval_rules
from .approval_rules import set_department_approval
from .lms_auth import authenticate_request, create_connector
from .lms_enrollment import retry_lms_enrollment, stuck_lms_enrollments
from .lms_sync import MAX_COURSES_PER_SYNC, LmsCourse, LmsModule, sync_lms_courses
from .lms_users import MAX_USERS_PER_SYNC, lms_user_id, sync_users
from .ownership import Duplicate, owned_course_ids, owned_elsewhere, program_courses
from .paid_place_refunds import use_refunds
from .registration_endings import end_registration
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
)
from .registrations import (
    BulkOutcome,
    LmsStatus,
    apply_lms_status,
    approve,
    bulk,
    create_for_order,
    pay_lms_refund,
    reject,
)
from .subscription_access import (
    access_subscriptions,
    covered_departments,
    end_subscription_access,
    included_course_ids,
    self_enroll,
)

__all__ = [
    "BulkOutcome",
    "Duplicate",
    "LmsCourse",
    "LmsModule",
    "LmsStatus",
    "MAX_COURSES_PER_SYNC",
    "MAX_USERS_PER_SYNC",
    "QueueRow",
    "access_subscriptions",
    "apply_lms_status",
    "approve",
    "authenticate_request",
    "bulk",
    "covered_departments",
    "create_connector",
    "create_for_order",
    "end_registration",
    "end_subscription_access",
    "get_for_learner",
    "included_course_ids",
    "list_approval_rules",
    "list_for_learner",
    "list_queue",
    "lms_user_id",
    "owned_course_ids",
    "owned_elsewhere",
    "pay_lms_refund",
    "pending_count",
    "program_courses",
    "queue_course_options",
    "reject",
    "retry_lms_enrollment",
    "self_enroll",
    "set_department_approval",
    "stuck_lms_enrollments",
    "sync_lms_courses",
    "sync_program_registrations",
    "sync_users",
    "transition_enrollment",
    "transition_registration",
    "use_refunds",
]
