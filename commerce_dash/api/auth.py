"""Sign-up, sign-in, sign-out and the current user, for API clients."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from commerce_dash.api.deps import CurrentActor, DbSession, client_ip, session_token
from commerce_dash.domain.actor import Actor
from commerce_dash.services import accounts

router = APIRouter(prefix="/api/v2/auth", tags=["auth"])


class SignInBody(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class RegisterBody(SignInBody):
    full_name: str = Field(max_length=120)


class GrantOut(BaseModel):
    role: str
    department_id: int | None


class MeOut(BaseModel):
    id: int
    email: str
    full_name: str
    grants: list[GrantOut]


class SessionOut(BaseModel):
    token: str
    user: MeOut


def me_out(actor: Actor) -> MeOut:
    return MeOut(
        id=actor.user_id,
        email=actor.email,
        full_name=actor.full_name,
        grants=[GrantOut(role=g.role, department_id=g.department_id) for g in actor.grants],
    )


@router.post("/register", status_code=201, response_model=SessionOut)
def register(body: RegisterBody, request: Request, session: DbSession) -> SessionOut:
    signed = accounts.register_learner(
        session=session,
        email=body.email,
        full_name=body.full_name,
        password=body.password,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return SessionOut(token=signed.token, user=me_out(signed.actor))


@router.post("/login", response_model=SessionOut)
def login(body: SignInBody, request: Request, session: DbSession) -> SessionOut:
    signed = accounts.sign_in(
        session=session,
        email=body.email,
        password=body.password,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return SessionOut(token=signed.token, user=me_out(signed.actor))


@router.post("/logout", status_code=204)
def logout(request: Request, session: DbSession) -> None:
    accounts.sign_out(session=session, token=session_token(request))


@router.get("/me", response_model=MeOut)
def me(actor: CurrentActor) -> MeOut:
    return me_out(actor)
