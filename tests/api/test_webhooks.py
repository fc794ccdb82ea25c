"""Issue 11, point 3: webhooks, end to end on the real stack.

Real Postfix -> milter -> MariaDB -> tempmail-webhookd -> an HTTP receiver this module runs
on a loopback port. The stack's tempmail.conf allows loopback targets
(webhook_allow_internal = 1) and retries after 1 s, doubling (webhook_retry_base = 1).

The signature is checked here the way a receiver would: HMAC-SHA256 keyed with the secret
shown at creation, of "<X-Tempmail-Timestamp>.<raw body>".
"""
import hashlib
import hmac
import http.server
import json
import os
import shutil
import smtplib
import socket
import subprocess
import threading
import time
import uuid

import pytest
import requests

from conftest import TOP, send_mail, sql, wait_for
from conftest import stack_ctl as stack


class Receiver:
    """A loopback HTTP server that records every POST and answers each path with the
    statuses given to script(path, [...]) in turn, then 200."""

    def __init__(self):
        self.requests = []
        self.scripts = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body})
                    script = receiver.scripts.get(self.path, [])
                    status = script.pop(0) if script else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path, statuses):
        with self.lock:
            self.scripts[path] = list(statuses)

    def got(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


def new_path():
    return f"/hook/{uuid.uuid4().hex[:12]}"


def signature_ok(request, secret):
    h = {k.lower(): v for k, v in request["headers"].items()}
    signed = h["x-tempmail-timestamp"].encode() + b"." + request["body"]
    want = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, h["x-tempmail-signature"])


