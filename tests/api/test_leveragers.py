"""The leveragers dialect (/api/...), as shared/seeds/000_*.txt documents it, against the
real stack: accounts and keys, generate, list, inbox, balance, tiers, errors, and the
document's own Python client."""
import concurrent.futures
import decimal
import time
import uuid

import pytest
import requests

from conftest import ENV, send_mail, sql, tempmailctl, wait_for


def register(base_url, email=None, password="correct horse battery"):
    email = email or f"person-{uuid.uuid4().hex[:10]}@example.org"
    return requests.post(base_url + "/api/account/register",
                         json={"email": email, "password": password}, timeout=30), email


@pytest.fixture
def fresh_ip_window():
    """Registrations are limited per client address and hour; every test run comes from
    127.0.0.1, so each test that registers starts from a cleared window."""
    tempmailctl("ratelimit", "clear", "ip:register:127.0.0.1")
    tempmailctl("ratelimit", "clear", "ip:login:127.0.0.1")
    yield


# ---- 1. accounts -----------------------------------------------------------------------

def test_register_gives_a_working_key_and_stores_only_hashes(base_url, fresh_ip_window):
    tag = uuid.uuid4().hex[:8]
    r, email = register(base_url, email=f"New.Person.{tag}@Example.org")
    assert r.status_code == 201, r.text
    body = r.json()
    lower = f"new.person.{tag}@example.org"
    assert body["email"] == lower
    key = body["api_key"]
    assert key.startswith("al_") and len(key) == 51
    assert body["balance"] == 1 and body["tier"] == "free"

    r = requests.get(base_url + "/api/mail/list", headers={"X-API-KEY": key}, timeout=30)
    assert r.status_code == 200 and r.json()["total"] == 0

    # Neither the key nor the password is in the database, only their hashes.
    (pwhash,), = sql(f"SELECT password_hash FROM accounts WHERE email = '{lower}'")
    assert pwhash.startswith("$argon2id$") and "correct horse" not in pwhash
    stored = sql("SELECT k.key_hash, k.key_prefix FROM api_keys k JOIN accounts a ON a.id = k.account_id"
                 f" WHERE a.email = '{lower}'")
    assert len(stored) == 1
    assert stored[0][0] != key and len(stored[0][0]) == 64 and stored[0][1] == key[:7]
    assert sql(f"SELECT COUNT(*) FROM api_keys WHERE key_hash = '{key}'") == [["0"]]


def test_register_refuses_bad_input_and_duplicates(base_url, fresh_ip_window):
    r, email = register(base_url)
    assert r.status_code == 201
    r, _ = register(base_url, email=email.upper())
    assert r.status_code == 409 and r.json()["status"] == 409
    r, _ = register(base_url, email="not-an-email")
    assert r.status_code == 400 and "e-mail" in r.json()["error"]
    r, _ = register(base_url, password="short")
    assert r.status_code == 400 and "password" in r.json()["error"]
    r = requests.post(base_url + "/api/account/register", data="{not json", timeout=30)
    assert r.status_code == 400 and r.json()["error"] == "Request body is not valid JSON"
    r = requests.post(base_url + "/api/account/register", json={"email": 5, "password": []}, timeout=30)
    assert r.status_code == 400


def test_register_is_limited_per_client_address(base_url, fresh_ip_window):
    codes = [register(base_url)[0].status_code for _ in range(11)]
    assert codes[:10] == [201] * 10
    assert codes[10] == 429
    r, _ = register(base_url)
    assert r.status_code == 429 and r.json()["status"] == 429
    assert int(r.headers["Retry-After"]) > 0


def test_login_profile_logout(base_url, fresh_ip_window):
    r, email = register(base_url)
    key = r.json()["api_key"]
    s = requests.Session()
    r = s.post(base_url + "/api/account/login", json={"email": email, "password": "wrong password!"}, timeout=30)
    assert r.status_code == 401 and "tm_session" not in s.cookies
    r = s.post(base_url + "/api/account/login", json={"email": "nobody-" + email, "password": "whatever123"},
               timeout=30)
    assert r.status_code == 401
    r = s.post(base_url + "/api/account/login", json={"email": email, "password": "correct horse battery"},
               timeout=30)
    assert r.status_code == 200, r.text
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    csrf = r.json()["csrf_token"]

    profile = s.get(base_url + "/api/account/profile", timeout=30).json()
    assert profile["email"] == email and profile["tier"] == "free" and profile["balance"] == 1
    assert profile["api_key_prefix"] == key[:7]
    assert profile["rate_limit"] == 100 and profile["requests_this_hour"] >= 1

    # A session changes things only with its CSRF token.
    r = s.post(base_url + "/api/mail/generate", json={}, timeout=30)
    assert r.status_code == 403
    r = s.post(base_url + "/api/mail/generate", json={}, headers={"X-CSRF-Token": csrf}, timeout=30)
    assert r.status_code == 201

    assert s.post(base_url + "/api/account/logout", timeout=30).status_code == 200
    assert s.get(base_url + "/api/account/profile", timeout=30).status_code == 401


