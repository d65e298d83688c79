"""The refund queue's approve dialog says what approving does before the admin confirms: the
amount, the registrations cancelled, the enrollments ended and the certificates revoked by
number; a lower amount, once the field is left, says the learner keeps the courses."""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.enrollment import Enrollment
from commerce_dash.pages.admin.refunds_state import RefundsState
from commerce_dash.services.commerce import refunds
from commerce_dash.services.learning.progress import ProgressReport, record_progress
from tests.builders import buy, course_modules, number_of
from tests.pages.harness import run_event, state_as


def test_the_dialog_lists_what_approving_does(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor
) -> None:
    # given Lee bought PY101, earned its certificate, and asks for the money back
    module = course_modules(session, shop.courses["PY101"], n=1)[0]
    order = buy(session, learner, shop, ("course", "PY101"))
    enrollment = session.exec(select(Enrollment)).one()
    record_progress(session=session, report=ProgressReport(enrollment.id or 0, module, True))
    certificate = session.exec(select(Certificate)).one()
    refunds.request_refund(
        session=session, actor=learner, number=number_of(order), reason="Bought by mistake, sorry."
    )
    queue = state_as(session, RefundsState, routes.ADMIN_REFUNDS)
    run_event(RefundsState.load, queue)

    # when the billing admin opens Approve…
    run_event(RefundsState.open_approve, queue, queue.rows[0]["id"])

    # then the dialog lists the steps, the certificate by its number
    steps = " | ".join(queue.approve_steps)
    assert queue.approve_open and queue.approve_preview_note == ""
    assert "Pay back $100.00" in steps and "becomes refunded" in steps
    assert "Cancel registration REG-" in steps and "(Course PY101)" in steps
    assert "End the enrollment in Course PY101." in steps
    assert f"Revoke certificate {certificate.number}" in steps
    # and nothing happened yet
    session.expire_all()
    assert session.exec(select(Certificate)).one().status == "active"

    # when a lower amount is typed and the field left
    run_event(RefundsState.set_approve_amount, queue, "40")
    run_event(RefundsState.preview_amount, queue, "40")
    steps = " | ".join(queue.approve_steps)
    assert "Pay back $40.00" in steps and "partially refunded" in steps
    assert "keeps their courses" in steps and "Revoke" not in steps
    # a wrong amount: its error beside the field, no steps
    run_event(RefundsState.set_approve_amount, queue, "400")
    run_event(RefundsState.preview_amount, queue, "400")
    assert queue.approve_steps == [] and "At most $100.00" in queue.approve_error

    # when the full amount is approved, the certificate is revoked as listed
    run_event(RefundsState.set_approve_amount, queue, "100.00")
    run_event(RefundsState.confirm_approve, queue)
    session.expire_all()
    assert session.exec(select(Certificate)).one().status == "revoked"
