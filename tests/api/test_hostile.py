"""A hostile-input battery against every route of every route binary (issue 10, point 3).

Every route of cgi-bin/*.c is a line of ROUTES below, saying who may call it and which
parameters (path segment, query, JSON body field) it reads. Each parameter then gets the
hostile values: SQL injection, path traversal, CR/LF, control bytes, oversize, invalid
UTF-8, wrong JSON types; each body-reading route gets malformed and oversize JSON; each
authenticated route gets absent, doubled and garbage credentials. The rule for all of them:
a 4xx answer that is our JSON error ({"error": ..., "status": N}, application/json), never a
5xx, no header injected, and the binary answers a valid request normally afterwards.

Free-text fields (a key's name, the admin search q) are the exception that proves the rule:
there the hostile text is legal input, so it must be taken literally (echoed back as sent,
matching nothing) rather than refused.

Requests go out through http.client, so nothing is normalised on the way: values are
percent-encoded by hand, bodies are bytes. What lighttpd refuses itself before our code
runs (raw CR/LF or NUL in a header, doubled Content-Length, oversize header blocks, invalid
UTF-8 in the URL, a GET with a body) is answered with lighttpd's own HTML page: for those,
LIGHTTPD_OK cases accept a 4xx of any type and check that nothing reached the database.
"""
import http.client
import json
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import pytest

from conftest import ENV, sql, tempmailctl

REFUSE, TEXT = "refuse", "text"      # what a parameter does with a hostile value

# Strings no parameter that validates its input may accept.
SQLI = ["' OR '1'='1", "1 OR 1=1", "x'; DROP TABLE accounts; --", "\" OR \"\"=\"",
        "1' UNION SELECT password_hash FROM accounts -- ", "x'; SELECT SLEEP(5); --",
        "a@b.test' OR 1=1 #"]
TRAVERSAL = ["../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "/etc/passwd",
             "....//....//etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"]
CRLF = ["x\r\nSet-Cookie: injected=1", "x\r\n\r\n<html>injected", "x\nX-Injected: 1",
        "x\rX-Injected: 1"]
ODD = [" ", "\x00", "x\x00y", "\x01\x7f\x1b[2J", "A" * 5000, "é€😀", "<script>alert(1)</script>",
       "${jndi:ldap://x}", "%s%n%x%d", "-1"]
STRINGS = SQLI + TRAVERSAL + CRLF + ODD
# Numbers where ids, pages and indexes are read.
NUMBERS = ["0", "-1", "99999999999999999999999", "1e3", "0x10", "1.5", "18446744073709551617"]
# Bytes that are not UTF-8 (a lone continuation, an overlong '/', a surrogate, a cut sequence).
BAD_UTF8 = [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"x\x80y"]
WRONG_TYPES = [1, -1.5, True, [], {}, ["x"], {"a": "b"}, 1e308]

MALFORMED_JSON = [b"{", b"}", b"{\"a\":}", b"{\"a\" 1}", b"[]", b"[1,2]", b"\"str\"",
                  b"1", b"null", b"true", b"{\"a\":1} trailing", b"{\"a\":1}{\"b\":2}",
                  b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00", b"{\"a\":\"\xff\"}",
                  b"{\"a\":\"\xed\xa0\x80\"}", b"[" * 5000, b"{\"a\":" * 2000,
                  b"{\"a\":\"\\u\"}", b"\x00", b"{\x00}",
                  b"{\"a\":1,}", b"{,}", b"/* c */ {}", b"{\"a\":01}",
                  b"{\"domain\":\"x\\u0000y\",\"prefix\":\"x\\u0000y\"}"]
# json-c 0.16 takes these even in strict mode; they parse to what they look like.
LENIENT_JSON = [b"{'domain': 5}", b"{\"domain\":NaN}", b"{\"a\":1e99999}"]

MAX_BODY = 64 * 1024        # cfg.max_request_body


@dataclass
class Route:
    """One route: method, path (with {name} segments), who may call it, what it reads."""
    method: str
    path: str
    auth: str = "key"           # key, admin, master, ip (anyone, limited per address), none
    path_params: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)
    valid_body: dict = field(default_factory=dict)   # the other fields, when one is hostile

    def __str__(self):
        return f"{self.method} {self.path}"