def test_rotating_the_key_stops_the_old_one_at_once(base_url, make_account):
    api = make_account()
    old = api.key
    assert api.get("/api/mail/list").status_code == 200
    r = api.post("/api/account/key")
    assert r.status_code == 201
    new = r.json()["api_key"]
    assert new != old
    r = api.get("/api/mail/list")
    assert r.status_code == 401 and r.json() == {"error": "Invalid API key", "status": 401}
    r = requests.get(base_url + "/api/mail/list", headers={"X-API-KEY": new}, timeout=30)
    assert r.status_code == 200


# ---- 2. authentication on every route ------------------------------------------------------

ROUTES = [("POST", "/api/mail/generate"), ("GET", "/api/mail/list"),
          ("GET", "/api/mail/inbox/someone@tempmail.test"), ("GET", "/api/account/profile"),
          ("POST", "/api/account/key")]


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_route_needs_a_valid_key(base_url, method, path):
    for headers in ({}, {"X-API-KEY": ""}, {"X-API-KEY": "al_" + "0" * 48}, {"X-API-KEY": "nonsense"},
                    {"X-API-KEY": "' OR 1=1 --"}):
        r = requests.request(method, base_url + path, headers=headers, timeout=30,
                             json={} if method == "POST" else None)
        assert r.status_code == 401, (headers, r.text)
        body = r.json()
        assert body["status"] == 401 and isinstance(body["error"], str) and body["error"]


def test_header_name_is_case_insensitive(base_url, make_account):
    api = make_account()
    for name in ("X-API-KEY", "X-Api-Key", "x-api-key"):
        r = requests.get(base_url + "/api/mail/list", headers={name: api.key}, timeout=30)
        assert r.status_code == 200, name


# ---- 3. generate ------------------------------------------------------------------------

def test_generate_defaults_and_prefix(make_account, domain):
    api = make_account(balance="1")
    r = api.post("/api/mail/generate")
    assert r.status_code == 201
    body = r.json()
    local, at, dom = body["email"].partition("@")
    assert dom == domain and len(local) == 10 and local.isalnum() and local == local.lower()
    assert body["balance"] == 0.999

    prefix = "test-" + uuid.uuid4().hex[:8]
    r = api.post("/api/mail/generate", json={"domain": domain, "prefix": prefix.upper()})
    assert r.status_code == 201
    assert r.json()["email"] == f"{prefix}@{domain}" and r.json()["balance"] == 0.998

    r = api.post("/api/mail/generate", json={"domain": domain, "prefix": prefix})
    assert r.status_code == 409 and r.json()["status"] == 409
    other = make_account()
    assert other.post("/api/mail/generate", json={"prefix": prefix}).status_code == 409


@pytest.mark.parametrize("payload", [
    {"prefix": "bad prefix"}, {"prefix": ".dot"}, {"prefix": "a..b"}, {"prefix": "x" * 65},
    {"prefix": "a@b"}, {"prefix": "../../etc/passwd"}, {"prefix": 42}, {"domain": ["x"]},
    {"domain": "no-such-domain.test"}, {"domain": "bad domain"}, {"domain": "gmail.com"},
])
def test_generate_refuses_bad_input(make_account, payload):
    api = make_account()
    r = api.post("/api/mail/generate", json=payload)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == 400
    assert api.get("/api/mail/list").json()["total"] == 0
    assert api.get("/api/account/profile").json()["balance"] == 1


