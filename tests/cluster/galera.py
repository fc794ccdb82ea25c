"""A three-node MariaDB Galera cluster on loopback, for tests/cluster (make cluster-test).

Each node is a private mariadbd (never the system's) with its own datadir, unix socket,
SQL port, Galera group port (gmcast), IST receive port and rsync SST port, all on
127.0.0.1 and all distinct from the ordinary stacks' (3307-3707, 2525-2925, 8080-8482,
5353-5753). The first node bootstraps the cluster (--wsrep-new-cluster, what
galera_new_cluster does); the others join it and get their data by state transfer
(rsync SST). A node killed with SIGKILL comes back the way galera_recovery brings it:
`mariadbd --wsrep-recover` finds the last committed position in InnoDB, and the node
starts from there, so the cluster sends it what it missed (IST from the gcache) instead
of a whole copy.

Memory stays small: a 64 MB buffer pool and gcache per node.
"""
import os
import re
import shutil
import signal
import subprocess
import time

PROVIDER = "/usr/lib/galera/libgalera_smm.so"
CLUSTER_NAME = "tempmail-cluster-test"


class Node:
    def __init__(self, cluster, index):
        self.cluster = cluster
        self.index = index                      # 1, 2, 3
        self.name = f"node{index}"
        base = cluster.ports
        self.sql_port = base["sql"] + index - 1
        self.group_port = base["group"] + index - 1
        self.ist_port = base["ist"] + index - 1
        self.sst_port = base["sst"] + index - 1
        self.dir = os.path.join(cluster.dir, self.name)
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.pidfile = os.path.join(self.dir, "mysqld.pid")
        self.log = os.path.join(self.dir, "mariadb.log")
        self.proc = None

    def args(self, extra=()):
        c = self.cluster
        return [
            # as mysql, like a packaged server: run as root, the rsync daemon of a state
            # transfer would drop to nobody and could not write the joiner's datadir
            "mariadbd", "--no-defaults", "--user=mysql",
            f"--datadir={self.datadir}", f"--socket={self.socket}", f"--pid-file={self.pidfile}",
            f"--port={self.sql_port}", "--bind-address=127.0.0.1", "--skip-name-resolve",
            f"--log-error={self.log}",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
            "--default-time-zone=+00:00", "--max-allowed-packet=64M",
            # small: three of these share a 2-core machine with other people's stacks
            "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=32M",
            "--performance-schema=OFF", "--max-connections=300",
            "--innodb-flush-log-at-trx-commit=2",
            # what Galera needs
            "--binlog-format=ROW", "--default-storage-engine=InnoDB",
            "--innodb-autoinc-lock-mode=2",
            "--wsrep-on=ON", f"--wsrep-provider={PROVIDER}",
            f"--wsrep-cluster-name={CLUSTER_NAME}",
            f"--wsrep-cluster-address=gcomm://{','.join(f'127.0.0.1:{n.group_port}' for n in c.nodes)}",
            f"--wsrep-node-name={self.name}",
            f"--wsrep-node-address=127.0.0.1:{self.group_port}",
            "--wsrep-provider-options="
            f"gmcast.listen_addr=tcp://127.0.0.1:{self.group_port};"
            f"ist.recv_addr=127.0.0.1:{self.ist_port};gcache.size=64M",
            "--wsrep-sst-method=rsync",
            f"--wsrep-sst-receive-address=127.0.0.1:{self.sst_port}",
            "--wsrep-slave-threads=2",
            # reads wait until this node has applied what any node committed before them:
            # an address generated through one host is known to every MX at once
            "--wsrep-sync-wait=1",
            *extra,
        ]

    # ---- processes ----------------------------------------------------------------------

    def start(self, bootstrap=False, timeout=240):
        self.make_dirs()
        extra = ["--wsrep-new-cluster"] if bootstrap else []
        position = self.recovered_position()
        if position:
            extra.append(f"--wsrep-start-position={position}")
        with open(self.log, "a") as log:
            log.write(f"\n==== tests/cluster: start {self.name}{' (bootstrap)' if bootstrap else ''}"
                      f"{' from ' + position if position else ''}\n")
        self.proc = subprocess.Popen(self.args(extra), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, cwd=self.dir)
        self.wait_synced(timeout)

    def make_dirs(self):
        os.makedirs(self.datadir, exist_ok=True)
        subprocess.run(["chown", "-R", "mysql:mysql", self.dir], check=True)

    def recovered_position(self):
        """After a crash: the position InnoDB committed last (galera_recovery's job)."""
        grastate = os.path.join(self.datadir, "grastate.dat")
        if not os.path.exists(grastate):
            return None
        text = open(grastate).read()
        seqno = re.search(r"^seqno:\s*(-?\d+)", text, re.M)
        if seqno and seqno.group(1) != "-1":
            return None                         # a clean shutdown wrote it: nothing to recover
        log = os.path.join(self.dir, "recover.log")
        open(log, "w").close()
        shutil.chown(log, "mysql", "mysql")
        subprocess.run(self.args(["--wsrep-recover", f"--log-error={log}"]),
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=300, cwd=self.dir)
        found = re.findall(r"Recovered position:\s*(\S+:-?\d+)", open(log).read())
        return found[-1] if found else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL, as a power cut would: no shutdown, no flush."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=60)

    def stop(self, timeout=120):
        if not self.alive():
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    # ---- SQL ----------------------------------------------------------------------------

    def sql(self, query, database="", user="root", timeout=60):
        """Rows (lists of strings) of query, as root over this node's socket."""
        args = ["mariadb", "--no-defaults", f"--socket={self.socket}", f"--user={user}",
                "--batch", "--skip-column-names", "-e", query]
        if user == "root" and self.cluster.root_password_set:
            args.insert(4, f"--password={self.cluster.root_password}")
        if database:
            args.append(database)
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{self.name}: mariadb: {done.stderr.strip()}")
        return [line.split("\t") for line in done.stdout.splitlines()]

    def status(self, name):
        try:
            rows = self.sql(f"SHOW GLOBAL STATUS LIKE '{name}'", timeout=10)
        except (RuntimeError, subprocess.TimeoutExpired):
            return None
        return rows[0][1] if rows else None

    def synced(self):
        return (self.status("wsrep_local_state_comment") == "Synced"
                and self.status("wsrep_ready") == "ON")

    def wait_synced(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited during start; see {self.log}:\n"
                                   + tail(self.log))
            if self.synced():
                return
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not synced after {timeout} s; see {self.log}:\n"
                           + tail(self.log))