ID = "999999999999"             # a well-formed id nobody has: the default of an id segment
NOBODY = "nobody-hostile@tempmail.test"

ROUTES = [
    Route("POST", "/api/mail/generate", body={"domain": REFUSE, "prefix": REFUSE}),
    Route("GET", "/api/mail/list", query={"page": REFUSE, "per_page": REFUSE}),
    Route("GET", "/api/mail/inbox/{address}", path_params={"address": REFUSE}),
    Route("GET", "/api/domains/user"),
    Route("POST", "/api/domains/add", body={"domain": REFUSE}),
    Route("POST", "/api/domains/{id}/verify", path_params={"id": REFUSE}),
    # A password is free text: a hostile one is a password like any other (401 at log-in).
    Route("POST", "/api/account/register", auth="ip", body={"email": REFUSE, "password": TEXT},
          valid_body={"email": f"hostile-{uuid.uuid4().hex[:12]}@example.org"}),
    Route("POST", "/api/account/login", auth="ip", body={"email": REFUSE, "password": REFUSE},
          valid_body={"email": f"nobody-{uuid.uuid4().hex[:12]}@example.org"}),
    Route("POST", "/api/account/logout", auth="none"),
    Route("GET", "/api/account/profile"),
    Route("POST", "/api/account/key"),
    Route("POST", "/api/v1/inboxes"),
    Route("GET", "/api/v1/inboxes/{address}/messages", path_params={"address": REFUSE},
          query={"since": REFUSE}),
    Route("GET", "/api/v1/messages", query={"recipient": REFUSE, "since": REFUSE}),
    Route("POST", "/api/v1/keys", auth="ip"),
    Route("POST", "/api/v1/admin/keys", auth="master", body={"name": TEXT}),
    Route("GET", "/api/v1/admin/keys", auth="master"),
    Route("DELETE", "/api/v1/admin/keys", auth="master", body={"key": REFUSE}),
    Route("GET", "/api/messages/{id}/raw", path_params={"id": REFUSE}),
    Route("GET", "/api/messages/{id}/attachments", path_params={"id": REFUSE}),
    Route("GET", "/api/messages/{id}/attachments/{n}", path_params={"id": REFUSE, "n": REFUSE}),
    Route("DELETE", "/api/messages/{id}", path_params={"id": REFUSE}),
    Route("GET", "/api/mailboxes/domains"),
    Route("DELETE", "/api/mailboxes/{id}", path_params={"id": REFUSE}),
    Route("GET", "/api/admin/users", auth="admin", query={"page": REFUSE, "per_page": REFUSE, "q": TEXT}),
    Route("POST", "/api/admin/users/{id}/tier", auth="admin", path_params={"id": REFUSE},
          body={"tier": REFUSE}, valid_body={"tier": "pro"}),
    Route("POST", "/api/admin/users/{id}/topup", auth="admin", path_params={"id": REFUSE},
          body={"amount": REFUSE}, valid_body={"amount": "1"}),
    Route("POST", "/api/admin/users/{id}/disable", auth="admin", path_params={"id": REFUSE},
          body={"disabled": REFUSE}, valid_body={"disabled": False}),
    Route("GET", "/api/admin/domains", auth="admin"),
    Route("POST", "/api/admin/domains", auth="admin", body={"domain": REFUSE}),
    Route("POST", "/api/admin/domains/{id}/status", auth="admin", path_params={"id": REFUSE},
          body={"status": REFUSE}, valid_body={"status": "disabled"}),
    Route("GET", "/api/admin/stats", auth="admin"),
    Route("GET", "/api/no-such-route/{x}", auth="none", path_params={"x": REFUSE}),   # notfound.fcgi
]

# A request per binary that must succeed after the battery: (method, path, principal).
PROBES = {
    "/api/mail/": ("GET", "/api/mail/list", "key"),
    "/api/domains/": ("GET", "/api/domains/user", "key"),
    "/api/account/": ("GET", "/api/account/profile", "key"),
    "/api/v1/": ("GET", "/api/v1/admin/keys", "master"),
    "/api/messages/": ("GET", "/api/mailboxes/domains", "key"),
    "/api/mailboxes/": ("GET", "/api/mailboxes/domains", "key"),
    "/api/admin/": ("GET", "/api/admin/stats", "admin"),
}


