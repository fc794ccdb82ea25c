"""Hostile use against the real stack: what one key, account or message could do to the
host's other users, who share one Postfix, one web server and one database. Each test
states the attack and what the user sees instead.

Role addresses: a certificate authority validates a domain by mail to admin@,
administrator@, webmaster@, hostmaster@ or postmaster@ (CA/Browser Forum Baseline
Requirements 3.2.2.4.4); whoever could claim one on the operator's domain could get a TLS
certificate for the operator's host. tempmail hands out none of RFC 2142's names, nor the
CA/B ones, nor the operator's reserved_local_parts (the stack sets "billing" and
"reserved-by-operator"), on any domain: not by generate, not by catch-all.
"""
import json
import os
import subprocess
import uuid

import pytest
import requests

from conftest import ENV, TOP, sql, tempmailctl
from test_catch_all import owned, rcpt_reply, set_catch_all  # noqa: F401 (a fixture)

ROLES = ["postmaster", "abuse", "hostmaster", "webmaster", "admin", "administrator", "root",
         "security", "noc", "info", "support", "sales", "mailer-daemon"]


def generate(api, **body):
    return api.post("/api/mail/generate", json=body)


@pytest.mark.parametrize("prefix", ROLES + ["PostMaster", "admin+certs", "billing",
                                            "Reserved-By-Operator"])
def test_generate_never_hands_out_a_role_address(make_account, domain, prefix):
    api = make_account()
    r = generate(api, domain=domain, prefix=prefix)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == 400 and "reserved" in r.json()["error"]
    assert api.get("/api/account/profile").json()["balance"] == 1       # nothing charged
    assert sql(f"SELECT COUNT(*) FROM mailboxes WHERE address = '{prefix.lower()}@{domain}'") == [["0"]]


@pytest.mark.parametrize("prefix", ["administrator2", "postmasters", "my.admin", "billing.team"])
def test_names_that_only_contain_a_role_are_handed_out(make_account, domain, prefix):
    prefix += uuid.uuid4().hex[:6]            # its own, run after run
    r = generate(make_account(), domain=domain, prefix=prefix)
    assert r.status_code == 201, r.text
    assert r.json()["email"] == f"{prefix}@{domain}"


def test_a_catch_all_domain_makes_no_role_address(owned, smtp_addr):  # noqa: F811
    api, dom = owned
    assert set_catch_all(api, dom["id"], True).status_code == 200
    name = dom["domain_name"]
    for local in ("postmaster", "admin", "Hostmaster", "webmaster+x", "billing"):
        code, text = rcpt_reply(smtp_addr, f"{local}@{name}")
        assert code == 550, (local, code, text)
    # An ordinary name on the same domain is still made on its first message.
    code, _ = rcpt_reply(smtp_addr, f"orders.{uuid.uuid4().hex[:6]}@{name}")
    assert code == 250
    assert sql(f"SELECT COUNT(*) FROM mailboxes WHERE address LIKE '%@{name}'"
               " AND SUBSTRING_INDEX(address, '@', 1) IN"
               " ('postmaster', 'admin', 'hostmaster', 'webmaster+x', 'billing')") == [["0"]]


def test_tempmailctl_roles_lists_the_role_addresses_already_claimed(make_account, domain):
    """Addresses handed out before the refusal (put here straight into the database, as an
    older version made them) are the operator's to find and delete."""
    api = make_account()
    ordinary = generate(api, domain=domain, prefix=f"plain{uuid.uuid4().hex[:6]}")
    assert ordinary.status_code == 201
    tag = uuid.uuid4().hex[:6]
    old_role = f"hostmaster@{tag}.{domain}"           # a domain of its own: no clash with a rerun
    mailbox_id = ordinary.json()["id"]
    sql("INSERT INTO mailboxes (address, domain_id, account_id, api_key_id, created_at)"
        f" SELECT '{old_role}', domain_id, account_id, api_key_id, created_at FROM mailboxes"
        f" WHERE id = {mailbox_id}")
    sql("INSERT INTO mailboxes (address, domain_id, account_id, api_key_id, created_at)"
        f" SELECT 'billing+{tag}@{domain}', domain_id, account_id, api_key_id, created_at"
        f" FROM mailboxes WHERE id = {mailbox_id}")
    try:
        lines = tempmailctl("roles").splitlines()
        assert f"{old_role} {api.email}" in lines
        assert f"billing+{tag}@{domain} {api.email}" in lines             # the operator's list
        assert not any(line.startswith(ordinary.json()["email"]) for line in lines)
    finally:
        sql(f"DELETE FROM mailboxes WHERE address IN ('{old_role}', 'billing+{tag}@{domain}')")


