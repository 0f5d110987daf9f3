"""The RADIUS JSON API and staff pages over HTTP (rolled-back database)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius.models import CoaRequest, RadAcct, RadPostAuth
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.types import utcnow
from tests.support.customers import make_subscription
from tests.support.factories import StaffUser, make_user
from tests.web.test_admin_pages import csrf_of, sign_in

API = "/api/v1/radius"


def _nas(client: TestClient, admin: StaffUser, **body: object) -> dict[str, object]:
    payload = {"name": "bng-1", "address": "198.51.100.1", "vendor": "mikrotik", **body}
    response = client.post(f"{API}/nas", json=payload, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _session_row(session: Session, tenant: Tenant, nas_id: object, sub_id: object, *,
                 stopped: bool = False, user: str = "alice", ip: str = "100.64.0.5") -> RadAcct:
    row = RadAcct(tenant_id=tenant.id, acctsessionid=f"S-{uuid.uuid4().hex[:6]}",
                  acctuniqueid=uuid.uuid4().hex, username=user, nasipaddress="198.51.100.1",
                  framedipaddress=ip, acctstarttime=utcnow(),
                  acctstoptime=utcnow() if stopped else None,
                  nas_id=uuid.UUID(str(nas_id)), subscription_id=sub_id)
    session.add(row)
    session.flush()
    return row


def test_nas_secret_is_shown_once_and_stored_encrypted(client: TestClient, admin: StaffUser,
                                                       session: Session) -> None:
    created = _nas(client, admin)
    assert isinstance(created["secret"], str) and len(str(created["secret"])) >= 20
    shown = client.get(f"{API}/nas/{created['id']}", headers=admin.headers).json()
    listed = client.get(f"{API}/nas", headers=admin.headers).json()
    assert "secret" not in shown and str(created["secret"]) not in str(listed)
    from dotmac_isp.modules.network.radius.models import NasClient

    stored = session.get(NasClient, uuid.UUID(str(created["id"])))
    assert stored is not None and str(created["secret"]) not in stored.secret_encrypted
    rotated = client.post(f"{API}/nas/{created['id']}/rotate-secret", headers=admin.headers)
    assert rotated.status_code == 200 and rotated.json()["secret"] != created["secret"]
    assert shown["address"] == "198.51.100.1/32"


def test_nas_addresses_must_not_overlap_across_tenants(client: TestClient, admin: StaffUser,
                                                       other_admin: StaffUser) -> None:
    _nas(client, admin, address="203.0.113.0/28")
    same_tenant = client.post(f"{API}/nas", headers=admin.headers,
                              json={"name": "b", "address": "203.0.113.5"})
    assert same_tenant.status_code == 409 and "overlaps" in same_tenant.json()["detail"]
    other = client.post(f"{API}/nas", headers=other_admin.headers,
                        json={"name": "x", "address": "203.0.113.9"})
    assert other.status_code == 409 and "already used" in other.json()["detail"]
    bad = client.post(f"{API}/nas", headers=admin.headers,
                      json={"name": "y", "address": "not-an-address"})
    assert bad.status_code == 422
    weak = client.post(f"{API}/nas", headers=admin.headers,
                       json={"name": "z", "address": "203.0.114.1", "secret": "has space!"})
    assert weak.status_code == 422


def test_sessions_filter_and_disconnect_queues_a_request(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    nas = _nas(client, admin)
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    live = _session_row(session, tenant, nas["id"], sub.id)
    ended = _session_row(session, tenant, nas["id"], sub.id, stopped=True, user="bob",
                         ip="100.64.0.6")
    online = client.get(f"{API}/sessions", params={"online": "true"}, headers=admin.headers)
    assert [s["radacctid"] for s in online.json()["items"]] == [live.radacctid]
    by_ip = client.get(f"{API}/sessions", params={"ip": "100.64.0.6"}, headers=admin.headers)
    assert [s["username"] for s in by_ip.json()["items"]] == ["bob"]
    assert client.get(f"{API}/sessions", params={"ip": "nonsense"},
                      headers=admin.headers).status_code == 422
    by_user = client.get(f"{API}/sessions", params={"username": "ali"}, headers=admin.headers)
    assert [s["username"] for s in by_user.json()["items"]] == ["alice"]
    queued = client.post(f"{API}/sessions/{live.radacctid}/disconnect", headers=admin.headers)
    assert queued.status_code == 202, queued.text
    body = queued.json()
    assert (body["kind"], body["reason"], body["state"], body["target_port"]) == (
        "disconnect", "staff", "pending", 3799)
    assert ["Acct-Session-Id", live.acctsessionid] in body["attributes"]
    again = client.post(f"{API}/sessions/{ended.radacctid}/disconnect", headers=admin.headers)
    assert again.status_code == 409
    listed = client.get(f"{API}/coa-requests", headers=admin.headers).json()
    assert [r["id"] for r in listed["items"]] == [body["id"]]


def test_read_only_staff_can_look_but_not_disconnect(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    nas = _nas(client, admin)
    row = _session_row(session, tenant, nas["id"], None)
    viewer = make_user(session, settings, tenant, "read_only")
    assert client.get(f"{API}/sessions", headers=viewer.headers).status_code == 200
    assert client.post(f"{API}/sessions/{row.radacctid}/disconnect",
                       headers=viewer.headers).status_code == 403
    assert session.query(CoaRequest).count() == 0


def test_pages_list_sessions_history_and_post_auth_and_disconnect(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    nas = _nas(client, admin)
    live = _session_row(session, tenant, nas["id"], None, user="pageuser")
    _session_row(session, tenant, nas["id"], None, stopped=True, user="gone-user")
    session.add(RadPostAuth(tenant_id=tenant.id, username="pageuser", reply="Access-Reject",
                            reason="Invalid username or password", auth_method="pap",
                            nasipaddress="198.51.100.1", authdate=utcnow()))
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    online = client.get("/admin/radius/sessions")
    assert online.status_code == 200
    assert "pageuser" in online.text and "gone-user" not in online.text
    assert "Disconnect" in online.text
    history = client.get("/admin/radius/history", params={"q": "gone"})
    assert "gone-user" in history.text and "pageuser" not in history.text
    assert "Invalid username or password" in client.get("/admin/radius/post-auth").text
    assert "bng-1" in client.get("/admin/radius/nas").text
    token = csrf_of(online.text)
    done = client.post(f"/admin/radius/sessions/{live.radacctid}/disconnect",
                       data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert session.query(CoaRequest).filter_by(radacctid=live.radacctid).count() == 1
    assert 'href="/admin/radius/sessions"' in client.get("/admin").text


def test_usage_endpoint_for_the_portal_graph(client: TestClient, admin: StaffUser,
                                             session: Session, settings: Settings,
                                             tenant: Tenant, other_admin: StaffUser) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    response = client.get(f"{API}/usage/{sub.id}", params={"days": 7}, headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["days"] == [] and body["month_octets"] == 0 and body["capped"] is False
    assert client.get(f"{API}/usage/{sub.id}", headers=other_admin.headers).status_code == 404


def test_rest_endpoints_answer_like_rlm_rest_expects_and_refuse_garbage_with_4xx(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE,
                            radius_username="resty", radius_password="resty-password")

    def attrs(**values: object) -> dict[str, object]:
        return {name.replace("_", "-"): {"type": "string", "value": [value]}
                for name, value in values.items()}

    ok = client.post(f"{API}/rest/authorize", headers=admin.headers,
                     json=attrs(User_Name="resty"))
    assert ok.status_code == 200
    assert ok.json()["control:Cleartext-Password"] == "resty-password"
    assert ok.json()["reply:Acct-Interim-Interval"] == "300"
    unknown = client.post(f"{API}/rest/authorize", headers=admin.headers,
                          json=attrs(User_Name="nobody"))
    assert unknown.status_code == 401
    assert unknown.json() == {"reply:Reply-Message": "Invalid username or password"}
    no_user = client.post(f"{API}/rest/accounting", headers=admin.headers,
                          json=attrs(Acct_Status_Type="Start"))
    assert no_user.status_code == 422
    huge = client.post(f"{API}/rest/accounting", headers=admin.headers, json={
        **attrs(Acct_Status_Type="Interim-Update", User_Name="resty", Acct_Session_Id="R1",
                NAS_IP_Address="198.51.100.1"),
        "Acct-Session-Time": {"type": "integer", "value": ["99999999999999"]},
        "Class": {"type": "octets", "value": ["x" * 250] * 400}})
    assert huge.status_code in (204, 422)
    stored = client.post(f"{API}/rest/accounting", headers=admin.headers, json={
        **attrs(Acct_Status_Type="Start", User_Name="resty", Acct_Session_Id="R2",
                NAS_IP_Address="198.51.100.1")})
    assert stored.status_code == 204
    row = session.query(RadAcct).filter_by(acctsessionid="R2").one()
    assert row.subscription_id == sub.id and row.acctstoptime is None
