"""The authorization matrix (issue 10, point 4): every route, every kind of caller.

Callers (PRINCIPALS, in the order of each expectation string):
  anon    no credentials at all
  A       an account that owns things: addresses (leveragers and aurelion), messages with
          an attachment, a custom domain; its key is used on both dialects, so the aurelion
          routes see "A's aurelion key" (accounts have one live key: a second key of the
          same account does not exist, rotation revokes the old one)
  B       another account, with an address of its own
  K       a free aurelion key (POST /api/v1/keys), a key-only account
  admin   an account made with `tempmailctl account create E --admin`
  master  the stack's master key (TEMPMAIL_MASTER_KEY)

MATRIX has one line per route: method, path, JSON body, the status each caller gets, and
optionally a text A's answer must show. Placeholders in {braces} name A's things (WORLD).
The callers run in the order of PRINCIPALS, so A, the owner, comes after B, K and admin:
a route that deletes deletes only when A asks. On top of the statuses, one rule holds for
every answer to anyone but A: none of A's addresses, message contents or domain names is
in it; that is what "nobody reads another's" means on listing routes, which answer 200.
"""
import json
import smtplib
import time
import uuid

import pytest

from conftest import ENV, send_mail, sql, tempmailctl, wait_for
from test_hostile import random_loopback, send

PRINCIPALS = ["anon", "A", "B", "K", "admin", "master"]

# (method, path, body, "anon A B K admin master", text A's answer shows)
OWNED = "401 200 404 404 404 401"       # A's thing: only A sees it, others 404 as if absent
OWN = "401 200 200 200 200 401"         # each caller's own list or profile
ADMIN = "401 403 403 403 200 401"       # the console: administrator accounts only
MASTER = "401 403 403 403 403 {ok}"     # key administration: the master key only
MATRIX = [
    ("POST", "/api/mail/generate", {"domain": "{domain}"}, "401 201 400 400 400 401", "{domain}"),
    ("GET", "/api/mail/list", None, OWN, "{mailbox}"),
    ("GET", "/api/mail/inbox/{mailbox}", None, OWNED, "{subject}"),
    ("GET", "/api/domains/user", None, OWN, "{domain}"),
    ("POST", "/api/domains/add", {"domain": "{domain}"}, "401 409 409 409 409 401", None),
    ("POST", "/api/domains/{domain_id}/verify", None, OWNED, "active"),
    ("POST", "/api/account/login", {"email": "{email}", "password": "not-the-password"},
     "401 401 401 401 401 401", None),
    ("POST", "/api/account/logout", None, "200 200 200 200 200 200", None),
    ("GET", "/api/account/profile", None, OWN, "{email}"),
    ("POST", "/api/v1/inboxes", None, "401 201 201 201 201 401", None),
    ("GET", "/api/v1/inboxes/{mailbox}/messages", None, OWNED, "{subject}"),
    ("GET", "/api/v1/inboxes/{inbox}/messages", None, OWNED, None),
    ("GET", "/api/v1/messages?recipient={mailbox}", None, OWNED, "{subject}"),
    ("POST", "/api/v1/admin/keys", {"name": "authz"}, MASTER.format(ok=201), None),
    ("GET", "/api/v1/admin/keys", None, MASTER.format(ok=200), None),
    ("DELETE", "/api/v1/admin/keys", {"key": "{spare_key}"}, MASTER.format(ok=200), None),
    ("GET", "/api/messages/{message_id}/raw", None, OWNED, "{subject}"),
    ("GET", "/api/messages/{message_id}/attachments", None, OWNED, "{attachment}"),
    ("GET", "/api/messages/{message_id}/attachments/0", None, OWNED, "{attachment_text}"),
    ("DELETE", "/api/messages/{doomed_message_id}", None, OWNED, None),
    ("GET", "/api/mailboxes/domains", None, OWN, "{domain}"),
    ("DELETE", "/api/mailboxes/{doomed_mailbox_id}", None, OWNED, None),
    ("GET", "/api/admin/users", None, ADMIN, None),
    ("POST", "/api/admin/users/{spare_id}/tier", {"tier": "pro"}, ADMIN, None),
    ("POST", "/api/admin/users/{spare_id}/topup", {"amount": "1"}, ADMIN, None),
    ("POST", "/api/admin/users/{spare_id}/disable", {"disabled": False}, ADMIN, None),
    ("GET", "/api/admin/domains", None, ADMIN, None),
    ("POST", "/api/admin/domains", {"domain": "{new_system_domain}"}, "401 403 403 403 201 401", None),
    ("POST", "/api/admin/domains/{system_domain_id}/status", {"status": "active"}, ADMIN, None),
    ("GET", "/api/admin/stats", None, ADMIN, None),
]