# ---- the client ------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: list
    body: bytes

    def header(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)


def random_loopback():
    """A client address of this request's own: per-address limits start fresh."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def send(method, target, headers=(), body=None, source=None, timeout=30):
    """One request exactly as given: headers is a list of (name, value), doubles allowed."""
    url = urlsplit(ENV["TEMPMAIL_HTTP"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"{url.hostname}:{url.port}")
        for k, v in headers:
            conn.putheader(k, v.encode() if isinstance(v, str) else v)   # bytes: UTF-8 as is
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return Answer(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def send_raw(data, timeout=10):
    """Bytes straight onto the socket, for what http.client refuses to send. Returns the
    status code and the whole answer (the connection is closed after one request)."""
    url = urlsplit(ENV["TEMPMAIL_HTTP"])
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    status = int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/") else 0
    return status, out


def pct(value):
    """Percent-encode every byte but the unreserved ones (str as UTF-8, or raw bytes)."""
    return quote(value.encode() if isinstance(value, str) else value, safe="")


def assert_json_error(a, what, statuses=range(400, 500)):
    """Our own error answer: a 4xx, JSON, the documented shape, no injected header."""
    assert a.status in statuses, f"{what}: got {a.status} {a.body[:200]!r}"
    assert a.header("Content-Type") == ["application/json"], f"{what}: {a.headers}"
    body = a.json()
    assert set(body) == {"error", "status"} and body["status"] == a.status, f"{what}: {body}"
    assert isinstance(body["error"], str) and body["error"], what
    assert_no_injection(a, what)


def assert_no_injection(a, what):
    assert not a.header("X-Injected"), f"{what}: header injected"
    assert all("injected" not in v for v in a.header("Set-Cookie")), f"{what}: cookie injected"
    assert a.status < 500, f"{what}: {a.status} {a.body[:200]!r}"


def assert_lighttpd_refused(a_status, what):
    assert 400 <= a_status < 500, f"{what}: lighttpd answered {a_status}"


def server_may_refuse(v, in_path):
    """lighttpd refuses control bytes in the URL even percent-encoded (400, its page); with
    an encoded slash or dot segment in a path, the web server in front (lighttpd, or the
    Apache configs of the stack) may answer 404 with its own page; and Apache with mod_fcgid
    maps the path onto file names, so a segment longer than a file name (255 bytes) gets its
    own 403 page."""
    return (any(ord(c) < 0x20 or ord(c) == 0x7f for c in v)
            or (in_path and any(c in v for c in "/\\%"))
            or (in_path and len(pct(v)) > 255))


def assert_url_refused(a, what, value, in_path=False):
    """A hostile URL value: our JSON 4xx, or the web server's own 4xx page where it may."""
    if server_may_refuse(value, in_path) and a.header("Content-Type") != ["application/json"]:
        assert_lighttpd_refused(a.status, what)
        assert_no_injection(a, what)
    else:
        assert_json_error(a, what)


# ---- principals ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def who():
    """Keys for each kind of caller: a pro account (its own hourly window of 1000), an
    administrator, the master key."""
    def account(admin=False):
        email = f"hostile-{uuid.uuid4().hex[:12]}@example.org"
        args = ["account", "create", email, "--balance", "5"] + (["--admin"] if admin else [])
        key = tempmailctl(*args).strip().splitlines()[-1]
        tempmailctl("account", "tier", email, "pro")
        return key
    return {"key": account(), "admin": account(admin=True), "master": ENV["TEMPMAIL_MASTER_KEY"]}


@pytest.fixture
def caller(who):
    """A fresh principal set per test: every test stays well inside its hourly limits."""
    def fresh():
        email = f"hostile-{uuid.uuid4().hex[:12]}@example.org"
        key = tempmailctl("account", "create", email, "--balance", "5").strip().splitlines()[-1]
        tempmailctl("account", "tier", email, "pro")
        email_a = f"hostile-{uuid.uuid4().hex[:12]}@example.org"
        admin = tempmailctl("account", "create", email_a, "--balance", "5", "--admin").strip().splitlines()[-1]
        tempmailctl("account", "tier", email_a, "pro")
        return {"key": key, "admin": admin, "master": who["master"]}
    return fresh()


