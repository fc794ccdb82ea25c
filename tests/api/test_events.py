"""Issue 11, point 2: push. The inbox as a Server-Sent Events stream
(GET /api/mail/inbox/{address}/events, GET /api/v1/inboxes/{address}/events).

Each new message is one event: `id:` the message id, `event: message`, `data:` the object
the dialect's inbox route lists. The stream wakes on the milter's arrival signal (never a
database poll), is read here line by line through the real web server as it is written
(so it must not be buffered there), resumes from Last-Event-ID without loss or duplicates,
and leaves the other requests of its route binary served while it stays open."""
import concurrent.futures
import http.client
import json
import time
import urllib.parse
import uuid
from urllib.parse import quote

import pytest
import requests

from conftest import send_mail, tempmailctl

READ_TIMEOUT = 60       # seconds one blocking read of the stream may take before the test fails


class Stream:
    """One open event stream, read as the bytes arrive (http.client, no buffering of ours)."""

    def __init__(self, base_url, path, headers):
        url = urllib.parse.urlsplit(base_url)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=READ_TIMEOUT)
        self.conn.request("GET", path, headers=headers)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = self.resp.headers
        self.comments = []

    def body(self):
        return self.resp.read()

    def next_event(self):
        """The next event as a dict of its fields; comments (": ping") are kept aside."""
        fields = {}
        while True:
            line = self.resp.readline()
            assert line, f"the stream ended before an event came (fields so far: {fields})"
            line = line.decode().rstrip("\r\n")
            if line == "":
                if fields.get("event") or fields.get("data"):
                    return fields
                fields = {}
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value

    def wait_open(self):
        """Read up to the ": open" comment that follows the headers."""
        while ": open" not in self.comments:
            line = self.resp.readline()
            assert line, "the stream ended before it opened"
            if line.startswith(b":"):
                self.comments.append(line.decode().rstrip("\r\n"))

    def close(self):
        self.conn.close()


def mail_path(address):
    return f"/api/mail/inbox/{quote(address, safe='@')}/events"


def v1_path(address):
    return f"/api/v1/inboxes/{quote(address, safe='@')}/events"


DIALECTS = {
    "leveragers": (mail_path, lambda a: f"/api/mail/inbox/{quote(a, safe='@')}", "emails"),
    "aurelion": (v1_path, lambda a: f"/api/v1/inboxes/{quote(a, safe='@')}/messages", "messages"),
}


@pytest.fixture
def account(make_account):
    return make_account(balance="5")


def new_address(api):
    r = api.post("/api/mail/generate", json={})
    assert r.status_code == 201, r.text
    return r.json()["email"]


def open_stream(api, path, **headers):
    return Stream(api.base_url, path, {"X-API-KEY": api.key, **headers})


def listed(api, list_path, field):
    r = api.get(list_path)
    assert r.status_code == 200, r.text
    return r.json()[field]


def message_ids(address):
    """The internal ids of a mailbox's messages, oldest first (what the leveragers inbox
    shows as "id"), read through the API of its owner."""
    from conftest import sql
    return [int(r[0]) for r in sql(
        "SELECT m.id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
        f" WHERE b.address = '{address}' ORDER BY m.id")]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_new_mail_is_one_event_with_the_inbox_object(account, smtp_addr, dialect):
    events_path, list_path, field = DIALECTS[dialect]
    address = new_address(account)
    s = open_stream(account, events_path(address))
    try:
        assert s.status == 200
        assert s.headers["Content-Type"].startswith("text/event-stream")
        assert s.headers["Cache-Control"] == "no-cache"
        assert s.headers.get("Content-Length") is None
        s.wait_open()
        subject = f"push {uuid.uuid4()}"
        assert send_mail(smtp_addr, "sender@example.com", [address], subject=subject,
                         body="your code is 482913") == {}
        ev = s.next_event()
    finally:
        s.close()
    assert ev["event"] == "message"
    data = json.loads(ev["data"])
    assert data["subject"] == subject
    assert data["codes"] == ["482913"]
    assert int(ev["id"]) == message_ids(address)[-1]
    # data is exactly what the inbox route lists for that message.
    assert listed(account, list_path(address), field) == [data]


