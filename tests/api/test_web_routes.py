"""The routes the web pages need beyond the two API documents: a message's raw source and
attachments (/api/messages/), deleting messages and addresses, the domains one may generate
on (/api/mailboxes/), and the operator's console (/api/admin/)."""
import base64
import uuid

import pytest
import requests

from conftest import send_mail, sql, tempmailctl, wait_for


def inbox(api, address):
    r = api.get(f"/api/mail/inbox/{address}")
    assert r.status_code == 200, r.text
    return r.json()["emails"]


def mail_with_attachment(address, marker):
    boundary = "b-" + uuid.uuid4().hex
    payload = base64.b64encode(b"hello attachment " + marker.encode()).decode()
    return (f"From: a@example.com\r\nTo: {address}\r\nSubject: att {marker}\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary={boundary}\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; name=\"n\u00e4me \\\"x\\\".txt\"\r\n"
            f"Content-Disposition: attachment; filename=\"report.txt\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{payload}\r\n--{boundary}--\r\n")


@pytest.fixture
def delivered(make_account, smtp_addr):
    """An account with one address that received one message with an attachment."""
    api = make_account(balance="1")
    made = api.post("/api/mail/generate", json={}).json()
    marker = uuid.uuid4().hex
    send_mail(smtp_addr, "a@example.com", [made["email"]],
              raw=mail_with_attachment(made["email"], marker).encode())
    emails = wait_for(lambda: inbox(api, made["email"]))
    assert emails
    return api, made, emails[0], marker


def test_raw_source_and_attachments_for_the_owner_only(delivered, make_account):
    api, made, msg, marker = delivered
    r = api.get(f"/api/messages/{msg['id']}/raw")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "message/rfc822"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert f"Subject: att {marker}".encode() in r.content

    r = api.get(f"/api/messages/{msg['id']}/attachments")
    assert r.status_code == 200, r.text
    atts = r.json()["attachments"]
    assert len(atts) == 1
    a = atts[0]
    assert a["index"] == 0 and a["filename"] == "report.txt" and a["content_type"] == "text/plain"
    assert a["url"] == f"/api/messages/{msg['id']}/attachments/0"
    r = api.get(a["url"])
    assert r.status_code == 200
    assert r.content == b"hello attachment " + marker.encode()
    assert r.headers["Content-Disposition"] == 'attachment; filename="report.txt"; filename*=UTF-8\'\'report.txt'
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert api.get(f"/api/messages/{msg['id']}/attachments/1").status_code == 404
    assert api.get(f"/api/messages/{msg['id']}/attachments/x").status_code == 404

    other = make_account()
    for path in (f"/api/messages/{msg['id']}/raw", f"/api/messages/{msg['id']}/attachments",
                 f"/api/messages/{msg['id']}/attachments/0"):
        r = other.get(path)
        assert r.status_code == 404, path
        assert r.json()["status"] == 404
    assert requests.get(api.base_url + f"/api/messages/{msg['id']}/raw", timeout=30).status_code == 401
    assert api.get("/api/messages/0/raw").status_code == 404
    assert api.get("/api/messages/abc/raw").status_code == 404


def test_delete_message_and_mailbox(delivered, make_account, smtp_addr):
    api, made, msg, _ = delivered
    other = make_account()
    assert other.request("DELETE", f"/api/messages/{msg['id']}").status_code == 404
    assert other.request("DELETE", f"/api/mailboxes/{made['id']}").status_code == 404

    r = api.request("DELETE", f"/api/messages/{msg['id']}")
    assert r.status_code == 200, r.text
    assert inbox(api, made["email"]) == []
    assert api.request("DELETE", f"/api/messages/{msg['id']}").status_code == 404

    r = api.request("DELETE", f"/api/mailboxes/{made['id']}")
    assert r.status_code == 200, r.text
    assert api.get(f"/api/mail/inbox/{made['email']}").status_code == 404
    assert api.get("/api/mail/list").json()["total"] == 0
    # The address no longer exists for the mail system either.
    import smtplib
    with smtplib.SMTP(*smtp_addr, timeout=30) as s:
        s.ehlo("client.test")
        s.mail("x@example.com")
        code, _ = s.rcpt(made["email"])
    assert code == 550


def test_available_domains(make_account, domain):
    api = make_account()
    r = api.get("/api/mailboxes/domains")
    assert r.status_code == 200
    assert {"domain": domain, "type": "system"} in r.json()["domains"]


def test_session_delete_needs_csrf(base_url, delivered):
    tempmailctl("ratelimit", "clear", "ip:register:127.0.0.1")
    s = requests.Session()
    r = s.post(base_url + "/api/account/register",
               json={"email": f"p-{uuid.uuid4().hex[:10]}@example.org", "password": "long enough pw"},
               timeout=30)
    assert r.status_code == 201, r.text
    csrf = r.json()["csrf_token"]
    made = s.post(base_url + "/api/mail/generate", json={}, headers={"X-CSRF-Token": csrf}, timeout=30).json()
    assert s.delete(base_url + f"/api/mailboxes/{made['id']}", timeout=30).status_code == 403
    r = s.delete(base_url + f"/api/mailboxes/{made['id']}", headers={"X-CSRF-Token": csrf}, timeout=30)
    assert r.status_code == 200