def account(admin=False, pro=True):
    email = f"authz-{uuid.uuid4().hex[:12]}@example.org"
    args = ["account", "create", email, "--balance", "5"] + (["--admin"] if admin else [])
    key = tempmailctl(*args).strip().splitlines()[-1]
    if pro:
        tempmailctl("account", "tier", email, "pro")
    return email, key


def api(method, path, key=None, body=None, source=None):
    headers = [("X-API-Key", key)] if key else []
    data = json.dumps(body).encode() if body is not None else (b"" if method != "GET" else None)
    return send(method, path, headers, data, source)


def account_id(email):
    return sql(f"SELECT id FROM accounts WHERE email = '{email}'")[0][0]


@pytest.fixture(scope="module")
def world(stack, smtp_addr):
    """A's things, the callers' keys, and spare things the admin routes may change."""
    w = {}
    w["email"], a = account()
    _, b = account()
    _, admin = account(admin=True)
    r = send("POST", "/api/v1/keys", [], b"", random_loopback())
    assert r.status == 201, r.body
    keys = {"anon": None, "A": a, "B": b, "K": r.json()["key"], "admin": admin,
            "master": ENV["TEMPMAIL_MASTER_KEY"]}

    def made(r, status=201):
        assert r.status == status, r.body
        return r.json()

    w["mailbox"] = made(api("POST", "/api/mail/generate", a))["email"]
    doomed = made(api("POST", "/api/mail/generate", a))
    w["doomed_mailbox_id"] = str(doomed["id"])
    w["inbox"] = made(api("POST", "/api/v1/inboxes", a))["address"]
    made(api("POST", "/api/mail/generate", b))

    # A's custom domain, made active directly: verifying needs DNS, tested in test_domains.
    w["domain"] = f"authz{uuid.uuid4().hex[:8]}.customers.test"
    w["domain_id"] = str(made(api("POST", "/api/domains/add", a, {"domain": w["domain"]}))["domain_id"])
    sql(f"UPDATE domains SET status = 'active', verified_at = UTC_TIMESTAMP(3) WHERE id = {int(w['domain_id'])}")

    # Two messages to A's address: one with an attachment to read, one to delete.
    w["subject"] = f"authz-secret-{uuid.uuid4().hex[:8]}"
    w["attachment"] = f"secret-{uuid.uuid4().hex[:6]}.txt"
    w["attachment_text"] = f"attachment-body-{uuid.uuid4().hex[:8]}"
    boundary = "b" + uuid.uuid4().hex
    raw = (f"From: s@example.org\r\nTo: {w['mailbox']}\r\nSubject: {w['subject']}\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary={boundary}\r\n\r\n"
           f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nbody of {w['subject']}\r\n"
           f"--{boundary}\r\nContent-Type: text/plain\r\n"
           f"Content-Disposition: attachment; filename=\"{w['attachment']}\"\r\n\r\n"
           f"{w['attachment_text']}\r\n--{boundary}--\r\n")
    def deliver(**kw):
        """Send, retrying while a fault test elsewhere has the MTA tempfailing (4xx)."""
        deadline = time.monotonic() + 90
        while True:
            try:
                return send_mail(smtp_addr, "s@example.org", [w["mailbox"]], **kw)
            except smtplib.SMTPRecipientsRefused as e:
                code = next(iter(e.recipients.values()))[0]
                if code >= 500 or time.monotonic() > deadline:
                    raise
                time.sleep(2)
    deliver(raw=raw)
    deliver(subject=f"doomed-{w['subject']}")

    def both():
        r = api("GET", f"/api/mail/inbox/{w['mailbox']}", a)
        return r.json()["emails"] if r.status == 200 and len(r.json()["emails"]) == 2 else None
    emails = wait_for(both, timeout=60)
    assert emails, "the two messages did not arrive"
    for e in emails:
        key = "doomed_message_id" if e["subject"].startswith("doomed-") else "message_id"
        w[key] = str(e["id"])

    # Spare things for the admin and master routes to change.
    spare_email, _ = account(pro=False)
    w["spare_id"] = account_id(spare_email)
    w["spare_key"] = made(api("POST", "/api/v1/admin/keys", keys["master"], {"name": "spare"}))["key"]
    w["new_system_domain"] = f"sys{uuid.uuid4().hex[:8]}.test"
    system = f"sys{uuid.uuid4().hex[:8]}.test"
    tempmailctl("domain", "add", system)
    w["system_domain_id"] = sql(f"SELECT id FROM domains WHERE name = '{system}'")[0][0]
    # What nobody but A may ever be shown.
    w["secrets"] = [w["mailbox"], w["inbox"], w["subject"], w["attachment"], w["attachment_text"],
                    w["domain"], doomed["email"]]
    w["keys"] = keys
    return w