def test_balance_is_exact_and_402_makes_nothing(make_account):
    api = make_account(balance="0.0025")
    assert api.post("/api/mail/generate").json()["balance"] == 0.0015
    assert api.post("/api/mail/generate").json()["balance"] == 0.0005
    r = api.post("/api/mail/generate")
    assert r.status_code == 402
    assert r.json() == {"error": "Insufficient balance", "status": 402}
    assert api.get("/api/mail/list").json()["total"] == 2
    (balance,), = sql(f"SELECT balance FROM accounts WHERE email = '{api.email}'")
    assert decimal.Decimal(balance) == decimal.Decimal("0.0005")


def test_concurrent_generates_never_overdraw(make_account):
    api = make_account(balance="0.005")
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda _: make_copy(api).post("/api/mail/generate").status_code, range(20)))
    assert codes.count(201) == 5 and codes.count(402) == 15
    assert api.get("/api/mail/list").json()["total"] == 5
    (balance,), = sql(f"SELECT balance FROM accounts WHERE email = '{api.email}'")
    assert decimal.Decimal(balance) == 0


def make_copy(api):
    from conftest import Api
    return Api(api.base_url, api.key)


# ---- 4. list ------------------------------------------------------------------------------

def test_list_paginates_newest_first(make_account):
    api = make_account()
    made = [api.post("/api/mail/generate", json={"prefix": f"p{i}-{uuid.uuid4().hex[:6]}"}).json()
            for i in range(12)]
    r = api.get("/api/mail/list")
    body = r.json()
    assert body["total"] == 12 and body["page"] == 1 and body["per_page"] == 10
    assert [e["email_address"] for e in body["emails"]] == [m["email"] for m in reversed(made)][:10]
    first = body["emails"][0]
    assert set(first) == {"id", "email_address", "domain_id", "created_at"}
    assert first["id"] == made[-1]["id"] and first["created_at"].endswith("Z")

    page2 = api.get("/api/mail/list?page=2&per_page=10").json()
    assert [e["email_address"] for e in page2["emails"]] == [made[1]["email"], made[0]["email"]]
    assert api.get("/api/mail/list?page=3").json()["emails"] == []
    assert api.get("/api/mail/list?per_page=500").json()["per_page"] == 100
    for bad in ("page=0", "page=-1", "per_page=abc", "page=1e3"):
        r = api.get("/api/mail/list?" + bad)
        assert r.status_code == 400 and r.json()["status"] == 400

    # Another account sees none of them.
    assert make_account().get("/api/mail/list").json()["total"] == 0


# ---- 5. inbox -----------------------------------------------------------------------------

def test_inbox_newest_first_and_only_for_the_owner(make_account, smtp_addr):
    api = make_account()
    email = api.post("/api/mail/generate").json()["email"]
    for n in range(3):
        send_mail(smtp_addr, "sender@example.com", [email], subject=f"number {n}")
        wait_for(lambda: len(api.get(f"/api/mail/inbox/{email}").json()["emails"]) == n + 1)
    emails = api.get(f"/api/mail/inbox/{email}").json()["emails"]
    assert [e["subject"] for e in emails] == ["number 2", "number 1", "number 0"]
    assert set(emails[0]) == {"id", "from", "from_name", "subject", "body", "html", "received_at",
                                "links", "codes"}
    # The address may arrive percent-encoded and in any case.
    assert len(api.get(f"/api/mail/inbox/{email.upper().replace('@', '%40')}").json()["emails"]) == 3

    other = make_account()
    r = other.get(f"/api/mail/inbox/{email}")
    assert r.status_code == 404 and r.json()["status"] == 404


# ---- 7. tiers and rate limits ------------------------------------------------------------

def test_free_tier_allows_100_an_hour_then_429(make_account):
    api = make_account()
    last = None
    for n in range(100):
        last = api.get("/api/mail/list")
        assert last.status_code == 200, n
    assert last.headers["X-RateLimit-Limit"] == "100"
    assert last.headers["X-RateLimit-Remaining"] == "0"
    r = api.get("/api/mail/list")
    assert r.status_code == 429
    assert r.json()["status"] == 429 and r.json()["error"]
    assert "X-RateLimit-Reset" in r.headers and int(r.headers["Retry-After"]) > 0
    # An hour after its first request the account's window has ended: the whole limit again.
    sql("UPDATE rate_counters SET window_start = window_start - INTERVAL 3600 SECOND"
        f" WHERE subject = 'account:{account_id(api)}'")
    r = api.get("/api/mail/list")
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "99"


