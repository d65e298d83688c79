"""The seller printed on invoices (issue 19): the details a billing admin keeps (one row,
audited) and what invoices use before anyone set them. Invoices snapshot them when issued."""

from __future__ import annotations

import re

from sqlmodel import Session

from commerce_dash.domain.accounts import normalise_email
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.invoices import SellerInfo
from commerce_dash.models.invoices import SellerDetails
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

SELLER_SECTION = "settings"  # the Tax & currency page, billing admins
_SELLER_ID = 1
NAME_MAX, ADDRESS_MAX, TAX_ID_MAX = 200, 1000, 64
_TAX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]*$")


def seller_details(session: Session) -> SellerInfo:
    """The seller's details as a billing admin set them; before that, the app's sender name
    and address (so an invoice is never issued without a seller)."""
    row = session.get(SellerDetails, _SELLER_ID)
    if row is not None:
        return SellerInfo(row.name, row.address, row.tax_id, row.email)
    sender = get_settings().email_from
    name, _, rest = sender.partition("<")
    return SellerInfo(name.strip() or "Commerce Dash", "", "", rest.rstrip(">").strip())


def save_seller_details(
    *, session: Session, actor: Actor | None, name: str, address: str, tax_id: str, email: str
) -> SellerInfo:
    """A billing admin sets the seller's details (audited, commits). Invoices issued before
    keep the details they were issued with."""
    require_section(actor, SELLER_SECTION)
    assert actor is not None
    info = clean_seller(name, address, tax_id, email)
    row = session.get(SellerDetails, _SELLER_ID)
    before = (
        None if row is None else SellerInfo(row.name, row.address, row.tax_id, row.email).as_dict()
    )
    if before == info.as_dict():
        return info  # nothing changed: no audit row
    row = row or SellerDetails(id=_SELLER_ID, name=info.name)
    row.name, row.address, row.tax_id, row.email = (
        info.name,
        info.address,
        info.tax_id,
        info.email,
    )
    row.updated_by_id, row.updated_at = actor.user_id, utcnow()
    session.add(row)
    record_audit(
        session=session,
        actor=actor,
        action="seller_details.updated",
        entity_type="seller_details",
        entity_id=_SELLER_ID,
        before=before,
        after=info.as_dict(),
    )
    session.commit()
    return info


def clean_seller(name: str, address: str, tax_id: str, email: str) -> SellerInfo:
    """The seller's details checked and tidied, or a DomainError naming the field."""
    name, tax_id = " ".join(name.split()), tax_id.strip()
    lines = [line.strip() for line in address.replace("\r", "").split("\n")]
    address = "\n".join(line for line in lines if line)
    if not name:
        raise DomainError("seller_name_required", "Enter the seller's legal name.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(
            "seller_name_too_long", "Keep the name under 200 characters.", field="name"
        )
    if len(address) > ADDRESS_MAX:
        raise DomainError(
            "seller_address_too_long", "Keep the address under 1,000 characters.", field="address"
        )
    if tax_id and (len(tax_id) > TAX_ID_MAX or not _TAX_ID.match(tax_id)):
        raise DomainError(
            "seller_tax_id_invalid",
            "A tax id has letters, digits, spaces, dots, dashes or slashes (at most 64).",
            field="tax_id",
        )
    clean_email = normalise_email(email) if email.strip() else ""
    return SellerInfo(name, address, tax_id, clean_email)
