"""Accounts for API clients (bearer tokens), and the two browser hops of a session cookie.

An API client registers (the answer is the same for any address: the account waits for the
emailed link), confirms, signs in (with a code step when the account has two-factor
sign-in), resets or changes its password and signs out here or everywhere. The browser's
pages never see a session token: they get a single-use ticket that ``GET /session`` trades
for an HttpOnly cookie, and ``GET /signed-out`` clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from commerce_dash import routes
from commerce_dash.api.deps import CurrentActor, DbSession, client_ip, session_token
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.return_to import return_address
from commerce_dash.services import platform as platform_area
from commerce_dash.services.platform import SESSION_COOKIE, Proven, SecondFactorNeeded
from commerce_dash.settings import get_settings

router = APIRouter(prefix="/api/v2/auth", tags=["auth"])

Email = Annotated[str, Field(max_length=254)]
Password = Annotated[str, Field(max_length=256)]
Token = Annotated[str, Field(max_length=128)]


class SignInBody(BaseModel):
    email: Email
    password: Password


class RegisterBody(SignInBody):
    full_name: str = Field(max_length=120)


class EmailBody(BaseModel):
    email: Email


class TokenBody(BaseModel):
    token: Token


class TokenPasswordBody(BaseModel):
    token: Token
    password: Password


class SecondFactorBody(BaseModel):
    challenge: Token
    code: str = Field(max_length=32)


class ChangePasswordBody(BaseModel):
    current_password: Password
    new_password: Password


class GrantOut(BaseModel):
    role: str
    department_id: int | None


class MeOut(BaseModel):
    id: int
    email: str
    full_name: str
    grants: list[GrantOut]
    second_factor_missing: bool = Field(
        default=False,
        description="Admin roles are held back until this session passes the second factor.")


class SessionOut(BaseModel):
    token: str
    user: MeOut


class SecondFactorOut(BaseModel):
    second_factor_required: bool = True
    challenge: str = Field(description="Send it with a code to POST /second-factor (5 min).")


class MessageOut(BaseModel):
    message: str


class SessionsEndedOut(BaseModel):
    sessions_ended: int


def me_out(actor: Actor) -> MeOut:
    return MeOut(
        id=actor.user_id,
        email=actor.email,
        full_name=actor.full_name,
        grants=[GrantOut(role=g.role, department_id=g.department_id) for g in actor.grants],
        second_factor_missing=actor.second_factor_missing,
    )


def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


def _session_or_code(proven: Proven, request: Request, session: DbSession,
                     ) -> SessionOut | SecondFactorOut:
    if isinstance(proven, SecondFactorNeeded):
        return SecondFactorOut(challenge=proven.challenge)
    signed = platform_area.open_session(session=session, verified=proven,
                                        client_ip=client_ip(request), user_agent=_user_agent(request))
    return SessionOut(token=signed.token, user=me_out(signed.actor))


@router.post("/register", status_code=202, response_model=MessageOut)
def register(body: RegisterBody, request: Request, session: DbSession) -> MessageOut:
    """Start a learner account; the link to finish it is emailed. The answer is the same
    whether or not the address has an account."""
    return MessageOut(message=platform_area.register_learner(
        session=session, email=body.email, full_name=body.full_name, password=body.password,
        client_ip=client_ip(request)))


@router.post("/resend-confirmation", status_code=202, response_model=MessageOut)
def resend_confirmation(body: EmailBody, request: Request, session: DbSession) -> MessageOut:
    return _emailed(platform_area.resend_confirmation, body, request, session)


@router.post("/confirm-email", response_model=SessionOut | SecondFactorOut)
def confirm_email(body: TokenBody, request: Request,
                  session: DbSession) -> SessionOut | SecondFactorOut:
    return _session_or_code(platform_area.confirm_email(session=session, token=body.token),
                            request, session)


@router.post("/login", response_model=SessionOut | SecondFactorOut)
def login(body: SignInBody, request: Request, session: DbSession) -> SessionOut | SecondFactorOut:
    proven = platform_area.sign_in(session=session, email=body.email, password=body.password,
                                   client_ip=client_ip(request))
    return _session_or_code(proven, request, session)


@router.post("/second-factor", response_model=SessionOut)
def second_factor(body: SecondFactorBody, request: Request, session: DbSession) -> SessionOut:
    verified = platform_area.complete(session=session, challenge=body.challenge, code=body.code)
    signed = platform_area.open_session(session=session, verified=verified,
                                        client_ip=client_ip(request), user_agent=_user_agent(request))
    return SessionOut(token=signed.token, user=me_out(signed.actor))


@router.post("/forgot-password", status_code=202, response_model=MessageOut)
def forgot_password(body: EmailBody, request: Request, session: DbSession) -> MessageOut:
    return _emailed(platform_area.request_reset, body, request, session)


def _emailed(send: Callable[..., str], body: EmailBody, request: Request,
             session: DbSession) -> MessageOut:
    """The answer of a route that emails an address a link: the service's message, the same
    whether or not the address has an account."""
    return MessageOut(message=send(session=session, email=body.email,
                                   client_ip=client_ip(request)))


@router.post("/reset-password", response_model=SessionOut | SecondFactorOut)
def reset_password(body: TokenPasswordBody, request: Request,
                   session: DbSession) -> SessionOut | SecondFactorOut:
    proven = platform_area.reset_password(session=session, token=body.token, password=body.password)
    return _session_or_code(proven, request, session)


@router.post("/accept-invitation", response_model=SessionOut | SecondFactorOut)
def accept_invitation(body: TokenPasswordBody, request: Request,
                      session: DbSession) -> SessionOut | SecondFactorOut:
    proven = platform_area.accept_invitation(session=session, token=body.token,
                                             password=body.password)
    return _session_or_code(proven, request, session)


@router.post("/change-password", response_model=SessionsEndedOut)
def change_password(body: ChangePasswordBody, request: Request, actor: CurrentActor,
                    session: DbSession) -> SessionsEndedOut:
    """A new password; every other session of the account ends."""
    return SessionsEndedOut(sessions_ended=platform_area.change_password(
        session=session, actor=actor, current_password=body.current_password,
        new_password=body.new_password, keep_token=session_token(request)))


@router.post("/logout", status_code=204)
def logout(request: Request, session: DbSession) -> None:
    platform_area.sign_out(session=session, token=session_token(request))


@router.post("/logout-everywhere", response_model=SessionsEndedOut)
def logout_everywhere(actor: CurrentActor, session: DbSession) -> SessionsEndedOut:
    return SessionsEndedOut(
        sessions_ended=platform_area.sign_out_everywhere(session=session, actor=actor))


@router.get("/me", response_model=MeOut)
def me(actor: CurrentActor) -> MeOut:
    return me_out(actor)


# -- the browser's cookie -------------------------------------------------------------------------

def _cookie_secure() -> bool:
    return get_settings().public_url.startswith("https://")


def _back(to: str, request: Request, **query: str) -> str:
    address = return_address(to, public_url=get_settings().public_url,
                             request_host=request.headers.get("host", ""))
    if query:
        joiner = "&" if "?" in address else "?"
        address += joiner + "&".join(f"{k}={v}" for k, v in query.items())
    return address


@router.get("/session", status_code=303, response_class=RedirectResponse,
            responses={303: {"description": "Back to the page, with the session cookie set"}})
def browser_session(request: Request, session: DbSession,
                    ticket: Annotated[str, Query(max_length=128)] = "",
                    to: Annotated[str, Query(max_length=2048)] = "/") -> RedirectResponse:
    """Trade a sign-in ticket from the pages for the session cookie (HttpOnly, SameSite=Lax,
    Secure over https) and go back to ``to`` (a page of this app). An expired or used ticket
    goes to the sign-in page instead."""
    try:
        signed = platform_area.redeem_ticket(session=session, ticket=ticket,
                                             client_ip=client_ip(request),
                                             user_agent=_user_agent(request))
    except DomainError:
        login = get_settings().public_url.rstrip("/") + routes.LOGIN
        return RedirectResponse(_back(login, request, expired="1"), status_code=303)
    response = RedirectResponse(_back(to, request), status_code=303)
    response.set_cookie(SESSION_COOKIE, signed.token, httponly=True, samesite="lax", path="/",
                        secure=_cookie_secure(),
                        max_age=get_settings().session_ttl_hours * 3600)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/signed-out", status_code=303, response_class=RedirectResponse,
            responses={303: {"description": "Home, with the session cookie removed"}})
def browser_signed_out(request: Request, session: DbSession,
                       to: Annotated[str, Query(max_length=2048)] = "/") -> RedirectResponse:
    """End the cookie's session (the pages did already; doing it again is harmless), remove
    the cookie and go to ``to``."""
    platform_area.sign_out(session=session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse(_back(to, request), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=_cookie_secure())
    return response
