-- tempmail database schema, baseline (schema_version 1).
--
-- A fresh installation loads this file, then `tempmailctl db upgrade` applies every
-- sql/migrations/NNN_*.sql whose NNN is above the recorded version. A change to the
-- schema is a new migration file; this baseline stays as it was released.
--
-- Conventions: InnoDB, utf8mb4, every timestamp UTC as DATETIME(3) (the API prints
-- them as ISO 8601 with Z), money as DECIMAL (never float).

CREATE TABLE IF NOT EXISTS schema_version (
    version     INT UNSIGNED NOT NULL PRIMARY KEY,
    applied_at  DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS accounts (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email           VARCHAR(254) NULL,              -- NULL for key-only (aurelion free key) accounts
    password_hash   VARCHAR(255) NULL,              -- libsodium crypto_pwhash_str (argon2id)
    tier            ENUM('free','pro') NOT NULL DEFAULT 'free',
    balance         DECIMAL(18,6) NOT NULL DEFAULT 0,
    is_admin        TINYINT(1) NOT NULL DEFAULT 0,
    disabled        TINYINT(1) NOT NULL DEFAULT 0,
    created_at      DATETIME(3) NOT NULL,
    UNIQUE KEY accounts_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS api_keys (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id      BIGINT UNSIGNED NOT NULL,
    key_hash        CHAR(64) NOT NULL,              -- hex SHA-256 of the full key
    key_prefix      VARCHAR(16) NOT NULL,           -- shown in listings: "al_a805"
    name            VARCHAR(100) NOT NULL DEFAULT '',
    created_at      DATETIME(3) NOT NULL,
    last_used_at    DATETIME(3) NULL,
    revoked_at      DATETIME(3) NULL,
    UNIQUE KEY api_keys_hash (key_hash),
    KEY api_keys_account (account_id),
    CONSTRAINT api_keys_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS domains (
    id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name                VARCHAR(253) NOT NULL,
    owner_id            BIGINT UNSIGNED NULL,       -- NULL: a system domain of the operator
    status              ENUM('pending','active','disabled') NOT NULL DEFAULT 'pending',
    verification_token  VARCHAR(64) NOT NULL DEFAULT '',
    verified_at         DATETIME(3) NULL,
    created_at          DATETIME(3) NOT NULL,
    UNIQUE KEY domains_name (name),
    KEY domains_owner (owner_id),
    CONSTRAINT domains_owner_fk FOREIGN KEY (owner_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS mailboxes (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    address         VARCHAR(320) NOT NULL,          -- lowercase local@domain
    domain_id       BIGINT UNSIGNED NOT NULL,
    account_id      BIGINT UNSIGNED NOT NULL,
    api_key_id      BIGINT UNSIGNED NULL,           -- the key that created it
    created_at      DATETIME(3) NOT NULL,
    expires_at      DATETIME(3) NULL,               -- NULL: lives until deleted
    UNIQUE KEY mailboxes_address (address),
    KEY mailboxes_account_created (account_id, created_at),
    CONSTRAINT mailboxes_domain_fk FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE,
    CONSTRAINT mailboxes_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS messages (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    mailbox_id      BIGINT UNSIGNED NOT NULL,
    uuid            CHAR(36) NOT NULL,
    envelope_from   VARCHAR(320) NOT NULL DEFAULT '',
    header_from     VARCHAR(998) NOT NULL DEFAULT '',
    subject         VARCHAR(998) NOT NULL DEFAULT '',
    message_id      VARCHAR(998) NOT NULL DEFAULT '',  -- the Message-ID header, if any
    body_text       MEDIUMTEXT NOT NULL,
    body_html       MEDIUMTEXT NOT NULL,
    raw             LONGBLOB NOT NULL,
    size            INT UNSIGNED NOT NULL,
    received_at     DATETIME(3) NOT NULL,
    expires_at      DATETIME(3) NOT NULL,
    UNIQUE KEY messages_uuid (uuid),
    KEY messages_mailbox_received (mailbox_id, received_at),
    KEY messages_expires (expires_at),
    CONSTRAINT messages_mailbox_fk FOREIGN KEY (mailbox_id) REFERENCES mailboxes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS attachments (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    message_id      BIGINT UNSIGNED NOT NULL,
    filename        VARCHAR(255) NOT NULL DEFAULT '',
    content_type    VARCHAR(255) NOT NULL DEFAULT 'application/octet-stream',
    size            INT UNSIGNED NOT NULL,
    content         LONGBLOB NOT NULL,
    KEY attachments_message (message_id),
    CONSTRAINT attachments_message_fk FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Fixed-window counters shared by every process and host: (subject, window start) -> hits.
-- subject is e.g. "key:42" or "ip:register:127.0.0.1".
CREATE TABLE IF NOT EXISTS rate_counters (
    subject         VARCHAR(128) NOT NULL,
    window_start    DATETIME NOT NULL,
    hits            INT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (subject, window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS web_sessions (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token_hash      CHAR(64) NOT NULL,              -- hex SHA-256 of the cookie value
    csrf_token      CHAR(64) NOT NULL,
    account_id      BIGINT UNSIGNED NOT NULL,
    created_at      DATETIME(3) NOT NULL,
    expires_at      DATETIME(3) NOT NULL,
    UNIQUE KEY web_sessions_token (token_hash),
    CONSTRAINT web_sessions_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT IGNORE INTO schema_version (version, applied_at) VALUES (1, UTC_TIMESTAMP(3));
