"""The sample configs of etc/: systemd units verify, the web server samples route every
prefix of cgi-bin/routes.conf most specific first, and the stack's Postfix runs the lines
of etc/postfix/main.cf.tempmail. (lighttpd and both Apache samples are served by the stack
and pass tests/api: make integration and make test-apache.)"""
import pathlib
import shutil
import subprocess

import pytest

from conftest import TOP, run

UNITS = sorted((TOP / "etc" / "systemd").glob("*.service")) + \
        sorted((TOP / "etc" / "systemd").glob("*.socket"))


def routes():
    out = []
    for line in (TOP / "cgi-bin" / "routes.conf").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            prefix, binary = line.split()[:2]
            out.append((prefix, binary))
    return out


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_units_verify(tmp_path):
    """systemd-analyze verify, with the programs they start present (an installed tree)."""
    root = tmp_path / "root"
    for sub, names in (("sbin", ["tempmail-milter", "tempmail-webhookd"]),
                       ("libexec/tempmail", [b for _, b in routes()])):
        (root / sub).mkdir(parents=True, exist_ok=True)
        for n in names:
            (root / sub / n).write_text("#!/bin/sh\n")
            (root / sub / n).chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    names = []
    for unit in UNITS:
        text = unit.read_text().replace("/usr/local", str(root))
        (units / unit.name).write_text(text)
        names.append(unit.name.replace("@.", "@mail."))
    done = run(["systemd-analyze", "verify", *[f"./{n}" for n in names]], cwd=units)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_milter_unit_runs_unprivileged_and_logs_to_syslog():
    text = (TOP / "etc" / "systemd" / "tempmail-milter.service").read_text()
    assert "User=tempmail" in text and "RuntimeDirectory=tempmail" in text
    exec_start = [l for l in text.splitlines() if l.startswith("ExecStart=")][0]
    assert " -f" not in exec_start          # -f would log to stderr instead of syslog


@pytest.mark.parametrize("flavor,sample,pattern", [
    ("lighttpd", "etc/lighttpd/tempmail.conf", '"{prefix}" => (('),
    ("apache-fcgid", "etc/apache2/tempmail-fcgid.conf", "Alias {prefix} /usr/local/libexec/tempmail/{binary}{slash}\n"),
    ("apache-proxy", "etc/apache2/tempmail-proxy-fcgi.conf",
     "ProxyPass {prefix} unix:/run/tempmail/fcgi-{name}.sock|fcgi://tempmail-{name}{prefix} "),
])
def test_web_samples_route_every_prefix_longest_first(flavor, sample, pattern):
    done = run([TOP / "tools" / "render-webconf", flavor, TOP / sample])
    assert done.returncode == 0, done.stderr
    text = done.stdout
    positions = []
    for prefix, binary in routes():
        # a prefix without its closing slash (/api/webhooks) keeps that form in the Alias
        needle = pattern.format(prefix=prefix, binary=binary, name=binary[:-5],
                                slash="/" if prefix.endswith("/") else "")
        assert needle in text, needle
        positions.append((len(prefix), text.index(needle)))
    # a longer prefix always comes before a shorter one
    for la, pa in positions:
        for lb, pb in positions:
            if la > lb:
                assert pa < pb


def test_render_for_another_prefix():
    done = run([TOP / "tools" / "render-webconf", "apache-fcgid", TOP / "etc/apache2/tempmail-fcgid.conf",
                "--prefix", "/opt/tempmail", "--conf", "/srv/tm.conf"])
    assert done.returncode == 0
    assert "/usr/local" not in done.stdout
    assert "DocumentRoot /opt/tempmail/share/tempmail/htdocs" in done.stdout
    assert "FcgidInitialEnv TEMPMAIL_CONF /srv/tm.conf" in done.stdout


def test_stack_postfix_runs_the_sample_lines(stack):
    pfdir = (TOP / "var" / "postfix").resolve()
    sample = (TOP / "etc" / "postfix" / "main.cf.tempmail").read_text()
    for line in sample.splitlines():
        if not line or line.startswith("#"):
            continue
        key, value = (s.strip() for s in line.split("=", 1))
        value = value.replace("/etc/postfix/tempmail-domains.cf", str(pfdir / "managed_domains.cf"))
        if key == "smtpd_milters":
            value = "unix:" + str((TOP / "var" / "run" / "milter.sock").resolve())
        got = run(["postconf", "-c", pfdir, "-h", key]).stdout.strip()
        assert got == value, key
    mapfile = (pfdir / "managed_domains.cf").read_text()
    query = [l for l in (TOP / "etc/postfix/tempmail-domains.cf").read_text().splitlines()
             if l.startswith("query")][0]
    assert query in mapfile.splitlines()


def test_sendmail_fragment_expands_into_a_working_config(tmp_path):
    """etc/sendmail/tempmail.mc, put into a sendmail.mc as INSTALL says, goes through
    Sendmail's own m4 macros (sendmail-cf) into a sendmail.cf that declares the milter with
    tempfail on failure and reads the mailertable. No Sendmail runs here: Postfix is the MTA
    of the stack."""
    cf = pathlib.Path("/usr/share/sendmail/cf/m4/cf.m4")
    assert cf.exists(), "sendmail-cf is missing: run tools/install-deps"
    mc = tmp_path / "sendmail.mc"
    mc.write_text("include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\n"
                  "VERSIONID(`tempmail test')dnl\nOSTYPE(`linux')dnl\n"
                  + (TOP / "etc/sendmail/tempmail.mc").read_text()
                  + "MAILER(`local')dnl\nMAILER(`smtp')dnl\n")
    done = subprocess.run(["m4", str(mc)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "ERROR" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    assert "Xtempmail, S=unix:/run/tempmail/milter.sock, F=T, T=C:30s;S:2m;R:2m;E:5m" in lines
    assert any(l.startswith("O InputMailFilters=") and "tempmail" in l for l in lines)
    assert "Kmailertable hash -o /etc/mail/mailertable.db" in lines
    # The mailertable sample: each line a domain and a mailer:host, here the error mailer.
    for line in (TOP / "etc/sendmail/mailertable").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            domain, target = line.split(None, 1)
            assert target.startswith(("error:", "local:", "smtp:", "esmtp:")), line
