-- Issue 11, point 3: webhooks. An account registers a URL for one of its mailboxes or
-- for a domain (every mailbox of the account on it); tempmail-webhookd POSTs each new
-- message there, signed with the webhook's secret, and keeps a log of the deliveries.
--
-- The milter is not involved: the worker finds new messages itself, by id above a
-- cursor kept in webhook_state, and queues one delivery per (webhook, message).

CREATE TABLE IF NOT EXISTS webhooks (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id      BIGINT UNSIGNED NOT NULL,
    mailbox_id      BIGINT UNSIGNED NULL,           -- the scope: one mailbox ...
    domain_id       BIGINT UNSIGNED NULL,           -- ... or the account's mailboxes on a domain
    url             VARCHAR(2048) NOT NULL,
    secret          VARCHAR(80) NOT NULL,           -- in clear: the worker signs with it; never logged
    active          TINYINT(1) NOT NULL DEFAULT 1,
    created_at      DATETIME(3) NOT NULL,
    KEY webhooks_account (account_id, created_at),
    KEY webhooks_mailbox (mailbox_id),
    KEY webhooks_domain (domain_id, account_id),
    CONSTRAINT webhooks_one_scope CHECK ((mailbox_id IS NULL) <> (domain_id IS NULL)),
    CONSTRAINT webhooks_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT webhooks_mailbox_fk FOREIGN KEY (mailbox_id) REFERENCES mailboxes (id) ON DELETE CASCADE,
    CONSTRAINT webhooks_domain_fk FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The queue and the log in one: a row is made pending when the worker sees the message,
-- and ends delivered (a 2xx answer) or failed (webhook_retry_for seconds of failures).
-- The payload is the JSON posted, kept here because the message itself expires long
-- before the retries end; so there is no foreign key to messages either.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    webhook_id      BIGINT UNSIGNED NOT NULL,
    message_id      BIGINT UNSIGNED NOT NULL,
    message_uuid    CHAR(36) NOT NULL,
    address         VARCHAR(320) NOT NULL,
    payload         LONGBLOB NOT NULL,
    state           ENUM('pending','delivered','failed') NOT NULL DEFAULT 'pending',
    attempts        INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3) NULL,               -- NULL once delivered or failed
    last_attempt_at DATETIME(3) NULL,
    last_status     SMALLINT UNSIGNED NULL,         -- HTTP status of the last attempt, if any came
    last_error      VARCHAR(255) NOT NULL DEFAULT '',
    created_at      DATETIME(3) NOT NULL,
    finished_at     DATETIME(3) NULL,
    UNIQUE KEY webhook_deliveries_once (webhook_id, message_id),
    KEY webhook_deliveries_due (state, next_attempt_at),
    KEY webhook_deliveries_finished (finished_at),
    CONSTRAINT webhook_deliveries_webhook_fk FOREIGN KEY (webhook_id) REFERENCES webhooks (id)
        ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The worker's cursor: every message with an id up to value has been looked at.
CREATE TABLE IF NOT EXISTS webhook_state (
    name            VARCHAR(64) NOT NULL PRIMARY KEY,
    value           BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT IGNORE INTO webhook_state (name, value) SELECT 'cursor', COALESCE(MAX(id), 0) FROM messages;
