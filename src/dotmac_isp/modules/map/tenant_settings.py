"""A tenant's map settings: the tile server and the geocoder. Services flush; callers commit."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.map import schemas
from dotmac_isp.modules.map.models import MapSettings
from dotmac_isp.modules.map.repository import SettingsRepository


def map_settings(session: Session, tenant_id: uuid.UUID) -> MapSettings:
    """The tenant's map settings, or (not stored) the defaults: no tiles, no geocoder."""
    stored = SettingsRepository(session, tenant_id).current()
    return stored or MapSettings(tenant_id=tenant_id, tile_url="", tile_attribution="",
                                 geocoder_url="", geocoder_user_agent="")


def save_settings(session: Session, tenant_id: uuid.UUID,
                  data: schemas.MapSettingsIn) -> MapSettings:
    """Store the tenant's tile server and geocoder (each may be left empty)."""
    repo = SettingsRepository(session, tenant_id)
    stored = repo.current()
    if stored is None:
        try:  # two first saves at once: one inserts, the other updates that row
            with session.begin_nested():
                stored = repo.add(MapSettings(**schemas.MapSettingsIn().model_dump()))
        except IntegrityError:
            stored = repo.current()
            assert stored is not None
    for key, value in data.model_dump().items():
        setattr(stored, key, value)
    session.flush()
    return stored
