"""Which processor takes a department's payments, and the processor screen.

The choice is the billing admins' (the processor screen, audited), else the environment's
(COMMERCE_PROCESSOR_BY_DEPARTMENT, COMMERCE_PAYMENT_PROCESSOR). Keys and secrets stay in
the environment and are never shown: the screen says which are present. A department whose
processor is not set up cannot sell: checkout refuses it with a message for the learner,
and the overview alerts the admins.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.dates import when
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.catalog import Department
from commerce_dash.models.commerce import PaymentEvent, ProcessorChoice
from commerce_dash.payments.configuration import (
    CHOOSABLE,
    LABELS,
    SUBSCRIPTION_PROCESSORS,
    ProcessorConfig,
    processor_config,
    signed_test_event,
    webhook_secret_setting,
)
from commerce_dash.payments.factory import reset_processors, sandbox_secret
from commerce_dash.services.commerce.payment_events import WebhookOutcome, receive_webhook
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

SECTION = "processors"
DEFAULT_KEY = "default"


def _department_key(department_id: int) -> str:
    return f"department:{department_id}"


def _chosen(session: Session) -> dict[str, str]:
    return {row.scope_key: row.processor for row in session.exec(select(ProcessorChoice)).all()}


def default_processor(session: Session) -> str:
    return _chosen(session).get(DEFAULT_KEY) or get_settings().processor_for(None)


def _for_department(chosen: dict[str, str], department: Department) -> tuple[str, str]:
    """(processor, where the choice comes from) for one department."""
    settings = get_settings()
    if department.id is not None and _department_key(department.id) in chosen:
        return chosen[_department_key(department.id)], "screen"
    if department.code in settings.processor_by_department:
        return settings.processor_by_department[department.code], "environment"
    return chosen.get(DEFAULT_KEY) or settings.processor_for(None), "default"


def processor_for_departments(session: Session, department_ids: set[int]) -> str:
    """One processor for an order: the departments' own if they agree, else the default."""
    chosen = _chosen(session)
    departments = session.exec(select(Department).where(
        col(Department.id).in_(department_ids))).all()
    picked = {_for_department(chosen, d)[0] for d in departments}
    return picked.pop() if len(picked) == 1 else (chosen.get(DEFAULT_KEY)
                                                  or get_settings().processor_for(None))


def require_configured(name: str) -> None:
    """Refuse to sell through a processor whose keys are missing, with the learner's
    message (the admins see which setting on the processor screen and the overview)."""
    if name == "none":
        return
    config = processor_config(name, get_settings())
    if not config.configured:
        raise DomainError(
            "processor_unavailable",
            "Payments for these courses can't be taken right now: the school's payment "
            "processor is being set up. Nothing was charged; please try again later.",
            kind=ErrorKind.CONFLICT)


def subscription_processor_name(session: Session, department_id: int) -> str:
    """The processor of a department's subscriptions: its own when it runs subscriptions,
    else the default's when that one does."""
    name = processor_for_departments(session, {department_id})
    require_configured(name)
    if name in SUBSCRIPTION_PROCESSORS:
        return name
    fallback = default_processor(session)
    if fallback in SUBSCRIPTION_PROCESSORS:
        return fallback
    raise DomainError("subscriptions_unavailable",
                      f"Subscriptions can't be paid through {LABELS.get(name, name)}: ask a "
                      "billing admin to choose Stripe as the default processor.",
                      kind=ErrorKind.CONFLICT)


def subscription_processor_of(*, session: Session, department_code: str) -> str:
    """:func:`subscription_processor_name` of a department by its code ("" when unknown)."""
    department_id = session.exec(select(Department.id).where(
        Department.code == department_code.strip().upper())).first()
    return subscription_processor_name(session, department_id) if department_id is not None else ""


# -- the processor screen --------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessorRow:
    config: ProcessorConfig
    last_webhook: str  # when its last webhook arrived, or ""
    departments: int  # how many departments it takes payments for


@dataclass(frozen=True)
class DepartmentProcessor:
    department_id: int
    code: str
    name: str
    processor: str
    source: str  # screen | environment | default
    configured: bool


@dataclass(frozen=True)
class ProcessorScreen:
    default: str
    default_source: str  # screen | environment
    processors: list[ProcessorRow]
    departments: list[DepartmentProcessor]

    @property
    def unconfigured(self) -> list[DepartmentProcessor]:
        return [d for d in self.departments if not d.configured]