def auth_headers(route, keys):
    if route.auth in ("key", "admin", "master"):
        return [("X-API-Key", keys[route.auth])]
    return []


def target(route, params=None, query=None):
    """The request target with every {name} filled (hostile or default) and the query."""
    params = params or {}
    path = route.path
    for name in route.path_params:
        default = NOBODY if name == "address" else ("0" if name == "n" else ID)
        path = path.replace("{" + name + "}", params.get(name, pct(default)))
    path = path.replace("{x}", params.get("x", "x"))
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return path


def call(route, keys, params=None, query=None, body=None, headers=()):
    h = auth_headers(route, keys) + list(headers)
    source = random_loopback() if route.auth == "ip" else None
    if body is None and route.method in ("POST", "DELETE"):
        body = b""
    return send(route.method, target(route, params, query), h, body, source)


def probe_binary(route, keys):
    """The binary behind route still answers a valid request normally."""
    prefix = next((p for p in PROBES if route.path.startswith(p)), None)
    if prefix is None:                  # notfound.fcgi: its normal answer is a JSON 404
        a = send("GET", "/api/no-such-route")
        assert_json_error(a, "notfound probe", statuses=[404])
        return
    method, path, principal = PROBES[prefix]
    a = send(method, path, [("X-API-Key", keys[principal])])
    assert a.status == 200, f"after the battery on {route}: {method} {path} -> {a.status} {a.body[:200]!r}"
    assert a.header("Content-Type") == ["application/json"]


def ids(routes):
    return [str(r) for r in routes]


# ---- path segments and query parameters --------------------------------------------------------

URL_ROUTES = [r for r in ROUTES if r.path_params or r.query]


@pytest.mark.parametrize("route", URL_ROUTES, ids=ids(URL_ROUTES))
def test_hostile_url_parameters(route, caller):
    """Every path segment and query parameter, with every hostile string and number."""
    cases = 0
    for name, kind in route.path_params.items():
        values = STRINGS + NUMBERS if name in ("id", "n", "x") else STRINGS
        for v in values:
            a = call(route, caller, params={name: pct(v)})
            assert_url_refused(a, f"{route} {name}={v!r}", v, in_path=True)
            cases += 1
    for name, kind in route.query.items():
        for v in STRINGS + NUMBERS:
            if kind == TEXT:
                started = time.monotonic()
                a = call(route, caller, query={name: pct(v)})
                # An injected SLEEP(5) that ran makes the answer take 5 s at least.
                assert time.monotonic() - started < 5, f"{route} {name}={v!r}: SLEEP ran?"
                assert_no_injection(a, f"{route} {name}={v!r}")
                if a.status == 200:
                    if v in SQLI:               # other text may match e-mails legitimately
                        assert a.json()["total"] == 0, f"{route} {name}={v!r} matched something"
                else:
                    assert_url_refused(a, f"{route} {name}={v!r}", v)
            else:
                query = {name: pct(v)}
                if name == "since" and "recipient" in route.query:
                    query["recipient"] = pct(NOBODY)
                a = call(route, caller, query=query)
                if a.status == 200 and name in ("page", "per_page"):
                    # admin.fcgi clamps a page past its maximum instead of refusing it
                    assert a.json()[name] <= 1000000, f"{route} {name}={v!r}"
                    continue
                assert_url_refused(a, f"{route} {name}={v!r}", v)
            cases += 1
    probe_binary(route, caller)
    assert cases > 0


@pytest.mark.parametrize("route", URL_ROUTES, ids=ids(URL_ROUTES))
def test_invalid_utf8_in_url_is_refused_before_our_code(route, caller):
    """lighttpd refuses percent-encoded bytes that are not UTF-8 in the path and the query
    (400, its own page): a LIGHTTPD_OK case. Either way, never a 5xx."""
    for name in list(route.path_params) + list(route.query):
        for v in BAD_UTF8:
            if name in route.path_params:
                a = call(route, caller, params={name: pct(v)})
            else:
                a = call(route, caller, query={name: pct(v)})
            if a.status == 200 and route.query.get(name) == TEXT:
                assert a.json()["total"] == 0       # free text: taken literally, matches nothing
            elif a.header("Content-Type") == ["application/json"]:
                assert_json_error(a, f"{route} {name}={v!r}")
            else:
                assert_lighttpd_refused(a.status, f"{route} {name}={v!r}")
    probe_binary(route, caller)


