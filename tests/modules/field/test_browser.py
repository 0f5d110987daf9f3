"""Chromium through the field work: the dispatcher books a job on the schedule board and
sees a clashing booking refused; the technician, on a 390 x 844 phone screen, works a job
from their day: on the way, arrived, ticks the checklist, uploads a photo, the customer signs
with a finger, installs the ONT from the van at the customer's service, complete; the work
order then shows done with the photo and the ONT it installed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.modules.field import scheduling, schemas
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.support.settings import get_support_settings
from tests.modules.field.factories import PNG, make_technician, make_work_order, set_checklist
from tests.modules.inventory.factories import make_item_model, make_location, receive_units
from tests.support.browser import browser_page
from tests.support.customers import make_customer, make_subscription
from tests.support.factories import PASSWORD, make_tenant, make_user
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
BOARD_DAY = "2030-06-04"


@dataclass
class Field:
    server: LiveServer
    dispatcher: str
    technician: str
    technician_name: str
    waiting: list[str]
    today_job: str
    today_number: str


@pytest.fixture(scope="module")
def field(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Field]:
    workdir = tmp_path_factory.mktemp("field")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOTMAC_SUPPORT_ATTACHMENTS_DIR", str(workdir / "files"))
        get_support_settings.cache_clear()
        with live_server(settings, workdir) as live:
            with live.database.unit_of_work() as session:
                tenant = make_tenant(session, "field-co", name="Field Co")
                set_checklist(session, tenant, "installation", [
                    ("Mount the ONT", True), ("Light level below -25 dBm", True),
                    ("Show the customer the Wi-Fi", False)])
                dispatcher = make_user(session, live.settings, tenant, "support",
                                       email="desk@field-co.example")
                tech = make_technician(session, live.settings, tenant, "Tunde Field")
                customer = make_customer(
                    session, tenant, first_name="Kemi", last_name="Bello",
                    phone="+234 803 555 0142", addresses=[{
                        "kind": "service", "line1": "14 Admiralty Way, Lekki Phase One",
                        "city": "Lagos", "country": "NG", "latitude": "6.447800",
                        "longitude": "3.472300"}])
                waiting = [make_work_order(session, tenant, customer=customer).number
                           for _ in range(2)]
                sub = make_subscription(session, live.settings, tenant, customer=customer,
                                        radius_username="kemi.bello")
                van = make_location(session, tenant, "Van Tunde", kind="van",
                                    owner_user_id=tech.user.id)
                receive_units(session, tenant, van, make_item_model(
                    session, tenant, model="HG8245H"), 1, serial_prefix="HWTC")
                job = make_work_order(session, tenant, customer=customer, kind="installation",
                                      description="Fibre drop to the house, ONT in the hall",
                                      subscription_id=sub.id)
                midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0,
                                                     microsecond=0)
                scheduling.schedule(session, whole_tenant(tenant.id), job.id,
                                    schemas.ScheduleIn(
                                        technician_id=tech.user.id,
                                        window_start=midnight + timedelta(hours=8),
                                        window_end=midnight + timedelta(hours=11)))
                made = Field(live, dispatcher.user.email, tech.user.email, "Tunde Field",
                             waiting, str(job.id), job.number)
            yield made
        get_support_settings.cache_clear()


def sign_in(page: Any, server: LiveServer, email: str) -> None:
    page.goto(f"{server.url}/admin/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/admin")


def test_the_dispatcher_books_a_slot_and_a_clash_is_refused(field: Field) -> None:
    first, second = field.waiting
    with browser_page() as page:
        sign_in(page, field.server, field.dispatcher)
        page.goto(f"{field.server.url}/admin/field/board?day={BOARD_DAY}")
        row = page.locator(f"tr[data-technician='{field.technician_name}']")
        row.locator("td[data-hour='10'] a.pick").click()
        form = page.locator("[data-testid=slot-form]")
        form.wait_for()
        assert form.locator("#slot-start").input_value() == "10:00"
        form.locator("#work_order_id").select_option(label=f"{first} Repair · Kemi Bello")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("[data-testid=board-message]")
        assert page.locator("[data-testid=board-message]").inner_text() == f"{first} booked."
        booked = page.locator(f"tr[data-technician='{field.technician_name}'] "
                              f"td[data-hour='10'] [data-work-order='{first}']")
        assert booked.inner_text() == f"{first} 10:00\u201312:00"  # an en dash
        assert first not in page.locator("[data-testid=waiting]").inner_text()
        # an overlapping booking for the same technician is refused, and shown as such
        page.locator(f"tr[data-technician='{field.technician_name}'] "
                     "td[data-hour='11'] a.pick").click()
        form = page.locator("[data-testid=slot-form]")
        form.wait_for()
        form.locator("#work_order_id").select_option(label=f"{second} Repair · Kemi Bello")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("[data-testid=board-refusal]")
        refusal = page.locator("[data-testid=board-refusal]").inner_text()
        assert f"Tunde Field is already booked for {first}" in refusal
        assert "from 10:00 to 12:00" in refusal
        assert second in page.locator("[data-testid=waiting]").inner_text()


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth")
                <= page.viewport_size["width"])


def test_the_technician_completes_a_job_on_a_phone(field: Field, tmp_path: Path) -> None:
    photo = tmp_path / "ont-mounted.png"
    photo.write_bytes(PNG)
    base = field.server.url
    with browser_page() as page:
        page.set_viewport_size(PHONE)
        sign_in(page, field.server, field.technician)
        page.goto(f"{base}/admin/field/my-day")
        jobs = page.locator("[data-testid=my-jobs] li.job")
        assert jobs.count() == 1 and field.today_number in jobs.first.inner_text()
        assert "14 Admiralty Way" in jobs.first.inner_text()
        assert "mlat=6.447800" in (jobs.first.locator("[data-testid=map-link]")
                                   .get_attribute("href") or "")
        assert jobs.first.locator("[data-testid=call-link]").inner_text() == \
            "Call +234 803 555 0142"
        assert fits(page)
        jobs.first.locator("a.job-open").click()
        page.wait_for_url(f"{base}/admin/field/my-day/{field.today_job}")
        assert fits(page)
        for label, status in (("On my way", "en route"), ("Arrived", "on site")):
            page.click(f"[data-testid=status-buttons] button:has-text('{label}')")
            page.wait_for_selector(f"h1 .badge:has-text('{status}')")
        # completing before the checklist is ticked is refused with the reason
        page.click("[data-testid=status-buttons] button:has-text('Complete')")
        page.wait_for_selector("[data-testid=form-errors]")
        assert "Light level below -25 dBm" in page.locator("[data-testid=form-errors]") \
            .inner_text()
        # the ONT comes out of the van and is installed at the customer's service
        equipment = page.locator("[data-testid=install-form]")
        equipment.locator("#item_id").select_option(label="Huawei HG8245H · HWTC-0001 · "
                                                          "00:25:9e:00:00:01")
        equipment.locator("button[data-action=install]").click()
        page.wait_for_selector("[data-testid=installed-cpe] li[data-serial=HWTC-0001]")
        assert fits(page)
        for item in ("Mount the ONT", "Light level below -25 dBm"):
            page.click(f"li[data-item='{item}'] button.tickbox")
            page.wait_for_selector(f"li[data-item='{item}'][data-done=yes]")
        page.set_input_files("#file", str(photo))
        page.click("[data-testid=photo-form] button[type=submit]")
        page.wait_for_selector("[data-testid=photos] figure[data-kind=photo] img")
        pad = page.locator("[data-testid=signature-pad]")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + 100)
        page.mouse.down()
        for step in range(1, 12):
            page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 100 - (step % 3) * 25)
        page.mouse.up()
        page.click("[data-testid=signature-form] button[type=submit]")
        page.wait_for_selector("[data-testid=signature] figure[data-kind=signature] img")
        assert fits(page)
        page.click("[data-testid=status-buttons] button:has-text('Complete')")
        page.wait_for_selector("h1 .badge:has-text('done')")
        assert page.locator(".flash").inner_text() == "The work order is done."
        page.goto(f"{base}/admin/field/work-orders/{field.today_job}")
        assert page.locator("h1 .badge").get_attribute("data-status") == "done"
        photo_img = page.locator("[data-testid=photos] figure[data-kind=photo] img")
        assert "ont-mounted.png" in (photo_img.get_attribute("alt") or "")
        assert page.evaluate("img => img.complete && img.naturalWidth > 0",
                             photo_img.element_handle())
        signed = page.locator("[data-testid=photos] figure[data-kind=signature] img")
        assert page.evaluate("img => img.naturalWidth > 0", signed.element_handle())
        history = page.locator("[data-testid=history]").inner_text()
        assert "on site → done" in history and field.technician in history
        moved = page.locator("[data-testid=job-moves] tr[data-kind=install]").inner_text()
        assert "HWTC-0001" in moved and "kemi.bello" in moved
