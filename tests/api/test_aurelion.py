"""The aurelion dialect (/api/v1/..., shared/seeds/004_*.txt) against the real stack: every
point of issue 5, as an API client sees it.

Free keys are limited per client address, so the tests that need one ask from an address of
their own: any 127.x.y.z reaches the loopback web server, and lighttpd tells the route that
address. The master key is the stack's (TEMPMAIL_MASTER_KEY in var/stack.env)."""
import hashlib
import http.client
import json
import random
import re
import subprocess
import time
import uuid
from urllib.parse import quote, urlsplit

import pytest
import requests

from conftest import ENV, TOP, send_mail, sql, tempmailctl, wait_for

KEY_RE = re.compile(r"^al_[0-9a-f]{48}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MESSAGE_FIELDS = {"id", "message_id", "recipient", "sender", "subject", "body_text", "body_html",
                  "created_at", "links", "codes"}


# ---- helpers -------------------------------------------------------------------------------

def call(base_url, method, path, key=None, header="X-API-Key", **kw):
    headers = {header: key} if key is not None else {}
    headers.update(kw.pop("headers", {}))
    return requests.request(method, base_url + path, headers=headers, timeout=30, **kw)


def random_loopback():
    """A client address of this test's own, so its free-key window is fresh."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def post_from(base_url, source_ip, path, headers=None, body=b""):
    """POST from a chosen source address; returns (status, headers, parsed JSON body)."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30,
                                      source_address=(source_ip, 0))
    try:
        conn.request("POST", path, body=body, headers={"Content-Length": str(len(body)),
                                                       **(headers or {})})
        r = conn.getresponse()
        return r.status, r.headers, json.loads(r.read() or b"null")
    finally:
        conn.close()


def free_key(base_url):
    status, _, body = post_from(base_url, random_loopback(), "/api/v1/keys")
    assert status == 201, body
    return body["key"]


def conf(name, default):
    """A setting of the stack's tempmail.conf."""
    for line in (TOP / "var" / "tempmail.conf").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name and not line.lstrip().startswith("#"):
            return value.strip()
    return default


