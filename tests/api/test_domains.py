"""Custom domains of the leveragers dialect (GET /api/domains/user, POST /api/domains/add,
POST /api/domains/{id}/verify) against the real stack and a real DNS server.

The stack's tempmail.conf points the resolver at 127.0.0.1 (dns_server, dns_port); these
tests run dnsmasq there, with no upstream servers and only the records a test gives it, so
no query leaves loopback. The verification token is known only after the domain is added,
so a test (re)starts dnsmasq with its records through dns_serve(). Test domains live under
customers.test, for which dnsmasq answers NXDOMAIN/no data rather than nothing.
"""
import socket
import struct
import subprocess
import time
import uuid

import pytest

from conftest import ENV, TOP, send_mail, sql, wait_for

DNSMASQ = "/usr/sbin/dnsmasq"
ZONE = "customers.test"


def _conf():
    path = ENV.get("TEMPMAIL_CONF", str(TOP / "var" / "tempmail.conf"))
    conf = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                conf[k.strip()] = v.strip()
    return conf


CONF = _conf()
MAIL_HOST = CONF.get("mail_host", "localhost")


def _dns_answers(port):
    """True when something answers a DNS query on 127.0.0.1:port."""
    qname = b"".join(bytes([len(p)]) + p.encode() for p in f"ready.{ZONE}".split(".")) + b"\0"
    query = struct.pack(">HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(query, ("127.0.0.1", port))
            return s.recv(512)[:2] == b"\x51\x51"
        except OSError:
            return False


class Dns:
    """One dnsmasq on the resolver address of the stack, restarted with new records."""

    def __init__(self, port):
        self.port = port
        self.proc = None

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def serve(self, records=()):
        """Serve exactly records: ("MX", name, target, pref) and ("TXT", name, text)."""
        self.stop()
        args = [DNSMASQ, "--no-daemon", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                f"--port={self.port}", "--listen-address=127.0.0.1", "--bind-interfaces",
                "--pid-file=", "--cache-size=0", f"--local=/{ZONE}/"]
        for rec in records:
            if rec[0] == "MX":
                _, name, target, pref = rec
                args.append(f"--mx-host={name},{target},{pref}")
            else:
                _, name, text = rec
                # One string: a comma would start another; dnsmasq keeps quotes given here.
                assert "," not in text and '"' not in text
                args.append(f"--txt-record={name},{text}")
        # The port can still be held for a moment by the instance just stopped.
        for _ in range(50):
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 5
            while self.proc.poll() is None and time.monotonic() < deadline:
                if _dns_answers(self.port):
                    return
                time.sleep(0.05)
            err = self.proc.stderr.read().decode() if self.proc.poll() is not None else ""
            self.stop()
            if "in use" not in err:
                pytest.fail(f"dnsmasq did not start: {err}")
            time.sleep(0.1)
        pytest.fail("dnsmasq: port still in use")


@pytest.fixture(scope="session")
def dns(stack):
    server, port = CONF.get("dns_server", ""), int(CONF.get("dns_port", "53"))
    if server != "127.0.0.1":
        pytest.fail(f"tempmail.conf must point dns_server at 127.0.0.1 for these tests, not '{server}'")
    d = Dns(port)
    yield d
    d.stop()


@pytest.fixture
def dns_serve(dns):
    """dns_serve(records): restart the test DNS server with exactly these records."""
    return dns.serve


def new_name():
    return f"d{uuid.uuid4().hex[:12]}.{ZONE}"


def add(api, name):
    r = api.post("/api/domains/add", json={"domain": name})
    assert r.status_code == 201, r.text
    return r.json()


def verify(api, domain_id):
    return api.post(f"/api/domains/{domain_id}/verify")


def good_records(name, token):
    return [("MX", name, MAIL_HOST, 10), ("TXT", name, token)]


def test_add_is_pending_with_the_records_to_set_and_listed(make_account):
    api = make_account()
    name = new_name()
    r = api.post("/api/domains/add", json={"domain": name.upper() + "."})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["message"] == "Domain added successfully"
    dom = body["domain"]
    assert body["domain_id"] == dom["id"] and isinstance(dom["id"], int)
    assert dom["domain_name"] == name                  # lowercased, trailing dot dropped
    assert dom["mx_record"] == MAIL_HOST
    assert dom["status"] == "pending"
    token = dom["txt_record"]
    assert token.startswith("tempmail-verify=") and len(token) == len("tempmail-verify=") + 32
    assert dom["dns_records"] == [
        {"type": "MX", "name": name, "value": MAIL_HOST, "priority": 10},
        {"type": "TXT", "name": name, "value": token},
    ]

    second = add(api, new_name())
    assert second["domain"]["txt_record"] != token     # a token per domain

    r = api.get("/api/domains/user")
    assert r.status_code == 200, r.text
    listed = r.json()
    assert listed["total"] == 2 and len(listed["domains"]) == 2
    mine = {d["domain_name"]: d for d in listed["domains"]}
    d = mine[name]
    assert d["id"] == dom["id"] and d["status"] == "pending" and d["verified_at"] is None
    assert d["created_at"].endswith("Z") and "T" in d["created_at"]
    assert d["mx_record"] == MAIL_HOST and d["txt_record"] == token


def test_a_new_account_has_no_domains(make_account):
    r = make_account().get("/api/domains/user")
    assert r.status_code == 200
    assert r.json() == {"domains": [], "total": 0}


def test_verify_names_what_is_missing_until_dns_is_right(make_account, dns_serve):
    api = make_account()
    name = new_name()
    dom = add(api, name)["domain"]
    token = dom["txt_record"]

    # Nothing published: the domain does not exist in DNS. Both records are named.
    dns_serve([])
    r = verify(api, dom["id"])
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["status"] == 422
    assert f"MX record for {name} must point to {MAIL_HOST}; found: none" in err["error"]
    assert f'TXT record for {name} must be "{token}"; found: none' in err["error"]

    # An MX elsewhere: the answer says what was found.
    dns_serve([("MX", name, "mail.other.test", 10), ("TXT", name, token)])
    err = verify(api, dom["id"]).json()
    assert err["status"] == 422
    assert err["error"] == f"MX record for {name} must point to {MAIL_HOST}; found: mail.other.test"

    # Ours, but a more preferred MX elsewhere would take the mail first.
    dns_serve([("MX", name, MAIL_HOST, 20), ("MX", name, "mail.other.test", 5), ("TXT", name, token)])
    err = verify(api, dom["id"]).json()
    assert err["status"] == 422 and "lowest preference" in err["error"]
    assert "5 mail.other.test, 20 " + MAIL_HOST in err["error"]

    # MX right, no TXT: only the TXT is named.
    dns_serve([("MX", name, MAIL_HOST, 10)])
    err = verify(api, dom["id"]).json()
    assert err["status"] == 422
    assert err["error"] == f'TXT record for {name} must be "{token}"; found: none'

    # MX right, wrong TXT records: named, with what is there.
    dns_serve([("MX", name, MAIL_HOST, 10), ("TXT", name, "v=spf1 -all"),
               ("TXT", name, "tempmail-verify=" + "0" * 32)])
    err = verify(api, dom["id"]).json()
    assert err["status"] == 422 and "MX record" not in err["error"]
    assert err["error"].startswith(f'TXT record for {name} must be "{token}"; found: ')
    assert '"v=spf1 -all"' in err["error"] and "0" * 32 in err["error"]

    # Still pending after all of that.
    listed = {d["id"]: d for d in api.get("/api/domains/user").json()["domains"]}
    assert listed[dom["id"]]["status"] == "pending"
    assert api.post("/api/mail/generate", json={"domain": name}).status_code == 400

    # Both right (an MX target written with its trailing dot, among other TXT records).
    dns_serve([("MX", name, MAIL_HOST + ".", 10), ("TXT", name, "v=spf1 -all"), ("TXT", name, token)])
    r = verify(api, dom["id"])
    assert r.status_code == 200, r.text
    ok = r.json()
    assert ok["status"] == "active" and ok["message"] == "Domain verified successfully"
    assert ok["verified_at"].endswith("Z") and "T" in ok["verified_at"]

    listed = {d["id"]: d for d in api.get("/api/domains/user").json()["domains"]}
    assert listed[dom["id"]]["status"] == "active"
    assert listed[dom["id"]]["verified_at"] == ok["verified_at"]

    # Verifying again keeps the first verification, even once the records are gone.
    dns_serve([])
    again = verify(api, dom["id"])
    assert again.status_code == 200 and again.json()["verified_at"] == ok["verified_at"]


@pytest.fixture
def verified(make_account, dns_serve):
    """An account with a verified custom domain: (api, domain object)."""
    api = make_account()
    dom = add(api, new_name())["domain"]
    dns_serve(good_records(dom["domain_name"], dom["txt_record"]))
    r = verify(api, dom["id"])
    assert r.status_code == 200, r.text
    return api, dom


def test_verified_domain_generates_and_receives_mail(verified, smtp_addr):
    api, dom = verified
    r = api.post("/api/mail/generate", json={"domain": dom["domain_name"], "prefix": "Helpdesk"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["email"] == f"helpdesk@{dom['domain_name']}"

    subject = f"custom domain {uuid.uuid4()}"
    assert send_mail(smtp_addr, "noreply@example.com", [made["email"]], subject=subject,
                     body="through Postfix and the milter") == {}
    r = wait_for(lambda: (lambda x: x.json()["emails"] if x.status_code == 200 else [])(
        api.get(f"/api/mail/inbox/{made['email']}")))
    assert r and r[0]["subject"] == subject
    assert r[0]["body"].strip() == "through Postfix and the milter"

    # The same prefix again is taken; a random one works on the custom domain too.
    assert api.post("/api/mail/generate", json={"domain": dom["domain_name"], "prefix": "helpdesk"}).status_code == 409
    r = api.post("/api/mail/generate", json={"domain": dom["domain_name"]})
    assert r.status_code == 201 and r.json()["email"].endswith("@" + dom["domain_name"])


def test_another_account_can_neither_see_verify_nor_use_it(verified, make_account, dns_serve):
    owner, dom = verified
    other = make_account()
    assert other.get("/api/domains/user").json() == {"domains": [], "total": 0}

    r = verify(other, dom["id"])
    assert r.status_code == 404
    assert r.json() == {"error": "Domain not found", "status": 404}

    r = other.post("/api/mail/generate", json={"domain": dom["domain_name"], "prefix": "mine"})
    assert r.status_code == 400 and r.json()["status"] == 400

    # Nor verify someone else's pending domain, even with its records in DNS.
    pending = add(owner, new_name())["domain"]
    dns_serve(good_records(pending["domain_name"], pending["txt_record"]))
    assert verify(other, pending["id"]).status_code == 404
    assert {d["id"]: d for d in owner.get("/api/domains/user").json()["domains"]}[pending["id"]]["status"] == "pending"


@pytest.mark.parametrize("path", ["/api/domains/999999999999/verify", "/api/domains/0/verify",
                                  "/api/domains/abc/verify", "/api/domains/user/verify",
                                  "/api/domains/99999999999999999999999/verify"])
def test_verify_unknown_id_is_404(make_account, path):
    r = make_account().post(path)
    assert r.status_code == 404 and r.json()["status"] == 404


@pytest.mark.parametrize("body", [
    {}, {"domain": ""}, {"domain": None}, {"domain": 42}, {"domain": ["example.com"]},
    {"domain": "localhost"}, {"domain": "bad domain.test"}, {"domain": "-bad.test"},
    {"domain": "bad-.test"}, {"domain": "a..test"}, {"domain": ".test"}, {"domain": "under_score.test"},
    {"domain": "x" * 64 + ".test"}, {"domain": ("a" * 60 + ".") * 5 + "test"},
    {"domain": "192.0.2.1"}, {"domain": "user@example.test"}, {"domain": "http://example.test/"},
    {"domain": "ex\u00e4mple.test"},
])
def test_invalid_domain_names_are_400(make_account, body):
    r = make_account().post("/api/domains/add", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == 400 and r.json()["error"]


def test_malformed_body_is_400(make_account):
    r = make_account().post("/api/domains/add", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["status"] == 400


def test_system_and_taken_domains_are_409(make_account, domain):
    api, other = make_account(), make_account()
    for name in (domain, domain.upper() + ".", MAIL_HOST):
        r = api.post("/api/domains/add", json={"domain": name})
        assert r.status_code == 409, (name, r.text)
        assert r.json() == {"error": "Domain is already registered", "status": 409}

    name = new_name()
    add(api, name)
    assert api.post("/api/domains/add", json={"domain": name}).status_code == 409
    assert other.post("/api/domains/add", json={"domain": name.upper()}).status_code == 409
    assert api.get("/api/domains/user").json()["total"] == 1
    assert other.get("/api/domains/user").json()["total"] == 0


def test_an_unverified_claim_lapses_after_domain_claim_hours(make_account, verified):
    """Nobody squats a name: another account's pending claim holds it for domain_claim_hours
    (24 by default), then whoever adds the name takes it over. A verified domain never lapses."""
    squatter, owner = make_account(), make_account()
    name = new_name()
    old = add(squatter, name)["domain"]
    assert owner.post("/api/domains/add", json={"domain": name}).status_code == 409

    sql(f"UPDATE domains SET created_at = created_at - INTERVAL 25 HOUR WHERE id = {int(old['id'])}")
    # Its own owner adding it again is still "taken": only other accounts take a lapsed claim.
    assert squatter.post("/api/domains/add", json={"domain": name}).status_code == 409
    mine = add(owner, name)["domain"]
    assert mine["domain_name"] == name and mine["status"] == "pending"
    assert mine["txt_record"] != old["txt_record"]
    assert squatter.get("/api/domains/user").json()["total"] == 0
    assert verify(squatter, old["id"]).status_code == 404

    api, dom = verified
    sql(f"UPDATE domains SET created_at = created_at - INTERVAL 1000 HOUR WHERE id = {int(dom['id'])}")
    r = make_account().post("/api/domains/add", json={"domain": dom["domain_name"]})
    assert r.status_code == 409
    assert api.get("/api/domains/user").json()["total"] == 1


def test_resolver_failure_is_503_and_changes_nothing(make_account, dns):
    api = make_account()
    dom = add(api, new_name())["domain"]
    dns.stop()                                      # nothing listens: the resolver fails
    r = verify(api, dom["id"])
    assert r.status_code == 503, r.text
    assert r.json() == {"error": "DNS lookup failed, try again later", "status": 503}
    assert api.get("/api/domains/user").json()["domains"][0]["status"] == "pending"


def test_routes_need_a_key_and_the_right_method(base_url, make_account):
    import requests
    for method, path in (("GET", "/api/domains/user"), ("POST", "/api/domains/add"),
                         ("POST", "/api/domains/1/verify")):
        r = requests.request(method, base_url + path, timeout=30, data=b"")
        assert r.status_code == 401 and r.json()["status"] == 401
    r = make_account().get("/api/domains/add")
    # PATCH /api/domains/{domain_id} (catch-all) has this shape too; for the id "add" it is 404.
    assert r.status_code == 405 and r.headers["Allow"] == "POST, PATCH"


def test_a_pending_domain_takes_no_addresses_even_from_its_owner(make_account):
    owner = make_account()
    name = new_name()
    add(owner, name)
    r = owner.post("/api/mail/generate", json={"domain": name, "prefix": "early"})
    assert r.status_code == 400 and r.json() == {"error": "Domain is not available", "status": 400}
    assert owner.get("/api/mail/list").json()["total"] == 0
    assert owner.get("/api/account/profile").json()["balance"] == 1
