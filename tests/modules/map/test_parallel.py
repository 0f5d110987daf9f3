"""Requests at the same moment, on committed data with a connection per thread: two areas
named alike make one area and one 409; two first saves of the map settings make one row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.map import areas, schemas, tenant_settings
from dotmac_isp.modules.map.models import CoverageArea, MapSettings
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import Conflict
from tests.modules.map.helpers import polygon, square
from tests.modules.network.devices.factories import make_site
from tests.support.factories import make_tenant
from tests.support.parallel import at_once


@pytest.fixture
def committed(engine: Engine) -> Iterator[tuple[Database, uuid.UUID, uuid.UUID]]:
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"map-race-{uuid.uuid4().hex[:8]}")
        ids = tenant.id, make_site(session, tenant, "Race POP").id
    yield database, *ids
    with database.unit_of_work() as session:
        session.execute(delete(Tenant).where(Tenant.id == ids[0]))


def test_two_areas_named_alike_at_once_make_one(
        committed: tuple[Database, uuid.UUID, uuid.UUID]) -> None:
    database, tenant_id, site_id = committed

    def add(n: int) -> str:
        try:
            with database.unit_of_work() as session:
                areas.create_area(session, tenant_id, schemas.AreaCreate(
                    site_id=site_id, name="Same name", geometry=polygon(square(n, 0, 1))))
        except Conflict as exc:
            return exc.detail
        return "made"

    outcomes = at_once(4, add)
    assert sorted(outcomes) == ["a coverage area named 'Same name' already exists"] * 3 + [
        "made"]
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(CoverageArea).where(
            CoverageArea.tenant_id == tenant_id)) == 1


def test_first_saves_of_the_settings_at_once_make_one_row(
        committed: tuple[Database, uuid.UUID, uuid.UUID]) -> None:
    database, tenant_id, _site = committed

    def save(n: int) -> str:
        with database.unit_of_work() as session:
            tenant_settings.save_settings(session, tenant_id, schemas.MapSettingsIn(
                tile_url=f"https://tiles{n}.example/{{z}}/{{x}}/{{y}}.png"))
        return "saved"

    assert at_once(4, save) == ["saved"] * 4
    with database.unit_of_work(write=False) as session:
        rows = session.scalars(select(MapSettings).where(
            MapSettings.tenant_id == tenant_id)).all()
        assert len(rows) == 1 and rows[0].tile_url.startswith("https://tiles")