def sql(query):
    """One query as the stack's MariaDB root; rows as lists of strings."""
    done = subprocess.run(["mariadb", f"--defaults-file={TOP / 'var' / 'mariadb-root.cnf'}",
                           "--batch", "--skip-column-names", conf("db_name", "tempmail"),
                           "-e", query], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


def new_inbox(base_url, key):
    r = call(base_url, "POST", "/api/v1/inboxes", key)
    assert r.status_code == 201, r.text
    return r.json()["address"]


def by_path(base_url, key, address, **params):
    return call(base_url, "GET", f"/api/v1/inboxes/{quote(address, safe='@')}/messages", key,
                params=params)


def by_query(base_url, key, address, **params):
    return call(base_url, "GET", "/api/v1/messages", key, params={"recipient": address, **params})


def wait_messages(base_url, key, address, n=1):
    def got():
        r = by_path(base_url, key, address)
        assert r.status_code == 200, r.text
        return r.json()["messages"] if len(r.json()["messages"]) >= n else None
    messages = wait_for(got)
    assert messages, f"no mail arrived at {address}"
    return messages


@pytest.fixture
def master(stack):
    key = stack.get("TEMPMAIL_MASTER_KEY")
    if not key:
        pytest.fail("no TEMPMAIL_MASTER_KEY in var/stack.env")
    return key


# ---- 1, 2: keys and the free key -----------------------------------------------------------

def test_free_key_is_al_48_hex_once_per_address_per_hour(base_url):
    ip = random_loopback()
    status, _, body = post_from(base_url, ip, "/api/v1/keys")
    assert status == 201, body
    assert KEY_RE.match(body["key"])
    assert TIME_RE.match(body["created"]) and body["last_used"] is None

    status, headers, body = post_from(base_url, ip, "/api/v1/keys")
    assert status == 429
    assert body["error"]
    assert 1 <= int(headers["Retry-After"]) <= 3600

    # Another address is another window.
    status, _, body = post_from(base_url, random_loopback(), "/api/v1/keys")
    assert status == 201 and KEY_RE.match(body["key"])


def test_free_key_twice_from_the_test_runner_ends_in_429(base_url):
    """From the runner's own address, which earlier runs may have used this hour already."""
    answers = [call(base_url, "POST", "/api/v1/keys") for _ in range(2)]
    assert answers[-1].status_code == 429, answers[-1].text
    assert answers[-1].json()["error"]
    for r in answers:
        assert r.status_code in (201, 429), r.text
        if r.status_code == 201:
            assert KEY_RE.match(r.json()["key"])


def test_keys_are_stored_hashed(base_url, master):
    key = free_key(base_url)
    admin = call(base_url, "POST", "/api/v1/admin/keys", master, json={"name": "hashed"}).json()["key"]
    for k in (key, admin):
        digest = hashlib.sha256(k.encode()).hexdigest()
        rows = sql(f"SELECT key_prefix FROM api_keys WHERE key_hash = '{digest}'")
        assert rows == [[k[:7]]]
        assert sql(f"SELECT COUNT(*) FROM api_keys WHERE key_hash = '{k}' OR key_prefix = '{k}'"
                   f" OR name = '{k}'") == [["0"]]
    # The master key is configured as a hash, and is no key of the database.
    master_digest = hashlib.sha256(master.encode()).hexdigest()
    assert master not in (TOP / "var" / "tempmail.conf").read_text()
    assert sql(f"SELECT COUNT(*) FROM api_keys WHERE key_hash = '{master_digest}'") == [["0"]]


def test_free_key_page_offers_it(base_url):
    r = requests.get(base_url + "/free-key.html", timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    text = " ".join(r.text.split())
    assert "one key per ip address per hour" in text.lower()
    # The page's own script asks the route (pages carry no inline script: CSP).
    assert "src=\"/js/free-key.js\"" in text
    js = requests.get(base_url + "/js/free-key.js", timeout=30)
    assert js.status_code == 200 and 'TM.api("POST", "/api/v1/keys")' in js.text


def test_header_name_in_any_case(base_url, make_account):
    key = make_account().key
    for header in ("X-API-Key", "x-api-key", "X-API-KEY", "X-Api-Key"):
        r = call(base_url, "POST", "/api/v1/inboxes", key, header=header)
        assert r.status_code == 201, (header, r.text)


def test_missing_or_unknown_key_is_401(base_url):
    for method, path in (("POST", "/api/v1/inboxes"), ("GET", "/api/v1/messages?recipient=a@b.c"),
                         ("GET", "/api/v1/inboxes/a@b.c/messages")):
        for key in (None, "al_" + "0" * 48, "not-a-key"):
            r = call(base_url, method, path, key)
            assert r.status_code == 401, (method, path, key, r.text)
            assert r.json()["error"]


# ---- 3: admin with the master key ----------------------------------------------------------

def listed(base_url, master, key, name):
    r = call(base_url, "GET", "/api/v1/admin/keys", master)
    assert r.status_code == 200, r.text
    return [k for k in r.json()["keys"] if k["key"] == key[:7] + "..." and k["name"] == name]


def test_admin_create_list_use_revoke(base_url, master, domain):
    name = f"ci-{uuid.uuid4().hex[:8]}"
    r = call(base_url, "POST", "/api/v1/admin/keys", master, json={"name": name})
    assert r.status_code == 201, r.text
    made = r.json()
    assert set(made) == {"key", "name", "created", "last_used"}
    assert KEY_RE.match(made["key"]) and made["name"] == name
    assert TIME_RE.match(made["created"]) and made["last_used"] is None
    key = made["key"]

    # Listed truncated, never in full, not used yet.
    r = call(base_url, "GET", "/api/v1/admin/keys", master)
    assert r.status_code == 200
    assert all(set(k) == {"key", "name", "created", "last_used"} for k in r.json()["keys"])
    assert all(re.match(r"^al_[0-9a-f]{4}\.\.\.$", k["key"]) for k in r.json()["keys"])
    assert key not in r.text
    [entry] = listed(base_url, master, key, name)
    assert entry["created"] == made["created"] and entry["last_used"] is None

    # Using it shows in last_used, and again on a use more than a second later (it is
    # noted at most once a second: lib/store_account.c).
    address = new_inbox(base_url, key)
    [entry] = listed(base_url, master, key, name)
    first_use = entry["last_used"]
    assert TIME_RE.match(first_use) and first_use >= made["created"]
    time.sleep(1.1)
    assert by_query(base_url, key, address).status_code == 200
    [entry] = listed(base_url, master, key, name)
    assert entry["last_used"] > first_use

    # Revoked: gone from the list, refused at once on both dialects.
    r = call(base_url, "DELETE", "/api/v1/admin/keys", master, json={"key": key})
    assert r.status_code == 200, r.text
    assert listed(base_url, master, key, name) == []
    for method, path in (("GET", f"/api/v1/inboxes/{address}/messages"), ("POST", "/api/v1/inboxes"),
                         ("GET", "/api/mail/list")):
        r = call(base_url, method, path, key)
        assert r.status_code == 401, (path, r.text)
        assert r.json()["error"]

    # Revoking it again, or a key that never was: 404; no full key: 400.
    r = call(base_url, "DELETE", "/api/v1/admin/keys", master, json={"key": key})
    assert r.status_code == 404 and r.json()["error"]
    r = call(base_url, "DELETE", "/api/v1/admin/keys", master, json={"key": "al_" + uuid.uuid4().hex + "0" * 16})
    assert r.status_code == 404
    for body in ({"key": "al_a80"}, {"key": "al_a805x..."}, {}, {"key": 42}):
        r = call(base_url, "DELETE", "/api/v1/admin/keys", master, json=body)
        assert r.status_code == 400, (body, r.text)


def test_admin_revokes_a_key_by_its_listed_form(base_url, master, domain):
    """The listing shows al_a805...: the admin revokes with that, when it names one live key;
    when it names several, 409 and none is revoked; the full key always works."""
    def live_forms():
        r = call(base_url, "GET", "/api/v1/admin/keys", master)
        assert r.status_code == 200, r.text
        return [k["key"] for k in r.json()["keys"]]

    def new_key():
        r = call(base_url, "POST", "/api/v1/admin/keys", master, json={"name": "listed"})
        assert r.status_code == 201, r.text
        return r.json()["key"]

    # A key whose listed form no other live key shares (4 hex digits: a few tries at most).
    for _ in range(20):
        key = new_key()
        if live_forms().count(key[:7] + "...") == 1:
            break
    else:
        pytest.fail("no key with a listed form of its own in 20 tries")
    twin = None
    try:
        # A second live key listed the same way: the listed form is ambiguous.
        sql("INSERT INTO api_keys (account_id, key_hash, key_prefix, name, created_at)"
            f" SELECT account_id, SHA2('{uuid.uuid4()}', 256), key_prefix, 'twin', created_at"
            f" FROM api_keys WHERE key_prefix = '{key[:7]}' AND name = 'listed' AND revoked_at IS NULL")
        twin = True
        r = call(base_url, "DELETE", "/api/v1/admin/keys", master, json={"key": key[:7] + "..."})
        assert r.status_code == 409 and r.json()["status"] == 409 and r.json()["error"], r.text
        assert call(base_url, "GET", "/api/mail/list", key).status_code == 200   # not revoked
    finally:
        if twin:
            sql(f"DELETE FROM api_keys WHERE key_prefix = '{key[:7]}' AND name = 'twin'")
    for form in (key[:7] + "...", key[:7]):
        r = call(base_url, "DELETE", "/api/v1/admin/keys", master, json={"key": form})
        if form.endswith("..."):
            assert r.status_code == 200 and r.json()["key"] == key[:7] + "...", r.text
        else:
            assert r.status_code == 404, r.text           # revoked already: no live key listed so
    assert call(base_url, "GET", "/api/mail/list", key).status_code == 401


def test_admin_key_name_is_optional(base_url, master):
    r = call(base_url, "POST", "/api/v1/admin/keys", master)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "" and KEY_RE.match(r.json()["key"])
    r = call(base_url, "POST", "/api/v1/admin/keys", master, json={"name": "x" * 101})
    assert r.status_code == 400


def test_admin_routes_need_the_master_key(base_url, make_account):
    user_key = make_account().key
    for method, kw in (("POST", {}), ("GET", {}), ("DELETE", {"json": {"key": user_key}})):
        r = call(base_url, method, "/api/v1/admin/keys", None, **kw)
        assert r.status_code == 401, r.text
        r = call(base_url, method, "/api/v1/admin/keys", user_key, **kw)
        assert r.status_code == 403, r.text
        assert r.json()["error"]
    # The user's key was not revoked by its own DELETE attempt.
    assert call(base_url, "GET", "/api/mail/list", user_key).status_code == 200


# ---- 4, 5: inboxes and messages ------------------------------------------------------------

def test_inbox_address_is_adjective_noun_four_digits(base_url, make_account, domain):
    key = make_account().key
    addresses = {new_inbox(base_url, key) for _ in range(3)}
    assert len(addresses) == 3
    for address in addresses:
        assert re.match(r"^[a-z]+\.[a-z]+\d{4}@" + re.escape(domain) + "$", address), address


def test_inbox_costs_the_address_price(base_url, make_account):
    broke = make_account(balance="0")
    r = call(base_url, "POST", "/api/v1/inboxes", broke.key)
    assert r.status_code == 402 and r.json()["error"]


def test_send_and_read_by_both_routes(base_url, make_account, smtp_addr):
    key = make_account().key
    address = new_inbox(base_url, key)
    subject = f"Hello {uuid.uuid4()}"
    msgid = f"{uuid.uuid4()}@sender.example"
    boundary = "b-" + uuid.uuid4().hex
    raw = (f"From: Sender Name <sender@example.com>\r\nTo: {address}\r\nSubject: {subject}\r\n"
           f"Message-ID: <{msgid}>\r\nMIME-Version: 1.0\r\n"
           f"Content-Type: multipart/alternative; boundary={boundary}\r\n\r\n"
           f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain part\r\n"
           f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html part</p>\r\n"
           f"--{boundary}--\r\n")
    assert send_mail(smtp_addr, "bounce-123@mailer.example", [address], raw=raw) == {}

    [m] = wait_messages(base_url, key, address)
    assert set(m) == MESSAGE_FIELDS
    assert UUID_RE.match(m["id"])
    assert m["message_id"] == msgid
    assert m["recipient"] == address
    assert m["sender"] == "sender@example.com"
    assert m["subject"] == subject
    assert m["body_text"].strip() == "plain part"
    assert m["body_html"].strip() == "<p>html part</p>"
    assert TIME_RE.match(m["created_at"])

    r = by_query(base_url, key, address)
    assert r.status_code == 200 and r.json() == {"messages": [m]}
    # The address in any case is the same inbox.
    assert by_path(base_url, key, address.upper()).json() == {"messages": [m]}


def test_message_without_message_id_header_uses_the_uuid(base_url, make_account, smtp_addr):
    key = make_account().key
    address = new_inbox(base_url, key)
    raw = f"From: a@example.com\r\nTo: {address}\r\nSubject: no id\r\n\r\nbody\r\n"
    send_mail(smtp_addr, "a@example.com", [address], raw=raw)
    [m] = wait_messages(base_url, key, address)
    assert m["sender"] == "a@example.com" and m["body_html"] == ""
    # Postfix adds the Message-ID the sender left out; an MTA that does not leaves it empty
    # in the database, and then message_id is the message's uuid. The routes keep what
    # they rendered of a message (it never changes), so the second one is made so in the
    # database before any route reads it.
    assert m["message_id"] and m["message_id"] != m["id"]
    other = new_inbox(base_url, key)
    send_mail(smtp_addr, "a@example.com", [other], raw=raw.replace(address, other))
    rows = wait_for(lambda: sql(f"SELECT m.uuid FROM messages m JOIN mailboxes b"
                                f" ON b.id = m.mailbox_id WHERE b.address = '{other}'"))
    assert rows, f"no mail arrived at {other}"
    [[stored]] = rows
    sql(f"UPDATE messages SET message_id = '' WHERE uuid = '{stored}'")
    for read in (by_path, by_query):
        [m2] = read(base_url, key, other).json()["messages"]
        assert m2["message_id"] == m2["id"] == stored


def test_since_filters_and_must_be_iso_8601(base_url, make_account, smtp_addr):
    key = make_account().key
    address = new_inbox(base_url, key)
    send_mail(smtp_addr, "a@example.com", [address], subject="first")
    [m] = wait_messages(base_url, key, address)

    for read in (by_path, by_query):
        assert read(base_url, key, address, since="2000-01-01T00:00:00.000Z").json()["messages"] == [m]
        assert read(base_url, key, address, since="2000-01-01").json()["messages"] == [m]
        assert read(base_url, key, address, since=m["created_at"]).json()["messages"] == []
        assert read(base_url, key, address, since="2999-01-01T00:00:00Z").json()["messages"] == []
        for bad in ("yesterday", "1700000000", "2026-13-01T00:00:00Z", "2026-01-01T25:00:00Z",
                    "2026-01-01T00:00:00Zjunk"):
            r = read(base_url, key, address, since=bad)
            assert r.status_code == 400, (read.__name__, bad, r.text)
            assert r.json()["error"]

    # A second message: since the first one's time gives just the second.
    send_mail(smtp_addr, "a@example.com", [address], subject="second")
    messages = wait_messages(base_url, key, address, n=2)
    assert [x["subject"] for x in messages] == ["second", "first"]
    newer = by_query(base_url, key, address, since=m["created_at"]).json()["messages"]
    assert [x["subject"] for x in newer] == ["second"]


def test_since_with_a_zone_offset_as_a_shell_sends_it(base_url, make_account, smtp_addr):
    """curl "...?since=2026-01-01T00:00:00+01:00" sends the '+' unencoded, which a query
    string means as a space: it is taken as the '+' of the offset, as the client meant."""
    key = make_account().key
    address = new_inbox(base_url, key)
    send_mail(smtp_addr, "a@example.com", [address], subject="offset")
    [m] = wait_messages(base_url, key, address)
    url = f"{base_url}/api/v1/messages?recipient={address}&since="
    for since, got in (("2000-01-01T01:00:00+01:00", [m]), ("2999-01-01T00:00:00+01:00", []),
                       ("2000-01-01T00:00:00.000+0000", [m])):
        r = subprocess.run(["curl", "-s", "-H", f"X-API-Key: {key}", url + since],
                           capture_output=True, text=True, timeout=60)
        assert json.loads(r.stdout)["messages"] == got, (since, r.stdout)
    r = subprocess.run(["curl", "-s", "-H", f"X-API-Key: {key}", url + "2000-01-01T00:00:00 junk"
                        .replace(" ", "+")], capture_output=True, text=True, timeout=60)
    assert json.loads(r.stdout)["status"] == 400


def test_recipient_is_required(base_url, make_account):
    key = make_account().key
    for params in ({}, {"recipient": ""}):
        r = call(base_url, "GET", "/api/v1/messages", key, params=params)
        assert r.status_code == 400 and r.json()["error"]


def test_another_accounts_inbox_is_404(base_url, make_account, domain):
    owner, other = make_account().key, make_account().key
    address = new_inbox(base_url, owner)
    for read in (by_path, by_query):
        assert read(base_url, owner, address).status_code == 200
        mine = read(base_url, other, address)
        nobody = read(base_url, other, f"nobody.here{random.randint(0, 9999):04d}@{domain}")
        assert mine.status_code == nobody.status_code == 404
        assert mine.json() == nobody.json() and mine.json()["error"]


# ---- 7: methods and errors -----------------------------------------------------------------

@pytest.mark.parametrize("method, path, allow", [
    ("GET", "/api/v1/inboxes", "POST"),
    ("POST", "/api/v1/messages", "GET, HEAD"),
    ("DELETE", "/api/v1/inboxes/a@b.c/messages", "GET, HEAD"),
    ("GET", "/api/v1/keys", "POST"),
    ("PUT", "/api/v1/admin/keys", "POST, GET, HEAD, DELETE"),
])
def test_wrong_method_is_405_with_allow(base_url, method, path, allow):
    """HEAD is allowed wherever GET is."""
    r = call(base_url, method, path, "al_" + "0" * 48)
    assert r.status_code == 405
    assert r.headers["Allow"] == allow
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"]


def test_per_key_rate_limit_headers(base_url, make_account):
    key = make_account().key
    r = call(base_url, "POST", "/api/v1/inboxes", key)
    assert r.status_code == 201
    assert int(r.headers["X-RateLimit-Limit"]) > int(r.headers["X-RateLimit-Remaining"]) >= 0


# ---- 8: one key, both dialects -------------------------------------------------------------

def test_leveragers_key_works_here_and_the_data_is_shared(base_url, make_account, smtp_addr):
    key = make_account().key
    v1_address = new_inbox(base_url, key)
    r = call(base_url, "POST", "/api/mail/generate", key, json={})
    assert r.status_code == 201, r.text
    lev_address = r.json()["email"]

    listing = call(base_url, "GET", "/api/mail/list", key).json()["emails"]
    assert {v1_address, lev_address} <= {e["email_address"] for e in listing}

    subject = f"shared {uuid.uuid4()}"
    send_mail(smtp_addr, "a@example.com", [lev_address, v1_address], subject=subject)
    for address in (lev_address, v1_address):
        [m] = wait_messages(base_url, key, address)
        assert m["subject"] == subject
        lev = call(base_url, "GET", f"/api/mail/inbox/{address}", key).json()["emails"]
        assert [e["subject"] for e in lev] == [subject]


def test_free_key_works_on_the_leveragers_routes(base_url):
    key = free_key(base_url)
    address = new_inbox(base_url, key)
    r = call(base_url, "GET", "/api/mail/list", key)
    assert r.status_code == 200, r.text
    assert [e["email_address"] for e in r.json()["emails"]] == [address]
    r = call(base_url, "GET", f"/api/mail/inbox/{address}", key)
    assert r.status_code == 200 and r.json() == {"emails": []}
    # Its account started with signup_balance (1 by default): the price was taken from it.
    r = call(base_url, "POST", "/api/mail/generate", key, json={})
    assert r.status_code == 201, r.text
    assert 0 < r.json()["balance"] < 1


# ---- 6: expiry -----------------------------------------------------------------------------

def test_messages_expire_and_are_purged(base_url, make_account, smtp_addr):
    key = make_account().key
    address = new_inbox(base_url, key)
    send_mail(smtp_addr, "a@example.com", [address], subject="expires")
    send_mail(smtp_addr, "a@example.com", [address], subject="stays")
    messages = wait_messages(base_url, key, address, n=2)
    gone = next(m for m in messages if m["subject"] == "expires")
    stays = next(m for m in messages if m["subject"] == "stays")

    # Each message expires message_ttl (900 s, 15 minutes, by default) after receipt.
    for m in messages:
        assert sql(f"SELECT TIMESTAMPDIFF(SECOND, received_at, expires_at) FROM messages"
                   f" WHERE uuid = '{m['id']}'") == [[conf("message_ttl", "900")]]

    # Past its expiry, a message is gone from every route at once...
    sql(f"UPDATE messages SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND"
        f" WHERE uuid = '{gone['id']}'")
    assert by_path(base_url, key, address).json()["messages"] == [stays]
    assert by_query(base_url, key, address).json()["messages"] == [stays]
    lev = call(base_url, "GET", f"/api/mail/inbox/{address}", key).json()["emails"]
    assert [e["subject"] for e in lev] == ["stays"]

    # ...and the purge removes it from the database, leaving the live one.
    out = tempmailctl("purge")
    assert re.match(r"^purged \d+ expired messages$", out.strip()), out
    assert sql(f"SELECT COUNT(*) FROM messages WHERE uuid = '{gone['id']}'") == [["0"]]
    assert sql(f"SELECT COUNT(*) FROM messages WHERE uuid = '{stays['id']}'") == [["1"]]
    # Nothing that had expired before the purge began is left (a minute of slack for the run).
    assert sql("SELECT COUNT(*) FROM messages"
               " WHERE expires_at < UTC_TIMESTAMP(3) - INTERVAL 60 SECOND") == [["0"]]
