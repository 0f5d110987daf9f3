"""Map API shapes: settings, coverage areas, coverage answers, located points."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Latitude = Annotated[Decimal, Field(ge=-90, le=90, max_digits=9, decimal_places=6)]
Longitude = Annotated[Decimal, Field(ge=-180, le=180, max_digits=9, decimal_places=6)]


def _url(value: str) -> str:
    value = value.strip()
    if value and not value.lower().startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// address")
    if any(ord(ch) < 33 for ch in value):
        raise ValueError("must not contain spaces or control characters")
    return value


def _line(value: str) -> str:
    if any(ord(ch) < 32 for ch in value):
        raise ValueError("must be a single line without control characters")
    return value.strip()


Url = Annotated[str, Field(max_length=500), AfterValidator(_url)]
Line = Annotated[str, AfterValidator(_line)]


class MapSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tile_url: Url = Field("", description="XYZ tile URL with {z}, {x} and {y}; empty: no tiles")
    tile_attribution: Line = Field("", max_length=300)
    geocoder_url: Url = Field("", description="Nominatim-compatible search URL, e.g. "
                                              "https://nominatim.example/search")
    geocoder_user_agent: Line = Field("", max_length=200)

    @model_validator(mode="after")
    def _complete(self) -> MapSettingsIn:
        if self.tile_url and not all(p in self.tile_url for p in ("{z}", "{x}", "{y}")):
            raise ValueError("tile_url needs {z}, {x} and {y} placeholders")
        if self.geocoder_url and not self.geocoder_user_agent:
            raise ValueError("geocoder_user_agent is needed with a geocoder_url (Nominatim's "
                             "usage policy asks every application to name itself)")
        return self


class MapSettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tile_url: str
    tile_attribution: str
    geocoder_url: str
    geocoder_user_agent: str


class AreaCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: uuid.UUID
    name: Line = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    geometry: Any = Field(description="GeoJSON Polygon or MultiPolygon (or a Feature / "
                                      "FeatureCollection of them), [longitude, latitude]")
    plan_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class AreaUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    site_id: uuid.UUID | None = None
    name: Line | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    geometry: Any = None
    plan_ids: list[uuid.UUID] | None = Field(None, max_length=500)


class AreaOut(BaseModel):
    id: uuid.UUID
    site_id: uuid.UUID
    name: str
    description: str
    geometry: dict[str, Any]
    vertices: int
    bbox: list[float]
    plan_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


class PlanRef(BaseModel):
    id: uuid.UUID
    name: str
    download_kbps: int | None
    upload_kbps: int | None
    price: Decimal
    currency: str


class AreaRef(BaseModel):
    id: uuid.UUID
    name: str


class SiteCoverage(BaseModel):
    site_id: uuid.UUID
    name: str
    areas: list[AreaRef]


class CoverageOut(BaseModel):
    latitude: Decimal
    longitude: Decimal
    covered: bool
    sites: list[SiteCoverage]
    plans: list[PlanRef]


class GeocodeOut(BaseModel):
    address_id: uuid.UUID
    query: str
    status: str  # found | not_found | failed | skipped
    error: str
    latitude: Decimal | None
    longitude: Decimal | None