@pytest.fixture
def admin(base_url):
    email = f"admin-{uuid.uuid4().hex[:10]}@example.org"
    out = tempmailctl("account", "create", email, "--admin", "--password-stdin",
                      input="admin password 1\n")
    from conftest import Api
    a = Api(base_url, out.strip().splitlines()[-1])
    a.email = email
    a.id = int(sql(f"SELECT id FROM accounts WHERE email = '{email}'")[0][0])
    return a


ADMIN_ROUTES = [("GET", "/api/admin/users", None), ("GET", "/api/admin/domains", None),
                ("GET", "/api/admin/stats", None),
                ("POST", "/api/admin/users/1/topup", {"amount": "1"}),
                ("POST", "/api/admin/users/1/tier", {"tier": "pro"}),
                ("POST", "/api/admin/users/1/disable", {"disabled": True}),
                ("POST", "/api/admin/domains", {"domain": "x.example"}),
                ("POST", "/api/admin/domains/1/status", {"status": "disabled"})]


@pytest.mark.parametrize("method,path,body", ADMIN_ROUTES)
def test_admin_routes_are_for_admins_only(base_url, make_account, method, path, body):
    assert requests.request(method, base_url + path, json=body, timeout=30).status_code == 401
    r = make_account().request(method, path, json=body)
    assert r.status_code == 403 and r.json()["error"] == "Administrators only"


def test_admin_users_topup_tier_disable(admin, make_account):
    user = make_account(balance="0.5")
    (uid,), = sql(f"SELECT id FROM accounts WHERE email = '{user.email}'")
    r = admin.get("/api/admin/users", params={"q": user.email})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 1
    u = body["users"][0]
    assert u["id"] == int(uid) and u["email"] == user.email and u["balance"] == 0.5
    assert u["tier"] == "free" and u["disabled"] is False and u["api_key_prefix"] == user.key[:7]

    r = admin.post(f"/api/admin/users/{uid}/topup", json={"amount": "2.25"})
    assert r.status_code == 200 and r.json()["balance"] == 2.75
    assert sql(f"SELECT balance FROM accounts WHERE id = {uid}") == [["2.750000"]]
    for bad in ("-1", "0", "1e3", "1.1234567", "abc", None, "2000000"):
        assert admin.post(f"/api/admin/users/{uid}/topup", json={"amount": bad}).status_code == 400, bad
    assert admin.post("/api/admin/users/999999999/topup", json={"amount": "1"}).status_code == 404

    assert admin.post(f"/api/admin/users/{uid}/tier", json={"tier": "pro"}).status_code == 200
    assert user.get("/api/mail/list").headers["X-RateLimit-Limit"] == "1000"
    assert admin.post(f"/api/admin/users/{uid}/tier", json={"tier": "gold"}).status_code == 400

    assert admin.post(f"/api/admin/users/{uid}/disable", json={"disabled": True}).status_code == 200
    assert user.get("/api/mail/list").status_code == 401
    assert admin.post(f"/api/admin/users/{uid}/disable", json={"disabled": False}).status_code == 200
    assert user.get("/api/mail/list").status_code == 200
    r = admin.post(f"/api/admin/users/{admin.id}/disable", json={"disabled": True})
    assert r.status_code == 400


def test_admin_system_domains_and_stats(admin, make_account):
    name = f"sys-{uuid.uuid4().hex[:8]}.test"
    try:
        r = admin.post("/api/admin/domains", json={"domain": name.upper()})
        assert r.status_code == 201, r.text
        did = r.json()["id"]
        listed = {d["domain_name"]: d for d in admin.get("/api/admin/domains").json()["domains"]}
        assert listed[name]["status"] == "active"
        user = make_account()
        assert user.post("/api/mail/generate", json={"domain": name}).status_code == 201
        r = admin.post(f"/api/admin/domains/{did}/status", json={"status": "disabled"})
        assert r.status_code == 200
        assert user.post("/api/mail/generate", json={"domain": name}).status_code == 400
        assert admin.post("/api/admin/domains", json={"domain": "not a domain"}).status_code == 400
    finally:
        sql(f"DELETE FROM domains WHERE name = '{name}' AND owner_id IS NULL")

    stats = admin.get("/api/admin/stats").json()
    for k in ("accounts", "mailboxes", "messages", "messages_last_hour", "messages_last_day",
              "attachments", "system_domains", "custom_domains", "live_keys"):
        assert isinstance(stats[k], int) and stats[k] >= 0, k
    assert stats["accounts"] >= 2
