"""NAS clients: the routers allowed to talk to the RADIUS server, per tenant.

A NAS is known by its source address, and that address tells the server which tenant a
packet belongs to, so no two NAS clients (of any tenant) may cover the same address. The
shared secret is stored encrypted and returned only by create (and by a rotation).
"""

from __future__ import annotations

import ipaddress
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import schemas
from dotmac_isp.modules.network.radius.models import NasClient
from dotmac_isp.modules.network.radius.repository import NasRepository
from dotmac_isp.shared import crypto
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams


def generate_secret() -> str:
    return secrets.token_urlsafe(18)


def _check_free(session: Session, tenant_id: uuid.UUID, address: str, name: str,
                exclude: uuid.UUID | None = None) -> None:
    wanted = ipaddress.ip_network(address)
    for other_id, other_tenant, other_name, other_address in session.execute(
            select(NasClient.id, NasClient.tenant_id, NasClient.name, NasClient.address)):
        if other_id == exclude:
            continue
        if other_tenant == tenant_id and other_name == name:
            raise Conflict(f"a NAS named {name!r} already exists", extra={"field": "name"})
        other = ipaddress.ip_network(other_address)
        if other.version == wanted.version and other.overlaps(wanted):
            if other_tenant == tenant_id:
                raise Conflict(f"{address} overlaps NAS {other_name!r} ({other_address})",
                               extra={"field": "address"})
            raise Conflict(f"{address} is already used by a NAS client on this platform; "
                           "a RADIUS server tells ISPs apart by their NAS addresses",
                           extra={"field": "address"})


def create_nas(session: Session, settings: Settings, tenant_id: uuid.UUID,
               data: schemas.NasCreate) -> tuple[NasClient, str]:
    """Register a NAS; returns it with its shared secret (the only time it is shown)."""
    _check_free(session, tenant_id, data.address, data.name)
    secret = data.secret or generate_secret()
    nas = NasClient(name=data.name, address=data.address, vendor=data.vendor.value,
                    secret_encrypted=crypto.encrypt(settings.secret_key.get_secret_value(),
                                                    secret),
                    coa_port=data.coa_port,
                    require_message_authenticator=data.require_message_authenticator,
                    description=data.description, is_active=True)
    return NasRepository(session, tenant_id).add(nas), secret


def get_nas(session: Session, tenant_id: uuid.UUID, nas_id: uuid.UUID) -> NasClient:
    return NasRepository(session, tenant_id).get(nas_id)


def list_nas(session: Session, tenant_id: uuid.UUID, params: PageParams) -> Page[NasClient]:
    repo = NasRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(NasClient.name))


def update_nas(session: Session, settings: Settings, tenant_id: uuid.UUID, nas_id: uuid.UUID,
               data: schemas.NasUpdate) -> NasClient:
    nas = get_nas(session, tenant_id, nas_id)
    changes = data.model_dump(exclude_unset=True)
    secret = changes.pop("secret", None)
    if "address" in changes or "name" in changes:
        _check_free(session, tenant_id, changes.get("address") or nas.address,
                    changes.get("name") or nas.name, exclude=nas.id)
    for key, value in changes.items():
        if value is None:
            continue
        setattr(nas, key, value.value if key == "vendor" else value)
    if secret:
        nas.secret_encrypted = crypto.encrypt(settings.secret_key.get_secret_value(), secret)
    session.flush()
    return nas


def rotate_secret(session: Session, settings: Settings, tenant_id: uuid.UUID,
                  nas_id: uuid.UUID) -> tuple[NasClient, str]:
    """A new generated secret, shown once; the NAS must be given it too."""
    nas = get_nas(session, tenant_id, nas_id)
    secret = generate_secret()
    nas.secret_encrypted = crypto.encrypt(settings.secret_key.get_secret_value(), secret)
    session.flush()
    return nas, secret


def delete_nas(session: Session, tenant_id: uuid.UUID, nas_id: uuid.UUID) -> None:
    repo = NasRepository(session, tenant_id)
    repo.delete(repo.get(nas_id))
