"""Every error code the app answers, one enum per area: data, not strings scattered (long
because it lists them all, one line each).

A ``DomainError`` carries one of these codes (the API answers it as ``{code, message}``); each
code has one meaning: one kind (which HTTP status it is) and one description, listed in the
OpenAPI document's description. ``tests/test_error_codes.py`` fails when a code is raised that
is not here, is raised with another kind, or is listed twice. A code lives in the enum of the
lowest area that raises it (areas: README "Architecture"); ``CommonCode`` holds the ones of no
area (request parsing, generic input). Codes built at run time from a name (``not_found``'s
``<entity>_not_found``, a field's ``<field>_required``) are listed by their full value.
"""

from __future__ import annotations

from enum import StrEnum

from commerce_dash.domain.errors import ErrorKind


class ErrorCode(StrEnum):
    """A code with its kind and what it means."""

    kind: ErrorKind
    description: str

    def __new__(cls, value: str, kind: ErrorKind = ErrorKind.INVALID,
                description: str = "") -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.kind = kind
        member.description = description
        return member



class CommonCode(ErrorCode):
    """Common codes."""

    IDEMPOTENCY_KEY_REQUIRED = (
        "idempotency_key_required", ErrorKind.INVALID,
        "Send an Idempotency-Key header with every checkout.",
    )
    INACTIVE_CONNECTOR = (
        "inactive_connector", ErrorKind.CONFLICT,
        "Connector … (…) is deactivated; nothing is signed with its secret …",
    )
    INVALID_CONNECTOR = (
        "invalid_connector", ErrorKind.INVALID,
        "Name the connector whose secret signs it.",
    )
    INVALID_DATE = "invalid_date", ErrorKind.INVALID, "Dates look like 2026-11-22."
    INVALID_DATETIME = (
        "invalid_datetime", ErrorKind.INVALID,
        "Enter a date and time like 2026-05-01 09:30.",
    )
    INVALID_LIMIT = "invalid_limit", ErrorKind.INVALID, "Enter a whole number from 1 to …."
    INVALID_SORT = "invalid_sort", ErrorKind.INVALID, "Sort by one of: …."
    ITEM_REQUIRED = "item_required", ErrorKind.INVALID, "Choose what this price is for."
    NAIVE_DATETIME = (
        "naive_datetime", ErrorKind.INVALID,
        "Give … with a UTC offset, like 2026-01-31T09:00:00+00:00.",
    )
    NOT_A_NUMBER = "not_a_number", ErrorKind.INVALID, "Enter a whole number from … to …."
    UNKNOWN_CONNECTOR = (
        "unknown_connector", ErrorKind.NOT_FOUND,
        "No connector has the key …; nothing is signed for it.",
    )


class PlatformCode(ErrorCode):
    """Platform codes."""

    ALREADY_ACTIVE = "already_active", ErrorKind.INVALID, "This user has already set a password."
    CANNOT_DEACTIVATE_SELF = (
        "cannot_deactivate_self", ErrorKind.INVALID,
        "You cannot deactivate your own account.",
    )
    CANNOT_DEMOTE_SELF = (
        "cannot_demote_self", ErrorKind.INVALID,
        "You cannot remove your own super-admin role.",
    )
    CANNOT_DISCARD = "cannot_discard", ErrorKind.INVALID, "A … message cannot be discarded."
    CATEGORY_TOO_LONG = "category_too_long", ErrorKind.INVALID, "Use at most 80 characters."
    CODE_TAKEN = "code_taken", ErrorKind.CONFLICT, "The code … already exists."
    COURSE_NOT_FOUND = "course_not_found", ErrorKind.NOT_FOUND, "No course … was found."
    DEPARTMENT_CYCLE = (
        "department_cycle", ErrorKind.INVALID,
        "A department cannot sit below itself.",
    )
    DEPARTMENT_NOT_FOUND = "department_not_found", ErrorKind.NOT_FOUND, "No department … was found."
    DEPARTMENT_REQUIRED = (
        "department_required", ErrorKind.INVALID,
        "Choose the department of the template.",
    )
    DESCRIPTION_TOO_LONG = (
        "description_too_long", ErrorKind.INVALID,
        "Use at most 20,000 characters.",
    )
    EMAIL_NOT_CONFIRMED = "email_not_confirmed", ErrorKind.FORBIDDEN, "Confirm the email address before paying"
    EMAIL_REQUIRED = "email_required", ErrorKind.INVALID, "Enter your email address."
    EMAIL_TAKEN = "email_taken", ErrorKind.CONFLICT, "A user with this email already exists."
    FORBIDDEN = "forbidden", ErrorKind.FORBIDDEN, "You do not have access to this area."
    INVALID_CODE = "invalid_code", ErrorKind.INVALID, "Enter a discount code."
    INVALID_CREDENTIALS = "invalid_credentials", ErrorKind.UNAUTHENTICATED, "The email or password is wrong (the same answer for an unknown email)"
    INVALID_DURATION = "invalid_duration", ErrorKind.INVALID, "Durations cannot be negative."
    INVALID_EMAIL = "invalid_email", ErrorKind.INVALID, "That email address is not valid: …"
    INVALID_URL = "invalid_url", ErrorKind.INVALID, "A webhook URL starts with http:// or https://."
    INVITE_INVALID = "invite_invalid", ErrorKind.INVALID, "This account is no longer active."
    JOB_NOT_FOUND = "job_not_found", ErrorKind.NOT_FOUND, "No job … was found."
    JOB_RUN_NOT_FOUND = "job_run_not_found", ErrorKind.NOT_FOUND, "No job run … was found."
    LAST_SUPER_ADMIN = (
        "last_super_admin", ErrorKind.INVALID,
        "At least one active super-admin must remain.",
    )
    MESSAGE_NOT_FOUND = "message_not_found", ErrorKind.NOT_FOUND, "No message … was found."
    NAME_REQUIRED = "name_required", ErrorKind.INVALID, "Enter a name."
    NAME_TOO_LONG = "name_too_long", ErrorKind.INVALID, "Use at most 120 characters."
    NOT_DEAD = "not_dead", ErrorKind.INVALID, "Only dead or discarded messages can be replayed."
    NOT_SIGNED_IN = "not_signed_in", ErrorKind.UNAUTHENTICATED, "Sign in to continue."
    PASSWORD_IS_EMAIL = (
        "password_is_email", ErrorKind.INVALID,
        "The password must not be your email address.",
    )
    PASSWORD_REQUIRED = "password_required", ErrorKind.INVALID, "Enter your password."
    PASSWORD_TOO_SHORT = (
        "password_too_short", ErrorKind.INVALID,
        "Use at least … characters for the password.",
    )
    PASSWORD_TOO_SIMPLE = (
        "password_too_simple", ErrorKind.INVALID,
        "Use a less repetitive password.",
    )
    RATE_LIMITED = "rate_limited", ErrorKind.RATE_LIMITED, "Too many requests; try again later."
    REASON_REQUIRED = (
        "reason_required", ErrorKind.INVALID,
        "Give a reason of at least … characters.",
    )
    RESET_INVALID = "reset_invalid", ErrorKind.INVALID, "This account is no longer active."
    ROLE_REQUIRED = "role_required", ErrorKind.INVALID, "Give the user at least one role."
    SECOND_FACTOR_INVALID = "second_factor_invalid", ErrorKind.INVALID, "The sign-in step of the second factor is unknown or over"
    SECOND_FACTOR_NOT_STARTED = (
        "second_factor_not_started", ErrorKind.CONFLICT,
        "Start again: scan a new QR code.",
    )
    SECOND_FACTOR_OFF = "second_factor_off", ErrorKind.CONFLICT, "Two-factor sign-in is off."
    SECOND_FACTOR_ON = "second_factor_on", ErrorKind.CONFLICT, "Two-factor sign-in is already on."
    SECOND_FACTOR_REQUIRED = (
        "second_factor_required", ErrorKind.FORBIDDEN,
        "Your admin role needs two-factor sign-in: sign in with your code, …",
    )
    SECOND_FACTOR_UNREADABLE = (
        "second_factor_unreadable", ErrorKind.CONFLICT,
        "Two-factor sign-in cannot be checked for this account. Ask an …",
    )
    SECOND_FACTOR_WRONG = "second_factor_wrong", ErrorKind.INVALID, "The authenticator or recovery code is wrong"
    SESSION_INVALID = "session_invalid", ErrorKind.INVALID, "The session ended or does not exist"
    TOO_MANY_ATTEMPTS = "too_many_attempts", ErrorKind.RATE_LIMITED, "Too many sign-in attempts; see Retry-After"
    UNKNOWN_ROLE = "unknown_role", ErrorKind.INVALID, "Unknown role …."
    URL_TOO_LONG = "url_too_long", ErrorKind.INVALID, "Use at most 500 characters."
    USER_NOT_FOUND = (
        "user_not_found", ErrorKind.NOT_FOUND,
        "No account uses …; exempt its domain instead, or invite the learner.",
    )
    VERIFY_INVALID = "verify_invalid", ErrorKind.INVALID, "This account is no longer active."
    WRONG_PASSWORD = "wrong_password", ErrorKind.INVALID, "The current password is incorrect."