def fill(template, w):
    if isinstance(template, str):
        for k, v in w.items():
            if isinstance(v, str):
                template = template.replace("{" + k + "}", v)
        return template
    if isinstance(template, dict):
        return {k: fill(v, w) for k, v in template.items()}
    return template


@pytest.mark.parametrize("method,path,body,expect,shows", MATRIX,
                         ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_matrix(world, method, path, body, expect, shows):
    statuses = dict(zip(PRINCIPALS, (int(s) for s in expect.split())))
    target = fill(path, world)
    for who in PRINCIPALS:
        source = random_loopback() if path.startswith("/api/account/log") else None
        r = api(method, target, world["keys"][who], fill(body, world), source)
        what = f"{who}: {method} {target}"
        assert r.status == statuses[who], f"{what}: {r.status} {r.body[:300]!r}"
        if r.header("Content-Type") == ["application/json"] and r.status >= 400:
            assert r.json()["status"] == r.status
        if who != "A":
            for secret in world["secrets"]:
                assert secret.encode() not in r.body, f"{what}: shows A's {secret}"
        elif shows:
            assert fill(shows, world).encode() in r.body, f"{what}: does not show {shows}"


def test_matrix_covers_every_route():
    """Every route of the hostile battery's table (every route of cgi-bin/) is in the matrix,
    or named here with the test that covers it."""
    from test_hostile import ROUTES
    elsewhere = {"POST /api/account/register": "anyone, per address: test_account_*",
                 "POST /api/account/key": "test_rotation_touches_only_the_callers_key",
                 "POST /api/v1/keys": "anyone, per address: used in the world fixture",
                 "GET /api/no-such-route/{x}": "notfound.fcgi: no route"}
    import re
    covered = {f"{m} {re.sub(r'{[a-z_]+}', '{}', p.split('?')[0])}" for m, p, *_ in MATRIX}
    covered = {re.sub(r"/0$", "/{}", c) for c in covered}
    for r in ROUTES:
        name = f"{r.method} {re.sub(r'{[a-z_]+}', '{}', r.path)}"
        assert name in covered or str(r) in elsewhere, f"{r} is not in the matrix"


def test_rotation_touches_only_the_callers_key(stack):
    """POST /api/account/key makes the caller a new key and revokes the caller's old one;
    nobody else's key changes, and the old key is dead on both dialects."""
    _, a = account()
    _, b = account()
    r = api("POST", "/api/account/key", b)
    assert r.status == 201
    new_b = r.json()["api_key"]
    assert api("GET", "/api/account/profile", a).status == 200
    assert api("GET", "/api/account/profile", b).status == 401
    assert api("GET", "/api/v1/messages?recipient=x%40tempmail.test", b).status == 401
    assert api("GET", "/api/account/profile", new_b).status == 200
    assert api("POST", "/api/account/key").status == 401


def test_a_revoked_or_disabled_principal_sees_nothing(world):
    """The spare account's key after the master revoked it: 401 on every dialect."""
    r = api("DELETE", "/api/v1/admin/keys", world["keys"]["master"], {"key": world["spare_key"]})
    assert r.status in (200, 404)       # 404: the matrix revoked it already
    for path in ("/api/account/profile", "/api/mail/list", "/api/v1/admin/keys"):
        r = api("GET", path, world["spare_key"])
        assert r.status in (401, 403), f"{path}: {r.status}"