def test_from_is_the_bare_address_and_the_name_has_its_own_field(make_account, domain, smtp_addr):
    """The document's inbox shows "from": "noreply@example.com"; a display name (RFC 2047
    encoded, quoted, with a comma) goes to from_name. aurelion's sender is the bare address."""
    api = make_account()
    address = api.post("/api/mail/generate").json()["email"]
    for header, name in (('"Example, Alice" <alice@example.com>', "Example, Alice"),
                         ("=?UTF-8?B?w4lsb2RpZQ==?= <alice@example.com>", "\u00c9lodie"),
                         ("alice@example.com", "")):
        subject = f"from {uuid.uuid4().hex[:8]}"
        raw = (f"From: {header}\r\nTo: {address}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{uuid.uuid4()}@test.invalid>\r\n\r\nhi\r\n")
        assert send_mail(smtp_addr, "bounce@example.net", [address], raw=raw) == {}
        got = wait_for(lambda: [m for m in api.get(f"/api/mail/inbox/{address}").json()["emails"]
                                if m["subject"] == subject])
        assert got and got[0]["from"] == "alice@example.com", (header, got)
        assert got[0]["from_name"] == name, (header, got)
        v1 = api.get("/api/v1/messages", params={"recipient": address},
                     headers={"X-API-Key": api.key}).json()["messages"]
        assert [m["sender"] for m in v1 if m["subject"] == subject] == ["alice@example.com"]


def account_id(api):
    return sql(f"SELECT id FROM accounts WHERE email = '{api.email}'")[0][0]


def test_the_window_is_the_accounts_own_hour_not_the_clocks(make_account):
    """The window begins at the account's first request and ends an hour later, whatever the
    minute of the clock: a client (and this test suite) started at hh:59:50 gets the same
    hundred requests as one started at hh:00, not ten seconds' worth and then a new hour."""
    api = make_account()
    before = int(time.time())
    r = api.get("/api/mail/list")
    after = int(time.time())
    assert r.headers["X-RateLimit-Remaining"] == "99"
    assert before + 3600 <= int(r.headers["X-RateLimit-Reset"]) <= after + 3600
    started = sql(f"SELECT TIMESTAMPDIFF(SECOND, '1970-01-01', window_start) FROM rate_counters"
                  f" WHERE subject = 'account:{account_id(api)}'")
    assert int(r.headers["X-RateLimit-Reset"]) == int(started[0][0]) + 3600


def test_every_response_carries_the_headers_and_pro_has_1000(make_account):
    api = make_account()
    r = api.get("/api/mail/list")
    remaining = int(r.headers["X-RateLimit-Remaining"])
    assert r.headers["X-RateLimit-Limit"] == "100" and remaining == 99
    r = api.post("/api/mail/generate", json={"prefix": "bad prefix"})
    assert r.status_code == 400 and r.headers["X-RateLimit-Remaining"] == "98"
    tempmailctl("account", "tier", api.email, "pro")
    r = api.get("/api/mail/list")
    assert r.headers["X-RateLimit-Limit"] == "1000" and r.headers["X-RateLimit-Remaining"] == "997"
    assert api.get("/api/account/profile").json()["tier"] == "pro"


def test_concurrent_requests_of_one_key_are_each_counted_once(make_account):
    # A route process counts the requests of one account that come together with one
    # upsert (lib/ratelimit.c): each must still get its own place in the count.
    api = make_account()
    tempmailctl("account", "tier", api.email, "pro")
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda _: make_copy(api).get("/api/mail/list"), range(200)))
    assert [r.status_code for r in answers] == [200] * 200
    remaining = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in answers)
    assert remaining == list(range(800, 1000))
    r = api.get("/api/mail/list")
    assert r.headers["X-RateLimit-Remaining"] == "799"


# ---- 8. errors ------------------------------------------------------------------------------

def test_errors_have_the_documented_shape(base_url, make_account):
    api = make_account()
    cases = [api.get("/api/mail/nothing-here"), api.get("/api/unknown"), api.request("DELETE", "/api/mail/list"),
             api.post("/api/mail/generate", data="[1,2", headers={"Content-Type": "application/json"}),
             requests.get(base_url + "/api/mail/list", timeout=30)]
    for r in cases:
        assert r.headers["Content-Type"].startswith("application/json")
        body = r.json()
        assert set(body) == {"error", "status"} and body["status"] == r.status_code
        assert 400 <= r.status_code < 500


