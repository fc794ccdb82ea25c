"""tempmailctl, the operator's command line: every command and its error paths, with the
exit codes of its manual (0 done, 1 failed, 2 usage)."""
import hashlib
import os
import re
import stat
import subprocess
import time
import uuid

import pytest

from conftest import CONF, TOP, conf_value, ctl, run, sql

KEY_RE = re.compile(r"^al_[0-9a-f]{48}$")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize("args", [
    [], ["db"], ["bogus", "thing"], ["domain", "add"], ["domain", "remove", "x.test"],
    ["account", "tier", "a@b.test", "gold"], ["account", "topup", "a@b.test", "ten"],
    ["account", "create", "a@b.test", "--bogus"], ["stats", "extra"], ["purge", "now"],
    ["master-key", "set", "--bogus"], ["db", "upgrade", "--sql-dir"],
])
def test_usage_errors_exit_2(stack, args):
    done = ctl(*args)
    assert done.returncode == 2, done
    assert done.stderr.strip(), "a usage error says something"


def test_missing_config_exits_1(stack, tmp_path):
    done = ctl("-c", tmp_path / "nope.conf", "db", "version")
    assert done.returncode == 1
    assert "nope.conf" in done.stderr


def test_bad_config_line_exits_1_naming_the_line(stack, tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("db_user = x\nno_such_key = 1\n")
    done = ctl("-c", bad, "stats")
    assert done.returncode == 1
    assert "bad.conf:2" in done.stderr and "no_such_key" in done.stderr


def test_unreachable_database_exits_1(stack, tmp_path):
    conf = tmp_path / "down.conf"
    conf.write_text(pathlib_text(CONF).replace(conf_value(CONF, "db_socket"),
                                               str(tmp_path / "no.sock")))
    done = ctl("-c", conf, "stats")
    assert done.returncode == 1
    assert "tempmailctl:" in done.stderr and done.stdout == ""


def pathlib_text(p):
    with open(p) as f:
        return f.read()


def test_db_upgrade_twice_and_version(stack):
    first = ctl("db", "upgrade")
    second = ctl("db", "upgrade")
    assert first.returncode == 0 and second.returncode == 0, (first, second)
    assert "applied" not in second.stdout           # nothing left to apply
    newest = max(int(p.name[:3]) for p in (TOP / "sql" / "migrations").glob("[0-9][0-9][0-9]_*.sql"))
    assert second.stdout.strip() == f"schema version {newest}"
    version = ctl("db", "version")
    assert version.returncode == 0 and version.stdout.strip() == str(newest)


def test_db_upgrade_without_sql_folder_exits_1(stack, tmp_path):
    done = ctl("db", "upgrade", "--sql-dir", tmp_path)
    assert done.returncode == 1
    assert "schema.sql" in done.stderr


def postfix_map(name):
    """What the private Postfix's managed-domains map (etc/postfix/tempmail-domains.cf) says."""
    done = run(["postmap", "-q", name, f"mysql:{TOP / 'var' / 'postfix' / 'managed_domains.cf'}"])
    return done.stdout.strip()


def test_domain_add_and_disable(stack):
    name = unique("ops") + ".test"
    added = ctl("domain", "add", name.upper())
    assert added.returncode == 0 and added.stdout.startswith(f"domain {name} active")
    assert postfix_map(name) == name                # Postfix now accepts mail for it
    again = ctl("domain", "add", name)
    assert again.returncode == 0                    # idempotent
    off = ctl("domain", "disable", name)
    assert off.returncode == 0 and off.stdout.startswith(f"domain {name} disabled")
    assert sql(f"SELECT status FROM domains WHERE name = '{name}'") == [["disabled"]]
    assert postfix_map(name) == ""                  # and no longer
    back = ctl("domain", "add", name)
    assert back.returncode == 0 and postfix_map(name) == name


def test_domain_errors(stack):
    assert ctl("domain", "add", "not a domain").returncode == 1
    missing = ctl("domain", "disable", unique("none") + ".test")
    assert missing.returncode == 1 and "no system domain" in missing.stderr
    # a customer's domain is not the operator's to disable
    owner = ctl("account", "create", unique("owner") + "@example.org")
    assert owner.returncode == 0
    name = unique("cust") + ".test"
    sql("INSERT INTO domains (name, owner_id, status, created_at) "
        f"SELECT '{name}', MAX(id), 'active', UTC_TIMESTAMP(3) FROM accounts")
    done = ctl("domain", "disable", name)
    assert done.returncode == 1 and "customer" in done.stderr
    assert sql(f"SELECT status FROM domains WHERE name = '{name}'") == [["active"]]


def test_admin_account_with_password(stack):
    email = unique("admin") + "@example.org"
    made = ctl("account", "create", email, "--admin", "--password-stdin", "--balance", "3",
               input="correct horse battery\n")
    assert made.returncode == 0, made
    assert KEY_RE.match(made.stdout.strip())
    row = sql(f"SELECT is_admin, password_hash LIKE '$argon2id$%', balance FROM accounts "
              f"WHERE email = '{email}'")
    assert row == [["1", "1", "3.000000"]]
    dup = ctl("account", "create", email)
    assert dup.returncode == 1 and "exists" in dup.stderr
    short = ctl("account", "create", unique("b") + "@example.org", "--password-stdin", input="short\n")
    assert short.returncode == 1 and "8 characters" in short.stderr


def test_tier_and_topup(stack):
    email = unique("tier") + "@example.org"
    assert ctl("account", "create", email, "--balance", "1").returncode == 0
    tier = ctl("account", "tier", email, "pro")
    assert tier.returncode == 0 and tier.stdout.strip() == f"{email}: tier pro"
    assert sql(f"SELECT tier FROM accounts WHERE email = '{email}'") == [["pro"]]
    up = ctl("account", "topup", email, "2.5")
    assert up.returncode == 0 and up.stdout.strip() == f"{email}: balance 3.500000"
    below = ctl("account", "topup", email, "-10")
    assert below.returncode == 1 and "below zero" in below.stderr
    nobody = ctl("account", "topup", unique("nobody") + "@example.org", "1")
    assert nobody.returncode == 1 and "no account" in nobody.stderr
    assert ctl("account", "tier", unique("nobody") + "@example.org", "free").returncode == 1


def test_a_statement_given_up_on_never_completes_later(stack, tmp_path):
    """db_timeout = 3: the client waits 3 s for an answer, and the session lets a statement
    wait 2 s for a lock. `account tier` (one autocommit UPDATE) finds the account row locked
    and fails; when the lock goes, the tier has not changed after all: the server gave up
    before the client did. (With MariaDB's own 50 s lock wait the UPDATE waited on after
    the client had gone, and changed the tier once the lock went: a failure reported for
    work that was done, as a capture answered 451 yet stored would be.)"""
    email = unique("locked") + "@example.org"
    assert ctl("account", "create", email).returncode == 0
    conf = tmp_path / "tempmail.conf"
    conf.write_text(open(CONF).read() + "\ndb_timeout = 3\n")
    holder = subprocess.Popen(["mariadb", f"--defaults-file={TOP / 'var' / 'mariadb-root.cnf'}",
                               "--batch", "tempmail"], stdin=subprocess.PIPE, text=True,
                              stdout=subprocess.DEVNULL)
    try:
        holder.stdin.write(f"START TRANSACTION; SELECT id FROM accounts WHERE email = '{email}' FOR UPDATE;\n")
        holder.stdin.flush()
        for _ in range(100):
            if sql("SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_rows_locked > 0") != [["0"]]:
                break
            time.sleep(0.1)
        changed = ctl("account", "tier", email, "pro", conf=conf)
        assert changed.returncode == 1, changed
    finally:
        holder.stdin.write("ROLLBACK;\n")
        holder.stdin.close()
        holder.wait(timeout=60)
    time.sleep(1)
    assert sql(f"SELECT tier FROM accounts WHERE email = '{email}'") == [["free"]]


def expired_message(address):
    """A mailbox of a fresh account with one message that expired an hour ago."""
    email = unique("purge") + "@example.org"
    assert ctl("account", "create", email).returncode == 0
    account = sql(f"SELECT id FROM accounts WHERE email = '{email}'")[0][0]
    domain = sql("SELECT id FROM domains WHERE owner_id IS NULL AND status = 'active' LIMIT 1")[0][0]
    sql(f"INSERT INTO mailboxes (address, domain_id, account_id, created_at) "
        f"VALUES ('{address}', {domain}, {account}, UTC_TIMESTAMP(3))")
    sql("INSERT INTO messages (mailbox_id, uuid, body_text, body_html, raw, size, received_at, "
        f"expires_at) SELECT id, UUID(), '', '', 'x', 1, UTC_TIMESTAMP(3) - INTERVAL 2 HOUR, "
        f"UTC_TIMESTAMP(3) - INTERVAL 1 HOUR FROM mailboxes WHERE address = '{address}'")


def messages_of(address):
    return sql("SELECT COUNT(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
               f"WHERE b.address = '{address}'")


def test_purge_deletes_expired_messages(stack):
    address = unique("box") + "@purge.invalid"
    expired_message(address)
    done = ctl("purge")
    assert done.returncode == 0, done
    assert int(re.match(r"purged (\d+) expired messages$", done.stdout.strip()).group(1)) >= 1
    assert messages_of(address) == [["0"]]


def test_purge_waits_for_another_hosts_lease(stack):
    """The lease the milters purge under (the locks table): held elsewhere for 4 s, purge
    waits for it to run out, then purges."""
    address = unique("box") + "@purge.invalid"
    expired_message(address)
    sql("INSERT INTO locks (name, holder, expires_at, acquired_at) VALUES ('purge', "
        "'other-host:1:purge', UTC_TIMESTAMP(3) + INTERVAL 4 SECOND, UTC_TIMESTAMP(3)) "
        "ON DUPLICATE KEY UPDATE holder = VALUES(holder), expires_at = VALUES(expires_at)")
    env = dict(os.environ, TEMPMAIL_CONF=str(CONF))
    env.pop("TEMPMAIL_SQL_DIR", None)
    purge = subprocess.Popen([str(TOP / "tools" / "tempmailctl"), "purge"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        # the other host's lease still runs: nothing purged, the command still waiting
        assert messages_of(address) == [["1"]]
        assert purge.poll() is None
        out, err = purge.communicate(timeout=120)
    finally:
        if purge.poll() is None:
            purge.kill()
    assert purge.returncode == 0, err
    assert re.match(r"purged \d+ expired messages$", out.strip()), out
    assert messages_of(address) == [["0"]]


def test_stats_counts(stack):
    def stats():
        done = ctl("stats")
        assert done.returncode == 0, done
        return {k: int(v) for k, v in (line.split() for line in done.stdout.splitlines())}
    before = stats()
    assert set(before) == {"accounts", "accounts_disabled", "api_keys", "system_domains",
                           "custom_domains", "mailboxes", "messages", "attachments",
                           "stored_bytes"}
    assert ctl("account", "create", unique("count") + "@example.org").returncode == 0
    after = stats()
    assert after["accounts"] >= before["accounts"] + 1
    assert after["api_keys"] >= before["api_keys"] + 1


def test_master_key_set_writes_the_hash(stack, tmp_path):
    conf = tmp_path / "tempmail.conf"
    original = pathlib_text(CONF)
    conf.write_text(original)
    os.chmod(conf, 0o640)
    done = ctl("-c", conf, "master-key", "set")
    assert done.returncode == 0, done
    key = done.stdout.strip()
    assert KEY_RE.match(key)
    assert "restart" in done.stderr
    text = conf.read_text()
    assert text.count("master_key_hash") == 1
    assert conf_value(conf, "master_key_hash") == hashlib.sha256(key.encode()).hexdigest()
    # every other line is as it was, and the mode too
    strip = lambda t: [l for l in t.splitlines() if not l.startswith("master_key_hash")]
    assert strip(text) == strip(original)
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    # a second key replaces the first
    again = ctl("-c", conf, "master-key", "set")
    assert again.returncode == 0 and again.stdout.strip() != key
    assert conf_value(conf, "master_key_hash") == hashlib.sha256(again.stdout.strip().encode()).hexdigest()
    assert conf.read_text().count("master_key_hash") == 1


def test_master_key_set_adds_a_missing_line(stack, tmp_path):
    conf = tmp_path / "tempmail.conf"
    conf.write_text("".join(l + "\n" for l in pathlib_text(CONF).splitlines()
                            if not l.startswith("master_key_hash")))
    done = ctl("-c", conf, "master-key", "set")
    assert done.returncode == 0
    assert conf_value(conf, "master_key_hash") == hashlib.sha256(done.stdout.strip().encode()).hexdigest()


def test_master_key_print_only(stack, tmp_path):
    conf = tmp_path / "tempmail.conf"
    conf.write_text(pathlib_text(CONF))
    before = conf.read_text()
    done = ctl("-c", conf, "master-key", "set", "--print")
    assert done.returncode == 0
    key, line = done.stdout.splitlines()
    assert KEY_RE.match(key)
    assert line == "master_key_hash = " + hashlib.sha256(key.encode()).hexdigest()
    assert conf.read_text() == before


def test_master_key_set_unwritable_exits_1(stack, tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    conf = d / "tempmail.conf"
    conf.write_text(pathlib_text(CONF))
    os.chmod(d, 0o555)
    try:
        if os.geteuid() == 0:
            # root writes anywhere: a directory that cannot hold the temporary file instead
            os.chmod(d, 0o755)
            run(["chattr", "+i", d])
            if run(["lsattr", "-d", d]).stdout[:20].find("i") < 0:
                pytest.skip("no way to make a directory unwritable for root here")
        done = ctl("-c", conf, "master-key", "set")
        assert done.returncode == 1 and "tempmailctl:" in done.stderr
        assert conf.read_text() == pathlib_text(CONF)
    finally:
        run(["chattr", "-i", d])
        os.chmod(d, 0o755)
