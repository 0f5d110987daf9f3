"""The first-run setup page: on a database with no tenant, / and /admin lead here instead of a
sign-in nobody could use. Once set up, the page is gone and a second submission is refused."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.identity import first_run, setup_state
from dotmac_isp.modules.identity.deps import SETUP_PATH, AppSettings, DbSession
from dotmac_isp.shared.errors import NotFound
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(include_in_schema=False)
FIELDS = ("isp_name", "currency", "timezone", "tax_rate", "email", "full_name", "password",
          "password_confirm")
SETUP_LABELS = {"isp_name": "ISP name", "currency": "Currency", "timezone": "Time zone",
                "tax_rate": "Tax rate", "email": "Email", "full_name": "Full name",
                "password": "Password"}


@router.get("/")
def root(request: Request, session: DbSession) -> Response:
    target = SETUP_PATH if setup_state.setup_pending(request.app.state, session) else "/admin"
    return RedirectResponse(target, status_code=303)


def _page(request: Request, form: dict[str, str], errors: FormErrors | None = None,
          status_code: int = 200) -> HTMLResponse:
    shown = {k: v for k, v in form.items() if not k.startswith("password")}
    return render(request, "identity/setup.html", {"form": shown, "errors": errors or []},
                  status_code=status_code)


@router.get(SETUP_PATH, response_class=HTMLResponse)
def setup_page(request: Request, session: DbSession) -> HTMLResponse:
    if not setup_state.setup_pending(request.app.state, session):
        raise NotFound("this installation is already set up")
    return _page(request, {"currency": "USD", "timezone": "UTC", "tax_rate": "0"})


@router.post(SETUP_PATH, response_class=HTMLResponse)
async def setup_submit(request: Request, session: DbSession, settings: AppSettings) -> Response:
    raw = await verify_csrf(request)
    values = {k: str(raw.get(k, "")) for k in FIELDS}
    form = first_run.SetupForm(**values)
    try:
        _tenant, user = first_run.run_setup(session, settings, form)
    except first_run.SetupInvalid as exc:
        # each problem starts with its field's label: shown beside that field
        return _page(request, values, FormErrors(SETUP_LABELS, exc.problems), status_code=422)
    flash(request, f"{form.isp_name.strip()} is set up. Sign in as {user.email}.")
    return RedirectResponse("/admin/login", status_code=303)