# ---- 9. the document's Python client, unchanged ----------------------------------------------

def test_the_documented_python_client_works_unchanged(make_account, base_url, smtp_addr, domain):
    from api_wrapper import MailAPI, MailAPIException

    account = make_account(balance="1")
    api = MailAPI(api_key=account.key, base_url=base_url + "/")

    mail = api.generate_email(domain=domain)
    assert mail["email"].endswith("@" + domain)
    assert f"{mail['balance']:.4f}" == "0.9990"
    assert isinstance(mail["id"], int)

    assert api.get_inbox(mail["email"]) == []
    send_mail(smtp_addr, "noreply@example.com", [mail["email"]], subject="Verify your account",
              body="Click the link below to verify... " + "x" * 200)
    inbox = wait_for(lambda: api.get_inbox(mail["email"]))
    assert len(inbox) == 1
    msg = inbox[0]
    assert msg["from"] == "noreply@example.com" and msg["subject"] == "Verify your account"
    assert msg["received_at"].endswith("Z") and msg["body"][:120].startswith("Click the link")

    bad = MailAPI(api_key="al_" + "f" * 48, base_url=base_url)
    with pytest.raises(MailAPIException) as e:
        bad.generate_email(domain=domain)
    assert e.value.status_code == 401 and "API Error: Invalid API key" == str(e.value)

    broke = MailAPI(api_key=make_account(balance="0").key, base_url=base_url)
    with pytest.raises(MailAPIException) as e:
        broke.generate_email(domain=domain)
    assert e.value.status_code == 402


def test_head_works_wherever_get_does(make_account, smtp_addr):
    """HEAD answers as GET would, head only: the same status and headers, Content-Length of
    the body it leaves out; an event stream's HEAD ends after its head."""
    api = make_account()
    address = api.post("/api/mail/generate").json()["email"]
    assert send_mail(smtp_addr, "a@example.com", [address], subject="for HEAD") == {}
    assert wait_for(lambda: api.get(f"/api/mail/inbox/{address}").json()["emails"])
    for path in ("/api/mail/list", f"/api/mail/inbox/{address}", "/api/account/profile",
                 f"/api/v1/inboxes/{address}/messages", f"/api/v1/messages?recipient={address}",
                 "/api/mail/inbox/nobody@nowhere.invalid"):
        got, head = api.get(path), api.request("HEAD", path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers["Content-Type"] == got.headers["Content-Type"], path
        if "Content-Length" in head.headers:       # Apache may leave it out of a HEAD's answer
            assert int(head.headers["Content-Length"]) == len(got.content), path
    r = api.request("HEAD", f"/api/mail/inbox/{address}/events")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
    assert r.content == b""


# ---- CORS: the documents' fetch() examples from a page of another site ----------------------

ORIGIN = "http://app.example:3000"


def test_a_preflight_of_a_key_route_is_answered(base_url):
    r = requests.options(base_url + "/api/mail/generate", timeout=30, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key, content-type"})
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"].split(", ")
    allowed = r.headers["Access-Control-Allow-Headers"].split(", ")
    assert {"X-API-KEY", "X-API-Key", "Content-Type"} <= set(allowed)
    assert "Access-Control-Allow-Credentials" not in r.headers
    r = requests.options(base_url + "/api/v1/inboxes/a@b.example/messages", timeout=30,
                         headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert r.status_code == 204 and r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_answers_of_key_routes_are_shared_errors_too(make_account, base_url):
    api = make_account()
    r = api.get("/api/mail/list", headers={"Origin": ORIGIN})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-RateLimit-Remaining" in r.headers["Access-Control-Expose-Headers"]
    r = requests.get(base_url + "/api/mail/list", headers={"Origin": ORIGIN}, timeout=30)
    assert r.status_code == 401 and r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    # Without an Origin (not a browser's cross-site request) nothing is added.
    assert "Access-Control-Allow-Origin" not in api.get("/api/mail/list").headers


@pytest.mark.parametrize("path", ["/api/account/login", "/api/account/register",
                                  "/api/account/logout", "/api/admin/users"])
def test_cookie_session_routes_are_never_shared(base_url, path):
    r = requests.options(base_url + path, timeout=30, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Allow-Methods" not in r.headers
    r = requests.post(base_url + path, json={}, headers={"Origin": ORIGIN}, timeout=30)
    assert "Access-Control-Allow-Origin" not in r.headers
