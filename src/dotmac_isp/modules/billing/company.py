"""The company block printed on invoices and receipts: address, tax id, contact and logo.
The logo goes through the attachment store; only PNG and JPEG of a bounded size are taken."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.billing.pdf import Issuer
from dotmac_isp.modules.support.settings import get_support_settings
from dotmac_isp.modules.support.storage import AttachmentStore, LocalDiskStore
from dotmac_isp.shared.errors import NotFound, ValidationFailed

MAX_LOGO_BYTES = 512 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
FIELDS = ("company_address", "company_tax_id", "company_email", "company_phone",
          # the seller on e-invoices: legal registration id and the address in parts
          "company_legal_id", "company_street", "company_city", "company_postcode",
          "company_country")


def logo_store() -> AttachmentStore:
    """Logos live in the attachment store (DOTMAC_SUPPORT_ATTACHMENTS_DIR) under logos/."""
    return LocalDiskStore(get_support_settings().attachments_dir)


def document_issuer(session: Session, tenant_id: uuid.UUID) -> Issuer:
    return issuer(session, tenant_id, logo_store())


def logo_kind(data: bytes) -> str:
    """The image type read from the file's first bytes, not from its name."""
    for magic, kind in LOGO_TYPES.items():
        if data.startswith(magic):
            return kind
    raise ValidationFailed("Logo: only PNG or JPEG images are accepted")


def check_logo(data: bytes) -> str:
    """Refuses an empty, oversized or non-image logo; returns its type."""
    if not data:
        raise ValidationFailed("Logo: the file is empty")
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationFailed(f"Logo: at most {MAX_LOGO_BYTES // 1024} KB "
                               f"(this one is {len(data) // 1024} KB)")
    return logo_kind(data)


def update_company(session: Session, tenant_id: uuid.UUID, details: dict[str, Any], *,
                   logo: bytes | None = None, remove_logo: bool = False,
                   store: AttachmentStore | None = None) -> None:
    """Saves the company block; a new logo is stored under a key named by its content, so a
    rolled-back request leaves at most an unreferenced file, never a wrong logo."""
    settings = setup.billing_settings(session, tenant_id, for_update=True)
    key = settings.logo_key
    if logo is not None:
        kind = check_logo(logo)
        if store is None:
            raise ValueError("a logo needs a store")
        key = f"logos/{tenant_id}/{hashlib.sha256(logo).hexdigest()}.{kind}"
        store.put(key, logo)
    elif remove_logo:
        key = None
    for field in FIELDS:
        if field in details:
            setattr(settings, field, details[field])
    settings.logo_key = key
    session.flush()


def issuer(session: Session, tenant_id: uuid.UUID, store: AttachmentStore | None) -> Issuer:
    """The company block for a document; a logo missing from the store is left out."""
    settings = setup.billing_settings(session, tenant_id)
    lines = [settings.company_address.replace("\n", ", ")] if settings.company_address else []
    if settings.company_tax_id:
        lines.append(f"Tax id {settings.company_tax_id}")
    lines += [v for v in (settings.company_email, settings.company_phone) if v]
    logo = None
    if settings.logo_key and store is not None:
        try:
            logo = store.get(settings.logo_key)
        except NotFound:
            logo = None
    return Issuer(lines=lines, logo=logo)
