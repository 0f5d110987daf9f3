"""Request dependencies: the unit of work, the settings, and who is calling."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import (
    api_key_use,
    auth,
    reseller_access,
    setup_state,
    web_sessions,
)
from dotmac_isp.modules.identity.audit import AuditActor, set_actor
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.sdks.platform.repositories.auth import CredentialLookup
from dotmac_isp.shared import row_scope
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import Forbidden, Unauthorized
from dotmac_isp.web.templating import LoginRequired

SETUP_PATH = "/admin/setup"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


class RequestDatabase(Database):
    """The app's database as a handler sees it: sessions it opens (a streamed export) carry
    the caller's row scope, so a reseller's staff read only their rows there too."""

    def __init__(self, inner: Database, request: Request):  # no engine of its own
        self.inner, self.request = inner, request
        self.engine, self.factory = inner.engine, inner.factory

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        with self.inner.unit_of_work(write=write) as session:
            principal = getattr(self.request.state, "principal", None)
            if principal is not None:
                row_scope.enter(session, principal.tenant_id, principal.reseller_id)
            yield session

    def dispose(self) -> None:
        self.inner.dispose()


def get_database(request: Request) -> Database:
    return RequestDatabase(request.app.state.db, request)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed after the handler, rolled back on error."""
    db: Database = request.app.state.db
    with db.unit_of_work(write=request.method not in SAFE_METHODS) as session:
        yield session


DbSession = Annotated[Session, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]
_bearer = HTTPBearer(auto_error=False, description="JWT access token or API key (dmk_...)")


def actor_for(request: Request, principal: Principal) -> AuditActor:
    return AuditActor(
        actor_type=principal.actor_type,
        actor_id=principal.actor_id,
        label=principal.label,
        request_id=getattr(request.state, "request_id", None),
        ip_address=request.client.host if request.client else None,
    )


def current_principal(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    after_response: BackgroundTasks,
) -> Principal:
    if credentials is None:
        raise Unauthorized("sign in first: send an Authorization: Bearer token or API key")
    principal = auth.authenticate_bearer(session, settings, credentials.credentials)
    used_at = api_key_use.use_to_record(session, principal)
    if used_at is not None:
        after_response.add_task(api_key_use.record_use, get_database(request),
                                principal.actor_id, used_at)
    set_actor(session, actor_for(request, principal))
    request.state.principal = principal
    enter_scope(request, session, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def enter_scope(request: Request, session: Session, principal: Principal) -> None:
    """A reseller's staff reach only their routes, and the session only their rows."""
    reseller_access.check(request, principal)
    row_scope.enter(session, principal.tenant_id, principal.reseller_id)


def current_user(session: DbSession, principal: CurrentPrincipal) -> User:
    """The signed-in staff user; API keys are refused for personal endpoints."""
    if principal.user_id is None:
        raise Forbidden("this endpoint is for signed-in users, not API keys")
    user = CredentialLookup(session).user_by_id(principal.user_id)
    if user is None:
        raise Unauthorized("account no longer exists")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(permission: str) -> Any:
    """A dependency that admits only principals holding the permission."""

    def check(principal: CurrentPrincipal) -> Principal:
        principal.require(permission)
        return principal

    check.required_permission = permission  # type: ignore[attr-defined]
    return Depends(check)


def permission_of(dependency: Callable[..., Any]) -> str | None:
    return getattr(dependency, "required_permission", None)


# Pages (cookie sessions) ---------------------------------------------------------------

def start_web_session(request: Request, session: Session, user: User) -> None:
    """Sign a user in to the pages; a fresh session (and CSRF token) guards against fixation."""
    end_web_session(request, session)
    request.session.pop("csrf", None)
    request.session.update({
        "uid": str(user.id),
        "tid": str(user.tenant_id),
        "pwd": user.password_changed_at.isoformat(),
        "sid": web_sessions.start(session, user.tenant_id, web_sessions.STAFF, user.id),
    })


def current_admin(request: Request, session: DbSession) -> User:
    """The staff user signed in to the pages, or a redirect to the sign-in page."""
    uid = request.session.get("uid")
    if not uid and setup_state.setup_pending(request.app.state, session):
        raise LoginRequired(request.url.path, login_path=SETUP_PATH)  # no ISP yet: set it up
    user = CredentialLookup(session).user_by_id(_uuid(uid)) if uid else None
    tenant = CredentialLookup(session).tenant(user.tenant_id) if user else None
    if (user is None or not user.is_active or tenant is None or not tenant.is_active
            or str(user.tenant_id) != request.session.get("tid")
            or user.password_changed_at.isoformat() != request.session.get("pwd")
            or not web_sessions.is_live(session, request.session.get("sid"), web_sessions.STAFF,
                                        user.id)):
        end_web_session(request)
        raise LoginRequired(request.url.path)
    principal = auth.principal_for_user(user)
    set_actor(session, actor_for(request, principal))
    request.state.principal = principal
    enter_scope(request, session, principal)
    # A plain copy for error pages, which render after the transaction has rolled back.
    request.state.admin_user = SignedIn(email=user.email)
    return user


CurrentAdmin = Annotated[User, Depends(current_admin)]


@dataclass(frozen=True)
class SignedIn:
    email: str


def page_permission(permission: str) -> Any:
    """A page dependency: the signed-in staff user, who must hold the permission."""

    def check(request: Request, user: CurrentAdmin) -> User:
        request.state.principal.require(permission)
        return user

    check.required_permission = permission  # type: ignore[attr-defined]
    return Depends(check)


STAFF_SESSION_KEYS = ("uid", "tid", "pwd", "sid")


def end_web_session(request: Request, session: Session | None = None) -> None:
    """Forget the staff sign-in; with a database session, end it on the server too."""
    if session is not None:
        web_sessions.end(session, request.session.get("sid"))
    for key in STAFF_SESSION_KEYS:
        request.session.pop(key, None)


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)
