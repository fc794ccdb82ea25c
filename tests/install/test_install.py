"""make install into a DESTDIR, and tempmail served from that installed tree: the stack's
milter, webhook worker and web server (lighttpd) restarted from DESTDIR/usr/local
(TEMPMAIL_INSTALLED), and the integration suite (tests/api, all but the fault tests) run
against it with the installed tempmailctl; the stack is put back afterwards."""
import hashlib
import os
import shutil
import stat
import subprocess
import uuid

import pytest
import requests

from conftest import CONF, ENV, TOP, ctl, run

DESTDIR = TOP / "build" / "destdir"
PREFIX = DESTDIR / "usr" / "local"


def routes():
    return sorted({line.split()[1] for line in (TOP / "cgi-bin/routes.conf").read_text().splitlines()
                   if line.strip() and not line.lstrip().startswith("#")})


@pytest.fixture(scope="module")
def installed():
    shutil.rmtree(DESTDIR, ignore_errors=True)
    done = run(["make", "-C", TOP, "--no-print-directory", "install", f"DESTDIR={DESTDIR}"], timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return PREFIX


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_layout(installed):
    for prog in ("tempmail-milter", "tempmail-webhookd", "tempmailctl"):
        assert mode(installed / "sbin" / prog) == 0o755
    for binary in routes():
        assert mode(installed / "libexec" / "tempmail" / binary) == 0o755
    share = installed / "share" / "tempmail"
    assert (share / "htdocs" / "index.html").read_bytes() == (TOP / "htdocs" / "index.html").read_bytes()
    assert (share / "sql" / "schema.sql").exists()
    assert sorted(p.name for p in (share / "sql" / "migrations").glob("*.sql")) == \
        sorted(p.name for p in (TOP / "sql" / "migrations").glob("*.sql"))
    for example in ("tempmail.conf.sample", "routes.conf", "lighttpd/tempmail.conf",
                    "apache2/tempmail-fcgid.conf", "apache2/tempmail-proxy-fcgi.conf",
                    "postfix/main.cf.tempmail", "postfix/tempmail-domains.cf",
                    "sendmail/tempmail.mc", "sendmail/mailertable",
                    "systemd/tempmail-milter.service", "systemd/tempmail-webhookd.service",
                    "systemd/tempmail-fcgi@.socket",
                    "systemd/tempmail-fcgi@.service", "systemd/tempmail-spawn-fcgi@.service"):
        assert (share / "examples" / example).is_file(), example
    lighttpd = (share / "examples" / "lighttpd" / "tempmail.conf").read_text()
    for binary in routes():
        assert f'"bin-path" => "/usr/local/libexec/tempmail/{binary}"' in lighttpd
    conf = DESTDIR / "etc" / "tempmail" / "tempmail.conf"
    assert mode(conf) == 0o640
    assert conf.read_text() == (TOP / "etc" / "tempmail.conf.sample").read_text()


def test_sqldir_is_compiled_in(installed):
    assert b"/usr/local/share/tempmail/sql" in (installed / "sbin" / "tempmailctl").read_bytes()


def test_installed_config_sample_is_valid(installed):
    """The sample parses (the failure is the database, not a line of the file)."""
    done = ctl("-c", DESTDIR / "etc/tempmail/tempmail.conf", "db", "version",
               binary=installed / "sbin" / "tempmailctl")
    assert done.returncode == 1
    assert "tempmail.conf:" not in done.stderr, done.stderr


def test_reinstall_keeps_the_operators_config(installed):
    conf = DESTDIR / "etc" / "tempmail" / "tempmail.conf"
    conf.write_text(conf.read_text() + "# the operator's change\n")
    done = run(["make", "-C", TOP, "--no-print-directory", "install", f"DESTDIR={DESTDIR}"], timeout=600)
    assert done.returncode == 0, done.stderr
    assert conf.read_text().endswith("# the operator's change\n")


def stack(*args, installed_root=None):
    env = {k: v for k, v in os.environ.items() if k != "TEMPMAIL_INSTALLED"}
    if installed_root:
        env["TEMPMAIL_INSTALLED"] = str(installed_root)
    done = subprocess.run([str(TOP / "tools" / "stack"), *args], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_end_to_end_from_the_installed_tree(installed, stack_env=ENV):
    ctl_bin = installed / "sbin" / "tempmailctl"
    sqldir = installed / "share" / "tempmail" / "sql"
    up = ctl("db", "upgrade", binary=ctl_bin, extra_env={"TEMPMAIL_SQL_DIR": str(sqldir)})
    assert up.returncode == 0 and up.stdout.startswith("schema version"), up

    probe = f"installed-{uuid.uuid4().hex}"
    (installed / "share/tempmail/htdocs/installed-probe.txt").write_text(probe)
    try:
        stack("restart", "milter", installed_root=installed)
        stack("restart", "webhookd", installed_root=installed)
        stack("restart", "web", installed_root=installed)
        # served from the installed tree: the daemons' binaries, the document root, the routes
        for daemon in ("milter", "webhookd"):
            pid = (TOP / "var" / "run" / f"{daemon}.pid").read_text().strip()
            assert os.readlink(f"/proc/{pid}/exe").startswith(str(installed)), daemon
        base = stack_env["TEMPMAIL_HTTP"].rstrip("/")
        assert requests.get(base + "/installed-probe.txt", timeout=10).text == probe
        assert requests.get(base + "/api/nope", timeout=10).status_code == 404
        route_exes = set()
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    exe = os.readlink(f"/proc/{p}/exe")
                except OSError:
                    continue
                if exe.endswith(".fcgi") and "TEMPMAIL_CONF=" + CONF in open(f"/proc/{p}/environ").read().replace("\0", "\n").splitlines():
                    route_exes.add(os.path.dirname(exe))
        assert route_exes == {str(installed / "libexec" / "tempmail")}

        env = dict(os.environ, TEMPMAIL_CTL=str(ctl_bin), TEMPMAIL_SQL_DIR=str(sqldir))
        # The whole API suite, but for the fault tests (they restart services) and four that
        # mostly wait out a clock or a load (35 s of its 84): make test runs them behind
        # lighttpd, with and without ASan, and what this run is for, the installed tree,
        # they do not test further.
        slow = ["api/test_events.py::test_a_quiet_stream_sends_keep_alive_comments",
                "api/test_events.py::test_the_stream_ends_after_event_stream_seconds",
                "api/test_wait.py::test_waiters_do_not_block_other_requests_of_their_route",
                "api/test_capture.py::test_50_sessions_5000_messages_each_stored_exactly_once"]
        done = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-m", "not faults", "api"]
                              + [arg for test in slow for arg in ("--deselect", test)],
                              cwd=TOP / "tests", env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    finally:
        stack("restart", "milter")
        stack("restart", "webhookd")
        stack("restart", "web")
