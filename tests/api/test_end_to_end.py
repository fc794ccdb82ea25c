"""The walking skeleton, end to end: generate an address over the API, send it mail over
SMTP through the real Postfix and milter, read it back over the API."""
import smtplib
import uuid

import pytest
import requests

from conftest import send_mail, wait_for


def inbox(api, address):
    r = api.get(f"/api/mail/inbox/{address}")
    assert r.status_code == 200, r.text
    return r.json()["emails"]


def test_generate_send_read(api, smtp_addr, domain):
    r = api.post("/api/mail/generate", json={})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["message"] == "Email generated successfully"
    assert made["email"].endswith("@" + domain)
    assert isinstance(made["id"], int)
    assert isinstance(made["balance"], (int, float))

    subject = f"Verify your account {uuid.uuid4()}"
    refused = send_mail(smtp_addr, "noreply@example.com", [made["email"]], subject=subject,
                        body="Click the link below to verify...")
    assert refused == {}

    emails = wait_for(lambda: inbox(api, made["email"]))
    assert len(emails) == 1
    msg = emails[0]
    assert msg["from"] == "noreply@example.com"
    assert msg["subject"] == subject
    assert msg["body"].strip() == "Click the link below to verify..."
    assert msg["html"] == ""
    assert msg["received_at"].endswith("Z") and "T" in msg["received_at"]
    assert isinstance(msg["id"], int)


def test_html_body_is_returned(api, smtp_addr):
    made = api.post("/api/mail/generate", json={}).json()
    boundary = "b-" + uuid.uuid4().hex
    raw = (f"From: Shop <shop@example.com>\r\nTo: {made['email']}\r\nSubject: html\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary={boundary}\r\n\r\n"
           f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain part\r\n"
           f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html part</p>\r\n"
           f"--{boundary}--\r\n")
    send_mail(smtp_addr, "shop@example.com", [made["email"]], raw=raw)
    emails = wait_for(lambda: inbox(api, made["email"]))
    assert "plain part" in emails[0]["body"]
    assert "<p>html part</p>" in emails[0]["html"]


def test_unknown_mailbox_is_refused_at_rcpt(smtp_addr, domain):
    with smtplib.SMTP(*smtp_addr, timeout=30) as s:
        s.ehlo("client.test")
        s.mail("someone@example.com")
        code, text = s.rcpt(f"nobody-{uuid.uuid4().hex[:8]}@{domain}")
    assert code == 550, text
    assert b"5.1.1" in text


def test_other_domains_pass_untouched(api, smtp_addr, relay_sink):
    """Mail for a domain tempmail does not manage is relayed on as it was, and not stored."""
    marker = uuid.uuid4().hex
    send_mail(smtp_addr, "a@example.com", ["friend@elsewhere.example"], subject=f"pass {marker}",
              body=f"body {marker}")
    got = wait_for(lambda: relay_sink.find(marker))
    assert got, "the relay sink never received the message"
    assert got[0]["rcpts"] == ["friend@elsewhere.example"]
    assert f"Subject: pass {marker}".encode() in got[0]["data"]


def test_mixed_recipients_split(api, smtp_addr, relay_sink):
    """Captured recipients are stored and removed; the others are delivered as before."""
    made = api.post("/api/mail/generate", json={}).json()
    marker = uuid.uuid4().hex
    send_mail(smtp_addr, "a@example.com", [made["email"], "other@elsewhere.example"],
              subject=f"mixed {marker}")
    emails = wait_for(lambda: inbox(api, made["email"]))
    assert emails and emails[0]["subject"] == f"mixed {marker}"
    got = wait_for(lambda: relay_sink.find(marker))
    assert got and got[0]["rcpts"] == ["other@elsewhere.example"]


def test_inbox_of_someone_else_or_nobody_is_404(api, domain):
    r = api.get(f"/api/mail/inbox/nobody-{uuid.uuid4().hex[:8]}@{domain}")
    assert r.status_code == 404
    assert r.json() == {"error": "Email address not found", "status": 404}


def test_missing_and_bad_key_are_401(base_url):
    r = requests.post(base_url + "/api/mail/generate", timeout=30)
    assert r.status_code == 401
    assert r.json()["status"] == 401 and r.json()["error"]
    r = requests.get(base_url + "/api/mail/list", headers={"x-api-key": "al_" + "0" * 48}, timeout=30)
    assert r.status_code == 401


def test_unknown_api_path_is_json_404(base_url):
    r = requests.get(base_url + "/api/no/such/route", timeout=30)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["status"] == 404


def test_wrong_method_is_405_with_allow(api):
    r = api.get("/api/mail/generate")
    assert r.status_code == 405
    assert r.headers["Allow"] == "POST"
    assert r.json()["status"] == 405
