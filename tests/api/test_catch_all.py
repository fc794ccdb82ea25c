"""Issue 11, point 5: catch-all custom domains, against the real stack (Postfix, the milter,
MariaDB) and a real DNS server (dnsmasq, as in test_domains.py).

The owner of a verified custom domain turns catch-all on (PATCH /api/domains/{id}
{"catch_all": true}); from then on mail to any local part that generate would take is
accepted, and the address is created on its first delivery, owned by the domain's owner,
in the transaction that stores the message; with catch-all off, unknown local parts get
550 5.1.1 again."""
import smtplib
import threading
import uuid

import pytest

from conftest import send_mail, sql, wait_for
from test_domains import CONF, Dns, add, good_records, new_name, verify


@pytest.fixture
def owned(make_account, stack):
    """An account with a verified custom domain, as test_domains.py makes one: (api, domain).
    The DNS server (dnsmasq on the stack's resolver address) runs only for the verification,
    so that it never stands in the way of test_domains.py's own."""
    assert CONF.get("dns_server") == "127.0.0.1", "tempmail.conf must point dns_server at 127.0.0.1"
    api = make_account()
    dom = add(api, new_name())["domain"]
    dns = Dns(int(CONF.get("dns_port", "53")))
    try:
        dns.serve(good_records(dom["domain_name"], dom["txt_record"]))
        r = verify(api, dom["id"])
    finally:
        dns.stop()
    assert r.status_code == 200, r.text
    return api, dom


def set_catch_all(api, domain_id, on):
    return api.request("PATCH", f"/api/domains/{domain_id}", json={"catch_all": on})


def rcpt_reply(smtp_addr, address):
    """The SMTP reply (code, text) to RCPT TO:<address>, without sending a message."""
    with smtplib.SMTP(*smtp_addr, timeout=30) as s:
        s.ehlo("catch-all.test")
        s.mail("sender@example.com")
        code, text = s.rcpt(address)
        s.rset()
    return code, text.decode()


def addresses_of(api):
    r = api.get("/api/mail/list", params={"per_page": 100})
    assert r.status_code == 200, r.text
    return {e["email_address"] for e in r.json()["emails"]}


def inbox_subjects(api, address):
    r = api.get(f"/api/mail/inbox/{address}")
    return [m["subject"] for m in r.json()["emails"]] if r.status_code == 200 else None


