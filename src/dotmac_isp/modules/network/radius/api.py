"""RADIUS JSON API: NAS clients, sessions, post-auth log, CoA requests, usage, and the
rlm_rest endpoints for FreeRADIUS in front."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import rest, schemas, service
from dotmac_isp.modules.network.radius.enums import CoaState, PostAuthReply
from dotmac_isp.modules.network.radius.models import CoaRequest, NasClient, RadAcct, RadPostAuth
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/radius")
Paging = Annotated[PageParams, Depends(page_params)]
P = Permission
# Text filters: no control characters (PostgreSQL refuses NUL in a text parameter).
TEXT = r"^[^\x00-\x1f\x7f]*$"
RadAcctId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _nas_created(nas: NasClient, secret: str) -> schemas.NasCreated:
    return schemas.NasCreated(**schemas.NasOut.model_validate(nas).model_dump(), secret=secret)


@router.get("/nas", response_model=Page[schemas.NasOut], tags=["radius"])
def list_nas(session: DbSession, paging: Paging,
             principal: Principal = require(P.NETWORK_READ)) -> Page[NasClient]:
    return nas_service.list_nas(session, principal.tenant_id, paging)


@router.post("/nas", response_model=schemas.NasCreated, status_code=201, tags=["radius"])
def create_nas(body: schemas.NasCreate, session: DbSession, settings: AppSettings,
               principal: Principal = require(P.NETWORK_WRITE)) -> schemas.NasCreated:
    """Register a NAS. The shared secret is in this response and never shown again."""
    return _nas_created(*nas_service.create_nas(session, settings, principal.tenant_id, body))


@router.get("/nas/{nas_id}", response_model=schemas.NasOut, tags=["radius"])
def get_nas(nas_id: uuid.UUID, session: DbSession,
            principal: Principal = require(P.NETWORK_READ)) -> NasClient:
    return nas_service.get_nas(session, principal.tenant_id, nas_id)


@router.patch("/nas/{nas_id}", response_model=schemas.NasOut, tags=["radius"])
def update_nas(nas_id: uuid.UUID, body: schemas.NasUpdate, session: DbSession,
               settings: AppSettings,
               principal: Principal = require(P.NETWORK_WRITE)) -> NasClient:
    """Change a NAS; the RADIUS servers pick the change up without a restart."""
    return nas_service.update_nas(session, settings, principal.tenant_id, nas_id, body)


@router.post("/nas/{nas_id}/rotate-secret", response_model=schemas.NasCreated,
             tags=["radius"])
def rotate_nas_secret(nas_id: uuid.UUID, session: DbSession, settings: AppSettings,
                      principal: Principal = require(P.NETWORK_WRITE)) -> schemas.NasCreated:
    """A new generated shared secret, shown in this response only."""
    return _nas_created(*nas_service.rotate_secret(session, settings, principal.tenant_id,
                                                   nas_id))


@router.delete("/nas/{nas_id}", status_code=204, tags=["radius"])
def delete_nas(nas_id: uuid.UUID, session: DbSession,
               principal: Principal = require(P.NETWORK_WRITE)) -> Response:
    nas_service.delete_nas(session, principal.tenant_id, nas_id)
    return Response(status_code=204)


def _ip(ip: str | None) -> str | None:
    if ip is None or not ip.strip():
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError as exc:
        raise ValidationFailed("ip: give an IPv4 or IPv6 address") from exc


@router.get("/sessions", response_model=Page[schemas.SessionOut], tags=["radius"])
def list_sessions(session: DbSession, paging: Paging,
                  online: bool | None = Query(None, description="true: open sessions only; "
                                                                "false: ended ones"),
                  nas_id: uuid.UUID | None = None,
                  username: str | None = Query(None, max_length=64, pattern=TEXT),
                  ip: str | None = Query(None, max_length=45, pattern=TEXT,
                                         description="framed or NAS address"),
                  subscription_id: uuid.UUID | None = None,
                  mac: str | None = Query(None, max_length=64, pattern=TEXT,
                                          description="calling station (MAC), in part"),
                  principal: Principal = require(P.NETWORK_READ)) -> Page[RadAcct]:
    return service.list_sessions(session, principal.tenant_id, paging, online=online,
                                 nas_id=nas_id, username=username, ip=_ip(ip),
                                 subscription_id=subscription_id, mac=mac or None)


@router.get("/sessions/{radacctid}", response_model=schemas.SessionOut, tags=["radius"])
def get_session(radacctid: RadAcctId, session: DbSession,
                principal: Principal = require(P.NETWORK_READ)) -> RadAcct:
    return service.get_session(session, principal.tenant_id, radacctid)


@router.post("/sessions/{radacctid}/disconnect", response_model=schemas.CoaRequestOut,
             status_code=202, tags=["radius"])
def disconnect_session(radacctid: RadAcctId, session: DbSession,
                       principal: Principal = require(P.NETWORK_WRITE)) -> CoaRequest:
    """Send the NAS a Disconnect-Request for this session; the answer is recorded on the
    returned CoA request."""
    return service.disconnect_session(session, principal.tenant_id, radacctid,
                                      principal.label)


@router.get("/post-auth", response_model=Page[schemas.PostAuthOut], tags=["radius"])
def list_postauth(session: DbSession, paging: Paging,
                  username: str | None = Query(None, max_length=64, pattern=TEXT),
                  reply: PostAuthReply | None = None,
                  principal: Principal = require(P.NETWORK_READ)) -> Page[RadPostAuth]:
    return service.list_postauth(session, principal.tenant_id, paging, username=username,
                                 reply=reply.value if reply else None)


@router.get("/coa-requests", response_model=Page[schemas.CoaRequestOut], tags=["radius"])
def list_coa(session: DbSession, paging: Paging, state: CoaState | None = None,
             principal: Principal = require(P.NETWORK_READ)) -> Page[CoaRequest]:
    return service.list_coa(session, principal.tenant_id, paging,
                            state=state.value if state else None)


@router.get("/coa-requests/{coa_id}", response_model=schemas.CoaRequestOut, tags=["radius"])
def get_coa(coa_id: uuid.UUID, session: DbSession,
            principal: Principal = require(P.NETWORK_READ)) -> CoaRequest:
    return service.get_coa(session, principal.tenant_id, coa_id)


@router.get("/usage/{subscription_id}", response_model=schemas.UsageOut, tags=["radius"])
def subscription_usage(subscription_id: uuid.UUID, session: DbSession,
                       days: int = Query(30, ge=1, le=366),
                       principal: Principal = require(P.NETWORK_READ)) -> schemas.UsageOut:
    """Daily download/upload for a usage graph, the month so far, and the data cap."""
    return service.usage_for(session, principal.tenant_id, subscription_id, days)


# rlm_rest ------------------------------------------------------------------------------

RestBody = Annotated[dict[str, Any], Body(description="rlm_rest JSON: attribute -> "
                                                      "{type, value: [...]}")]


@router.post("/rest/authorize", tags=["radius-rest"])
def rest_authorize(body: RestBody, session: DbSession, settings: AppSettings,
                   principal: Principal = require(P.NETWORK_WRITE)) -> JSONResponse:
    """For rlm_rest's authorize section: the password to check and the reply attributes
    (200), or a reject with a Reply-Message (401)."""
    status, content = rest.authorize(session, settings, principal.tenant_id, body)
    return JSONResponse(content, status_code=status)


@router.post("/rest/post-auth", status_code=204, tags=["radius-rest"])
def rest_post_auth(body: RestBody, session: DbSession,
                   result: str = Query("accept", pattern="^(accept|reject)$"),
                   principal: Principal = require(P.NETWORK_WRITE)) -> Response:
    """For rlm_rest's post-auth section (and Post-Auth-Type REJECT with ?result=reject)."""
    rest.post_auth(session, principal.tenant_id, body, result)
    return Response(status_code=204)


@router.post("/rest/accounting", status_code=204, tags=["radius-rest"])
def rest_accounting(body: RestBody, session: DbSession,
                    principal: Principal = require(P.NETWORK_WRITE)) -> Response:
    """For rlm_rest's accounting section: stored when this answers 204."""
    rest.accounting_request(session, principal.tenant_id, body)
    return Response(status_code=204)