class CatalogCode(ErrorCode):
    """Catalog codes."""

    # a dept-admin's discount code covers their departments' items only (issue 19, CAT-004)
    ITEM_NOT_MANAGED = (
        "item_not_managed", ErrorKind.FORBIDDEN,
        "… belongs to …, which you do not manage; your codes cover your departments' items only.",
    )

    AMOUNT_MUST_BE_POSITIVE = (
        "amount_must_be_positive", ErrorKind.INVALID,
        "A paid price must be more than zero.",
    )
    BUNDLE_NOT_CHEAPER = (
        "bundle_not_cheaper", ErrorKind.INVALID,
        "A bundle must cost less than its courses together (…).",
    )
    COURSE_NOT_MANAGED = (
        "course_not_managed", ErrorKind.FORBIDDEN,
        "… … belongs to …, which you do not manage; a program takes courses …",
    )
    COURSE_NOT_PUBLISHED = (
        "course_not_published", ErrorKind.INVALID,
        "… … is not published; publish it before adding it to a program.",
    )
    COURSE_WITHOUT_PRICE = (
        "course_without_price", ErrorKind.INVALID,
        "These courses have no … price in force: ….",
    )
    DISCOUNT_CODE_NOT_FOUND = (
        "discount_code_not_found", ErrorKind.NOT_FOUND,
        "No discount code … was found.",
    )
    DUPLICATE_COURSE = (
        "duplicate_course", ErrorKind.INVALID,
        "A course appears twice in the program.",
    )
    FREE_HAS_AMOUNT = "free_has_amount", ErrorKind.INVALID, "A free price has no amount."
    INTERVAL_NOT_ALLOWED = (
        "interval_not_allowed", ErrorKind.INVALID,
        "Only subscription plans have an interval.",
    )
    INTERVAL_REQUIRED = (
        "interval_required", ErrorKind.INVALID,
        "Choose monthly, quarterly or annual.",
    )
    CREDITS_NOT_ALLOWED = (
        "credits_not_allowed", ErrorKind.INVALID,
        "Only a course's or a credit pack's price gives session credits.",
    )
    CREDITS_REQUIRED = (
        "credits_required", ErrorKind.INVALID,
        "A credit pack's price gives at least one private session or group class.",
    )
    CREDITS_USED = (
        "credits_used", ErrorKind.CONFLICT,
        "…: … of its … credits are used and not refundable, so at most … can be refunded …",
    )
    CREDIT_PACK_NOT_FOUND = (
        "credit_pack_not_found", ErrorKind.NOT_FOUND, "No credit pack … was found.",
    )
    CREDIT_PACK_NOT_MANAGED = (
        "credit_pack_not_managed", ErrorKind.FORBIDDEN,
        "You can only manage the credit packs of your departments.",
    )
    INVALID_CREDIT_COUNT = "invalid_credit_count", ErrorKind.INVALID, "Enter 0 to 100 credits."
    # credits of a price and sessions' private slots (issue 17): catalog checks them first
    INVALID_CREDIT_EXPIRY = (
        "invalid_credit_expiry", ErrorKind.INVALID, "Credits expire after 0 to 3,650 days.",
    )
    INVALID_SLOT_LENGTH = (
        "invalid_slot_length", ErrorKind.INVALID, "Private sessions last 30 or 60 minutes.",
    )
    INVALID_CURRENCY = "invalid_currency", ErrorKind.INVALID, "Unknown currency …."
    INVALID_ITEM_TYPE = (
        "invalid_item_type", ErrorKind.INVALID,
        "Prices are for a course, a program, a department subscription plan or a credit pack.",
    )
    INVALID_PERCENT = "invalid_percent", ErrorKind.INVALID, "A percentage like 15 or 12.5, at most two decimals"
    INVALID_PRICE_TYPE = (
        "invalid_price_type", ErrorKind.INVALID,
        "Choose one-time, subscription or free.",
    )
    INVALID_TRIAL = "invalid_trial", ErrorKind.INVALID, "Trial days apply to plans, 0 to 365."
    SUBDEPARTMENTS_NOT_ALLOWED = (
        "subdepartments_not_allowed", ErrorKind.INVALID,
        "Only a department's subscription plan can include subdepartments.",
    )
    LIMIT_BELOW_USES = "limit_below_uses", ErrorKind.INVALID, "The code was already used … times."
    NOT_PUBLISHED = "not_published", ErrorKind.INVALID, "Publish … before pricing it."
    PERCENT_OUT_OF_RANGE = (
        "percent_out_of_range", ErrorKind.INVALID,
        "A percentage is more than 0 and at most 100.",
    )
    PRICE_NOT_FOUND = "price_not_found", ErrorKind.NOT_FOUND, "No price … was found."
    PRICE_OVERLAP = (
        "price_overlap", ErrorKind.INVALID,
        "This window overlaps the price of … from … until … UTC. Change the …",
    )
    PRICE_TYPE_MISMATCH = (
        "price_type_mismatch", ErrorKind.INVALID,
        "Subscription prices belong to department plans; courses and …",
    )
    PROGRAM_NOT_FOUND = "program_not_found", ErrorKind.NOT_FOUND, "No program … was found."
    PROGRAM_TOO_SMALL = (
        "program_too_small", ErrorKind.INVALID,
        "A program holds at least two courses.",
    )
    SAME_CURRENCY = (
        "same_currency", ErrorKind.INVALID,
        "… is the settlement currency; its rate is always 1.",
    )
    START_IN_PAST = "start_in_past", ErrorKind.INVALID, "A price cannot start in the past."
    UNKNOWN_ITEM = "unknown_item", ErrorKind.INVALID, "No … … exists."
    WINDOW_IN_PAST = "window_in_past", ErrorKind.INVALID, "The end is already past."
    WINDOW_INVERTED = "window_inverted", ErrorKind.INVALID, "The end must be after the start."


