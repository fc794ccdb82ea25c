"""Upgrades: `tempmailctl db upgrade` applies the missing sql/migrations in order, is safe
to run twice (and twice at once), and a database upgraded from an older version ends up
exactly like one made fresh from schema.sql and the migrations (SHOW CREATE TABLE of every
table compared with the stack's live database)."""
import re
import shutil
import subprocess
import uuid

import pytest

from conftest import CONF, TOP, conf_value, ctl, sql

MIGRATIONS = sorted((TOP / "sql" / "migrations").glob("[0-9][0-9][0-9]_*.sql"))


@pytest.fixture
def scratch(stack, tmp_path):
    """An empty database on the stack's MariaDB, and a tempmail.conf naming it."""
    name = "tempmail_upg_" + uuid.uuid4().hex[:8]
    user = conf_value(CONF, "db_user")
    sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", db=None)
    for host in ("localhost", "127.0.0.1"):
        sql(f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{user}'@'{host}'", db=None)
    conf = tmp_path / "tempmail.conf"
    conf.write_text(re.sub(r"(?m)^db_name\s*=.*$", f"db_name = {name}", open(CONF).read()))
    yield name, conf
    sql(f"DROP DATABASE IF EXISTS `{name}`", db=None)


def baseline_dir(tmp_path):
    """An SQL folder of version 1 only: what a first release installed."""
    d = tmp_path / "sql-v1"
    d.mkdir()
    shutil.copy(TOP / "sql" / "schema.sql", d / "schema.sql")
    return d


def create_tables(db):
    out = {}
    for (table,) in sql("SHOW TABLES", db=db):
        text = sql(f"SHOW CREATE TABLE `{table}`", db=db)
        create = "\n".join("\t".join(r) for r in text).split("\t", 1)[1]
        out[table] = re.sub(r" AUTO_INCREMENT=\d+", "", create).replace("\\n", "\n")
    return out


def test_upgrade_from_version_1_equals_a_fresh_database(scratch, tmp_path):
    name, conf = scratch
    first = ctl("-c", conf, "db", "upgrade", "--sql-dir", baseline_dir(tmp_path))
    assert first.returncode == 0, first
    assert first.stdout.strip().endswith("schema version 1")
    # data of the old version, some of which a migration must repair (002: no negative balance)
    sql("INSERT INTO accounts (email, balance, created_at) VALUES "
        "('old@example.org', -5, UTC_TIMESTAMP(3)), ('rich@example.org', 7, UTC_TIMESTAMP(3))", db=name)

    up = ctl("-c", conf, "db", "upgrade", "--sql-dir", TOP / "sql")
    assert up.returncode == 0, up
    applied = [line.rsplit("/", 1)[1] for line in up.stdout.splitlines() if line.startswith("applied")]
    assert applied == [m.name for m in MIGRATIONS]              # the missing ones, in order
    newest = int(MIGRATIONS[-1].name[:3]) if MIGRATIONS else 1
    assert up.stdout.splitlines()[-1] == f"schema version {newest}"
    recorded = [int(v) for (v,) in sql("SELECT version FROM schema_version ORDER BY version", db=name)]
    assert recorded == [1] + [int(m.name[:3]) for m in MIGRATIONS]
    assert sql("SELECT email, balance FROM accounts ORDER BY email", db=name) == [
        ["old@example.org", "0.000000"], ["rich@example.org", "7.000000"]]

    again = ctl("-c", conf, "db", "upgrade", "--sql-dir", TOP / "sql")
    assert again.returncode == 0 and again.stdout.strip() == f"schema version {newest}"

    # the same tables, column for column and key for key, as the live database
    assert create_tables(name) == create_tables("tempmail")


def test_two_upgrades_at_once_apply_each_migration_once(scratch):
    name, conf = scratch
    env_cmd = [str(TOP / "tools" / "tempmailctl"), "-c", str(conf), "db", "upgrade",
               "--sql-dir", str(TOP / "sql")]
    procs = [subprocess.Popen(env_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    applied = [l for out, _ in outs for l in out.splitlines() if l.startswith("applied")]
    assert len(applied) == 1 + len(MIGRATIONS)                  # schema.sql and each migration once
    assert len(sql("SELECT version FROM schema_version", db=name)) == 1 + len(MIGRATIONS)


def test_a_failing_migration_stops_and_is_retried(scratch, tmp_path):
    name, conf = scratch
    d = baseline_dir(tmp_path)
    (d / "migrations").mkdir()
    for m in MIGRATIONS:
        shutil.copy(m, d / "migrations" / m.name)
    bad = d / "migrations" / "900_broken.sql"
    bad.write_text("INSERT INTO accounts (email, created_at) VALUES ('m@example.org', UTC_TIMESTAMP(3));\n"
                   "INSERT INTO no_such_table VALUES (1);\n")
    done = ctl("-c", conf, "db", "upgrade", "--sql-dir", d)
    assert done.returncode == 1 and "900_broken.sql" in done.stderr
    # data statements run in the migration's transaction: nothing of it stayed
    assert sql("SELECT COUNT(*) FROM accounts WHERE email = 'm@example.org'", db=name) == [["0"]]
    assert sql("SELECT MAX(version) FROM schema_version", db=name)[0][0] != "900"
    bad.write_text("CREATE TABLE IF NOT EXISTS upgrade_probe (id INT PRIMARY KEY);\n")
    fixed = ctl("-c", conf, "db", "upgrade", "--sql-dir", d)
    assert fixed.returncode == 0 and fixed.stdout.strip().endswith("schema version 900")


def test_a_migration_longer_than_db_timeout_runs_to_its_end(scratch, tmp_path):
    """A migration may rebuild a large table for minutes (008 takes about 8 a million
    messages): db upgrade waits for it, whatever db_timeout says for everything else."""
    name, conf = scratch
    conf.write_text(conf.read_text() + "\ndb_timeout = 3\n")
    d = baseline_dir(tmp_path)
    (d / "migrations").mkdir()
    for m in MIGRATIONS:
        shutil.copy(m, d / "migrations" / m.name)
    (d / "migrations" / "900_slow.sql").write_text("DO SLEEP(5);\n")
    done = ctl("-c", conf, "db", "upgrade", "--sql-dir", d)
    assert done.returncode == 0, done
    assert done.stdout.strip().endswith("schema version 900")


def test_a_migration_numbered_below_one_applied_is_applied_too(scratch, tmp_path):
    """Branches merge out of order (webhooks' 004 after catch-all's 005): a database that
    has a higher version already still gets the lower migration it lacks, once."""
    name, conf = scratch
    late = MIGRATIONS[0]                        # stands for the one merged late
    d = baseline_dir(tmp_path)
    (d / "migrations").mkdir()
    for m in MIGRATIONS[1:]:
        shutil.copy(m, d / "migrations" / m.name)
    first = ctl("-c", conf, "db", "upgrade", "--sql-dir", d)
    assert first.returncode == 0, first
    assert int(late.name[:3]) not in [int(v) for (v,) in sql("SELECT version FROM schema_version", db=name)]

    up = ctl("-c", conf, "db", "upgrade", "--sql-dir", TOP / "sql")
    assert up.returncode == 0, up
    applied = [line.rsplit("/", 1)[1] for line in up.stdout.splitlines() if line.startswith("applied")]
    assert applied == [late.name]
    recorded = [int(v) for (v,) in sql("SELECT version FROM schema_version ORDER BY version", db=name)]
    assert recorded == [1] + [int(m.name[:3]) for m in MIGRATIONS]
    assert create_tables(name) == create_tables("tempmail")
    again = ctl("-c", conf, "db", "upgrade", "--sql-dir", TOP / "sql")
    assert again.returncode == 0 and not [l for l in again.stdout.splitlines() if l.startswith("applied")]