def test_last_event_id_resumes_with_only_newer_messages(account, smtp_addr):
    address = new_address(account)
    subjects = [f"resume {n} {uuid.uuid4()}" for n in range(4)]
    for subject in subjects[:3]:
        assert send_mail(smtp_addr, "sender@example.com", [address], subject=subject) == {}
    from conftest import wait_for
    assert wait_for(lambda: len(message_ids(address)) == 3)
    first, second, third = message_ids(address)

    # Resuming after the first: the second and third come, in order, then the fourth once
    # sent; the first never again.
    s = open_stream(account, mail_path(address), **{"Last-Event-ID": str(first)})
    try:
        assert s.status == 200
        got = [s.next_event(), s.next_event()]
        assert [int(e["id"]) for e in got] == [second, third]
        assert [json.loads(e["data"])["subject"] for e in got] == subjects[1:3]
        assert send_mail(smtp_addr, "sender@example.com", [address], subject=subjects[3]) == {}
        ev = s.next_event()
        assert json.loads(ev["data"])["subject"] == subjects[3]
        assert int(ev["id"]) > third
    finally:
        s.close()

    # "after" (the page's way: EventSource cannot set the header the first time) works the
    # same, and the header wins when it is further on.
    s = open_stream(account, mail_path(address) + f"?after={third}")
    try:
        assert json.loads(s.next_event()["data"])["subject"] == subjects[3]
    finally:
        s.close()


def test_without_a_cursor_only_new_mail_comes(account, smtp_addr):
    address = new_address(account)
    assert send_mail(smtp_addr, "sender@example.com", [address], subject="old one") == {}
    from conftest import wait_for
    assert wait_for(lambda: len(message_ids(address)) == 1)
    s = open_stream(account, mail_path(address))
    try:
        s.wait_open()
        subject = f"new one {uuid.uuid4()}"
        assert send_mail(smtp_addr, "sender@example.com", [address], subject=subject) == {}
        assert json.loads(s.next_event()["data"])["subject"] == subject
    finally:
        s.close()


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_refusals_are_json_before_any_stream(account, make_account, base_url, dialect):
    events_path = DIALECTS[dialect][0]
    address = new_address(account)
    other = make_account()
    for api, path, status in [(other, events_path(address), 404),
                              (account, events_path("nobody-" + uuid.uuid4().hex[:8] + "@"
                                                    + address.split("@")[1]), 404)]:
        s = open_stream(api, path)
        assert s.status == status
        assert s.headers["Content-Type"].startswith("application/json")
        assert json.loads(s.body())["status"] == status
        s.close()
    r = requests.get(base_url + events_path(address), timeout=30)
    assert r.status_code == 401 and r.json()["status"] == 401
    r = requests.get(base_url + events_path(address), headers={"X-API-KEY": account.key,
                                                                "Last-Event-ID": "x1"}, timeout=30)
    assert r.status_code == 400 and r.json()["status"] == 400


def test_the_web_session_cookie_opens_a_stream_without_csrf(base_url, smtp_addr):
    """EventSource sends no headers of ours: the session cookie alone must do for this GET."""
    tempmailctl("ratelimit", "clear", "ip:register:127.0.0.1")
    session = requests.Session()
    r = session.post(base_url + "/api/account/register",
                     json={"email": f"sse-{uuid.uuid4().hex[:10]}@example.org",
                           "password": "long enough pw"}, timeout=30)
    assert r.status_code == 201, r.text
    address = session.post(base_url + "/api/mail/generate", json={}, timeout=30,
                           headers={"X-CSRF-Token": r.json()["csrf_token"]}).json()["email"]
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    s = Stream(base_url, mail_path(address), {"Cookie": cookie})
    try:
        assert s.status == 200
        s.wait_open()
        subject = f"cookie {uuid.uuid4()}"
        assert send_mail(smtp_addr, "sender@example.com", [address], subject=subject) == {}
        assert json.loads(s.next_event()["data"])["subject"] == subject
    finally:
        s.close()


def test_opening_counts_once_against_the_rate_limit(account, smtp_addr):
    address = new_address(account)
    s = open_stream(account, mail_path(address))
    try:
        at_open = int(s.headers["X-RateLimit-Remaining"])
        s.wait_open()
        for n in range(3):
            assert send_mail(smtp_addr, "sender@example.com", [address], subject=f"n{n}") == {}
            s.next_event()
    finally:
        s.close()
    r = account.get("/api/mail/list")
    assert int(r.headers["X-RateLimit-Remaining"]) == at_open - 1


def test_other_requests_are_answered_while_streams_are_open(account, smtp_addr):
    """Several streams on the route binary that also serves the inbox and list: the others
    are still answered (each process keeps half its threads from streams), and one mail
    reaches every stream of its inbox."""
    address = new_address(account)
    streams = [open_stream(account, mail_path(address)) for _ in range(6)]
    try:
        for s in streams:
            assert s.status == 200
            s.wait_open()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: account.get("/api/mail/list").status_code, range(12)))
        assert answers == [200] * 12
        assert account.get(f"/api/mail/inbox/{quote(address, safe='@')}").status_code == 200
        subject = f"fan-out {uuid.uuid4()}"
        assert send_mail(smtp_addr, "sender@example.com", [address], subject=subject) == {}
        for s in streams:
            assert json.loads(s.next_event()["data"])["subject"] == subject
    finally:
        for s in streams:
            s.close()