class LearningCode(ErrorCode):
    """Learning codes."""

    CIRCULAR_PREREQUISITE = (
        "circular_prerequisite", ErrorKind.INVALID,
        "A course cannot require itself, or a course that already requires it.",
    )
    TOO_MANY_PREREQUISITES = (
        "too_many_prerequisites", ErrorKind.INVALID, "List at most 10 prerequisite courses.",
    )
    UNKNOWN_PREREQUISITE = "unknown_prerequisite", ErrorKind.INVALID, "No course with that code."

    BOOKING_OVERLAPS = (
        "booking_overlaps", ErrorKind.CONFLICT,
        "The learner already has a booking at an overlapping time (named in the message).",
    )
    CAPACITY_BELOW_BOOKED = (
        "capacity_below_booked", ErrorKind.INVALID,
        "More seats are booked than the new capacity.",
    )
    INVALID_CAPACITY = "invalid_capacity", ErrorKind.INVALID, "Capacity is 1 to 1,000 seats."
    INVALID_SERIES = "invalid_series", ErrorKind.INVALID, "A series has 1 to 52 sessions."
    INVALID_STEP_MOVE = (
        "invalid_step_move", ErrorKind.CONFLICT, "This step is …; it can't become ….",
    )
    # course steps, their options and "all steps attended" (issue 17)
    GROUP_CLASS_NOT_FOUND = (
        "group_class_not_found", ErrorKind.NOT_FOUND, "No group class … was found.",
    )
    INVALID_STEP_POSITION = (
        "invalid_step_position", ErrorKind.INVALID, "Choose a position from 1 to ….",
    )
    NO_STEPS = (
        "no_steps", ErrorKind.INVALID,
        "This course has no steps: add its steps before requiring every step to be attended.",
    )
    OPTION_NOT_GROUP = (
        "option_not_group", ErrorKind.INVALID,
        "Only a group class can be a step's option; a private session is booked with a credit.",
    )
    OPTION_NOT_SCHEDULED = (
        "option_not_scheduled", ErrorKind.INVALID, "“…” is cancelled; choose a scheduled class.",
    )
    OPTION_OTHER_DEPARTMENT = (
        "option_other_department", ErrorKind.INVALID,
        "“…” belongs to another department than this course.",
    )
    STEP_DESCRIPTION_TOO_LONG = (
        "step_description_too_long", ErrorKind.INVALID,
        "A step's description is at most 5,000 characters.",
    )
    STEP_IN_USE = (
        "step_in_use", ErrorKind.CONFLICT,
        "Learners booked, attended or missed this step (or wait for it), so it cannot be "
        "deleted. Edit it instead.",
    )
    STEP_LABEL_REQUIRED = (
        "step_label_required", ErrorKind.INVALID, "Enter the step's label, like “Step 1”.",
    )
    STEP_LABEL_TOO_LONG = (
        "step_label_too_long", ErrorKind.INVALID, "A step's label is at most 40 characters.",
    )
    STEP_NOT_FOUND = "step_not_found", ErrorKind.NOT_FOUND, "No step … was found."
    STEP_TITLE_REQUIRED = "step_title_required", ErrorKind.INVALID, "Enter the step's title."
    STEP_TITLE_TOO_LONG = (
        "step_title_too_long", ErrorKind.INVALID, "A step's title is at most 200 characters.",
    )
    INVALID_TIME_ZONE = "invalid_time_zone", ErrorKind.INVALID, "Unknown time zone …."
    NO_CREDIT = (
        "no_credit", ErrorKind.CONFLICT, "The learner has no usable credit of that kind left.",
    )
    SESSION_ENDS_BEFORE_START = (
        "session_ends_before_start", ErrorKind.INVALID, "The end must be after the start.",
    )
    SESSION_FULL = (
        "session_full", ErrorKind.CONFLICT, "The session is full: join the waitlist instead.",
    )
    SESSION_IN_PAST = (
        "session_in_past", ErrorKind.INVALID, "A session is scheduled in the future.",
    )
    SESSION_STARTED = "session_started", ErrorKind.CONFLICT, "The session has already started."
    SESSION_TOO_LONG = "session_too_long", ErrorKind.INVALID, "A session lasts at most 12 hours."
    TIME_DOES_NOT_EXIST = (
        "time_does_not_exist", ErrorKind.INVALID,
        "The local time is skipped by a daylight-saving change on that day.",
    )
    ALREADY_CERTIFIED = "already_certified", ErrorKind.CONFLICT, "… already holds that certificate."
    ALREADY_REVOKED = "already_revoked", ErrorKind.CONFLICT, "… is already revoked."
    ASSESSMENT_INCOMPLETE = (
        "assessment_incomplete", ErrorKind.INVALID,
        "Name the assessment module and its passing score together.",
    )
    CERTIFICATE_NOT_FOUND = (
        "certificate_not_found", ErrorKind.NOT_FOUND,
        "No certificate … was found.",
    )
    CERTIFICATE_TEMPLATE_NOT_FOUND = (
        "certificate_template_not_found", ErrorKind.NOT_FOUND,
        "No certificate template … was found.",
    )
    CHOOSE_ITEM = "choose_item", ErrorKind.INVALID, "Choose a course or a program."
    DEPARTMENT_FIXED = (
        "department_fixed", ErrorKind.INVALID,
        "A template stays in its department; create a new one instead.",
    )
    ENROLLMENT_NOT_ACTIVE = "enrollment_not_active", ErrorKind.CONFLICT, "This enrollment is …."
    ENROLLMENT_NOT_FOUND = (
        "enrollment_not_found", ErrorKind.NOT_FOUND,
        "No enrollment request for order item ….",
    )
    ENROLLMENT_PENDING = (
        "enrollment_pending", ErrorKind.CONFLICT,
        "Your enrollment is not active yet.",
    )
    FUTURE_DATE = "future_date", ErrorKind.INVALID, "The completion date cannot be in the future."
    GRADE_TOO_LONG = "grade_too_long", ErrorKind.INVALID, "A grade is at most 16 characters."
    IMAGE_NOT_FOUND = "image_not_found", ErrorKind.NOT_FOUND, "No image … was found."
    IMAGE_OTHER_DEPARTMENT = (
        "image_other_department", ErrorKind.INVALID,
        "That image belongs to another department; upload it again for this …",
    )
    INVALID_CATEGORY = (
        "invalid_category", ErrorKind.INVALID,
        "Choose why the certificate is revoked.",
    )
    INVALID_CERTIFICATE_MOVE = (
        "invalid_certificate_move", ErrorKind.CONFLICT,
        "This certificate is …; it can't become ….",
    )
    INVALID_COLOUR = (
        "invalid_colour", ErrorKind.INVALID,
        "A colour is written #RRGGBB, e.g. #1f4e79.",
    )
    INVALID_FONT = "invalid_font", ErrorKind.INVALID, "Choose one of: …."
    INVALID_IMAGE = "invalid_image", ErrorKind.INVALID, "The image is too large: at most … MB."
    INVALID_MINUTES = "invalid_minutes", ErrorKind.INVALID, "Time spent cannot be negative."
    INVALID_ORIENTATION = "invalid_orientation", ErrorKind.INVALID, "Choose portrait or landscape."
    INVALID_PERCENTAGE = (
        "invalid_percentage", ErrorKind.INVALID,
        "The percentage is between 1 and 100.",
    )
    INVALID_PURPOSE = "invalid_purpose", ErrorKind.INVALID, "Unknown image purpose."
    INVALID_SCORE = "invalid_score", ErrorKind.INVALID, "The passing score is between 0 and 100."
    INVALID_STATUS = "invalid_status", ErrorKind.INVALID, "Choose a refund status."
    LEARNER_NOT_FOUND = "learner_not_found", ErrorKind.INVALID, "No learner has that email address."
    LMS_COURSE = (
        "lms_course", ErrorKind.CONFLICT,
        "Progress in this course is recorded by the learning platform; …",
    )
    NO_MODULES = "no_modules", ErrorKind.INVALID, "Choose the modules that must be completed."
    NOT_ENROLLED = "not_enrolled", ErrorKind.NOT_FOUND, "You are not enrolled in this course."
    NOTE_REQUIRED = (
        "note_required", ErrorKind.INVALID,
        "Say why in at least … characters (it is kept in the audit log).",
    )
    REASON_TOO_LONG = "reason_too_long", ErrorKind.INVALID, "At most … characters."
    REQUIRED = "required", ErrorKind.INVALID, "This text is required."
    SIGNATURE_NAME_REQUIRED = (
        "signature_name_required", ErrorKind.INVALID,
        "Each signature needs a name.",
    )
    STALE_TEMPLATE = (
        "stale_template", ErrorKind.CONFLICT,
        "Someone else changed this template; reload it and make your change …",
    )
    TEMPLATE_IN_USE = (
        "template_in_use", ErrorKind.CONFLICT,
        "… certificate… use this template, so it cannot be deleted. Make …",
    )
    TOO_LONG = "too_long", ErrorKind.INVALID, "At most … characters."
    TOO_MANY_SIGNATURES = "too_many_signatures", ErrorKind.INVALID, "At most … signatures."
    UNKNOWN_MODULE = (
        "unknown_module", ErrorKind.INVALID,
        "The assessment module is not in this course.",
    )
    UNKNOWN_VARIABLE = "unknown_variable", ErrorKind.INVALID, "A certificate template names a variable that does not exist"


