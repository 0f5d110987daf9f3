"""The coverage check at a lead's address: which sites and plans can serve it, from the map's
coverage areas (point in polygon). A lead without coordinates is placed by the tenant's
geocoder when one is configured; otherwise the answer says so."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dotmac_isp.modules.map import areas, geocode
from dotmac_isp.modules.map import schemas as map_schemas
from dotmac_isp.modules.sales import leads, timeline
from dotmac_isp.modules.sales.enums import ActivityKind
from dotmac_isp.modules.sales.models import Lead
from dotmac_isp.shared.errors import InvalidState, ValidationFailed

NO_POINT = "the lead has no coordinates"


@dataclass
class LeadCoverage:
    located: bool
    can_geocode: bool
    message: str
    coverage: map_schemas.CoverageOut | None = None


def lead_coverage(session: Session, tenant_id: uuid.UUID, lead: Lead) -> LeadCoverage:
    """The serving sites and plans at the lead's coordinates, or why there is no answer."""
    can_geocode = geocode.has_geocoder(session, tenant_id)
    if lead.latitude is None or lead.longitude is None:
        if can_geocode and lead.address_text():
            why = f"{NO_POINT} yet: find the address with the geocoder"
        elif can_geocode:
            why = f"{NO_POINT} and no address to look up: enter one"
        else:
            why = (f"{NO_POINT} and no geocoder is configured (map settings): enter the "
                   "latitude and longitude")
        return LeadCoverage(False, can_geocode, why)
    found = areas.coverage_at(session, tenant_id, lead.latitude, lead.longitude)
    out = areas.coverage_out(session, tenant_id, found)
    message = (f"served by {', '.join(s.name for s in out.sites)}" if out.covered
               else "no coverage area holds this point")
    return LeadCoverage(True, can_geocode, message, out)


def locate(session: Session, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> Lead:
    """Place the lead with the tenant's geocoder (a 422 saying why when it cannot)."""
    lead = leads.lock_lead(session, tenant_id, lead_id)
    query = lead.address_text()
    if not query:
        raise InvalidState("the lead has no address to look up: enter one first",
                           extra={"field": "address_line1"})
    outcome = geocode.place_of(session, tenant_id, query)
    if outcome.status != geocode.FOUND:
        raise ValidationFailed(f"the geocoder did not place {query!r}: {outcome.error}")
    lead.latitude, lead.longitude = outcome.latitude, outcome.longitude
    timeline.record(session, lead, ActivityKind.LOCATED,
                    f"Placed at {outcome.latitude}, {outcome.longitude} by the geocoder")
    session.flush()
    return lead
