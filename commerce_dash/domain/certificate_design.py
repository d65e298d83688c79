"""What a certificate looks like: a template's design, the facts printed on it, and the
``{{variable}}`` substitution between them. Pure: no database, no reportlab."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from commerce_dash.domain.errors import DomainError

ORIENTATIONS = ("landscape", "portrait")
# reportlab's built-in families (regular, bold); the label is what the template editor shows.
FONTS: dict[str, str] = {
    "Helvetica": "Sans serif (Helvetica)",
    "Times-Roman": "Serif (Times)",
    "Courier": "Monospace (Courier)",
}
VARIABLES: dict[str, str] = {
    "recipientName": "The learner's name",
    "courseTitle": "The course or program title",
    "certificateTitle": "The certificate's title",
    "departmentName": "The department",
    "completionDate": "Date the course or program was completed",
    "issueDate": "Date the certificate was issued",
    "expiryDate": "Date it expires (empty when it does not)",
    "certificateNumber": "The certificate number",
    "grade": "Grade (empty when none)",
    "percentage": "Score in percent (empty when none)",
    "verificationUrl": "The public verification address",
}
MAX_SIGNATURES = 3
MAX_TITLE = 120
MAX_BODY = 1000
MAX_FOOTER = 300
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

DEFAULT_BODY = (
    "This is to certify that {{recipientName}} has successfully completed "
    "{{courseTitle}} on {{completionDate}}."
)


@dataclass(frozen=True)
class Signature:
    name: str
    title: str = ""
    image: bytes | None = None  # PNG or JPEG


@dataclass(frozen=True)
class TemplateDesign:
    orientation: str = "landscape"
    title_text: str = "Certificate of Completion"
    body_text: str = DEFAULT_BODY
    footer_text: str = ""
    font: str = "Helvetica"
    primary_color: str = "#1f4e79"
    signatures: tuple[Signature, ...] = ()
    background: bytes | None = None  # PNG or JPEG, drawn to fill the page
    logo: bytes | None = None  # the department's logo, PNG or JPEG


@dataclass(frozen=True)
class CertificateFacts:
    number: str
    recipient_name: str
    course_title: str  # the course's or the program's title
    certificate_title: str
    department_name: str
    completed_on: date
    issued_on: date
    verification_url: str
    expires_on: date | None = None
    grade: str = ""
    percentage: int | None = None
    revoked: bool = False  # a revoked certificate's PDF carries a "REVOKED" mark
    extra: Mapping[str, str] = field(default_factory=dict)


def format_date(value: date | None) -> str:
    """``22 November 2026`` (unambiguous in every locale); empty for None."""
    return f"{value.day} {value:%B %Y}" if value else ""


def variables_of(facts: CertificateFacts) -> dict[str, str]:
    return {
        "recipientName": facts.recipient_name,
        "courseTitle": facts.course_title,
        "certificateTitle": facts.certificate_title,
        "departmentName": facts.department_name,
        "completionDate": format_date(facts.completed_on),
        "issueDate": format_date(facts.issued_on),
        "expiryDate": format_date(facts.expires_on),
        "certificateNumber": facts.number,
        "grade": facts.grade,
        "percentage": "" if facts.percentage is None else f"{facts.percentage}%",
        "verificationUrl": facts.verification_url,
    }


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace every ``{{name}}`` with its value (unknown names become empty)."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1), ""), text)


def unknown_variables(text: str) -> list[str]:
    return sorted({m.group(1) for m in _VARIABLE.finditer(text)} - VARIABLES.keys())


def validate_design(design: TemplateDesign) -> None:
    """Raise DomainError (naming the field) for a design that cannot be rendered."""
    if design.orientation not in ORIENTATIONS:
        raise DomainError("invalid_orientation", "Choose portrait or landscape.",
                          field="orientation")
    if design.font not in FONTS:
        raise DomainError("invalid_font", f"Choose one of: {', '.join(FONTS.values())}.",
                          field="font")
    if not _COLOUR.match(design.primary_color):
        raise DomainError("invalid_colour", "A colour is written #RRGGBB, e.g. #1f4e79.",
                          field="primary_color")
    for name, text, limit, required in (
        ("title_text", design.title_text, MAX_TITLE, True),
        ("body_text", design.body_text, MAX_BODY, True),
        ("footer_text", design.footer_text, MAX_FOOTER, False),
    ):
        if required and not text.strip():
            raise DomainError("required", "This text is required.", field=name)
        if len(text) > limit:
            raise DomainError("too_long", f"At most {limit} characters.", field=name)
        unknown = unknown_variables(text)
        if unknown:
            raise DomainError(
                "unknown_variable",
                f"Unknown variable {{{{{unknown[0]}}}}}; use one of: "
                + ", ".join(f"{{{{{v}}}}}" for v in VARIABLES) + ".",
                field=name,
            )
    if len(design.signatures) > MAX_SIGNATURES:
        raise DomainError("too_many_signatures", f"At most {MAX_SIGNATURES} signatures.",
                          field="signatures")
    for signature in design.signatures:
        if not signature.name.strip():
            raise DomainError("signature_name_required", "Each signature needs a name.",
                              field="signatures")
        if len(signature.name) > 80 or len(signature.title) > 80:
            raise DomainError("too_long", "Signature names and titles are at most 80 "
                              "characters.", field="signatures")