class RevenueCode(ErrorCode):
    """Revenue codes."""

    INVALID_GROUP = (
        "invalid_group", ErrorKind.INVALID,
        "Group by course, creator, instructor, department or month.",
    )
    INVALID_PERIOD = (
        "invalid_period", ErrorKind.INVALID,
        "The first day must not be after the last day.",
    )
    INVALID_REFUND = "invalid_refund", ErrorKind.INVALID, "A refund is more than zero."
    INVALID_SCOPE = (
        "invalid_scope", ErrorKind.INVALID,
        "Choose a course, a department or the default.",
    )
    INVALID_SHARE = "invalid_share", ErrorKind.INVALID, "Each share is between 0 and 100 %."
    OVER_REFUND = (
        "over_refund", ErrorKind.CONFLICT,
        "That is more than is left to refund on this line.",
    )
    PERIOD_TOO_LONG = "period_too_long", ErrorKind.INVALID, "Pick a period of at most ten years."
    REVENUE_SHARE_RULE_NOT_FOUND = (
        "revenue_share_rule_not_found", ErrorKind.NOT_FOUND,
        "No revenue share rule … was found.",
    )
    SHARES_NOT_100 = (
        "shares_not_100", ErrorKind.INVALID,
        "The three shares must add up to exactly 100 % (they add up to … %).",
    )


