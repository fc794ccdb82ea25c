"""The cluster under test (make cluster-test): a three-node Galera cluster on loopback and
four tempmail hosts on it, each a tools/stack of its own (TEMPMAIL_VAR) pointed at one node
(TEMPMAIL_DB_HOST/TEMPMAIL_DB_PORT):

    web1 (lighttpd + routes) -> node1      mx1 (Postfix + milter) -> node3
    web2 (lighttpd + routes) -> node2      mx2 (Postfix + milter) -> node1

The whole session shares it; it is built fresh at the start and torn down at the end
(TEMPMAIL_CLUSTER_KEEP=1 leaves it running to look at). State lives in
/var/lib/tempmail-stack/cluster-<hash of the checkout>/ (short paths for unix sockets).
Ports, all on 127.0.0.1 and away from the ordinary stacks': SQL 4306-4308, Galera 14567-14569,
IST 14667-14669, SST 14767-14769, HTTP 8590-8593, SMTP 2990-2997, DNS 5790 (nothing
listens on the unused ones), plus an offset: TEMPMAIL_CLUSTER_PORT_OFFSET=N (a multiple of 10
below 100), by default 0 for TEMPMAIL_DB_PORT=3307, 10 for 3407, ... 40 for 3707.
"""
import hashlib
import importlib.util
import os
import pathlib
import secrets
import shutil
import signal
import smtplib
import subprocess
import sys
import uuid

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from galera import Cluster  # noqa: E402

TOP = pathlib.Path(__file__).resolve().parents[2]
# tests/api's helpers (Api, wait_for), loaded under another name than this conftest's
_spec = importlib.util.spec_from_file_location("api_conftest", TOP / "tests" / "api" / "conftest.py")
api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_conftest)
wait_for = api_conftest.wait_for
STATE = pathlib.Path("/var/lib/tempmail-stack") / (
    "cluster-" + hashlib.sha256(str(TOP).encode()).hexdigest()[:12])


def _port_offset():
    """TEMPMAIL_CLUSTER_PORT_OFFSET moves every port below by that much, so that checkouts
    on one machine can run the cluster test at once. Unset, it follows the checkout's
    ordinary stack: TEMPMAIL_DB_PORT 3307, 3407, ... 3707 give 0, 10, ... 40."""
    if os.environ.get("TEMPMAIL_CLUSTER_PORT_OFFSET"):
        return int(os.environ["TEMPMAIL_CLUSTER_PORT_OFFSET"])
    step, rest = divmod(int(os.environ.get("TEMPMAIL_DB_PORT", "3307")) - 3307, 100)
    return step * 10 if rest == 0 and 0 <= step < 10 else 0


OFF = _port_offset()
PORTS = {"sql": 4306 + OFF, "group": 14567 + OFF, "ist": 14667 + OFF, "sst": 14767 + OFF}
DOMAIN = "tempmail.test"

# host name -> (node index, HTTP port or None, SMTP port or None)
HOSTS = {
    "web1": (1, 8590 + OFF, None),
    "web2": (2, 8591 + OFF, None),
    "mx1": (3, None, 2990 + OFF),
    "mx2": (1, None, 2991 + OFF),
}
# addresses a stack must have even for the services it does not run: unused, distinct
UNUSED_HTTP = {"mx1": 8592 + OFF, "mx2": 8593 + OFF}
UNUSED_SMTP = {"web1": 2994 + OFF, "web2": 2995 + OFF}
RELAY_PORT = {"web1": 2996 + OFF, "web2": 2997 + OFF, "mx1": 2992 + OFF, "mx2": 2993 + OFF}
DNS_PORT = 5790 + OFF


