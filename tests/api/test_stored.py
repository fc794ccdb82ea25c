"""What the milter stored, over the API in both dialects' style (issue 6, point 2): the raw
message (message/rfc822), the attachments listed and downloaded, a message deleted, an
address deleted with its mail. Only the owner reaches any of it."""
import email.utils
import hashlib
import smtplib
import uuid
from email import policy
from email.message import EmailMessage

import pytest

from conftest import send_mail, wait_for

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def mail_with_attachment(sender, rcpt, subject):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, rcpt, subject
    m["Message-ID"] = f"<{uuid.uuid4()}@test.invalid>"
    m["Date"] = email.utils.formatdate()        # else Postfix adds one
    m.set_content("See the attached report.")
    m.add_alternative("<p>See the <b>attached</b> report.</p>", subtype="html")
    m.add_attachment(PDF, maintype="application", subtype="pdf", filename="report 2026.pdf")
    return m.as_bytes(policy=policy.SMTP)       # CRLF line ends, as on the wire


@pytest.fixture
def aurelion_message(make_account, smtp_addr):
    """An aurelion inbox of a fresh account, holding one message with a PDF attached."""
    api = make_account()
    address = api.post("/api/v1/inboxes").json()["address"]
    raw = mail_with_attachment("reports@example.com", address, "monthly report")
    send_mail(smtp_addr, "reports@example.com", [address], raw=raw)
    messages = wait_for(lambda: api.get(f"/api/v1/inboxes/{address}/messages").json()["messages"])
    assert len(messages) == 1
    return api, address, messages[0], raw


def test_raw_source_is_the_message_as_sent(aurelion_message):
    api, address, msg, raw = aurelion_message
    r = api.get(f"/api/v1/messages/{msg['id']}/raw")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "message/rfc822"
    assert r.headers["Content-Disposition"].startswith("attachment")
    # Byte for byte what the client sent (Postfix shows the milter no Received: line of its own).
    assert r.content == raw


def test_attachments_listed_and_downloaded(aurelion_message):
    api, address, msg, raw = aurelion_message
    listing = api.get(f"/api/v1/messages/{msg['id']}/attachments").json()["attachments"]
    assert len(listing) == 1
    att = listing[0]
    assert att["filename"] == "report 2026.pdf" and att["content_type"] == "application/pdf"
    assert att["size"] == len(PDF)
    assert att["url"] == f"/api/v1/messages/{msg['id']}/attachments/0"
    r = api.get(att["url"])
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert hashlib.sha256(r.content).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert "report" in r.headers["Content-Disposition"]
    assert api.get(f"/api/v1/messages/{msg['id']}/attachments/1").status_code == 404


def test_the_same_through_the_leveragers_ids(aurelion_message):
    """The leveragers inbox gives numeric ids; the same message is reachable by them."""
    api, address, msg, raw = aurelion_message
    emails = api.get(f"/api/mail/inbox/{address}").json()["emails"]
    numeric = emails[0]["id"]
    by_uuid = api.get(f"/api/v1/messages/{msg['id']}/raw").content
    assert api.get(f"/api/messages/{numeric}/raw").content == by_uuid
    listing = api.get(f"/api/messages/{numeric}/attachments").json()["attachments"]
    assert listing[0]["url"] == f"/api/messages/{numeric}/attachments/0"
    assert api.get(listing[0]["url"]).content == PDF


def test_nobody_else_reaches_it(aurelion_message, make_account):
    api, address, msg, raw = aurelion_message
    other = make_account()
    numeric = api.get(f"/api/mail/inbox/{address}").json()["emails"][0]["id"]
    for path in (f"/api/v1/messages/{msg['id']}/raw", f"/api/v1/messages/{msg['id']}/attachments",
                 f"/api/v1/messages/{msg['id']}/attachments/0", f"/api/messages/{numeric}/raw",
                 f"/api/messages/{numeric}/attachments/0"):
        r = other.get(path)
        assert r.status_code == 404 and r.json()["status"] == 404, path
    assert other.request("DELETE", f"/api/v1/messages/{msg['id']}").status_code == 404
    assert other.request("DELETE", f"/api/v1/inboxes/{address}").status_code == 404
    # Still there for the owner.
    assert api.get(f"/api/v1/messages/{msg['id']}/raw").status_code == 200
    for bad in ("not-a-uuid", "0" * 36, str(numeric)):
        assert api.get(f"/api/v1/messages/{bad}/raw").status_code == 404


def test_delete_a_message(aurelion_message, smtp_addr):
    api, address, msg, raw = aurelion_message
    send_mail(smtp_addr, "a@example.com", [address], subject="second")
    wait_for(lambda: len(api.get(f"/api/v1/inboxes/{address}/messages").json()["messages"]) == 2)
    r = api.request("DELETE", f"/api/v1/messages/{msg['id']}")
    assert r.status_code == 200 and r.json()["message"] == "Message deleted"
    left = api.get(f"/api/v1/inboxes/{address}/messages").json()["messages"]
    assert [m["subject"] for m in left] == ["second"]
    assert api.get(f"/api/v1/messages/{msg['id']}/raw").status_code == 404
    assert api.request("DELETE", f"/api/v1/messages/{msg['id']}").status_code == 404


def test_delete_an_address_with_its_mail(aurelion_message, smtp_addr):
    api, address, msg, raw = aurelion_message
    r = api.request("DELETE", f"/api/v1/inboxes/{address.upper()}")
    assert r.status_code == 200 and r.json()["address"] == address
    assert api.get(f"/api/v1/inboxes/{address}/messages").status_code == 404
    assert api.get(f"/api/v1/messages/{msg['id']}/raw").status_code == 404
    assert address not in [e["email_address"] for e in api.get("/api/mail/list").json()["emails"]]
    # And the address takes no more mail.
    with smtplib.SMTP(*smtp_addr, timeout=30) as s:
        s.ehlo("client.test")
        s.mail("a@example.com")
        code, _ = s.rcpt(address)
    assert code == 550
    assert api.request("DELETE", f"/api/v1/inboxes/{address}").status_code == 404


def test_wrong_method_on_the_new_routes(aurelion_message):
    api, address, msg, raw = aurelion_message
    r = api.post(f"/api/v1/messages/{msg['id']}/raw")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
    r = api.post(f"/api/v1/inboxes/{address}")
    assert r.status_code == 405 and r.headers["Allow"] == "DELETE"
