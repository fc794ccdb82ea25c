"""Load for the fault tests (test_faults_load.py) and `make soak` (tests/soak/run): SMTP
senders that remember what the MTA answered to each message, and the check that every
accepted message is stored exactly once and every refused one got a 4xx.

    load = SmtpLoad(smtp_addr, addresses, tag="faults-1a2b", threads=4)
    load.start(); ...inject a fault...; load.stop()
    report = load.verify()            # Verdict: accepted, refused, stored, lost, ...
    assert report.ok, report

Each message has a Message-ID of its own, <TAG-N@load.invalid>, which the milter keeps in
messages.message_id: verify() counts the rows of each through SQL. A message whose senders
saw a 4xx is not sent again (each id is tried once). Such a message should have no row,
but may have one: when the milter dies between its COMMIT and its answer to Postfix, the
client is told 451 for a message that was stored, and a real MTA's retry would store it a
second time (the milter keeps no record of what it stored to recognise the retry). That
window is counted (refused_but_stored) and shown, not failed. Nothing here measures time.
"""
import os
import random
import re
import signal
import smtplib
import socket
import threading
import time

from conftest import TOP, sql


class SmtpLoad:
    def __init__(self, smtp_addr, addresses, tag, threads=4, body_bytes=2048, pause=0.0):
        self.smtp_addr = smtp_addr
        self.addresses = list(addresses)
        self.tag = tag
        self.threads = threads
        self.body_bytes = body_bytes
        self.pause = pause
        self.lock = threading.Lock()
        self.outcomes = {}            # message number -> (kind, code, step or text)
        self.next_n = 0
        self.running = threading.Event()
        self.workers = []

    # -- sending ---------------------------------------------------------------------
    def _message(self, n, rcpt):
        body = "".join(random.choice("abcdefghij klmnop\r\n") for _ in range(64))
        body = (body * (self.body_bytes // len(body) + 1))[:self.body_bytes]
        return (f"From: load@example.com\r\nTo: {rcpt}\r\nSubject: load {self.tag}-{n}\r\n"
                f"Message-ID: <{self.tag}-{n}@load.invalid>\r\n\r\n{body}\r\n")

    def send_one(self):
        """One message on a connection of its own; record and return its outcome."""
        with self.lock:
            n = self.next_n
            self.next_n += 1
        rcpt = random.choice(self.addresses)
        step = "connect"
        try:
            with smtplib.SMTP(*self.smtp_addr, timeout=120) as s:
                step = "ehlo"
                code = s.ehlo("load.test")[0]
                if code < 400:
                    step = "mail"
                    code = s.mail("load@example.com")[0]
                if code < 400:
                    step = "rcpt"
                    code = s.rcpt(rcpt)[0]
                if code < 400:
                    step = "data"
                    code = s.data(self._message(n, rcpt))[0]
            kind = "accepted" if code == 250 and step == "data" else \
                "tempfail" if 400 <= code < 500 else "permfail"
            outcome = (kind, code, step)
        except (smtplib.SMTPException, OSError) as e:
            # A refusal that smtplib turns into an exception still carries its code.
            code = getattr(e, "smtp_code", 0)
            if 400 <= code < 500:
                outcome = ("tempfail", code, step)
            else:
                outcome = ("error", code, f"{step}: {e!r}")
        with self.lock:
            self.outcomes[n] = outcome
        return outcome

    def _run(self):
        while self.running.is_set():
            kind = self.send_one()[0]
            # A refused sender waits a little, as an MTA backs off (and the logs stay small).
            time.sleep(self.pause if kind == "accepted" else max(self.pause, 0.25))

    def start(self):
        self.running.set()
        for _ in range(self.threads):
            t = threading.Thread(target=self._run, daemon=True)
            t.start()
            self.workers.append(t)
        return self

    def stop(self):
        self.running.clear()
        for t in self.workers:
            t.join(timeout=300)
        self.workers = []

    def count(self, kind):
        with self.lock:
            return sum(1 for o in self.outcomes.values() if o[0] == kind)

    def wait_accepted(self, n, timeout=300):
        """Until n more messages were accepted than now (load must be running)."""
        goal = self.count("accepted") + n
        deadline = time.monotonic() + timeout
        while self.count("accepted") < goal and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.count("accepted") >= goal

    # -- checking --------------------------------------------------------------------
    def stored_counts(self):
        """Message number -> rows in messages, for this load's tag."""
        rows = sql("SELECT message_id, COUNT(*) FROM messages"
                   f" WHERE message_id LIKE '%{self.tag}-%' GROUP BY message_id")
        pat = re.compile(re.escape(self.tag) + r"-(\d+)@")
        counts = {}
        for mid, n in rows:
            m = pat.search(mid)
            if m:
                counts[int(m.group(1))] = counts.get(int(m.group(1)), 0) + int(n)
        return counts

    def verify(self, counts=None):
        counts = self.stored_counts() if counts is None else counts
        with self.lock:
            outcomes = dict(self.outcomes)
        return Verdict(outcomes, counts)


class Verdict:
    """What the senders were told beside what MariaDB holds."""

    def __init__(self, outcomes, counts):
        self.accepted = [n for n, o in outcomes.items() if o[0] == "accepted"]
        self.tempfail = [n for n, o in outcomes.items() if o[0] == "tempfail"]
        self.permfail = {n: o for n, o in outcomes.items() if o[0] == "permfail"}
        self.errors = {n: o for n, o in outcomes.items() if o[0] == "error"}
        self.stored = sum(1 for n in self.accepted if counts.get(n, 0) >= 1)
        self.lost = [n for n in self.accepted if counts.get(n, 0) == 0]
        self.doubled = {n: c for n, c in counts.items() if c > 1}
        self.refused_but_stored = [n for n in self.tempfail if counts.get(n, 0) > 0]
        self.unknown = [n for n in counts if n not in outcomes]
        self.codes = sorted({(o[1], o[2]) for o in outcomes.values() if o[0] == "tempfail"})

    @property
    def ok(self):
        return not (self.lost or self.doubled or self.permfail or self.errors or self.unknown)

    def __repr__(self):
        return (f"accepted {len(self.accepted)}, stored {self.stored}, lost {len(self.lost)},"
                f" refused with 4xx {len(self.tempfail)} {self.codes},"
                f" 5xx {len(self.permfail)} {list(self.permfail.values())[:3]},"
                f" errors {len(self.errors)} {list(self.errors.values())[:3]},"
                f" stored twice {len(self.doubled)}, refused but stored"
                f" {len(self.refused_but_stored)}, stored but never sent {len(self.unknown)}")


# -- the stack's processes -------------------------------------------------------------
def pid_file(name):
    try:
        return int((TOP / "var" / "run" / name).read_text().strip())
    except (OSError, ValueError):
        return None


def milter_pid():
    return pid_file("milter.pid")


def route_pids(binary):
    """The processes of this stack running route binary `binary` (e.g. "mail.fcgi"): those
    whose TEMPMAIL_CONF is this stack's, as tools/stack finds them."""
    conf = f"TEMPMAIL_CONF={(TOP / 'var').resolve() / 'tempmail.conf'}".encode()
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{p}/exe")
            env = open(f"/proc/{p}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        if exe.endswith("/" + binary) and conf in env:
            pids.append(int(p))
    return pids


def kill(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def rss_kb(pid):
    """Resident memory of a process in kB, None when it is gone."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def smtp_open(smtp_addr):
    try:
        socket.create_connection(smtp_addr, timeout=5).close()
        return True
    except OSError:
        return False
