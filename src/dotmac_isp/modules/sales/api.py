"""Sales JSON API: leads (list with filters, create, change, stage moves, notes, timeline,
coverage, geocoding, CSV import, conversion), quotes (lines, send, PDF) and the settings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.sales import (
    conversion,
    coverage,
    importing,
    leads,
    quotes,
    schemas,
    sending,
    tenant_settings,
)
from dotmac_isp.modules.sales.enums import LeadSource, LeadStage, QuoteStatus
from dotmac_isp.modules.sales.models import Lead, LeadActivity, Quote
from dotmac_isp.shared.csv_import import ImportReport, read_upload
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/sales", tags=["sales"])
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.SALES_READ), require(Permission.SALES_WRITE)
LEAD = "/leads/{lead_id}"
QUOTE = "/quotes/{quote_id}"


def quote_out(session: DbSession, quote: Quote) -> schemas.QuoteOut:
    out = schemas.QuoteOut.model_validate(quote)
    out.lines = [schemas.LineOut.model_validate(ln)
                 for ln in quotes.lines_of(session, quote.tenant_id, quote.id)]
    return out


@router.get("/leads", response_model=Page[schemas.LeadOut])
def list_leads(session: DbSession, paging: Paging,
               stage: list[LeadStage] | None = Query(None),
               owner_id: uuid.UUID | None = None, unowned: bool = False,
               due: bool = Query(False, description="follow-up due today or earlier"),
               source: LeadSource | None = None, principal: Principal = READ) -> Page[Lead]:
    """Leads, newest first; page on with next_cursor."""
    due_by = billing_service.tenant_today(session, principal.tenant_id) if due else None
    return leads.list_leads(session, principal.tenant_id, paging,
                            stage=[s.value for s in stage or []] or None, owner_id=owner_id,
                            unowned=unowned, due_by=due_by,
                            source=source.value if source else None)


@router.post("/leads", response_model=schemas.LeadOut, status_code=201)
def create_lead(body: schemas.LeadCreate, session: DbSession,
                principal: Principal = WRITE) -> Lead:
    return leads.create_lead(session, principal.tenant_id, body)


@router.post("/leads/import", response_model=ImportReport)
async def import_leads(request: Request, session: DbSession, dry_run: bool = False,
                       principal: Principal = WRITE) -> ImportReport:
    """A CSV (multipart field "file", or the body as text/csv) with name, email, phone,
    address_line1, address_line2, city, region, postal_code, country, latitude, longitude,
    owner_email, follow_up_date, message. Each line is reported; bad lines store nothing; a
    lead's email seen before is a duplicate. dry_run checks and stores nothing."""
    text = await read_upload(request)
    return importing.import_leads(session, principal.tenant_id, text, dry_run=dry_run)


@router.get(LEAD, response_model=schemas.LeadOut)
def get_lead(lead_id: uuid.UUID, session: DbSession, principal: Principal = READ) -> Lead:
    return leads.get_lead(session, principal.tenant_id, lead_id)


@router.patch(LEAD, response_model=schemas.LeadOut)
def update_lead(lead_id: uuid.UUID, body: schemas.LeadUpdate, session: DbSession,
                principal: Principal = WRITE) -> Lead:
    """Change the contact, address, coordinates, owner or follow-up date."""
    return leads.update_lead(session, principal.tenant_id, lead_id, body)


@router.post(LEAD + "/stage", response_model=schemas.LeadOut)
def move_stage(lead_id: uuid.UUID, body: schemas.StageMove, session: DbSession,
               principal: Principal = WRITE) -> Lead:
    """Move the lead (contacted, qualified, lost with lost_reason, back to new); quoted and
    won follow from quotes."""
    return leads.move_stage(session, principal.tenant_id, lead_id, body)


@router.post(LEAD + "/notes", response_model=schemas.ActivityOut, status_code=201)
def add_note(lead_id: uuid.UUID, body: schemas.NoteIn, session: DbSession,
             principal: Principal = WRITE) -> LeadActivity:
    return leads.add_note(session, principal.tenant_id, lead_id, body)


@router.get(LEAD + "/activities", response_model=Page[schemas.ActivityOut])
def activities(lead_id: uuid.UUID, session: DbSession, paging: Paging,
               principal: Principal = READ) -> Page[LeadActivity]:
    """The lead's timeline, newest first."""
    return leads.activities(session, principal.tenant_id, lead_id, paging)


@router.get(LEAD + "/coverage", response_model=schemas.CoverageOut)
def lead_coverage(lead_id: uuid.UUID, session: DbSession,
                  principal: Principal = READ) -> schemas.CoverageOut:
    """Which sites and plans can serve the lead's coordinates (or why there is no answer)."""
    lead = leads.get_lead(session, principal.tenant_id, lead_id)
    found = coverage.lead_coverage(session, principal.tenant_id, lead)
    return schemas.CoverageOut(
        located=found.located, can_geocode=found.can_geocode, message=found.message,
        coverage=found.coverage.model_dump(mode="json") if found.coverage else None)


