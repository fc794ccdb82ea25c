"""Helpers for the tests of installing and operating tempmail (issue 8): tempmailctl,
db upgrade, the sample configs, make install. They use the running local stack
(tools/stack start): its MariaDB as root through var/mariadb-root.cnf, its config
var/tempmail.conf."""
import os
import pathlib
import shlex
import subprocess

import pytest

TOP = pathlib.Path(__file__).resolve().parents[2]
VAR = TOP / "var"
ROOT_CNF = VAR / "mariadb-root.cnf"


def stack_env():
    env = {}
    path = VAR / "stack.env"
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                env[k] = shlex.split(v)[0] if v else ""
    env.update({k: v for k, v in os.environ.items() if k.startswith("TEMPMAIL_")})
    return env


ENV = stack_env()
CONF = ENV.get("TEMPMAIL_CONF", str(VAR / "tempmail.conf"))


def run(cmd, input=None, env=None, timeout=120, cwd=None):
    return subprocess.run([str(c) for c in cmd], input=input, env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


def ctl(*args, input=None, conf=None, binary=None, extra_env=None):
    """Run tempmailctl; returns the CompletedProcess (exit code, stdout, stderr)."""
    env = dict(os.environ, TEMPMAIL_CONF=str(conf or CONF))
    env.pop("TEMPMAIL_SQL_DIR", None)
    env.update(extra_env or {})
    return run([binary or TOP / "tools" / "tempmailctl", *args], input=input, env=env)


def sql(query, db="tempmail"):
    """Rows of a query run as the stack's MariaDB root."""
    args = ["mariadb", f"--defaults-file={ROOT_CNF}", "--batch", "--skip-column-names"]
    if db:
        args.append(db)
    done = run(args + ["-e", query])
    if done.returncode != 0:
        raise RuntimeError(f"mariadb: {done.stderr}")
    return [line.split("\t") for line in done.stdout.splitlines()]


def conf_value(path, key):
    value = None
    for line in pathlib.Path(path).read_text().splitlines():
        k, sep, v = line.partition("=")
        if sep and k.strip() == key:
            value = v.strip()
    return value


@pytest.fixture(scope="session")
def stack():
    if not ROOT_CNF.exists() or not pathlib.Path(CONF).exists():
        pytest.fail("the stack is not running: run `tools/stack start`")
    return ENV