# ---- JSON bodies ----------------------------------------------------------------------------

BODY_ROUTES = [r for r in ROUTES if r.body]


def hostile_body(route, name, value):
    body = dict(route.valid_body)
    body[name] = value
    return json.dumps(body).encode()


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids(BODY_ROUTES))
def test_malformed_json_is_400(route, caller):
    for raw in MALFORMED_JSON:
        a = call(route, caller, body=raw)
        assert_json_error(a, f"{route} body {raw[:40]!r}", statuses=[400])
    for raw in LENIENT_JSON:
        a = call(route, caller, body=raw)
        assert_no_injection(a, f"{route} body {raw!r}")
    probe_binary(route, caller)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ids(BODY_ROUTES))
def test_hostile_body_fields(route, caller):
    """Every field with every hostile string, every wrong JSON type, and invalid UTF-8."""
    made_keys = []
    for name, kind in route.body.items():
        for v in STRINGS:
            a = call(route, caller, body=hostile_body(route, name, v))
            what = f"{route} {name}={v!r}"
            if kind == TEXT and a.status in (201, 409):
                # Free text is stored and echoed exactly as sent: nothing of it was SQL.
                if name == "name":
                    assert a.json()[name] == v, what
                    made_keys.append(a.json()["key"])
                assert_no_injection(a, what)
            else:
                assert_json_error(a, what)
        for v in WRONG_TYPES:
            if name == "disabled" and isinstance(v, bool):
                continue                # the one boolean field: a boolean is its right type
            if name == "amount" and isinstance(v, (int, float)) and not isinstance(v, bool):
                continue                # amount takes numbers too (and the id is nobody's: 404)
            a = call(route, caller, body=hostile_body(route, name, v))
            assert_json_error(a, f"{route} {name}={v!r}")
        for v in BAD_UTF8:
            raw = hostile_body(route, name, "PLACEHOLDER").replace(b"PLACEHOLDER", v)
            a = call(route, caller, body=raw)
            assert_json_error(a, f"{route} {name}={v!r}", statuses=[400])
    for key in made_keys:
        a = send("DELETE", "/api/v1/admin/keys", [("X-API-Key", caller["master"])],
                 json.dumps({"key": key}).encode())
        assert a.status == 200
    probe_binary(route, caller)


# ---- body size ------------------------------------------------------------------------------

WRITE_ROUTES = [r for r in ROUTES if r.method in ("POST", "DELETE")]


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=ids(WRITE_ROUTES))
def test_oversize_body_is_413_before_parsing(route, caller):
    """One byte over cfg.max_request_body is 413 before the route runs: even a body that
    would be valid JSON creating something (a unique marker shows nothing was made)."""
    marker = f"big{uuid.uuid4().hex[:10]}"
    fields = {"domain": f"{marker}.test", "prefix": marker, "email": f"{marker}@example.org",
              "password": "a-password-" + marker, "name": marker}
    body = json.dumps(fields).encode()
    a = call(route, caller, body=body + b" " * (MAX_BODY + 1 - len(body)))
    assert_json_error(a, f"{route} {MAX_BODY + 1} bytes", statuses=[413])
    a = call(route, caller, body=b"{" * (MAX_BODY + 1))
    assert_json_error(a, f"{route} {MAX_BODY + 1} bytes of garbage", statuses=[413])
    assert sql(f"SELECT COUNT(*) FROM accounts WHERE email LIKE '%{marker}%'") == [["0"]]
    assert sql(f"SELECT COUNT(*) FROM mailboxes WHERE address LIKE '%{marker}%'") == [["0"]]
    assert sql(f"SELECT COUNT(*) FROM domains WHERE name LIKE '%{marker}%'") == [["0"]]
    probe_binary(route, caller)


def test_body_at_the_limit_is_parsed(caller):
    """Exactly max_request_body bytes is allowed: the limit is not off by one."""
    route = Route("POST", "/api/domains/add")
    body = b'{"domain": 5}'
    a = call(route, caller, body=body + b" " * (MAX_BODY - len(body)))
    assert_json_error(a, "64 KiB body", statuses=[400])
    assert "string" in a.json()["error"]


