"""Response hardening headers, the session cookie's Secure flag, and request body limits."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dotmac_isp.config import HttpSettings, Settings
from dotmac_isp.main import create_app
from dotmac_isp.web.templating import TEMPLATE_DIRS
from tests.conftest import RollbackDatabase
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import sign_in

MiB = 1024 * 1024


def test_pages_api_and_static_files_carry_the_hardening_headers(client: TestClient) -> None:
    for url in ("/admin/login", "/api/v1/auth/me", "/static/app.css", "/portal",
                "/no-such-page"):
        headers = client.get(url).headers
        assert headers["x-frame-options"] == "DENY", url
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", url
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, url
    csp = client.get("/admin/login").headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and script_src.group(1).strip() == "'self'"
    assert "unsafe-eval" not in csp
    # the API explorer keeps working (its assets come from a CDN) and still cannot be framed
    docs = client.get("/docs").headers
    assert docs["content-security-policy"] == "frame-ancestors 'none'"


def test_no_template_has_inline_script() -> None:
    """The policy allows scripts from /static only: an inline one would silently stop working."""
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text()
            for tag in re.findall(r"<script\b[^>]*>", text):
                if "src=" not in tag:
                    offenders.append((path.name, tag))
            offenders += [(path.name, m) for m in re.findall(r"\son[a-z]+\s*=", text)]
            offenders += [(path.name, "javascript:") for _ in re.findall("javascript:", text)]
    assert offenders == []


def test_confirm_script_is_served(client: TestClient) -> None:
    page = client.get("/admin/login").text
    assert '<script src="/static/confirm.js" defer></script>' in page
    script = client.get("/static/confirm.js")
    assert script.status_code == 200 and "data-confirm" in script.text


def production(**overrides: object) -> Settings:
    return Settings(environment="production", secret_key="x" * 40,  # type: ignore[arg-type]
                    **overrides)


def test_session_cookie_is_secure_by_default_outside_development(settings: Settings) -> None:
    assert production().secure_cookies is True
    assert production(session_cookie_secure=False).secure_cookies is False
    assert settings.secure_cookies is False  # test
    assert Settings(environment="development").secure_cookies is False
    assert Settings(environment="development", session_cookie_secure=True).secure_cookies


def test_production_sign_in_sets_a_secure_cookie(settings: Settings, db: RollbackDatabase,
                                                 admin: StaffUser) -> None:
    prod = settings.model_copy(update={"environment": "production", "session_cookie_secure": None})
    app = create_app(prod, db, configure_logs=False)  # type: ignore[arg-type]
    with TestClient(app, base_url="https://testserver") as client:
        response = sign_in(client, admin.user.email, admin.password)
        assert response.status_code == 303
        cookie = response.headers["set-cookie"].lower()
        assert "dotmac_session=" in cookie and "; secure" in cookie and "httponly" in cookie
    with TestClient(create_app(settings, db, configure_logs=False)) as client:  # type: ignore[arg-type]
        cookie = sign_in(client, admin.user.email, admin.password).headers["set-cookie"]
        assert "secure" not in cookie.lower()


@pytest.fixture
def small_limits(settings: Settings, db: RollbackDatabase) -> Iterator[TestClient]:
    limited = settings.model_copy(update={"http": HttpSettings(max_body_bytes=64 * 1024,
                                                               max_upload_bytes=3 * MiB)})
    with TestClient(create_app(limited, db, configure_logs=False),  # type: ignore[arg-type]
                    raise_server_exceptions=False) as client:
        yield client


def _json_of_size(size: int) -> bytes:
    return b'{"email": "a@b.example", "password": "' + b"x" * size + b'"}'


def test_a_large_json_body_is_refused_with_413(client: TestClient, admin: StaffUser) -> None:
    huge = client.post("/api/v1/auth/login", content=_json_of_size(16 * MiB),
                       headers={"Content-Type": "application/json"})
    assert huge.status_code == 413
    assert huge.json() == {"error": "payload_too_large",
                           "detail": "the request body is larger than the limit of 1 MiB"}
    untyped = client.post("/api/v1/auth/login", content=_json_of_size(2 * MiB))
    assert untyped.status_code == 413
    form = client.post("/admin/login", content=b"email=" + b"x" * (2 * MiB),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 413
    fine = client.post("/api/v1/auth/login", json={"email": admin.user.email,
                                                   "password": admin.password})
    assert fine.status_code == 200


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(
        client: TestClient, small_limits: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        body = _json_of_size(2 * MiB)
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    response = client.post("/api/v1/auth/login", content=chunks(),
                           headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and "1 MiB" in response.json()["detail"]
    small = small_limits.post("/api/v1/auth/login", content=iter([_json_of_size(100 * 1024)]),
                              headers={"Content-Type": "application/json"})
    assert small.status_code == 413 and "65536 bytes" in small.json()["detail"]


def test_uploads_keep_their_own_larger_limit(client: TestClient, small_limits: TestClient,
                                             admin: StaffUser) -> None:
    csv = b"external_ref,kind\n" + b"x" * (2 * MiB)
    imported = client.post("/api/v1/customers/import", content=csv,
                           headers={**admin.headers, "Content-Type": "text/csv"})
    assert imported.status_code != 413
    two_mib_file = {"file": ("statement.csv", b"a,b\n" + b"1" * (2 * MiB), "text/csv")}
    multipart = small_limits.post("/api/v1/auth/login", files=two_mib_file)
    assert multipart.status_code == 422  # past the limit check: the endpoint wants JSON
    too_big = small_limits.post("/api/v1/auth/login", files={
        "file": ("statement.csv", b"1" * (4 * MiB), "text/csv")})
    assert too_big.status_code == 413 and "3 MiB" in too_big.json()["detail"]
