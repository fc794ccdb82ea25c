"""An inbox of more messages than a read renders at a time (lib/inbox.h, INBOX_READ_PAGE =
100): inbox_reply() reads the rows of the messages its process has not rendered yet a page at
a time, and answers from the pieces without gathering them into one buffer. The answer is
what a read of them all at once gave: every message once, newest first, in both dialects;
and over 1 MiB, so the route process also trims its heap after it (lib/http.c), which the
ASan build of this suite runs through."""
import smtplib
import uuid
from urllib.parse import quote

from conftest import sql, wait_for

COUNT = 250                     # three pages, the last one short
BODY = "0123456789" * 500       # 5 KB of text: 250 of them make an answer of over 1 MiB


def test_a_large_inbox_lists_every_message_once_newest_first(api, domain, smtp_addr):
    address = f"large-{uuid.uuid4().hex[:10]}@{domain}"
    r = api.post("/api/mail/generate", json={"prefix": address.split("@")[0], "domain": domain})
    assert r.status_code == 201, r.text
    subjects = [f"page test {i:03d}" for i in range(COUNT)]
    with smtplib.SMTP(*smtp_addr, timeout=60) as s:
        for subject in subjects:
            raw = (f"From: pages@example.com\r\nTo: {address}\r\nSubject: {subject}\r\n"
                   f"Message-ID: <{uuid.uuid4()}@test.invalid>\r\n\r\n{BODY}\r\n")
            assert s.sendmail("pages@example.com", [address], raw.encode()) == {}

    def stored():
        return int(sql("SELECT COUNT(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                       f" WHERE b.address = '{address}'")[0][0])
    assert wait_for(lambda: stored() == COUNT, timeout=60), stored()

    newest_first = list(reversed(subjects))
    r = api.get(f"/api/mail/inbox/{quote(address, safe='@')}")
    assert r.status_code == 200, r.text[:300]
    assert len(r.content) > 1024 * 1024         # as the route wrote it (a proxy may gzip it)
    emails = r.json()["emails"]
    assert [e["subject"] for e in emails] == newest_first
    assert len({e["id"] for e in emails}) == COUNT
    assert all(e["body"].strip() == BODY for e in emails)

    r = api.get(f"/api/v1/inboxes/{quote(address, safe='@')}/messages")
    assert r.status_code == 200, r.text[:300]
    messages = r.json()["messages"]
    assert [m["subject"] for m in messages] == newest_first
    assert len({m["id"] for m in messages}) == COUNT

    # Read again: now from the process's cache where it kept them, the same answer.
    again = api.get(f"/api/mail/inbox/{quote(address, safe='@')}").json()["emails"]
    assert again == emails