def test_huge_content_length_is_refused_without_waiting_for_the_body():
    """A Content-Length far past the limit is refused on the header alone, before a byte of
    body is read: otherwise a client makes the server buffer a gigabyte before the 413."""
    try:
        status, out = send_raw(b"POST /api/account/register HTTP/1.1\r\nHost: x\r\n"
                               b"Content-Length: 1000000000\r\nConnection: close\r\n\r\n{",
                               timeout=5)
    except socket.timeout:
        status, out = 0, b""
    # The web server's own limit (server.max-request-size, LimitRequestBody) answers first.
    assert status != 0, "no answer: the server waited for a gigabyte of body"
    assert 400 <= status < 500 and status in (413, 400), out[:300]


# ---- credentials and headers --------------------------------------------------------------------

AUTH_ROUTES = [r for r in ROUTES if r.auth in ("key", "admin", "master")]
BAD_KEYS = ["", " ", "al_", "al_" + "0" * 48, "al_" + "g" * 48, "AL_" + "0" * 48, "al_" + "0" * 47,
            "x" * 7000] + SQLI + TRAVERSAL + ["é€😀", "null", "undefined"]


def expected_refusal(route):
    return [401, 403] if route.auth == "master" else [401]


@pytest.mark.parametrize("route", AUTH_ROUTES, ids=ids(AUTH_ROUTES))
def test_absent_garbage_and_doubled_credentials(route, caller):
    """No key, garbage keys, a doubled header (lighttpd joins the two with ", ", which is
    no key at all), the header in odd spellings, hostile session cookies: 401 (403 for a
    wrong key on the master routes), never the account of either key."""
    valid = caller[route.auth]
    cases = [[]]
    cases += [[("X-API-Key", k)] for k in BAD_KEYS]
    cases += [[("X-API-Key", valid), ("X-API-Key", valid)],
              [("X-API-Key", valid), ("x-api-key", "al_" + "0" * 48)],
              [("X-API-Key", "al_" + "0" * 48), ("X-API-KEY", valid)],
              [("X-API-Key", " " + valid + "x")],
              [("Cookie", "tm_session=' OR 1=1 --")],
              [("Cookie", "tm_session=" + "a" * 7000)],
              [("Cookie", "tm_session=; tm_session=x")],
              [("Cookie", "tm_session=%00")],
              [("Authorization", "Bearer " + valid)]]
    for headers in cases:
        a = call(Route(route.method, route.path, auth="none", path_params=route.path_params),
                 caller, headers=headers)
        what = f"{route} with {[(k, v[:40]) for k, v in headers]}"
        assert_json_error(a, what, statuses=expected_refusal(route))
    probe_binary(route, caller)


def test_header_values_are_never_reflected_into_headers(caller):
    """CR/LF handed to us percent-encoded in every place a value can go, then the answer's
    headers are checked: nothing the client sent becomes a header."""
    for route in ROUTES:
        for v in CRLF:
            params = {n: pct(v) for n in route.path_params}
            query = {n: pct(v) for n in route.query}
            body = json.dumps({n: v for n in route.body}).encode() if route.body else None
            a = call(route, caller, params=params, query=query, body=body)
            assert_no_injection(a, f"{route} {v!r}")
            assert b"\r\nX-Injected" not in a.body