def test_catch_all_is_off_until_its_owner_turns_it_on(owned, smtp_addr):
    api, dom = owned
    assert dom["catch_all"] is False
    listed = api.get("/api/domains/user").json()["domains"]
    assert [d["catch_all"] for d in listed] == [False]
    code, text = rcpt_reply(smtp_addr, f"nobody@{dom['domain_name']}")
    assert code == 550 and "5.1.1" in text

    r = set_catch_all(api, dom["id"], True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["domain"]["catch_all"] is True and body["domain"]["id"] == dom["id"]
    # The documented fields are all still there.
    for field in ("id", "domain_name", "status", "verified_at", "created_at", "mx_record",
                  "txt_record", "dns_records"):
        assert field in body["domain"]
    assert api.get("/api/domains/user").json()["domains"][0]["catch_all"] is True


def test_new_local_parts_become_addresses_of_the_owner(owned, smtp_addr, make_account):
    api, dom = owned
    other = make_account()
    assert set_catch_all(api, dom["id"], True).status_code == 200
    balance = api.get("/api/account/profile").json()["balance"]
    name = dom["domain_name"]
    first, second = f"alpha.{uuid.uuid4().hex[:6]}@{name}", f"Beta+Tag-{uuid.uuid4().hex[:6]}@{name}"
    subjects = {first: f"first {uuid.uuid4()}", second.lower(): f"second {uuid.uuid4()}"}
    assert send_mail(smtp_addr, "sender@example.com", [first], subject=subjects[first]) == {}
    assert send_mail(smtp_addr, "sender@example.com", [second],
                     subject=subjects[second.lower()]) == {}

    # Both exist now, in the owner's list, each with its message; lowercase as generate makes them.
    assert wait_for(lambda: set(subjects) <= addresses_of(api))
    for address, subject in subjects.items():
        assert wait_for(lambda: inbox_subjects(api, address)) == [subject]
    rows = sql("SELECT b.account_id = d.owner_id, b.domain_id = d.id, b.expires_at IS NULL"
               " FROM mailboxes b JOIN domains d ON d.name = '" + name + "'"
               " WHERE b.address IN ('" + "','".join(subjects) + "')")
    assert rows == [["1", "1", "1"], ["1", "1", "1"]]
    # Made by mail, not by the owner: no address price is charged.
    assert api.get("/api/account/profile").json()["balance"] == balance

    # Another account sees none of it.
    assert not set(subjects) & addresses_of(other)
    for address in subjects:
        r = other.get(f"/api/mail/inbox/{address}")
        assert r.status_code == 404, r.text

    # A second message to a made address lands in the same mailbox.
    again = f"again {uuid.uuid4()}"
    assert send_mail(smtp_addr, "sender@example.com", [first], subject=again) == {}
    assert wait_for(lambda: len(inbox_subjects(api, first)) == 2)
    assert sql(f"SELECT COUNT(*) FROM mailboxes WHERE address = '{first}'") == [["1"]]


def test_turning_it_off_brings_550_back(owned, smtp_addr):
    api, dom = owned
    name = dom["domain_name"]
    assert set_catch_all(api, dom["id"], True).status_code == 200
    kept = f"kept-{uuid.uuid4().hex[:6]}@{name}"
    assert send_mail(smtp_addr, "sender@example.com", [kept], subject="made") == {}
    assert wait_for(lambda: kept in addresses_of(api))

    r = set_catch_all(api, dom["id"], False)
    assert r.status_code == 200 and r.json()["domain"]["catch_all"] is False
    code, text = rcpt_reply(smtp_addr, f"fresh-{uuid.uuid4().hex[:6]}@{name}")
    assert code == 550 and "5.1.1" in text
    # What catch-all made is a real address now: it keeps receiving.
    code, _ = rcpt_reply(smtp_addr, kept)
    assert code == 250


def test_a_full_catch_all_domain_refuses_new_addresses(owned, smtp_addr):
    """A catch-all domain makes addresses while it holds fewer than catch_all_max live ones
    (1000 unless the stack's tempmail.conf says otherwise); then mail for a new local part gets
    550 5.7.1, the addresses it has keep their mail, and deleting one (or one expiring) makes
    room again."""
    api, dom = owned
    name = dom["domain_name"]
    cap = int(CONF.get("catch_all_max", "1000"))
    assert set_catch_all(api, dom["id"], True).status_code == 200
    # All but one of the cap, as mail would have made them (owned by the domain's owner).
    sql("INSERT INTO mailboxes (address, domain_id, account_id, created_at)"
        f" SELECT CONCAT('filled', seq, '@{name}'), d.id, d.owner_id, UTC_TIMESTAMP(3)"
        f" FROM seq_1_to_{cap - 1}, domains d WHERE d.name = '{name}'")

    last = f"last-{uuid.uuid4().hex[:6]}@{name}"
    assert send_mail(smtp_addr, "sender@example.com", [last], subject="the last one") == {}
    assert wait_for(lambda: inbox_subjects(api, last)) == ["the last one"]

    code, text = rcpt_reply(smtp_addr, f"one-too-many@{name}")
    assert code == 550 and "5.7.1" in text and str(cap) in text, (code, text)
    assert sql(f"SELECT COUNT(*) FROM mailboxes WHERE address = 'one-too-many@{name}'") == [["0"]]
    code, _ = rcpt_reply(smtp_addr, last)               # an address it has: still taken
    assert code == 250

    # Deleting an address makes room for one new one.
    r = api.request("DELETE", f"/api/v1/inboxes/filled1@{name}")
    assert r.status_code == 200, r.text
    assert send_mail(smtp_addr, "sender@example.com", [f"one-too-many@{name}"], subject="room") == {}
    assert wait_for(lambda: inbox_subjects(api, f"one-too-many@{name}")) == ["room"]
    code, _ = rcpt_reply(smtp_addr, f"and-another@{name}")
    assert code == 550

    # An expired address no longer counts.
    sql("UPDATE mailboxes SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE"
        f" WHERE address = 'filled2@{name}'")
    code, _ = rcpt_reply(smtp_addr, f"and-another@{name}")
    assert code == 250


@pytest.mark.parametrize("local", ["dash-", "dot.", "a..b", "under_score_", "x" * 65])
def test_local_parts_generate_would_refuse_get_550(owned, smtp_addr, local):
    api, dom = owned
    assert set_catch_all(api, dom["id"], True).status_code == 200
    code, text = rcpt_reply(smtp_addr, f"{local}@{dom['domain_name']}")
    assert code == 550 and "5.1.1" in text, (code, text)
    assert sql(f"SELECT COUNT(*) FROM mailboxes WHERE address LIKE '%@{dom['domain_name']}'") == [["0"]]


def test_only_the_owner_of_an_active_custom_domain_may_turn_it_on(make_account, owned, domain):
    api, dom = owned
    # Someone else's domain, a system domain, an unknown id: 404 alike.
    other = make_account()
    assert set_catch_all(other, dom["id"], True).status_code == 404
    system_id = sql(f"SELECT id FROM domains WHERE name = '{domain}'")[0][0]
    r = set_catch_all(api, system_id, True)
    assert r.status_code == 404 and r.json()["status"] == 404
    assert sql(f"SELECT catch_all FROM domains WHERE id = {system_id}") == [["0"]]
    assert set_catch_all(api, 999999999, True).status_code == 404
    assert set_catch_all(api, "x1", True).status_code == 404

    # A pending domain: 409, and it stays off (so Postfix and the milter leave it alone).
    pending = add(api, new_name())["domain"]
    r = set_catch_all(api, pending["id"], True)
    assert r.status_code == 409 and r.json()["status"] == 409
    assert sql(f"SELECT catch_all FROM domains WHERE id = {pending['id']}") == [["0"]]
    assert set_catch_all(api, pending["id"], False).status_code == 200

    # Bad bodies: 400.
    for body in ({}, {"catch_all": "yes"}, {"catch_all": 1}, {"catch_all": None}):
        r = api.request("PATCH", f"/api/domains/{dom['id']}", json=body)
        assert r.status_code == 400 and r.json()["status"] == 400, body
    r = api.request("PATCH", f"/api/domains/{dom['id']}", data=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def _deliver_at_once(smtp_addr, address, subjects):
    """One SMTP session per subject, each stopped before the final dot; then every dot is
    sent at the same moment, so the milter stores them concurrently."""
    sessions, errors = [], []
    for subject in subjects:
        s = smtplib.SMTP(*smtp_addr, timeout=60)
        s.ehlo("race.test")
        assert s.mail("sender@example.com")[0] == 250
        assert s.rcpt(address)[0] == 250
        s.putcmd("data")
        assert s.getreply()[0] == 354
        s.send((f"From: sender@example.com\r\nTo: {address}\r\nSubject: {subject}\r\n"
                f"Message-ID: <{uuid.uuid4()}@race.test>\r\n\r\nrace\r\n").encode())
        sessions.append(s)
    barrier = threading.Barrier(len(sessions))

    def finish(s):
        try:
            barrier.wait()
            s.send(b".\r\n")
            code = s.getreply()[0]
            if code != 250:
                errors.append(code)
            s.quit()
        except Exception as e:          # reported below, in the test's thread
            errors.append(repr(e))

    threads = [threading.Thread(target=finish, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert errors == []


def test_concurrent_first_deliveries_make_one_mailbox_with_every_message(owned, smtp_addr):
    api, dom = owned
    assert set_catch_all(api, dom["id"], True).status_code == 200
    for round_ in range(3):
        address = f"race{round_}-{uuid.uuid4().hex[:6]}@{dom['domain_name']}"
        subjects = [f"race {round_} {n} {uuid.uuid4()}" for n in range(3)]
        _deliver_at_once(smtp_addr, address, subjects)
        assert sql(f"SELECT COUNT(*) FROM mailboxes WHERE address = '{address}'") == [["1"]]
        assert sorted(wait_for(lambda: (lambda s: s if s and len(s) == 3 else None)(
            inbox_subjects(api, address)))) == sorted(subjects)