def create(api, **body):
    r = api.post("/api/webhooks", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def hooked(make_account, receiver):
    """A new account with one address and a webhook for it at a fresh receiver path:
    (api, address, path, the answer to its creation)."""
    api = make_account(balance="1")
    address = api.post("/api/mail/generate").json()["email"]
    path = new_path()
    return api, address, path, create(api, url=receiver.url(path), address=address)


def deliveries(api, hook_id):
    r = api.get(f"/api/webhooks/{hook_id}/deliveries")
    assert r.status_code == 200, r.text
    return r.json()["deliveries"]


def test_an_arrival_is_posted_signed_with_the_message_fields(make_account, receiver, smtp_addr):
    api, address, path, made = hooked(make_account, receiver)
    secret = made["secret"]
    assert secret.startswith("whsec_") and len(secret) == 70
    hook = made["webhook"]
    assert made["webhook_id"] == hook["id"]
    assert hook == {**hook, "scope": "address", "address": address, "domain": None,
                    "url": receiver.url(path), "active": True}

    subject = f"welcome {uuid.uuid4().hex[:8]}"
    send_mail(smtp_addr, "signup@example.com", [address], subject=subject,
              body="Your code is 482913. Confirm: https://app.example.com/confirm?t=abc")
    got = wait_for(lambda: receiver.got(path), timeout=30)
    assert len(got) == 1, got
    req = got[0]
    h = {k.lower(): v for k, v in req["headers"].items()}
    assert h["content-type"] == "application/json"
    assert h["x-tempmail-event"] == "message.received"
    assert abs(int(h["x-tempmail-timestamp"]) - time.time()) < 300
    assert signature_ok(req, secret)
    # the check can fail: another secret, or a body changed by one byte, does not verify
    assert not signature_ok(req, "whsec_" + "0" * 64)
    assert not signature_ok({**req, "body": req["body"] + b" "}, secret)

    payload = json.loads(req["body"])
    inbox = api.get(f"/api/mail/inbox/{address}").json()["emails"]
    assert len(inbox) == 1
    assert payload["event"] == "message.received"
    assert payload["webhook_id"] == hook["id"] and payload["address"] == address
    for field in ("id", "from", "from_name", "subject", "body", "html", "received_at", "links", "codes"):
        assert payload[field] == inbox[0][field], field
    assert payload["subject"] == subject and payload["from"] == "signup@example.com"
    assert "482913" in payload["codes"]
    assert "https://app.example.com/confirm?t=abc" in payload["links"]
    assert payload["truncated"] is False

    log = wait_for(lambda: [d for d in deliveries(api, hook["id"]) if d["state"] == "delivered"])
    assert len(log) == 1
    d = log[0]
    assert str(d["id"]) == h["x-tempmail-delivery"]
    assert d == {**d, "message_id": payload["id"], "uuid": payload["uuid"], "address": address,
                 "attempts": 1, "last_status": 200, "last_error": None, "next_attempt_at": None}
    assert d["finished_at"] and d["created_at"].endswith("Z")
    # the secret is shown once: never in the list or the webhook itself, and never logged
    assert "secret" not in api.get(f"/api/webhooks/{hook['id']}").json()
    assert all("secret" not in w for w in api.get("/api/webhooks").json()["webhooks"])
    logs = [p for p in (TOP / "var" / "log").glob("*.log") if p.is_file()]
    assert any(p.name == "webhookd.log" for p in logs)
    for log in logs:
        assert secret.encode() not in log.read_bytes(), log


def test_a_domain_webhook_fires_for_every_address_of_the_account_only(make_account, receiver,
                                                                         smtp_addr, domain):
    api = make_account(balance="1")
    other = make_account(balance="1")
    path = new_path()
    hook = create(api, url=receiver.url(path), domain=domain)["webhook"]
    assert hook["scope"] == "domain" and hook["domain"] == domain and hook["address"] is None
    mine = [api.post("/api/mail/generate").json()["email"] for _ in range(2)]
    theirs = other.post("/api/mail/generate").json()["email"]
    assert theirs.endswith("@" + domain)
    # another account's address on the same (system) domain first, then ours
    send_mail(smtp_addr, "a@example.com", [theirs], subject="not yours")
    wait_for(lambda: other.get(f"/api/mail/inbox/{theirs}").json()["emails"])
    for address in mine:
        send_mail(smtp_addr, "a@example.com", [address], subject=f"to {address}")
    got = wait_for(lambda: len(receiver.got(path)) >= 2 and receiver.got(path), timeout=30)
    assert sorted(json.loads(r["body"])["address"] for r in got) == sorted(mine)
    log = deliveries(api, hook["id"])
    assert sorted(d["address"] for d in log) == sorted(mine)


def test_a_failing_receiver_is_retried_until_it_answers_2xx(make_account, receiver, smtp_addr):
    api, address, path, made = hooked(make_account, receiver)
    receiver.script(path, [500, 500])
    send_mail(smtp_addr, "a@example.com", [address], subject="flaky receiver")
    log = wait_for(lambda: [d for d in deliveries(api, made["webhook_id"])
                            if d["state"] == "delivered"], timeout=60)
    assert len(log) == 1, deliveries(api, made["webhook_id"])
    assert log[0]["attempts"] == 3 and log[0]["last_status"] == 200
    got = receiver.got(path)
    assert len(got) == 3
    # one delivery, three attempts: the same id, each freshly signed
    assert {r["headers"]["X-Tempmail-Delivery"] for r in got} == {str(log[0]["id"])}
    assert all(signature_ok(r, made["secret"]) for r in got)
    assert len({r["body"] for r in got}) == 1


def test_a_receiver_that_is_down_stays_pending_with_a_later_attempt(make_account, smtp_addr):
    api = make_account(balance="1")
    address = api.post("/api/mail/generate").json()["email"]
    # a port bound but not listening: every connection is refused, and no one else takes it
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    try:
        url = f"http://127.0.0.1:{hole.getsockname()[1]}/down"
        made = create(api, url=url, address=address)
        send_mail(smtp_addr, "a@example.com", [address], subject="nobody listens")
        log = wait_for(lambda: [d for d in deliveries(api, made["webhook_id"])
                                if d["attempts"] >= 1 and d["last_attempt_at"]], timeout=30)
        assert len(log) == 1
        d = log[0]
        assert d["state"] == "pending" and d["finished_at"] is None
        assert d["last_status"] is None and d["last_error"]
        assert d["next_attempt_at"] > d["last_attempt_at"]     # ISO 8601 UTC: text order is time order
        # deleting the webhook ends its retries, and its log goes with it
        assert api.request("DELETE", f"/api/webhooks/{made['webhook_id']}").status_code == 200
        assert api.get(f"/api/webhooks/{made['webhook_id']}/deliveries").status_code == 404
    finally:
        hole.close()


def test_another_account_never_sees_uses_or_deletes_a_webhook(make_account, receiver, base_url):
    owner = make_account(balance="1")
    stranger = make_account(balance="1")
    address = owner.post("/api/mail/generate").json()["email"]
    hook_id = create(owner, url=receiver.url(new_path()), address=address)["webhook_id"]

    for method, path in (("GET", f"/api/webhooks/{hook_id}"), ("DELETE", f"/api/webhooks/{hook_id}"),
                         ("PATCH", f"/api/webhooks/{hook_id}"),
                         ("GET", f"/api/webhooks/{hook_id}/deliveries")):
        r = stranger.request(method, path, json={"active": False} if method == "PATCH" else None)
        assert r.status_code == 404 and r.json() == {"error": "Webhook not found", "status": 404}
    assert stranger.get("/api/webhooks").json() == {"webhooks": [], "total": 0}
    # someone else's address, or someone else's custom domain: as if they did not exist
    r = stranger.post("/api/webhooks", json={"url": receiver.url("/x"), "address": address})
    assert r.status_code == 404 and r.json()["error"] == "Email address not found"
    name = f"hooks-{uuid.uuid4().hex[:8]}.example"
    assert owner.post("/api/domains/add", json={"domain": name}).status_code == 201
    r = stranger.post("/api/webhooks", json={"url": receiver.url("/x"), "domain": name})
    assert r.status_code == 404 and r.json()["error"] == "Domain not found"
    assert create(owner, url=receiver.url("/x"), domain=name)["webhook"]["domain"] == name
    r = stranger.post("/api/webhooks", json={"url": receiver.url("/x"), "domain": "no-such.example"})
    assert r.status_code == 404

    # no key: 401 on every route; the owner still has it, then deletes it
    for method, path in (("POST", "/api/webhooks"), ("GET", "/api/webhooks"),
                         ("GET", f"/api/webhooks/{hook_id}"), ("DELETE", f"/api/webhooks/{hook_id}"),
                         ("GET", f"/api/webhooks/{hook_id}/deliveries")):
        assert requests.request(method, base_url + path, timeout=30).status_code == 401, path
    assert owner.get(f"/api/webhooks/{hook_id}").json()["address"] == address
    assert owner.request("DELETE", f"/api/webhooks/{hook_id}").json() == {"message": "Webhook deleted"}
    assert owner.get(f"/api/webhooks/{hook_id}").status_code == 404
    assert [w["domain"] for w in owner.get("/api/webhooks").json()["webhooks"]] == [name]


@pytest.mark.parametrize("body,error", [
    ({}, "url is required"),
    ({"url": 5, "address": "a@b.example"}, None),
    ({"url": "https://example.com/hook"}, "Give either address or domain"),
    ({"url": "https://example.com/hook", "address": "{addr}", "domain": "{domain}"},
     "Give either address or domain"),
    ({"url": "http://example.com/hook", "address": "{addr}"},
     "Invalid url: use https:// (http:// is for loopback hosts only)"),
    ({"url": "ftp://example.com/hook", "address": "{addr}"}, "Invalid url: want an absolute https:// URL"),
    ({"url": "example.com/hook", "address": "{addr}"}, "Invalid url: want an absolute https:// URL"),
    ({"url": "https://exa mple.com/", "address": "{addr}"}, "Invalid url: no spaces or control characters"),
    ({"url": "https://example.com/" + "a" * 2100, "address": "{addr}"}, "Invalid url: at most 2048 characters"),
])
def test_invalid_requests_are_400(make_account, domain, body, error):
    api = make_account(balance="1")
    addr = api.post("/api/mail/generate").json()["email"]
    body = {k: v.format(addr=addr, domain=domain) if isinstance(v, str) else v for k, v in body.items()}
    r = api.post("/api/webhooks", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == 400 and (error is None or r.json()["error"] == error)
    assert api.get("/api/webhooks").json()["total"] == 0


def test_https_is_accepted_for_any_public_host_and_http_only_for_loopback(make_account):
    api = make_account(balance="1")
    addr = api.post("/api/mail/generate").json()["email"]
    for url in ("https://hooks.example.com/in?x=1", "http://127.0.0.1:9/in", "http://localhost:9/in"):
        r = api.post("/api/webhooks", json={"url": url, "address": addr})
        assert r.status_code == 201, (url, r.text)
    for url in ("http://hooks.example.com/in", "http://192.0.2.1/in", "http://[2001:db8::1]/in"):
        r = api.post("/api/webhooks", json={"url": url, "address": addr})
        assert r.status_code == 400, (url, r.text)
    assert api.post("/api/webhooks", data="{not json", headers={"Content-Type": "application/json"}
                    ).status_code == 400


def test_a_lower_id_committed_after_a_higher_one_is_still_sent(make_account, receiver):
    """Ids need not commit in order (a long capture transaction; Galera's interleaved ids):
    a message whose id is below one the worker has already seen is sent all the same."""
    api = make_account(balance="1")
    made_box = api.post("/api/mail/generate").json()
    path = new_path()
    create(api, url=receiver.url(path), address=made_box["email"])
    top = int(sql("SELECT COALESCE(MAX(id), 0) FROM messages")[0][0])

    def arrive(message_id, subject):
        # as the milter stores a message, then its arrival signal (arrival.h: a file of the
        # mailbox's bucket closed after writing, in the arrivals directory)
        sql("INSERT INTO messages (id, mailbox_id, uuid, envelope_from, header_from, subject,"
            " body_text, body_html, raw, size, received_at, expires_at)"
            f" VALUES ({message_id}, {made_box['id']}, UUID(), 'a@example.com', '', '{subject}',"
            " 'body', '', 'raw', 3, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL 900 SECOND)")
        with open(TOP / "var" / "run" / "arrivals" / str(made_box["id"] % 4096), "a"):
            pass

    # two looks of the worker at higher ids (each sent before the next arrives), then the lower
    for n, message_id in enumerate((top + 1000, top + 1001), 1):
        arrive(message_id, "higher id, committed first")
        assert wait_for(lambda: len(receiver.got(path)) >= n, timeout=30)
    arrive(top + 500, "lower id, committed later")
    got = wait_for(lambda: len(receiver.got(path)) >= 3 and receiver.got(path), timeout=30)
    assert [json.loads(r["body"])["id"] for r in got] == [top + 1000, top + 1001, top + 500]


@pytest.mark.faults
def test_mail_is_stored_while_the_worker_is_stopped_and_posted_once_it_runs(make_account, receiver,
                                                                               smtp_addr):
    api, address, path, made = hooked(make_account, receiver)
    # more than the worker queues in one go (100), so that its look goes on over batches
    subjects = [f"while the worker was down {i}" for i in range(150)]
    stack("stop", "webhookd")
    try:
        with smtplib.SMTP(*smtp_addr, timeout=60) as s:
            for subject in subjects:
                s.sendmail("a@example.com", [address],
                           f"From: a@example.com\r\nSubject: {subject}\r\n\r\nbody\r\n")
        # the milter path does not need the worker: every message is stored and readable
        assert wait_for(lambda: len(api.get(f"/api/mail/inbox/{address}").json()["emails"]) == 150)
        assert receiver.got(path) == [] and deliveries(api, made["webhook_id"]) == []
    finally:
        stack("start", "webhookd")
    got = wait_for(lambda: len(receiver.got(path)) >= 150 and receiver.got(path), timeout=60)
    assert sorted(json.loads(r["body"])["subject"] for r in got) == sorted(subjects)
    assert all(signature_ok(r, made["secret"]) for r in got)


def pause(api, hook_id, active):
    r = api.request("PATCH", f"/api/webhooks/{hook_id}", json={"active": active})
    assert r.status_code == 200, r.text
    assert r.json()["message"] == ("Webhook resumed" if active else "Webhook paused")
    assert r.json()["webhook"]["active"] is active and r.json()["webhook"]["id"] == hook_id
    assert api.get(f"/api/webhooks/{hook_id}").json()["active"] is active
    return r.json()["webhook"]


def test_a_paused_webhook_holds_its_deliveries_until_it_is_resumed(make_account, receiver,
                                                                   smtp_addr):
    api, address, path, made = hooked(make_account, receiver)
    hook_id = made["webhook_id"]
    paused = pause(api, hook_id, False)
    assert paused == {**made["webhook"], "active": False}
    pause(api, hook_id, False)                          # pausing twice is no error

    subjects = [f"while paused {i}" for i in range(3)]
    for subject in subjects:
        send_mail(smtp_addr, "a@example.com", [address], subject=subject)
    # Queued, not sent: three pending deliveries without an attempt, nothing at the receiver.
    held = wait_for(lambda: len(deliveries(api, hook_id)) == 3 and deliveries(api, hook_id))
    assert all(d["state"] == "pending" and d["attempts"] == 0 for d in held), held
    assert wait_for(lambda: api.get(f"/api/mail/inbox/{address}").json()["emails"])
    assert receiver.got(path) == []

    pause(api, hook_id, True)
    send_mail(smtp_addr, "a@example.com", [address], subject="after the resume")
    got = wait_for(lambda: len(receiver.got(path)) >= 4 and receiver.got(path), timeout=90)
    assert sorted(json.loads(r["body"])["subject"] for r in got) == sorted(subjects + ["after the resume"])
    assert all(signature_ok(r, made["secret"]) for r in got)
    assert wait_for(lambda: all(d["state"] == "delivered" for d in deliveries(api, hook_id)))


@pytest.mark.parametrize("body", [{}, {"active": "no"}, {"active": 1}, {"active": None},
                                  {"url": "https://example.com/"}])
def test_pausing_wants_active_true_or_false(make_account, receiver, body):
    api, _, _, made = hooked(make_account, receiver)
    hook_id = made["webhook_id"]
    r = api.request("PATCH", f"/api/webhooks/{hook_id}", json=body)
    assert r.status_code == 400, r.text
    assert r.json() == {"error": "Field 'active' is required and must be true or false",
                        "status": 400}
    r = api.request("PATCH", "/api/webhooks/999999999", json={"active": False})
    assert r.status_code == 404
    assert api.get(f"/api/webhooks/{hook_id}").json()["active"] is True


class SecondWorker:
    """Another tempmail-webhookd on the same database, as on a second host, logging to a file."""

    def __init__(self, tmp_path, wrapper=(), env=None, **settings):
        from conftest import ENV
        self.log = tmp_path / "webhookd-2.log"
        conf = ENV.get("TEMPMAIL_CONF", str(TOP / "var" / "tempmail.conf"))
        if settings:                    # the stack's file, with these settings last (they win)
            text = open(conf).read() + "".join(f"\n{k} = {v}" for k, v in settings.items()) + "\n"
            conf = tmp_path / "tempmail.conf"
            conf.write_text(text)
            conf.chmod(0o600)
        self.proc = subprocess.Popen([*wrapper, str(TOP / "milter" / "tempmail-webhookd"), "-f", "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "w"),
                                     env=dict(os.environ, **(env or {})))

    def said(self, text):
        return text in self.log.read_text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=30)


@pytest.fixture
def standby(make_account, receiver, tmp_path):
    """An address with a webhook to the receiver, and a second worker already standing by:
    (api, address, path, worker)."""
    api = make_account(balance="1")
    address = api.post("/api/mail/generate").json()["email"]
    path = new_path()
    create(api, url=receiver.url(path), address=address)
    second = SecondWorker(tmp_path)
    try:
        assert wait_for(lambda: second.said("standing by"), timeout=30), second.log.read_text()
    except AssertionError:
        second.stop()
        raise
    return api, address, path, second


def test_a_second_worker_stands_by_and_nothing_is_sent_twice(standby, receiver, smtp_addr):
    api, address, path, second = standby
    try:
        for i in range(3):
            send_mail(smtp_addr, "a@example.com", [address], subject=f"one of three {i}")
        got = wait_for(lambda: len(receiver.got(path)) >= 3 and receiver.got(path), timeout=30)
        assert sorted(json.loads(r["body"])["subject"] for r in got) == [f"one of three {i}" for i in range(3)]
        assert not second.said("delivery ")          # the one holding the lock sent them all
    finally:
        code = second.stop()
    assert code == 0 and second.said("stopped")


@pytest.mark.faults
def test_the_standby_worker_takes_over_when_the_first_stops(standby, receiver, smtp_addr):
    api, address, path, second = standby
    try:
        stack("stop", "webhookd")
        # it retries the lock every 10 s
        assert wait_for(lambda: second.said("holding the lock"), timeout=30), second.log.read_text()
        send_mail(smtp_addr, "a@example.com", [address], subject="sent by the standby")
        got = wait_for(lambda: receiver.got(path), timeout=30)
        assert len(got) == 1 and json.loads(got[0]["body"])["subject"] == "sent by the standby"
        assert wait_for(lambda: second.said("delivered"), timeout=10)
    finally:
        code = second.stop()
        stack("start", "webhookd")
    assert code == 0


@pytest.mark.faults
def test_a_delivery_that_keeps_failing_is_given_up_after_webhook_retry_for(make_account, receiver,
                                                                          smtp_addr, tmp_path):
    """With webhook_retry_for = 3 (a worker of its own, the stack's stopped): attempts after
    1 s and 2 s more, the last one at 3 s, then "failed" and no next attempt."""
    api, address, path, made = hooked(make_account, receiver)
    receiver.script(path, [500] * 20)
    stack("stop", "webhookd")
    worker = SecondWorker(tmp_path, webhook_retry_for=3, webhook_retry_base=1)
    try:
        send_mail(smtp_addr, "a@example.com", [address], subject="never accepted")
        log = wait_for(lambda: [d for d in deliveries(api, made["webhook_id"]) if d["state"] == "failed"],
                       timeout=60)
    finally:
        worker.stop()
        stack("start", "webhookd")
    assert len(log) == 1, deliveries(api, made["webhook_id"])
    d = log[0]
    # 3 on an idle machine (0, 1, 3 s); a slow first attempt can leave room for only 2
    assert 2 <= d["attempts"] == len(receiver.got(path)) <= 3
    assert d["last_status"] == 500 and d["last_error"] == "HTTP 500"
    assert d["next_attempt_at"] is None and d["finished_at"] >= d["last_attempt_at"]


def test_deliveries_held_past_webhook_retry_for_are_given_up(make_account, receiver, smtp_addr,
                                                            tmp_path):
    """A webhook paused for good must not hold its queue for ever: a worker with
    webhook_retry_for = 3 fails what a paused webhook has held longer, when it prunes: at its
    start, then hourly. Its clock reads as on a host booted a moment ago (monotime(3)), so this
    fails whenever the first prune waits for the host's uptime, however long this one is up.
    Waits on the worker's log and the database, not on the API: no request counts."""
    api, address, path, made = hooked(make_account, receiver)
    hook_id = made["webhook_id"]
    pause(api, hook_id, False)
    send_mail(smtp_addr, "a@example.com", [address], subject="held too long")
    held = f"SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = {hook_id}"
    assert wait_for(lambda: sql(held) == [["1"]])
    sql("UPDATE webhook_deliveries SET created_at = created_at - INTERVAL 10 SECOND"
        f" WHERE webhook_id = {hook_id}")
    stack("stop", "webhookd")
    worker = SecondWorker(tmp_path, env={"TEMPMAIL_MONOTIME_FROM_START": "1"}, webhook_retry_for=3)
    try:
        assert wait_for(lambda: worker.said("of paused webhooks"), timeout=60), worker.log.read_text()
    finally:
        worker.stop()
        stack("start", "webhookd")
    log = [d for d in deliveries(api, hook_id) if d["state"] == "failed"]
    assert len(log) == 1, deliveries(api, hook_id)
    assert log[0]["attempts"] == 0 and log[0]["last_error"] == "paused for longer than webhook_retry_for"
    assert log[0]["finished_at"] and log[0]["next_attempt_at"] is None
    assert receiver.got(path) == []


@pytest.mark.faults
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="no valgrind")
def test_the_worker_under_valgrind_has_no_errors_and_no_leaks(make_account, receiver, smtp_addr,
                                                              tmp_path):
    """A delivery, one retried after a 500, and one refused connection, with the worker
    under valgrind (memcheck, full leak check) instead of the stack's; then SIGTERM."""
    api = make_account(balance="1")
    address = api.post("/api/mail/generate").json()["email"]
    ok, flaky = new_path(), new_path()
    receiver.script(flaky, [500])
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    for url in (receiver.url(ok), receiver.url(flaky), f"http://127.0.0.1:{hole.getsockname()[1]}/"):
        create(api, url=url, address=address)
    vg_log = tmp_path / "valgrind.log"
    stack("stop", "webhookd")
    worker = SecondWorker(tmp_path, wrapper=(
        "valgrind", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
        "--show-leak-kinds=definite", f"--suppressions={TOP / 'tests' / 'milter' / 'valgrind.supp'}",
        f"--log-file={vg_log}"))
    try:
        assert wait_for(lambda: worker.said("holding the lock"), timeout=60), worker.log.read_text()
        send_mail(smtp_addr, "a@example.com", [address], subject="under valgrind")
        assert wait_for(lambda: receiver.got(ok) and len(receiver.got(flaky)) == 2, timeout=60)
        assert wait_for(lambda: worker.said("Couldn't connect"), timeout=30)
    finally:
        code = worker.stop()
        hole.close()
        stack("start", "webhookd")
    summary = vg_log.read_text()
    assert code == 0 and "ERROR SUMMARY: 0 errors" in summary, summary[-3000:]