def test_tempmailctl_roles_says_how_to_call_it():
    env = dict(os.environ, TEMPMAIL_CONF=ENV.get("TEMPMAIL_CONF", str(TOP / "var" / "tempmail.conf")))
    done = subprocess.run([str(TOP / "tools" / "tempmailctl"), "roles", "extra"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "roles" in done.stderr


# ---- a form of another site cannot post to a JSON route -------------------------------------

@pytest.fixture
def registered(base_url):
    """An account with a web password, from a cleared per-address window: (email, password)."""
    tempmailctl("ratelimit", "clear", "ip:register:127.0.0.1")
    tempmailctl("ratelimit", "clear", "ip:login:127.0.0.1")
    email, password = f"form-{uuid.uuid4().hex[:10]}@example.org", "correct horse battery"
    r = requests.post(base_url + "/api/account/register", json={"email": email, "password": password},
                      timeout=30)
    assert r.status_code == 201, r.text
    return email, password


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "text/html"])
def test_a_cross_site_form_cannot_log_anyone_in(base_url, registered, content_type):
    """<form enctype="text/plain"> on another site posts a JSON-looking body with the
    visitor's browser: it must not log the visitor into the attacker's account."""
    email, password = registered
    body = json.dumps({"email": email, "password": password})
    r = requests.post(base_url + "/api/account/login", data=body, timeout=30,
                      headers={"Content-Type": content_type})
    assert r.status_code == 415, r.text
    assert r.json() == {"error": "Content-Type must be application/json", "status": 415}
    assert "Set-Cookie" not in r.headers


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON", "application/merge-patch+json"])
def test_json_and_a_json_body_without_a_type_are_read(base_url, registered, content_type):
    email, password = registered
    body = json.dumps({"email": email, "password": password})
    r = requests.post(base_url + "/api/account/login", data=body, timeout=30,
                      headers={"Content-Type": content_type})
    assert r.status_code == 200, r.text
    r = requests.post(base_url + "/api/account/login", data=body, timeout=30)   # no type at all
    assert r.status_code == 200, r.text


def test_an_api_key_route_refuses_a_form_body_too(make_account):
    api = make_account()
    r = api.post("/api/mail/generate", data="prefix=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and r.json()["status"] == 415
    r = api.post("/api/mail/generate", data="")      # the documents' bodiless POST
    assert r.status_code == 201, r.text


# ---- what only expires is forgotten -----------------------------------------------------------

def test_a_purge_forgets_expired_web_sessions_and_ended_rate_windows(registered):
    """Nothing reads an expired web session or an ended rate window again: the purge (the
    milter's, every minute, or tempmailctl purge) deletes them; live ones stay."""
    email, _ = registered
    tag = uuid.uuid4().hex
    [[account]] = sql(f"SELECT id FROM accounts WHERE email = '{email}'")
    for name, expires in ((f"gone{tag}"[:64], "UTC_TIMESTAMP(3) - INTERVAL 1 SECOND"),
                          (f"live{tag}"[:64], "UTC_TIMESTAMP(3) + INTERVAL 1 HOUR")):
        sql("INSERT INTO web_sessions (token_hash, csrf_token, account_id, created_at, expires_at)"
            f" VALUES ('{name}', '{name}', {account}, UTC_TIMESTAMP(3), {expires})")
    sql("INSERT INTO rate_counters (subject, window_start, hits) VALUES"
        f" ('ip:test-ended:{tag}', UTC_TIMESTAMP() - INTERVAL 3601 SECOND, 5),"
        f" ('ip:test-open:{tag}', UTC_TIMESTAMP() - INTERVAL 3000 SECOND, 5)")
    try:
        tempmailctl("purge")
        assert sql(f"SELECT token_hash FROM web_sessions WHERE token_hash LIKE '%{tag}%'") \
            == [[f"live{tag}"[:64]]]
        assert sql(f"SELECT subject FROM rate_counters WHERE subject LIKE 'ip:test-%:{tag}'") \
            == [[f"ip:test-open:{tag}"]]
    finally:
        sql(f"DELETE FROM web_sessions WHERE token_hash LIKE '%{tag}%'")
        sql(f"DELETE FROM rate_counters WHERE subject LIKE 'ip:test-%:{tag}'")