LIGHTTPD_OK = [
    # (what, raw request): lighttpd answers these itself, before FastCGI.
    ("CR inside a header value", b"GET /api/account/profile HTTP/1.1\r\nHost: x\r\nX-API-Key: a\rX-Injected: 1\r\n\r\n"),
    ("NUL inside a header value", b"GET /api/account/profile HTTP/1.1\r\nHost: x\r\nX-API-Key: a\x00b\r\n\r\n"),
    ("LF inside the request line", b"GET /api/account/profile\nX-Injected: 1 HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("doubled Content-Length", b"POST /api/account/register HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}"),
    ("negative Content-Length", b"POST /api/account/register HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}"),
    ("non-numeric Content-Length", b"POST /api/account/register HTTP/1.1\r\nHost: x\r\nContent-Length: 2x\r\n\r\n{}"),
    ("POST without Content-Length", b"POST /api/mail/generate HTTP/1.1\r\nHost: x\r\nX-API-Key: a\r\n\r\n"),
    ("GET with a body", b"GET /api/account/profile HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"),
    ("header without a colon", b"GET /api/account/profile HTTP/1.1\r\nHost: x\r\nX-API-Key al_x\r\n\r\n"),
    ("2000 header lines", b"GET /api/account/profile HTTP/1.1\r\nHost: x\r\n"
     + b"".join(b"X-H%d: v\r\n" % i for i in range(2000)) + b"\r\n"),
    ("a 70 KB header", b"GET /api/account/profile HTTP/1.1\r\nHost: x\r\nX-API-Key: " + b"a" * 70000 + b"\r\n\r\n"),
    ("a 70 KB path", b"GET /api/mail/inbox/" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("raw bytes not UTF-8 in the path", b"GET /api/mail/inbox/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("an unknown method", b"BREW /api/account/profile HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("no Host in HTTP/1.1", b"GET /api/account/profile HTTP/1.1\r\n\r\n"),
    ("chunked and Content-Length at once", b"POST /api/account/register HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
]


@pytest.mark.parametrize("what,raw", LIGHTTPD_OK, ids=[w for w, _ in LIGHTTPD_OK])
def test_malformed_http_refused(what, raw, caller):
    """Malformed HTTP is a 4xx: lighttpd's page, or our JSON if it reached us. Nothing of
    it reaches the database: the one that could (a sign-up) names a marker we look for."""
    marker = f"raw{uuid.uuid4().hex[:10]}"
    raw = raw.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
    if b"/api/account/register" in raw:
        raw = raw.replace(b"{}", b'{"email":"%s@example.org","password":"%s-pass"}' % (marker.encode(), marker.encode()))
        raw = raw.replace(b"Content-Length: 40", b"Content-Length: %d" % (len(raw.split(b"\r\n\r\n", 1)[1])))
    status, out = send_raw(raw)
    head = out.split(b"\r\n\r\n", 1)[0]
    # 0: the server closed the connection without an answer, a refusal too.
    # lighttpd answers an unknown method 501 Not Implemented, as RFC 9110 has it.
    assert status == 0 or 400 <= status < 500 or (what == "an unknown method" and status == 501), \
        f"{what}: {out[:300]!r}"
    assert b"X-Injected" not in head
    assert sql(f"SELECT COUNT(*) FROM accounts WHERE email LIKE '{marker}%'") == [["0"]]
    a = send("GET", "/api/account/profile", [("X-API-Key", caller["key"])])
    assert a.status == 200


def test_path_and_url_oddities_are_json_errors(caller):
    """Odd paths that do reach our code: too long for our path buffer, bad percent escapes,
    an encoded NUL, dot segments encoded so lighttpd leaves them alone: JSON 4xx."""
    key = [("X-API-Key", caller["key"])]
    for path in ["/api/mail/inbox/" + "a" * 3000, "/api/mail/inbox/%zz", "/api/mail/inbox/%",
                 "/api/mail/inbox/%4", "/api/mail/inbox/a%00b", "/api/mail/%2e%2e/account/profile",
                 "/api/mail/inbox/..%2f..%2f..%2fetc%2fpasswd", "/api/mail//inbox//x",
                 "/api/mail/list/", "/api/mail/LIST", "/api/v1/admin/keys/../../account/key",
                 "/api/account/profile;x=1", "/api/mail/list?page=1&page=2&page=%",
                 "/api/mail/list?&&&=&==&page", "/api/v1/messages?recipient"]:
        a = send("GET", path, key)
        if a.header("Content-Type") == ["application/json"]:
            assert a.status < 500, f"{path}: {a.status}"
            if a.status >= 400:
                assert_json_error(a, path)
        else:
            assert_lighttpd_refused(a.status, path)
            assert b"root:" not in a.body
    a = send("GET", "/api/account/profile", key)
    assert a.status == 200


def test_sql_injection_left_the_tables_alone(caller):
    """After everything above, the tables an injection would have hit are all there."""
    tables = {r[0] for r in sql("SHOW TABLES")}
    assert {"accounts", "api_keys", "domains", "mailboxes", "messages"} <= tables
    a = send("GET", "/api/account/profile", [("X-API-Key", caller["key"])])
    assert a.status == 200
