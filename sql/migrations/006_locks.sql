-- Issue 12: cluster-wide leases for background workers (the milters' purge, the webhook
-- worker), one row a lock. MariaDB's GET_LOCK() is local to one server, and a Galera
-- cluster does not replicate it: two MX hosts on two nodes would both hold "the" lock.
-- A row is replicated like any other, and a lost race is a write conflict that the
-- loser sees (see lib/store_lock.c).
--   holder      who has it: "host:pid" of the worker; '' when free
--   expires_at  the lease: after it the lock is free for anyone, so a crashed holder
--               never blocks the rest for longer than one lease
--   fencing     +1 at every take, renewal and release: a holder can tell that it kept
--               the lock all along
CREATE TABLE IF NOT EXISTS locks (
    name        VARCHAR(64) NOT NULL PRIMARY KEY,
    holder      VARCHAR(128) NOT NULL DEFAULT '',
    expires_at  DATETIME(3) NOT NULL,
    acquired_at DATETIME(3) NOT NULL,
    fencing     BIGINT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- "Newest first" is by created_at, never by id: on a Galera cluster each node hands out
-- ids of its own offset (wsrep_auto_increment_control), so a later row can have a lower
-- id. The admin console pages through accounts that way.
ALTER TABLE accounts ADD INDEX IF NOT EXISTS accounts_created (created_at);