def _screen(session: Session) -> ProcessorScreen:
    settings = get_settings()
    chosen = _chosen(session)
    configs = {name: processor_config(name, settings) for name in CHOOSABLE}
    departments = []
    for dept in session.exec(select(Department).order_by(col(Department.code))).all():
        assert dept.id is not None
        name, source = _for_department(chosen, dept)
        config = configs.get(name) or processor_config(name, settings)
        departments.append(DepartmentProcessor(dept.id, dept.code, dept.name, name, source,
                                               config.configured))
    last = dict(session.exec(
        select(PaymentEvent.processor, func.max(PaymentEvent.received_at))
        .where(PaymentEvent.source == "webhook").group_by(col(PaymentEvent.processor))).all())
    rows = [ProcessorRow(config, when(last.get(name)),
                         sum(1 for d in departments if d.processor == name))
            for name, config in configs.items()]
    return ProcessorScreen(chosen.get(DEFAULT_KEY) or settings.processor_for(None),
                           "screen" if DEFAULT_KEY in chosen else "environment", rows,
                           departments)


def processor_screen(*, session: Session, actor: Actor | None) -> ProcessorScreen:
    require_section(actor, SECTION)
    return _screen(session)


def unconfigured_departments(*, session: Session) -> list[str]:
    """Departments that cannot sell because their processor lacks keys (the overview)."""
    return [f"{d.name} ({LABELS.get(d.processor, d.processor)})"
            for d in _screen(session).unconfigured]


def choose_processor(*, session: Session, actor: Actor | None, department_id: int | None,
                     processor: str | None) -> str:
    """Set the default processor (``department_id`` None) or a department's; a department's
    ``processor`` None goes back to the default. A processor lacking its keys or its webhook
    secret is refused, naming the settings. Audited; choosing what is chosen changes nothing."""
    actor = require_section(actor, SECTION)
    settings = get_settings()
    if processor is not None:
        if processor not in CHOOSABLE:
            raise DomainError("invalid_processor",
                              f"Choose one of {', '.join(CHOOSABLE)}.", field="processor")
        config = processor_config(processor, settings)
        missing = list(config.missing)
        if config.sends_webhooks and not config.webhook_secret:
            missing.append(webhook_secret_setting(processor))
        if missing:
            raise DomainError(
                "processor_not_configured",
                f"{config.label} can't take payments yet: set {', '.join(missing)} in the "
                "environment and restart, then choose it here.", field="processor")
    elif department_id is None:
        raise DomainError("invalid_processor", "Choose the default processor.",
                          field="processor")
    key = DEFAULT_KEY
    label = "the default"
    if department_id is not None:
        department = session.get(Department, department_id)
        if department is None:
            raise DomainError("department_not_found", "No such department.",
                              kind=ErrorKind.NOT_FOUND)
        key, label = _department_key(department_id), department.name
    row = session.exec(select(ProcessorChoice).where(ProcessorChoice.scope_key == key)).first()
    before = row.processor if row is not None else None
    if before == processor:
        session.commit()
        return processor or default_processor(session)
    if processor is None:
        if row is not None:
            session.delete(row)
    else:
        row = row or ProcessorChoice(scope_key=key, department_id=department_id, processor="")
        row.processor, row.updated_by_id, row.updated_at = processor, actor.user_id, utcnow()
        session.add(row)
    record_audit(session=session, actor=actor, action="processor.chosen",
                 entity_type="department" if department_id is not None else "settings",
                 entity_id=department_id if department_id is not None else "processor",
                 before={"processor": before}, after={"processor": processor},
                 reason=f"Payment processor for {label}.")
    session.commit()
    reset_processors()
    return processor or default_processor(session)


def send_test_webhook(*, session: Session, actor: Actor | None, processor: str) -> WebhookOutcome:
    """Sign a harmless event with the configured webhook secret, as the processor signs its
    own, and run it through the webhook intake: it proves the secret and the route's checks
    (the event is stored and ignored). Audited."""
    actor = require_section(actor, SECTION)
    settings = get_settings()
    if processor not in CHOOSABLE:
        raise DomainError("invalid_processor", f"Choose one of {', '.join(CHOOSABLE)}.",
                          field="processor")
    config = processor_config(processor, settings)
    if not config.webhook_secret:
        raise DomainError("processor_not_configured",
                          f"{config.label}'s webhooks can't be verified: set "
                          f"{webhook_secret_setting(processor)}.", field="processor")
    signed = signed_test_event(processor, settings, sandbox_secret(settings))
    if signed is None:
        raise DomainError("no_webhooks", f"{config.label} sends no webhooks.",
                          field="processor")
    body, headers = signed
    record_audit(session=session, actor=actor, action="processor.test_webhook",
                 entity_type="settings", entity_id=processor,
                 reason=f"Test webhook for {config.label}.")
    session.commit()
    return receive_webhook(session=session, processor=processor, body=body, headers=headers)