class Cluster:
    def __init__(self, directory, ports, root_password):
        self.dir = directory
        self.ports = ports
        self.root_password = root_password
        self.root_password_set = False
        self.nodes = []
        self.nodes = [Node(self, i) for i in (1, 2, 3)]

    def start(self):
        first = self.nodes[0]
        if not os.path.isdir(os.path.join(first.datadir, "mysql")):
            first.make_dirs()
            subprocess.run(["mariadb-install-db", "--no-defaults", "--user=mysql",
                            f"--datadir={first.datadir}", "--auth-root-authentication-method=normal",
                            "--skip-test-db"], check=True, capture_output=True, timeout=300)
        first.start(bootstrap=True)
        self.secure(first)
        for node in self.nodes[1:]:
            node.start()
        return self

    def secure(self, node):
        """A root password, and root over TCP from 127.0.0.1 (tools/stack's bootstrap
        logs in that way); the joiners get both by their state transfer."""
        pw = self.root_password
        node.sql(f"ALTER USER 'root'@'localhost' IDENTIFIED BY '{pw}';"
                 f"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '{pw}';"
                 f"ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '{pw}';"
                 "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;")
        self.root_password_set = True

    def size(self, node=None):
        node = node or next(n for n in self.nodes if n.alive())
        value = node.status("wsrep_cluster_size")
        return int(value) if value else 0

    def stop(self):
        for node in reversed(self.nodes):
            node.stop()


def tail(path, lines=25):
    try:
        return "".join(open(path, errors="replace").readlines()[-lines:])
    except OSError:
        return ""