def test_a_quiet_stream_sends_keep_alive_comments(account):
    """Without mail the stream still speaks (": ping", every event_stream_ping_seconds: 2 in
    the local stack, 15 by default), so that proxies and browsers keep it open; read through
    the web server, so its buffering would show here."""
    address = new_address(account)
    s = open_stream(account, mail_path(address))
    try:
        s.wait_open()
        line = b"\n"
        while line in (b"\n", b"\r\n"):         # the blank line that ends a block
            line = s.resp.readline()
        assert line.rstrip(b"\r\n") == b": ping", line
    finally:
        s.close()



@pytest.fixture
def own_mail_fcgi(tmp_path):
    """own_mail_fcgi(settings) -> call(path, key): a mail.fcgi of its own (spawn-fcgi) with
    extra tempmail.conf lines, and a function that sends it one GET over FastCGI (cgi-fcgi,
    libfcgi-bin) and returns the process, its output on stdout."""
    import os
    import pathlib
    import subprocess
    import time
    from conftest import ENV, TOP
    servers = []

    def start(settings):
        conf = tmp_path / "tempmail.conf"
        base = pathlib.Path(ENV.get("TEMPMAIL_CONF", str(TOP / "var" / "tempmail.conf"))).read_text()
        conf.write_text(base + "\n" + settings + "\n")
        sock = tmp_path / "mail.sock"
        servers.append(subprocess.Popen(
            ["spawn-fcgi", "-n", "-s", str(sock), "--", str(TOP / "cgi-bin" / "mail.fcgi")],
            env=dict(os.environ, TEMPMAIL_CONF=str(conf)),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.05)

        def call(path, key):
            env = dict(os.environ, REQUEST_METHOD="GET", REMOTE_ADDR="127.0.0.1",
                       REQUEST_URI=path, HTTP_X_API_KEY=key)
            return subprocess.Popen(["cgi-fcgi", "-bind", "-connect", str(sock)], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return call

    yield start
    for server in servers:
        server.terminate()
        server.wait(10)


def test_the_stream_ends_after_event_stream_seconds(own_mail_fcgi, account):
    """The stream is bounded, so that no worker is held for ever (the client reconnects with
    Last-Event-ID): with event_stream_seconds = 5 the response ends by itself. Quiet, it
    pings as often as event_stream_ping_seconds says: at 1, within those 5 s (at the
    default 15 it would not)."""
    call = own_mail_fcgi("event_stream_seconds = 5\nevent_stream_ping_seconds = 1")
    out = call(mail_path(new_address(account)), account.key).communicate(timeout=60)[0].decode()
    assert "Status: 200" in out and "Content-Type: text/event-stream" in out, out
    assert "Cache-Control: no-cache" in out and "retry: 1000" in out and ": open" in out
    assert ": ping" in out, out


def test_streams_never_take_every_thread_of_a_process(own_mail_fcgi, account):
    """With http_threads = 2 a process admits one stream: the next gets 503 with Retry-After,
    and the ordinary routes are still answered by the other thread."""
    call = own_mail_fcgi("http_threads = 2")
    address = new_address(account)
    first = call(mail_path(address), account.key)
    try:
        assert first.stdout.readline().startswith(b"Status: 200")
        second = call(mail_path(address), account.key).communicate(timeout=60)[0].decode()
        assert "Status: 503" in second and "Retry-After: 5" in second, second
        assert '"status":503' in second.replace(" ", "")
        inbox = call(f"/api/mail/inbox/{address}", account.key).communicate(timeout=60)[0].decode()
        assert "Status: 200" in inbox and '"emails"' in inbox, inbox
    finally:
        first.kill()
        first.wait(10)


@pytest.mark.parametrize("parked", ["wait", "stream"])
def test_a_parked_request_gives_its_turn_to_others(own_mail_fcgi, account, parked):
    """Of a process's http_threads only http_active work at once (lib/http.c); a request
    parked until mail comes (a long poll, an event stream) gives its turn back meanwhile.
    With http_active = 1, an inbox read is answered while another request is parked."""
    import subprocess
    call = own_mail_fcgi("http_threads = 4\nhttp_active = 1")
    address = new_address(account)
    path = f"/api/mail/inbox/{address}?wait=30" if parked == "wait" else mail_path(address)
    first = call(path, account.key)
    try:
        if parked == "stream":
            assert first.stdout.readline().startswith(b"Status: 200")
        else:
            time.sleep(1)           # in its wait: the inbox is empty
        try:
            out = call(f"/api/mail/inbox/{new_address(account)}", account.key).communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            pytest.fail("an inbox read waited behind the parked request")
        assert b"Status: 200" in out and b'"emails":[]' in out, out
        assert first.poll() is None, "the parked request ended first"
    finally:
        first.kill()
        first.wait(10)
