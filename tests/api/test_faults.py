"""Faults injected into the real stack with tools/stack: nothing is lost, the sender is told
to retry (4xx), and the service comes back by itself. Marked `faults`: `make test` runs
these after the rest, since they stop services the other tests need."""
import smtplib
import time
import uuid

import pytest

from conftest import send_mail, wait_for
from conftest import stack_ctl as stack

pytestmark = pytest.mark.faults


def transaction(smtp_addr, rcpt, subject):
    """Walk one SMTP transaction step by step; return the list of (step, code) until the
    first refusal, or through DATA when everything was accepted."""
    steps = []
    raw = f"From: a@example.com\r\nTo: {rcpt}\r\nSubject: {subject}\r\n\r\nbody\r\n"
    with smtplib.SMTP(*smtp_addr, timeout=60) as s:
        steps.append(("ehlo", s.ehlo("client.test")[0]))
        for step, call in (("mail", lambda: s.mail("a@example.com")), ("rcpt", lambda: s.rcpt(rcpt)),
                           ("data", lambda: s.data(raw))):
            code = call()[0]
            steps.append((step, code))
            if code >= 400:
                break
    return steps


def send_until_accepted(smtp_addr, address, subject):
    """Resend as a sending MTA would after a 4xx, until the message is accepted. After a
    MariaDB restart that takes up to a minute: postfix-mysql holds a failed server for 60 s
    (RETRY_CONN_INTV, compiled in) before it tries it again, answering 4xx meanwhile."""
    def attempt():
        try:
            return send_mail(smtp_addr, "a@example.com", [address], subject=subject) == {}
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
            codes = [c for c, _ in getattr(e, "recipients", {}).values()] or [getattr(e, "smtp_code", 0)]
            assert all(400 <= c < 500 for c in codes), e   # retry later, never a refusal
            return False
    return wait_for(attempt, timeout=120, interval=2, calls=60)   # SMTP, not the API


def inbox(api, address):
    return api.get(f"/api/mail/inbox/{address}").json()["emails"]


def test_milter_down_means_tempfail_then_delivery(api, smtp_addr):
    address = api.post("/api/mail/generate").json()["email"]
    subject = f"while the milter was down {uuid.uuid4().hex}"
    stack("stop", "milter")
    try:
        steps = transaction(smtp_addr, address, subject)
    finally:
        stack("start", "milter")
    codes = [code for _, code in steps]
    assert 400 <= codes[-1] < 500, steps          # told to retry
    assert all(c < 500 for c in codes), steps     # never refused for good
    assert inbox(api, address) == []             # and nothing half-stored

    assert send_until_accepted(smtp_addr, address, subject)
    got = wait_for(lambda: inbox(api, address))
    assert [m["subject"] for m in got] == [subject]


def test_deferred_mail_is_retried_within_seconds(smtp_addr, relay_sink):
    """With the next hop down, Postfix keeps the message and retries on its own, soon:
    the local stack sets its backoff to seconds, not Postfix's default of minutes."""
    port = relay_sink.server.server_address[1]
    relay_sink.close()
    marker = uuid.uuid4().hex
    try:
        send_mail(smtp_addr, "a@example.com", ["later@elsewhere.example"], subject=f"retry {marker}")
        time.sleep(2)  # let the first delivery attempt fail while nothing listens
    finally:
        from conftest import Sink
        sink = Sink(port)
    try:
        # The stack's backoff is 1-5 s; Postfix's default would wait 300 s or more. A loaded
        # machine can take a while, so wait well past the backoff, well short of the default.
        got = wait_for(lambda: sink.find(marker), timeout=90)
        assert got, "the deferred message was not retried within 90 s"
    finally:
        sink.close()


def test_database_down_means_tempfail_then_delivery(api, smtp_addr):
    address = api.post("/api/mail/generate").json()["email"]
    subject = f"while MariaDB was down {uuid.uuid4().hex}"
    stack("stop", "mariadb")
    try:
        steps = transaction(smtp_addr, address, subject)
    finally:
        stack("start", "mariadb")
    codes = [code for _, code in steps]
    assert 400 <= codes[-1] < 500, steps
    assert all(c < 500 for c in codes), steps

    # The route binaries and the milter reconnect by themselves.
    assert wait_for(lambda: api.get("/api/mail/list").status_code == 200)
    assert inbox(api, address) == []
    assert send_until_accepted(smtp_addr, address, subject)
    got = wait_for(lambda: inbox(api, address))
    assert [m["subject"] for m in got] == [subject]


def test_database_dies_between_rcpt_and_end_of_data(api, smtp_addr, domain):
    """MariaDB goes away after RCPT TO was accepted: the end of DATA gets a 4xx, nothing is
    stored; once it is back, the resent message is stored exactly once."""
    from conftest import sql
    account = sql(f"SELECT id FROM accounts WHERE email = '{api.email}'")[0][0]
    address = f"mid-{uuid.uuid4().hex[:12]}@{domain}"
    sql("INSERT INTO mailboxes (address, domain_id, account_id, created_at)"
        f" SELECT '{address}', id, {account}, UTC_TIMESTAMP(3) FROM domains WHERE name = '{domain}'")
    subject = f"MariaDB died mid-transaction {uuid.uuid4().hex}"
    raw = f"From: a@example.com\r\nTo: {address}\r\nSubject: {subject}\r\n\r\nbody\r\n"

    def rows():
        return sql("SELECT COUNT(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                   f" WHERE b.address = '{address}'")[0][0]

    def session_at_data():
        """A session whose RCPT was accepted. Right after an earlier MariaDB restart,
        postfix-mysql answers 4xx for up to 60 s (see send_until_accepted): wait that out."""
        s = smtplib.SMTP(*smtp_addr, timeout=60)
        s.ehlo("client.test")
        assert s.mail("a@example.com")[0] == 250
        code = s.rcpt(address)[0]
        if code == 250:                           # the milter found the mailbox
            return s
        assert 400 <= code < 500, code
        s.quit()
        return None

    s = wait_for(session_at_data, timeout=90, interval=2, calls=45)     # SMTP
    assert s, "RCPT TO was not accepted within 90 s"
    with s:
        stack("stop", "mariadb")
        try:
            code, text = s.data(raw)
        finally:
            stack("start", "mariadb")
    assert 400 <= code < 500, (code, text)
    assert rows() == "0"

    assert send_until_accepted(smtp_addr, address, subject)
    assert wait_for(lambda: rows() == "1")
    time.sleep(2)                                   # and no second copy turns up later
    assert rows() == "1"