class EnrollmentCode(ErrorCode):
    """Enrollment codes."""

    # who reviews a department's registrations (issue 19, REG-003)
    INVALID_REVIEWERS = (
        "invalid_reviewers", ErrorKind.INVALID,
        "Choose enrollment_admins, dept_admins or both.",
    )

    # a learner cancels only a registration waiting for approval (issue 19)
    REGISTRATION_NOT_CANCELLABLE = (
        "registration_not_cancellable", ErrorKind.CONFLICT,
        "Only a registration waiting for approval can be cancelled by the learner.",
    )
    # live sessions: scheduling, their admin's views, attendance (issue 17)
    UNKNOWN_LEARNER = (
        "unknown_learner", ErrorKind.NOT_FOUND, "No learner with the email the LMS named.",
    )
    BOOKING_CANCELLED = (
        "booking_cancelled", ErrorKind.CONFLICT,
        "This booking was cancelled: there is no attendance to mark.",
    )
    BOOKING_NOT_FOUND = "booking_not_found", ErrorKind.NOT_FOUND, "No booking … was found."
    INSTRUCTOR_OVERLAPS = (
        "instructor_overlaps", ErrorKind.CONFLICT,
        "The instructor already teaches another session then (named with its local time).",
    )
    INSTRUCTOR_REQUIRED = "instructor_required", ErrorKind.INVALID, "Choose the instructor."
    LIVE_SESSION_NOT_FOUND = (
        "live_session_not_found", ErrorKind.NOT_FOUND, "No live session … was found.",
    )
    LOCATION_TOO_LONG = "location_too_long", ErrorKind.INVALID, "Use at most 300 characters."
    SESSION_CANCELLED = "session_cancelled", ErrorKind.CONFLICT, "… was cancelled."
    SESSION_ENDED = (
        "session_ended", ErrorKind.CONFLICT, "The session ended on …; it can't be cancelled.",
    )
    SESSION_NOT_STARTED = (
        "session_not_started", ErrorKind.CONFLICT,
        "The session starts on …: attendance is marked once it has started.",
    )
    UNKNOWN_INSTRUCTOR = (
        "unknown_instructor", ErrorKind.INVALID, "No active user … can teach this session.",
    )
    WINDOW_TOO_SHORT = (
        "window_too_short", ErrorKind.INVALID, "The window holds no whole slot.",
    )

    ALREADY_OWNED = "already_owned", ErrorKind.CONFLICT, "The learner already owns this course or program"
    SUBSCRIPTION_REQUIRED = (
        "subscription_required", ErrorKind.FORBIDDEN,
        "The course is not included in a subscription the learner has.",
    )
    CONNECTOR_NOT_FOUND = "connector_not_found", ErrorKind.NOT_FOUND, "No connector … was found."
    ENROLLMENT_NOT_PENDING = "enrollment_not_pending", ErrorKind.CONFLICT, "This enrollment is …."
    INVALID_ACTION = "invalid_action", ErrorKind.INVALID, "Choose approve or reject."
    INVALID_ENROLLMENT_MOVE = (
        "invalid_enrollment_move", ErrorKind.CONFLICT,
        "This enrollment is …; it can't become ….",
    )
    INVALID_KIND = "invalid_kind", ErrorKind.INVALID, "Choose one of: …."
    INVALID_LMS_ID = "invalid_lms_id", ErrorKind.INVALID, "Give an lms_id of 1-64 characters."
    INVALID_LMS_USER_ID = (
        "invalid_lms_user_id", ErrorKind.INVALID,
        "An LMS user id is 1 to 100 characters.",
    )
    LMS_NOT_CONFIGURED = "lms_not_configured", ErrorKind.CONFLICT, "No LMS is configured."
    NOTHING_SELECTED = "nothing_selected", ErrorKind.INVALID, "Select at least one registration."
    REASON_TOO_SHORT = (
        "reason_too_short", ErrorKind.INVALID,
        "Give the learner a reason of at least … characters.",
    )
    REGISTRATION_ALREADY_DECIDED = (
        "registration_already_decided", ErrorKind.CONFLICT,
        "This registration is …; it can't become ….",
    )
    REGISTRATION_NOT_FOUND = (
        "registration_not_found", ErrorKind.NOT_FOUND,
        "No registration … was found.",
    )
    REPLAYED = "replayed", ErrorKind.CONFLICT, "This signed request was already received."
    SYNC_CONFLICT = (
        "sync_conflict", ErrorKind.CONFLICT,
        "Another sync changed these courses at the same time; send the …",
    )
    TOO_MANY = "too_many", ErrorKind.INVALID, "At most … at once."
    TOO_MANY_COURSES = "too_many_courses", ErrorKind.INVALID, "Send at most … courses per call."
    TOO_MANY_USERS = "too_many_users", ErrorKind.INVALID, "At most … users a request."
    UNKNOWN_DEPARTMENT = (
        "unknown_department", ErrorKind.INVALID,
        "Unknown department code(s): …. Nothing was synced.",
    )
    WRONG_CONNECTOR_KIND = (
        "wrong_connector_kind", ErrorKind.FORBIDDEN,
        "Only … connectors may call this route; this key belongs to a … …",
    )

    # bookings, credits and waitlists (issue 17)
    ALREADY_BOOKED = "already_booked", ErrorKind.CONFLICT, "You have already booked …."
    COURSE_NOT_OWNED = (
        "course_not_owned", ErrorKind.FORBIDDEN,
        "You don't have …: buy it (or enroll with your subscription) to book its steps.",
    )
    INVALID_WAITLIST_ORDER = (
        "invalid_waitlist_order", ErrorKind.INVALID,
        "List every waiting learner of the session once, in the new order.",
    )
    NOT_A_STEP_OPTION = (
        "not_a_step_option", ErrorKind.INVALID,
        "… is not one of the sessions of …: choose one of the step's options.",
    )
    OFFER_EXPIRED = (
        "offer_expired", ErrorKind.CONFLICT,
        "The waitlist offer has ended: the seat went to the next learner in line.",
    )
    OFFER_NOT_OPEN = "offer_not_open", ErrorKind.CONFLICT, "This waitlist offer is no longer open."
    REGISTRATION_PENDING = (
        "registration_pending", ErrorKind.CONFLICT,
        "The registration for … is waiting for approval: its steps can be booked once …",
    )
    SESSION_NOT_FULL = (
        "session_not_full", ErrorKind.CONFLICT, "… has a free seat: book it instead.",
    )
    STEP_ALREADY_BOOKED = (
        "step_already_booked", ErrorKind.CONFLICT,
        "The step is already booked, attended or missed: cancel its booking to choose …",
    )
    WAITLIST_ENTRY_NOT_FOUND = (
        "waitlist_entry_not_found", ErrorKind.NOT_FOUND, "No waitlist entry … was found.",
    )