@router.post(LEAD + "/locate", response_model=schemas.LeadOut)
def locate(lead_id: uuid.UUID, session: DbSession, principal: Principal = WRITE) -> Lead:
    """Place the lead's address with the tenant's geocoder."""
    return coverage.locate(session, principal.tenant_id, lead_id)


@router.post(LEAD + "/convert", response_model=schemas.ConversionOut)
def convert(lead_id: uuid.UUID, session: DbSession, settings: AppSettings,
            principal: Principal = WRITE) -> schemas.ConversionOut:
    """Make the customer, pending subscriptions and installation work order of the lead's
    accepted quote; a converted lead answers with what was made (created: false)."""
    done = conversion.convert(session, settings, principal.tenant_id, lead_id)
    return schemas.ConversionOut(lead_id=done.lead_id, customer_id=done.customer_id,
                                 subscription_ids=done.subscription_ids,
                                 work_order_id=done.work_order_id,
                                 converted_at=done.converted_at, created=done.created)


@router.get("/quotes", response_model=Page[schemas.QuoteOut])
def list_quotes(session: DbSession, paging: Paging, lead_id: uuid.UUID | None = None,
                status: QuoteStatus | None = None,
                principal: Principal = READ) -> Page[schemas.QuoteOut]:
    """Quotes, newest first (with their lines); page on with next_cursor."""
    page = quotes.list_quotes(session, principal.tenant_id, paging, lead_id=lead_id,
                              status=status.value if status else None)
    lines = quotes.lines_of_many(session, principal.tenant_id, [q.id for q in page.items])

    def out(quote: Quote) -> schemas.QuoteOut:
        made = schemas.QuoteOut.model_validate(quote)
        made.lines = [schemas.LineOut.model_validate(ln) for ln in lines[quote.id]]
        return made

    return page.map(out)


@router.post("/quotes", response_model=schemas.QuoteOut, status_code=201)
def create_quote(body: schemas.QuoteCreate, session: DbSession,
                 principal: Principal = WRITE) -> schemas.QuoteOut:
    """A draft quote for a lead; a plan line brings the plan's setup fee along."""
    return quote_out(session, quotes.create_quote(session, principal.tenant_id, body))


@router.get(QUOTE, response_model=schemas.QuoteOut)
def get_quote(quote_id: uuid.UUID, session: DbSession,
              principal: Principal = READ) -> schemas.QuoteOut:
    return quote_out(session, quotes.get_quote(session, principal.tenant_id, quote_id))


@router.patch(QUOTE, response_model=schemas.QuoteOut)
def update_quote(quote_id: uuid.UUID, body: schemas.QuoteUpdate, session: DbSession,
                 principal: Principal = WRITE) -> schemas.QuoteOut:
    """Change the validity date or the notes (a sent quote goes back to draft)."""
    return quote_out(session, quotes.update_quote(session, principal.tenant_id, quote_id,
                                                  body))


@router.post(QUOTE + "/lines", response_model=schemas.QuoteOut, status_code=201)
def add_line(quote_id: uuid.UUID, body: schemas.LineIn, session: DbSession,
             principal: Principal = WRITE) -> schemas.QuoteOut:
    return quote_out(session, quotes.add_line(session, principal.tenant_id, quote_id, body))


@router.delete(QUOTE + "/lines/{quote_line_id}", response_model=schemas.QuoteOut)
def remove_line(quote_id: uuid.UUID, quote_line_id: uuid.UUID, session: DbSession,
                principal: Principal = WRITE) -> schemas.QuoteOut:
    return quote_out(session, quotes.remove_line(session, principal.tenant_id, quote_id,
                                                 quote_line_id))


@router.post(QUOTE + "/send", response_model=schemas.SentOut)
def send(quote_id: uuid.UUID, session: DbSession, settings: AppSettings,
         principal: Principal = WRITE) -> schemas.SentOut:
    """Email the quote (PDF attached) with a signed link to accept or decline it; sending
    again replaces the link."""
    sent = sending.send_quote(session, settings, principal.tenant_id, quote_id)
    return schemas.SentOut(quote=quote_out(session, sent.quote), link=sent.link,
                           link_expires_at=sent.expires_at)


@router.get(QUOTE + "/pdf", response_class=Response)
def pdf(quote_id: uuid.UUID, session: DbSession, principal: Principal = READ) -> Response:
    name, content = sending.document(session, principal.tenant_id, quote_id)
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/settings", response_model=schemas.SalesSettingsOut)
def get_settings(session: DbSession, principal: Principal = READ) -> object:
    return tenant_settings.sales_settings(session, principal.tenant_id)


@router.put("/settings", response_model=schemas.SalesSettingsOut)
def put_settings(body: schemas.SalesSettingsIn, session: DbSession,
                 principal: Principal = WRITE) -> object:
    """Where enquiries are emailed, how many days a new quote is valid, the quote terms."""
    return tenant_settings.save_settings(session, principal.tenant_id, body)
