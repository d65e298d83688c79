"""Connectors that call our API (the LMS) and the signatures they have used."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from commerce_dash.models.base import UTCDateTime, created_at_field, timestamp_field


class ApiConnector(SQLModel, table=True):
    """An external system allowed to call the integration API.

    The signing secret is never stored: it is derived from the app's secret key and the
    ``key_id``, so rotating means issuing a new key id.
    """

    __tablename__ = "api_connector"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    kind: str = Field(max_length=16)  # lms | payout
    key_id: str = Field(max_length=64, unique=True)
    is_active: bool = True
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = timestamp_field()


class SeenSignature(SQLModel, table=True):
    """A signature already accepted, kept for the replay window so it cannot be reused."""

    __tablename__ = "seen_signature"

    signature: str = Field(primary_key=True, max_length=64)
    connector_id: int = Field(foreign_key="api_connector.id", index=True)
    seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class LmsUserLink(SQLModel, table=True):
    """Who one of our users is in the LMS: enrollment payloads name the LMS's own user id.

    Filled by the LMS's user sync (``POST /api/v2/integrations/lms/users``) or by the user id
    the LMS sends back when it answers an enrollment request.
    """

    __tablename__ = "lms_user_link"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    lms_user_id: str = Field(max_length=100, unique=True)
    source: str = Field(max_length=16)  # sync | answer
    updated_at: datetime = created_at_field()
