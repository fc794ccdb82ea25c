"""Fixtures for the integration tests: the real local stack started by `tools/stack start`.

Everything here talks to the running services over loopback: lighttpd with the route
binaries on TEMPMAIL_HTTP, Postfix with the milter on TEMPMAIL_SMTP, MariaDB behind both.
"""
import os
import pathlib
import shlex
import smtplib
import socketserver
import threading
import time
import uuid

import pytest
import requests

TOP = pathlib.Path(__file__).resolve().parents[2]


def _stack_env():
    env = {}
    path = TOP / "var" / "stack.env"
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("export "):
                line = line[len("export "):]
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                env[k] = shlex.split(v)[0] if v else ""
    env.update({k: v for k, v in os.environ.items() if k.startswith("TEMPMAIL_")})
    return env


ENV = _stack_env()


@pytest.fixture(scope="session")
def stack():
    missing = [k for k in ("TEMPMAIL_HTTP", "TEMPMAIL_SMTP", "TEMPMAIL_API_KEY", "TEMPMAIL_DOMAIN")
               if not ENV.get(k)]
    if missing:
        pytest.fail(f"the stack is not running (no {', '.join(missing)}): run `tools/stack start`")
    return ENV


@pytest.fixture(scope="session")
def base_url(stack):
    return stack["TEMPMAIL_HTTP"].rstrip("/")


@pytest.fixture(scope="session")
def smtp_addr(stack):
    host, port = stack["TEMPMAIL_SMTP"].rsplit(":", 1)
    return host, int(port)


@pytest.fixture(scope="session")
def domain(stack):
    return stack["TEMPMAIL_DOMAIN"]


class Api:
    """A thin requests wrapper bound to one API key."""

    def __init__(self, base_url, key):
        self.base_url = base_url
        self.key = key
        self.session = requests.Session()

    def request(self, method, path, headers=None, **kw):
        h = {"X-API-KEY": self.key} if self.key is not None else {}
        h.update(headers or {})
        return self.session.request(method, self.base_url + path, headers=h, timeout=30, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)


@pytest.fixture(scope="session")
def api(base_url, stack):
    """A fresh account of this test run, with its own hourly request window (the demo key of
    `make run` is for people; test runs would use up its free-tier hour)."""
    email = f"tests-{uuid.uuid4().hex[:12]}@example.org"
    key = tempmailctl("account", "create", email, "--balance", "10").strip().splitlines()[-1]
    tempmailctl("account", "tier", email, "pro")
    client = Api(base_url, key)
    client.email = email
    return client


def send_mail(smtp_addr, sender, recipients, subject="hello", body="hi", extra_headers=None,
              raw=None):
    """Send one message through the private Postfix; returns smtplib's refused dict."""
    if raw is None:
        headers = [f"From: {sender}", f"To: {', '.join(recipients)}", f"Subject: {subject}",
                   f"Message-ID: <{uuid.uuid4()}@test.invalid>"]
        headers += extra_headers or []
        raw = "\r\n".join(headers) + "\r\n\r\n" + body + "\r\n"
    with smtplib.SMTP(*smtp_addr, timeout=30) as s:
        return s.sendmail(sender, recipients, raw.encode() if isinstance(raw, str) else raw)


WAIT_FOR_CALLS = 25


def wait_for(fn, timeout=30.0, interval=0.1, calls=WAIT_FOR_CALLS):
    """Call fn until it returns something truthy; return that, or the last value at timeout.

    fn is called at most calls times however long the timeout, so a wait that polls
    the API costs a free-tier account (100 requests an hour) at most a quarter of its hour
    even when what it waits for never comes: the pauses start at interval and double up to
    the timeout's share of the calls, so what comes quickly is seen quickly. A wait that
    polls something other than the API (an SMTP session, a log) may ask for more calls."""
    deadline = time.monotonic() + timeout
    longest = max(interval, timeout / max(calls - 7, 1))
    pause, made = interval, 1
    value = fn()
    while not value and made < calls:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(left if made == calls - 1 else min(pause, left))   # the last call at the end
        pause = min(pause * 2, longest)
        value = fn()
        made += 1
    return value


class _SinkHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to take mail that Postfix relays for other domains."""

    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        sink = self.server.sink
        self.reply("220 sink.test ESMTP")
        mail_from, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink.test")
            elif verb == "MAIL":
                mail_from, rcpts = cmd[10:].strip(), []
                self.reply("250 ok")
            elif verb == "RCPT":
                rcpts.append(cmd[8:].strip().strip("<>").lower())
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while True:
                    l = self.rfile.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    data += l[1:] if l.startswith(b"..") else l
                with sink.lock:
                    sink.messages.append({"from": mail_from, "rcpts": rcpts, "data": data})
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class Sink:
    def __init__(self, port):
        self.messages = []
        self.lock = threading.Lock()
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", port), _SinkHandler)
        self.server.daemon_threads = True
        self.server.sink = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def find(self, marker):
        with self.lock:
            return [m for m in self.messages if marker.encode() in m["data"]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def relay_sink(stack):
    """The SMTP server Postfix relays every non-managed domain to (TEMPMAIL_RELAY_PORT)."""
    sink = Sink(int(stack.get("TEMPMAIL_RELAY_PORT", "2526")))
    yield sink
    sink.close()


def stack_ctl(*args, timeout=180):
    """Run tools/stack (start, stop, restart one service of the stack); returns its output."""
    import subprocess
    done = subprocess.run([str(TOP / "tools" / "stack"), *args], capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def tempmailctl(*args, input=None):
    """Run the operator's CLI against the stack's database; returns its standard output."""
    import subprocess
    env = dict(os.environ, TEMPMAIL_CONF=ENV.get("TEMPMAIL_CONF", str(TOP / "var" / "tempmail.conf")))
    # TEMPMAIL_CTL: an installed tempmailctl (the make-install test runs this suite with it)
    ctl = os.environ.get("TEMPMAIL_CTL") or str(TOP / "tools" / "tempmailctl")
    done = subprocess.run([ctl, *args], env=env, input=input,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"tempmailctl {' '.join(args)}: exit {done.returncode}: {done.stderr}")
    return done.stdout


@pytest.fixture
def make_account(base_url):
    """Make a fresh account (its own key, so its own rate-limit window): make_account(balance="1")."""
    def make(balance="1", email=None):
        email = email or f"user-{uuid.uuid4().hex[:12]}@example.org"
        key = tempmailctl("account", "create", email, "--balance", balance).strip().splitlines()[-1]
        api = Api(base_url, key)
        api.email = email
        return api
    return make


def sql(query):
    """Read the stack's database as its administrator (for checks a client cannot make,
    such as how secrets are stored). Returns rows as lists of strings."""
    import subprocess
    done = subprocess.run(["mariadb", f"--defaults-file={TOP / 'var' / 'mariadb-root.cnf'}",
                           "--batch", "--skip-column-names", "tempmail", "-e", query],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"mariadb: {done.stderr}")
    return [line.split("\t") for line in done.stdout.splitlines()]