class Host:
    """One tempmail host of the cluster test: a tools/stack with its own state folder."""

    def __init__(self, name, node, http_port, smtp_port, passwords):
        self.name = name
        self.node = node
        self.var = STATE / name
        self.url = f"http://127.0.0.1:{http_port}" if http_port else None
        self.smtp = ("127.0.0.1", smtp_port) if smtp_port else None
        self.env = dict(
            os.environ,
            TEMPMAIL_VAR=str(self.var),
            TEMPMAIL_DB_HOST="127.0.0.1",
            TEMPMAIL_DB_PORT=str(node.sql_port),
            TEMPMAIL_DB_ROOT_PASSWORD=passwords["root"],
            TEMPMAIL_DB_PASSWORD=passwords["app"],
            TEMPMAIL_DB_MTA_PASSWORD=passwords["mta"],
            TEMPMAIL_HTTP=self.url or f"http://127.0.0.1:{UNUSED_HTTP[name]}",
            TEMPMAIL_SMTP=f"127.0.0.1:{smtp_port or UNUSED_SMTP[name]}",
            TEMPMAIL_RELAY_PORT=str(RELAY_PORT[name]),
            TEMPMAIL_DNS_PORT=str(DNS_PORT),
            TEMPMAIL_DOMAIN=DOMAIN,
            TEMPMAIL_FCGI_PROCS="2",
        )
        self.conf = str(self.var / "tempmail.conf")

    def stack(self, *args, check=True):
        done = subprocess.run([str(TOP / "tools" / "stack"), *args], env=self.env,
                              capture_output=True, text=True, timeout=600)
        if check and done.returncode != 0:
            raise RuntimeError(f"{self.name}: tools/stack {' '.join(args)}: "
                               f"exit {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def start(self):
        # the database service first: it waits for the node, makes the users, upgrades the schema
        self.stack("start", "mariadb")
        services = ["web"] if self.url else ["milter", "postfix"]
        if self.smtp:
            # a purge every few seconds, so both milters compete for the purge lease
            with open(self.conf, "a") as f:
                f.write("purge_interval = 2\n")
        for s in services:
            self.stack("start", s)

    def ctl(self, *args):
        done = subprocess.run([str(TOP / "tools" / "tempmailctl"), *args],
                              env=dict(self.env, TEMPMAIL_CONF=self.conf),
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"tempmailctl {' '.join(args)}: {done.stderr}")
        return done.stdout


def _stop_leftovers():
    """An earlier run that died may have left stacks and nodes running: stop them by the
    pid files in its state folder (never by process name: other people's stacks run here)."""
    if not STATE.exists():
        return
    for name in HOSTS:
        if (STATE / name).exists():
            subprocess.run([str(TOP / "tools" / "stack"), "stop"],
                           env=dict(os.environ, TEMPMAIL_VAR=str(STATE / name),
                                    TEMPMAIL_DB_HOST="127.0.0.1"),
                           capture_output=True, timeout=300)
    for pidfile in STATE.glob("node*/mysqld.pid"):
        try:
            pid = int(pidfile.read_text().strip())
            if pathlib.Path(f"/proc/{pid}/comm").read_text().strip() == "mariadbd":
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass


@pytest.fixture(scope="session")
def cluster():
    _stop_leftovers()
    shutil.rmtree(STATE, ignore_errors=True)
    STATE.mkdir(parents=True)
    STATE.chmod(0o755)
    passwords = {k: secrets.token_hex(16) for k in ("root", "app", "mta")}
    c = Cluster(str(STATE), PORTS, passwords["root"])
    keep = os.environ.get("TEMPMAIL_CLUSTER_KEEP") == "1"
    hosts = {}
    try:
        c.start()
        for name, (node, http, smtp) in HOSTS.items():
            hosts[name] = Host(name, c.nodes[node - 1], http, smtp, passwords)
            hosts[name].start()
        c.hosts = hosts
        yield c
    finally:
        if not keep:
            for h in hosts.values():
                h.stack("stop", check=False)
            c.stop()


def _host(name):
    @pytest.fixture(scope="session", name=name)
    def host(cluster):
        return cluster.hosts[name]
    return host


# web1, web2, mx1, mx2: the hosts of the picture above
for _name in HOSTS:
    globals()[_name] = _host(_name)


class Api(api_conftest.Api):
    """tests/api's client of one API key, here bound to one web host."""

    def via(self, host):
        """The same key through another web host."""
        return Api(host.url, self.key)


@pytest.fixture
def account(web1):
    """A fresh pro account (its own rate window), reached through web1; .via(web2) for web2."""
    email = f"cluster-{uuid.uuid4().hex[:12]}@example.org"
    key = web1.ctl("account", "create", email, "--balance", "100").strip().splitlines()[-1]
    web1.ctl("account", "tier", email, "pro")
    return Api(web1.url, key)


def send(host, rcpt, subject, sender="sender@example.com"):
    """One message through host's Postfix. Returns the SMTP reply code of the end of DATA
    (250 when accepted) or of the command that refused it."""
    raw = (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\n"
           f"Message-ID: <{uuid.uuid4()}@cluster.test>\r\n\r\nbody of {subject}\r\n")
    try:
        with smtplib.SMTP(*host.smtp, timeout=120) as s:
            s.ehlo("client.cluster.test")
            code, _ = s.mail(sender)
            if code != 250:
                return code
            code, _ = s.rcpt(rcpt)
            if code not in (250, 251):
                s.rset()
                return code
            code, _ = s.data(raw.encode())
            return code
    except smtplib.SMTPResponseException as e:
        return e.smtp_code