class CommerceCode(ErrorCode):
    """Commerce codes."""

    # the one-call refund of a payment (issue 19, T-016-01)
    REFUND_IN_PROGRESS = (
        "refund_in_progress", ErrorKind.CONFLICT,
        "A refund with this Idempotency-Key is still being made; ask again in a moment.",
    )

    # abandoned-cart reminders and order cancellation (issue 19)
    INVALID_UNSUBSCRIBE_LINK = (
        "invalid_unsubscribe_link", ErrorKind.INVALID,
        "The unsubscribe link is not genuine or was damaged.",
    )
    ORDER_NOT_CANCELLABLE = (
        "order_not_cancellable", ErrorKind.CONFLICT,
        "Only a completed or partly refunded order can be cancelled (not a disputed one).",
    )
    # a learner deletes their account (issue 19, personal data)
    DELETION_EMAIL_MISMATCH = (
        "deletion_email_mismatch", ErrorKind.INVALID,
        "Type the email of your account exactly to confirm the deletion.",
    )
    DELETION_PAYMENT_IN_FLIGHT = (
        "deletion_payment_in_flight", ErrorKind.CONFLICT,
        "A payment of order … is still being made; delete the account once it settled.",
    )
    DELETION_SUBSCRIPTION_LIVE = (
        "deletion_subscription_live", ErrorKind.CONFLICT,
        "A subscription still renews; cancel it first, then delete the account.",
    )
    DELETION_ADMIN_ACCOUNT = (
        "deletion_admin_account", ErrorKind.CONFLICT,
        "An account with an admin role is not deleted here; a super-admin removes its roles.",
    )

    # invoices and credit notes (issue 19)
    CREDIT_NOTE_NOT_FOUND = (
        "credit_note_not_found", ErrorKind.NOT_FOUND, "No credit note … was found.",
    )
    INVOICE_NOT_FOUND = "invoice_not_found", ErrorKind.NOT_FOUND, "No invoice … was found."
    SELLER_ADDRESS_TOO_LONG = (
        "seller_address_too_long", ErrorKind.INVALID, "Keep the address under 1,000 characters.",
    )
    SELLER_NAME_REQUIRED = (
        "seller_name_required", ErrorKind.INVALID, "Enter the seller's legal name.",
    )
    SELLER_NAME_TOO_LONG = (
        "seller_name_too_long", ErrorKind.INVALID, "Keep the name under 200 characters.",
    )
    SELLER_TAX_ID_INVALID = (
        "seller_tax_id_invalid", ErrorKind.INVALID,
        "A tax id has letters, digits, spaces, dots, dashes or slashes (at most 64).",
    )
    INVALID_ITEM = "invalid_item", ErrorKind.INVALID, "Send a course_id or a program_id."
    INVALID_METADATA = (
        "invalid_metadata", ErrorKind.INVALID,
        "At most 10 metadata entries of text, keys up to 40 and values up to 200 characters.",
    )
    PROCESSOR_NOT_OFFERED = (
        "processor_not_offered", ErrorKind.INVALID,
        "The course's department pays through another processor (named).",
    )

    CANNOT_ENROLL = (
        "cannot_enroll", ErrorKind.CONFLICT,
        "The course's enrollment closed, or its prerequisites are not completed (named).",
    )

    INVALID_CLOCK_MOVE = (
        "invalid_clock_move", ErrorKind.INVALID, "Move the clock forward by 1 hour to 10 years.",
    )
    PAYMENT_METHOD_REQUIRED = "payment_method_required", ErrorKind.INVALID, "Enter the new card."
    PLAN_NOT_AVAILABLE = (
        "plan_not_available", ErrorKind.CONFLICT,
        "The plan is no longer offered, or is not one of the subscription's department.",
    )
    PLAN_NOT_FOUND = "plan_not_found", ErrorKind.NOT_FOUND, "No such subscription plan."
    SUBSCRIPTION_NOT_CHANGEABLE = (
        "subscription_not_changeable", ErrorKind.CONFLICT,
        "The subscription's state does not allow this change (named in the message).",
    )
    SUBSCRIPTION_NOT_FOUND = "subscription_not_found", ErrorKind.NOT_FOUND, "No such subscription."
    TEST_CLOCK_REFUSED = (
        "test_clock_refused", ErrorKind.FORBIDDEN, "The test clock only moves outside production.",
    )
    ABOVE_REQUEST = (
        "above_request", ErrorKind.INVALID,
        "You can approve the amount asked for or less.",
    )
    ALREADY_EXEMPT = "already_exempt", ErrorKind.CONFLICT, "… is already tax exempt."
    ALREADY_IN_CART = "already_in_cart", ErrorKind.CONFLICT, "… is already in your cart."
    ALREADY_SUBSCRIBED = (
        "already_subscribed", ErrorKind.CONFLICT,
        "The learner already has a live subscription to this department (named in the message).",
    )
    AMOUNT_TOO_LARGE = (
        "amount_too_large", ErrorKind.INVALID,
        "That amount is too large to calculate tax on.",
    )
    CART_EMPTY = "cart_empty", ErrorKind.CONFLICT, "Add something to your cart first."
    CART_NOT_READY = "cart_not_ready", ErrorKind.CONFLICT, "The cart changed or has lines that cannot be bought"
    CHECKOUT_IN_PROGRESS = (
        "checkout_in_progress", ErrorKind.CONFLICT,
        "Your cart is being checked out elsewhere; try again in a moment.",
    )
    CHECKOUT_PAID = (
        "checkout_paid", ErrorKind.CONFLICT,
        "Your earlier checkout … was paid meanwhile: see My orders before …",
    )
    CODE_NO_LONGER_VALID = (
        "code_no_longer_valid", ErrorKind.CONFLICT,
        "Your discount code no longer applies: … It was removed; review …",
    )
    CODE_USED_UP = "code_used_up", ErrorKind.CONFLICT, "This code has just reached its usage limit."
    COUNTRY_REQUIRED = "country_required", ErrorKind.INVALID, "Choose a country."
    FOUR_EYES = (
        "four_eyes", ErrorKind.FORBIDDEN,
        "You can't decide this refund because …: another billing admin or a …",
    )
    IDEMPOTENCY_CONFLICT = (
        "idempotency_conflict", ErrorKind.CONFLICT,
        "This idempotency key was used for a different checkout request.",
    )
    IN_CART_PROGRAM = "in_cart_program", ErrorKind.CONFLICT, "The course is part of a program already in the cart"
    INVALID_AMOUNT = "invalid_amount", ErrorKind.INVALID, "A refund is more than zero."
    INVALID_AMOUNT_RANGE = (
        "invalid_amount_range", ErrorKind.INVALID,
        "The minimum total must not be above the maximum.",
    )
    INVALID_COUNTRY = (
        "invalid_country", ErrorKind.INVALID,
        "… is not a country code; use two letters like US or GB.",
    )
    INVALID_DATE_RANGE = (
        "invalid_date_range", ErrorKind.INVALID,
        "The start date must be before the end date.",
    )
    # the orders and payments export for accounting (issue 19)
    EXPORT_TOO_LARGE = (
        "export_too_large", ErrorKind.INVALID,
        "… orders match: export at most … at a time (narrow the dates).",
    )
    INVALID_DISPLAY_CURRENCY = (
        "invalid_display_currency", ErrorKind.INVALID,
        "Prices can't be shown in ….",
    )
    INVALID_DOMAIN = (
        "invalid_domain", ErrorKind.INVALID,
        "Enter a learner's e-mail or an organization's e-mail domain like …",
    )
    INVALID_EVENT = (
        "invalid_event", ErrorKind.INVALID,
        "Name the event with a-z, 0-9, '.', '_' or '-'.",
    )
    INVALID_IDEMPOTENCY_KEY = (
        "invalid_idempotency_key", ErrorKind.INVALID,
        "Send an Idempotency-Key of 8 to 100 letters, digits or - _ . : …",
    )
    INVALID_ORDER_MOVE = (
        "invalid_order_move", ErrorKind.CONFLICT,
        "This order is …; it can't become ….",
    )
    INVALID_PAYMENT_MOVE = (
        "invalid_payment_move", ErrorKind.CONFLICT,
        "This payment is …; it can't become ….",
    )
    INVALID_POSTAL_CODE = "invalid_postal_code", ErrorKind.INVALID, "That postal code is too long."
    INVALID_SUBSCRIPTION_MOVE = (
        "invalid_subscription_move", ErrorKind.CONFLICT,
        "This subscription is …; it can't become ….",
    )
    INVALID_PROCESSOR = "invalid_processor", ErrorKind.INVALID, "No such processor."
    INVALID_RATE = "invalid_rate", ErrorKind.INVALID, "Enter the rate as a percent like 8.875."
    INVALID_REFUND_MOVE = "invalid_refund_move", ErrorKind.CONFLICT, "A … refund cannot become …."
    INVALID_REGION = (
        "invalid_region", ErrorKind.INVALID,
        "Use up to … letters or digits for the region, like NY or ON, or …",
    )
    INVALID_SIGNATURE = "invalid_signature", ErrorKind.INVALID, "Webhook refused: …"
    ITEM_NOT_FOR_SALE = "item_not_for_sale", ErrorKind.INVALID, "… is not for sale."
    ITEM_NOT_FOUND = "item_not_found", ErrorKind.NOT_FOUND, "No … … is for sale."
    LABEL_TOO_LONG = "label_too_long", ErrorKind.INVALID, "Keep the label under … characters."
    LINE_NOT_FOUND = "line_not_found", ErrorKind.NOT_FOUND, "That item is no longer in your cart."
    NO_PAYMENT = "no_payment", ErrorKind.CONFLICT, "This order has no payment to confirm yet."
    NOT_REFUNDABLE = "not_refundable", ErrorKind.CONFLICT, "A … order cannot be refunded."
    NOT_REPLAYABLE = (
        "not_replayable", ErrorKind.CONFLICT,
        "This event is …; only failed or dead events can be replayed.",
    )
    NOT_RETRYABLE = (
        "not_retryable", ErrorKind.CONFLICT,
        "Only a failed or unfinished refund is retried.",
    )
    NOTE_TOO_LONG = "note_too_long", ErrorKind.INVALID, "Keep the note under 500 characters."
    NOTHING_CAPTURED = (
        "nothing_captured", ErrorKind.CONFLICT,
        "This order has no captured payment to refund.",
    )
    ORDER_DISPUTED = (
        "order_disputed", ErrorKind.CONFLICT,
        "The payment of this order is disputed at the processor (a …",
    )
    ORDER_NOT_FOUND = "order_not_found", ErrorKind.NOT_FOUND, "No order … was found."
    ORDER_NOT_PAYABLE = "order_not_payable", ErrorKind.CONFLICT, "This order is …."
    ORGANIZATION_REQUIRED = (
        "organization_required", ErrorKind.INVALID,
        "Name the exempt organization.",
    )
    ORGANIZATION_TOO_LONG = (
        "organization_too_long", ErrorKind.INVALID,
        "Keep the organization under 200 characters.",
    )
    PAYMENT_EVENT_NOT_FOUND = (
        "payment_event_not_found", ErrorKind.NOT_FOUND,
        "No payment event … was found.",
    )
    PAYMENT_NOT_FOUND = (
        "payment_not_found", ErrorKind.NOT_FOUND,
        "No such payment is waiting for you.",
    )
    PAYMENT_REVIEW = (
        "payment_review", ErrorKind.FORBIDDEN,
        "Your account is being reviewed after several failed payments. Our …",
    )
    PAYMENT_REVIEW_NOT_FOUND = (
        "payment_review_not_found", ErrorKind.NOT_FOUND,
        "This learner is not held for payment review.",
    )
    PAYMENT_UNAVAILABLE = (
        "payment_unavailable", ErrorKind.CONFLICT,
        "The payment service could not close your earlier checkout: …",
    )
    PROCESSOR_NOT_CONFIGURED = "processor_not_configured", ErrorKind.INVALID, "The payment processor is not set up"
    PROCESSOR_UNAVAILABLE = (
        "processor_unavailable", ErrorKind.CONFLICT,
        "Payments for these courses can't be taken right now: the school's payment processor "
        "is being set up.",
    )
    RATE_REQUIRED = "rate_required", ErrorKind.INVALID, "Enter the tax rate in percent."
    RATE_TOO_HIGH = "rate_too_high", ErrorKind.INVALID, "A tax rate cannot exceed 100%."
    RATE_TOO_PRECISE = (
        "rate_too_precise", ErrorKind.INVALID,
        "Use at most 4 decimal places for the percent (e.g. 8.8750).",
    )
    REFERENCE_TOO_LONG = (
        "reference_too_long", ErrorKind.INVALID,
        "Keep the certificate reference under 120 characters.",
    )
    REFUND_REQUEST_NOT_FOUND = (
        "refund_request_not_found", ErrorKind.NOT_FOUND,
        "No refund request … was found.",
    )
    REQUEST_OPEN = (
        "request_open", ErrorKind.CONFLICT,
        "A refund request for this order is already waiting for a decision.",
    )
    SUBJECT_REQUIRED = (
        "subject_required", ErrorKind.INVALID,
        "Enter the learner's e-mail or the organization's e-mail domain.",
    )
    TAX_ADDRESS_INVALID = (
        "tax_address_invalid", ErrorKind.INVALID,
        "Tax could not be calculated for that address: …. Check the …",
    )
    TAX_EXEMPTION_NOT_FOUND = (
        "tax_exemption_not_found", ErrorKind.NOT_FOUND,
        "No tax exemption … was found.",
    )
    TAX_RATE_NOT_FOUND = "tax_rate_not_found", ErrorKind.NOT_FOUND, "No tax rate … was found."
    TAX_RATE_SCOPE_TAKEN = (
        "tax_rate_scope_taken", ErrorKind.CONFLICT,
        "Another rate already covers that country, region and department; …",
    )
    TAX_UNAVAILABLE = "tax_unavailable", ErrorKind.CONFLICT, "Tax cannot be calculated right now"
    TOTAL_CHANGED = (
        "total_changed", ErrorKind.CONFLICT,
        "Your total changed to …. Review your cart and check out again.",
    )
    UNKNOWN_LINE = "unknown_line", ErrorKind.INVALID, "That item is not part of this order."
    UNKNOWN_PROCESSOR = "unknown_processor", ErrorKind.NOT_FOUND, "No payment processor called …."
    NO_WEBHOOKS = "no_webhooks", ErrorKind.INVALID, "This processor sends no webhooks."
    SUBSCRIPTIONS_UNAVAILABLE = (
        "subscriptions_unavailable", ErrorKind.CONFLICT,
        "Subscriptions can't be paid through this processor.",
    )
    BILLING_ADDRESS_REQUIRED = (
        "billing_address_required", ErrorKind.INVALID,
        "Choose your billing country (and state or province where tax depends on it).",
    )


AREA_CODES: tuple[type[ErrorCode], ...] = (
    CommonCode, PlatformCode, CatalogCode, LearningCode, RevenueCode, EnrollmentCode, CommerceCode,
)


def code_named(value: str) -> ErrorCode | None:
    """The registered code of this value, or None."""
    for enum in AREA_CODES:
        if value in enum._value2member_map_:
            return enum(value)
    return None

