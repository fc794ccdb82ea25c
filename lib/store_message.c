/*++
 * NAME
 *	store_message 3
 * SUMMARY
 *	capture of messages by the milter (see store.h)
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_rcpt_check(DB *db, const char *address, long catch_all_max,
 *			unsigned long long *mailbox_id);
 *	int	store_message_deliver(DB *db, const unsigned long long *mailbox_ids, size_t n,
 *			const char *envelope_from, const MIME_MESSAGE *msg,
 *			const char *raw, int raw_fd, size_t raw_len, long ttl);
 *	int	store_message_deliver_catchall(DB *db, unsigned long long *mailbox_ids,
 *			const char *const *create, size_t n, ...same as above...);
 *
 *	STORE_CAPTURE *store_capture_prepare(unsigned long long mailbox_id,
 *			const char *envelope_from, const MIME_MESSAGE *msg,
 *			const char *raw, size_t raw_len, long ttl);
 *	void	store_capture_group(DB *db, STORE_CAPTURE *const *group, size_t n,
 *			int *rcs);
 *	const char *store_capture_why(const STORE_CAPTURE *c);
 *	void	store_capture_free(STORE_CAPTURE *c);
 * DESCRIPTION
 *	store_rcpt_check() answers, in one statement, the milter's question for
 *	each RCPT TO: is the domain one of ours (active), and is there a live
 *	mailbox (no expiry, or expiry still ahead) at the address? The domain is
 *	the part after the last '@', since a quoted local part may hold an '@'.
 *
 *	store_message_deliver() stores one messages row (with a fresh random v4
 *	UUID, received now, expiring ttl seconds later) and its attachments rows
 *	for every mailbox, in one transaction (or, for one mailbox and no
 *	attachment, in one INSERT under autocommit): a failure rolls everything back,
 *	so the milter can tempfail and the sending MTA retry without duplicates.
 *	The raw source is raw_len bytes at raw, or, with raw_fd not -1, in that
 *	file from offset 0 (streamed: a large message never sits in memory). The
 *	row and attachments are sent once; the server copies them for every
 *	further mailbox.
 *
 *	A domain whose owner turned catch_all on answers STORE_RCPT_CATCHALL
 *	for an unknown local part that generate would take (address.h), or
 *	STORE_RCPT_FULL once the domain holds catch_all_max live addresses (a
 *	second statement, on that path alone: without a cap, mail to random
 *	local parts would make mailboxes without end), and
 *	store_message_deliver_catchall() then makes that mailbox inside the
 *	delivery's transaction: a failed delivery leaves no empty mailbox
 *	behind, and concurrent first deliveries end in one mailbox (the
 *	domain row is locked while the mailbox is made).
 *
 *	Before any message row, the transaction locks the rows of its
 *	mailboxes, so the message ids of one mailbox follow the order of the
 *	commits: the inbox event stream (evstream.h) resumes by id.
 *
 *	store_capture_group() stores up to STORE_GROUP_MAX messages of the
 *	common kind (one known mailbox each, no attachment, the raw source in
 *	memory), each prepared by store_capture_prepare(), in one transaction: it
 *	locks their mailboxes and inserts every row with one statement. That
 *	statement costs MariaDB less than half as much a row as one INSERT a
 *	message (its parse, execution and commit are shared), which is what a
 *	busy MX spends most on. When the group fails as a whole (a mailbox gone
 *	since RCPT, a row the server refuses, a lost connection) each message is
 *	stored on its own, as store_message_deliver() would, with the uuid it was
 *	prepared with: a group that committed before its connection was lost is
 *	then found stored, not stored twice. rcs[i] tells each one's outcome,
 *	and store_capture_why() why one was not stored (its own reason, not the
 *	last error of the connection, which may be another member's). A group
 *	of one is that single statement.
 *
 *	Text is clipped to what its column holds, at a UTF-8 character boundary:
 *	the server runs in strict mode and would otherwise refuse the whole
 *	message, and a sender's over-long Subject must not make mail undeliverable.
 *	Bytes that are not UTF-8 (an SMTPUTF8-less 8-bit envelope sender) become
 *	'?' for the same reason.
 * DIAGNOSTICS
 *	store_rcpt_check() returns an enum store_rcpt, or DB_EFAIL.
 *	store_message_deliver() returns 0, or DB_EFAIL after a rollback;
 *	store_message_deliver_catchall() also STORE_NOTFOUND (a domain stopped
 *	being catch-all), after a rollback. store_capture_prepare() returns NULL
 *	when memory runs out or the message is not of the common kind;
 *	store_capture_group() sets rcs[i] to 0 (stored) or DB_EFAIL.
 *--*/

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "address.h"
#include "config.h"
#include "extract.h"
#include "log.h"
#include "store.h"
#include "words.h"

/* Column sizes from sql/schema.sql: VARCHAR counts characters, MEDIUMTEXT bytes. */
#define STORE_ENVELOPE_FROM_CHARS   320
#define STORE_HEADER_CHARS          998     /* header_from, subject, message_id */
#define STORE_FILENAME_CHARS        255
#define STORE_CONTENT_TYPE_CHARS    255
#define STORE_MEDIUMTEXT_BYTES      16777215u
#define STORE_UNLIMITED             ((size_t)-1)

/* Length of the well-formed UTF-8 sequence at p, or 0 when it is not one. */
static size_t store_utf8_seq(const unsigned char *p)
{
    unsigned c = p[0];
    size_t len;
    unsigned cp, min;

    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        len = 2, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        len = 3, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
        len = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)      /* also stops at the terminating NUL */
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/*
 * s as its column will take it: at most max_chars characters and max_bytes
 * bytes of valid UTF-8. Returns s itself when it already fits (the common
 * case, and no copy of a large body), else a malloc'd copy that the caller
 * frees through *copy. NULL reads as "". Returns NULL only when memory runs out.
 */
static const char *store_clip(const char *s, size_t max_chars, size_t max_bytes, char **copy)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t bytes = 0, chars = 0, len;

    *copy = NULL;
    while (p[bytes] != '\0' && (len = store_utf8_seq(p + bytes)) != 0
           && chars < max_chars && bytes + len <= max_bytes) {
        bytes += len;
        chars++;
    }
    if (p[bytes] == '\0')
        return (const char *)p;

    /* Too long or not UTF-8: build the clipped, repaired copy. */
    size_t total = strlen((const char *)p);
    size_t cap = total < max_bytes ? total : max_bytes;
    char *out = malloc(cap + 1);
    if (out == NULL)
        return NULL;
    size_t in = 0, used = 0;
    chars = 0;
    while (p[in] != '\0' && chars < max_chars) {
        len = store_utf8_seq(p + in);
        const unsigned char *from = p + in;
        size_t out_len = len;
        if (len == 0) {
            from = (const unsigned char *)"?";
            out_len = len = 1;
        }
        if (used + out_len > cap)
            break;
        memcpy(out + used, from, out_len);
        used += out_len;
        in += len;
        chars++;
    }
    out[used] = '\0';
    *copy = out;
    return out;
}

/* A random (version 4) UUID as 36 lowercase characters; buf holds 37. */
static void store_uuid4(char *buf)
{
    unsigned char b[16];

    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* variant RFC 4122 */
    snprintf(buf, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
             b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int store_rcpt_check(DB *db, const char *address, long catch_all_max,
                     unsigned long long *mailbox_id)
{
    const char *at = address ? strrchr(address, '@') : NULL;
    char domain[254];

    if (at == NULL || at[1] == '\0')
        return STORE_RCPT_OTHER;        /* a bare local name: not for a managed domain */
    size_t len = strlen(at + 1);
    /* A catch-all domain takes a new local part only if generate would have made it. */
    char local[65];
    int valid_local = (size_t)(at - address) < sizeof(local) && strlen(address) <= ADDRESS_MAX;
    if (valid_local) {
        memcpy(local, address, (size_t)(at - address));
        local[at - address] = '\0';
        valid_local = address_valid_local(local)
                      && !address_reserved_local(local, cfg.reserved_local_parts);
    }
    char *undotted = NULL;
    if (at[len] == '.') {               /* "box@example.org." is the same address */
        len--;
        if ((undotted = strndup(address, (size_t)(at - address) + 1 + len)) == NULL)
            return DB_EFAIL;
        address = undotted;
    }
    if (len == 0 || len >= sizeof(domain)) {
        free(undotted);
        return STORE_RCPT_OTHER;        /* no domain of ours is that long */
    }
    memcpy(domain, at + 1, len);
    domain[len] = '\0';

    /*
     * One round trip: no row means the domain is not ours (or not active);
     * a row with NULL means ours, but no live mailbox at that address.
     */
    DB_RESULT *res;
    int rc = db_query(db, &res,
                      "SELECT m.id, d.catch_all AND d.owner_id IS NOT NULL, d.id FROM domains d"
                      " LEFT JOIN mailboxes m ON m.address = ? AND m.domain_id = d.id"
                      " AND (m.expires_at IS NULL OR m.expires_at > UTC_TIMESTAMP(3))"
                      " WHERE d.name = ? AND d.status = 'active'",
                      "ss", address, domain);
    free(undotted);
    if (rc != 0)
        return DB_EFAIL;

    int verdict = STORE_RCPT_OTHER;
    unsigned long long domain_id = 0;
    if (db_rows(res) > 0) {
        if (db_isnull(res, 0, 0)) {
            verdict = db_get_ll(res, 0, 1) && valid_local ? STORE_RCPT_CATCHALL : STORE_RCPT_UNKNOWN;
            domain_id = (unsigned long long)db_get_ll(res, 0, 2);
        } else {
            verdict = STORE_RCPT_CAPTURE;
            *mailbox_id = (unsigned long long)db_get_ll(res, 0, 0);
        }
    }
    db_result_free(res);
    if (verdict != STORE_RCPT_CATCHALL)
        return verdict;

    /* Counted, not locked: deliveries at the same moment may pass the cap by a few. */
    rc = db_query(db, &res,
                  "SELECT COUNT(*) FROM mailboxes WHERE domain_id = ?"
                  " AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(3))", "u", domain_id);
    if (rc != 0)
        return DB_EFAIL;
    if (db_get_ll(res, 0, 0) >= catch_all_max)
        verdict = STORE_RCPT_FULL;
    db_result_free(res);
    return verdict;
}

/* The attachments rows of one stored message; a spilled one is streamed from its file. */
static int store_attachments(DB *db, unsigned long long message_id, const MIME_MESSAGE *msg)
{
    for (size_t i = 0; i < msg->n_attachments; i++) {
        const MIME_ATTACHMENT *att = &msg->attachments[i];
        char *name_copy, *type_copy;
        const char *name = store_clip(att->filename, STORE_FILENAME_CHARS, STORE_UNLIMITED,
                                      &name_copy);
        const char *type = store_clip(att->content_type && *att->content_type
                                      ? att->content_type : "application/octet-stream",
                                      STORE_CONTENT_TYPE_CHARS, STORE_UNLIMITED, &type_copy);
        static const char insert[] =
            "INSERT INTO attachments (message_id, filename, content_type, size, content)"
            " VALUES (?, ?, ?, ?, ?)";
        long long rc = DB_EFAIL;
        if (name != NULL && type != NULL && att->spill != NULL)
            rc = db_exec(db, insert, "ussuf", message_id, name, type,
                         (unsigned long long)att->size, fileno(att->spill), att->size);
        else if (name != NULL && type != NULL)
            rc = db_exec(db, insert, "ussub", message_id, name, type,
                         (unsigned long long)att->size,
                         (const void *)(att->data ? (const void *)att->data : ""), att->size);
        free(name_copy);
        free(type_copy);
        if (rc < 0)
            return DB_EFAIL;
    }
    return 0;
}

/*
 * Every mailbox after the first gets a copy of the first one's rows, made by
 * the server: a 25 MB message crosses the network once, however many of our
 * mailboxes it was sent to.
 */
static int store_message_copy(DB *db, unsigned long long from_id, unsigned long long mailbox_id,
                              size_t n_attachments)
{
    char uuid[37];

    store_uuid4(uuid);
    if (db_exec(db,
                "INSERT INTO messages (mailbox_id, uuid, envelope_from, header_from, subject,"
                " message_id, body_text, body_html, html_text, raw, size, received_at,"
                " expires_at)"
                " SELECT ?, ?, envelope_from, header_from, subject, message_id, body_text,"
                " body_html, html_text, raw, size, received_at, expires_at"
                " FROM messages WHERE id = ?",
                "usu", mailbox_id, uuid, from_id) != 1)
        return DB_EFAIL;
    unsigned long long copy_id = db_insert_id(db);
    if (n_attachments == 0)
        return 0;
    long long copied = db_exec(db,
                               "INSERT INTO attachments (message_id, filename, content_type, size,"
                               " content) SELECT ?, filename, content_type, size, content"
                               " FROM attachments WHERE message_id = ? ORDER BY id",
                               "uu", copy_id, from_id);
    return copied == (long long)n_attachments ? 0 : DB_EFAIL;
}

/*
 * Lock the mailbox rows, lowest id first (two deliveries never wait on each other in a
 * circle), before any message row is made: deliveries to one mailbox then take their
 * message ids in the order they commit, so a reader that has seen id N (the inbox event
 * stream, evstream.h) can never miss a message with a lower id committed later.
 */
static int store_lock_mailboxes(DB *db, const unsigned long long *mailbox_ids, size_t n)
{
    unsigned long long done = 0;

    for (size_t k = 0; k < n; k++) {
        unsigned long long next = 0;
        for (size_t i = 0; i < n; i++)
            if (mailbox_ids[i] > done && (next == 0 || mailbox_ids[i] < next))
                next = mailbox_ids[i];
        if (next == 0)
            break;
        DB_RESULT *res;
        if (db_query(db, &res, "SELECT id FROM mailboxes WHERE id = ? FOR UPDATE", "u", next) != 0)
            return DB_EFAIL;
        db_result_free(res);
        done = next;
    }
    return 0;
}

/*
 * The mailbox of a catch-all address, made for its domain's owner unless it exists. The
 * domain's row is locked first, so the first deliveries to new addresses of one domain
 * take turns: the second finds the row the first committed. (Without that lock, three
 * INSERTs of one new address at once deadlock in InnoDB on the unique key.) Like
 * generate's, the mailbox never expires by itself; an expired row of the owner's at that
 * address lives again. STORE_NOTFOUND: the domain is not (any more) an active catch-all one.
 */
static int store_catchall_mailbox(DB *db, const char *address, unsigned long long *mailbox_id)
{
    const char *at = strrchr(address, '@');
    size_t len = at ? strlen(at + 1) : 0;
    char domain[254];

    if (len > 0 && at[len] == '.')
        len--;                          /* "box@example.org." as store_rcpt_check() takes it */
    if (len == 0 || len >= sizeof(domain))
        return STORE_NOTFOUND;
    memcpy(domain, at + 1, len);
    domain[len] = '\0';
    char *bare = strndup(address, (size_t)(at - address) + 1 + len);
    if (bare == NULL)
        return DB_EFAIL;
    DB_RESULT *res = NULL;
    unsigned long long domain_id = 0, owner_id = 0;
    long long rc = db_query(db, &res,
                            "SELECT id, owner_id FROM domains WHERE name = ? AND status = 'active'"
                            " AND catch_all = 1 AND owner_id IS NOT NULL FOR UPDATE", "s", domain);
    if (rc == 0 && db_rows(res) == 1) {
        domain_id = (unsigned long long)db_get_ll(res, 0, 0);
        owner_id = (unsigned long long)db_get_ll(res, 0, 1);
    }
    db_result_free(res);
    res = NULL;
    if (rc == 0 && domain_id == 0)
        rc = STORE_NOTFOUND;
    if (rc == 0)
        rc = db_exec(db,
                     "INSERT INTO mailboxes (address, domain_id, account_id, created_at)"
                     " VALUES (?, ?, ?, UTC_TIMESTAMP(3))"
                     " ON DUPLICATE KEY UPDATE expires_at = IF(account_id = VALUES(account_id)"
                     " AND expires_at <= UTC_TIMESTAMP(3), NULL, expires_at)",
                     "suu", bare, domain_id, owner_id);
    if (rc >= 0)
        rc = db_query(db, &res,
                      "SELECT id FROM mailboxes WHERE address = ? AND domain_id = ? AND account_id = ?"
                      " AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(3)) FOR UPDATE",
                      "suu", bare, domain_id, owner_id);
    free(bare);
    if (rc < 0)
        return rc == STORE_NOTFOUND ? STORE_NOTFOUND : DB_EFAIL;
    rc = db_rows(res) == 1 ? 0 : STORE_NOTFOUND;
    if (rc == 0)
        *mailbox_id = (unsigned long long)db_get_ll(res, 0, 0);
    db_result_free(res);
    return (int)rc;
}

/*
 * Make the catch-all mailboxes (create[i] set, mailbox_ids[i] 0) and fill in their ids,
 * then drop a mailbox that is there twice (two spellings of one new address): *n shrinks.
 */
static int store_catchall_fill(DB *db, unsigned long long *mailbox_ids, const char *const *create,
                               size_t *n)
{
    size_t kept = 0;

    for (size_t i = 0; i < *n; i++) {
        if (mailbox_ids[i] == 0) {
            int rc = create && create[i] ? store_catchall_mailbox(db, create[i], &mailbox_ids[i])
                                         : STORE_NOTFOUND;
            if (rc != 0)
                return rc;
        }
        size_t j = 0;
        while (j < kept && mailbox_ids[j] != mailbox_ids[i])
            j++;
        if (j == kept)
            mailbox_ids[kept++] = mailbox_ids[i];
    }
    *n = kept;
    return 0;
}

/* One capture: the values already clipped, for db_txn() to run (again). */
struct store_capture {
    unsigned long long *mailbox_ids;        /* the caller's; filled in for catch-all ones */
    const char *const *create;
    size_t n;
    unsigned long long *work;               /* this run's copy of the ids (n of them) */
    const char *env, *from, *subject, *message_id, *text, *html;
    const char *html_text;                  /* the html's visible text, for search */
    const MIME_MESSAGE *msg;
    const char *raw;
    int raw_fd;
    size_t raw_len;
    long ttl;
    char uuid[37];                          /* of the one-mailbox row, kept for a retry */
    unsigned long long one_id;              /* mailbox_ids of a STORE_CAPTURE points here */
    char *copies[6];                        /* the clipped copies, when clipping made any */
    char *html_text_buf;
    char why[256];                          /* why store_capture_group() did not store it */
};

/*
 * Clip the fields once (every mailbox gets the same row) and find the html's text for
 * search: 0, or DB_EFAIL when memory ran out. store_capture_release() frees what it made.
 */
static int store_capture_init(struct store_capture *d, const char *envelope_from,
                              const MIME_MESSAGE *msg)
{
    d->env = store_clip(envelope_from, STORE_ENVELOPE_FROM_CHARS, STORE_UNLIMITED, &d->copies[0]);
    d->from = store_clip(msg->from, STORE_HEADER_CHARS, STORE_UNLIMITED, &d->copies[1]);
    d->subject = store_clip(msg->subject, STORE_HEADER_CHARS, STORE_UNLIMITED, &d->copies[2]);
    d->message_id = store_clip(msg->message_id, STORE_HEADER_CHARS, STORE_UNLIMITED,
                               &d->copies[3]);
    d->text = store_clip(msg->text, STORE_UNLIMITED, STORE_MEDIUMTEXT_BYTES, &d->copies[4]);
    d->html = store_clip(msg->html, STORE_UNLIMITED, STORE_MEDIUMTEXT_BYTES, &d->copies[5]);
    /*
     * What search indexes of the html (never longer than it: tags and references shrink),
     * unless it only shows the words of the text part again, as a multipart/alternative
     * message's html usually does: the FULLTEXT index would take them a second time.
     */
    EXTRACT_BUF html_text = { 0 };
    if (d->html != NULL && *d->html)
        extract_html_text(d->html, &html_text);
    d->html_text_buf = html_text.data;
    d->html_text = html_text.data && d->text != NULL && !words_all_in(html_text.data, d->text)
                   ? html_text.data : "";
    store_uuid4(d->uuid);
    return d->env != NULL && d->from != NULL && d->subject != NULL && d->message_id != NULL
           && d->text != NULL && d->html != NULL ? 0 : DB_EFAIL;
}

static void store_capture_release(struct store_capture *d)
{
    for (size_t i = 0; i < sizeof(d->copies) / sizeof(d->copies[0]); i++)
        free(d->copies[i]);
    free(d->html_text_buf);
}

static const char store_insert_message[] =
    "INSERT INTO messages (mailbox_id, uuid, envelope_from, header_from, subject,"
    " message_id, body_text, body_html, html_text, raw, size, received_at, expires_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3),"
    " UTC_TIMESTAMP(3) + INTERVAL ? SECOND)";

static int store_message_deliver_txn(DB *db, void *arg)
{
    struct store_capture *d = arg;
    char uuid[37];
    long long affected;
    int rc;

    /*
     * Start from the caller's ids every run: after a conflict the rollback took away
     * the catch-all mailboxes the last run made, so this one makes them again.
     */
    size_t n = d->n;
    memcpy(d->work, d->mailbox_ids, n * sizeof(*d->work));
    if ((rc = store_catchall_fill(db, d->work, d->create, &n)) != 0
        || (rc = store_lock_mailboxes(db, d->work, n)) != 0)
        return rc == STORE_NOTFOUND ? rc : DB_EFAIL;

    /* A fresh uuid each run: a re-run after a conflict stores the message once, as new. */
    store_uuid4(uuid);
    if (d->raw_fd >= 0)
        affected = db_exec(db, store_insert_message, "ussssssssfui", d->work[0], uuid, d->env,
                           d->from, d->subject, d->message_id, d->text, d->html, d->html_text,
                           d->raw_fd, d->raw_len, (unsigned long long)d->raw_len,
                           (long long)d->ttl);
    else
        affected = db_exec(db, store_insert_message, "ussssssssbui", d->work[0], uuid, d->env,
                           d->from, d->subject, d->message_id, d->text, d->html, d->html_text,
                           (const void *)(d->raw ? d->raw : ""), d->raw_len,
                           (unsigned long long)d->raw_len, (long long)d->ttl);
    unsigned long long first_id = affected == 1 ? db_insert_id(db) : 0;
    if (affected != 1 || store_attachments(db, first_id, d->msg) != 0)
        return DB_EFAIL;
    for (size_t i = 1; i < n; i++)
        if (store_message_copy(db, first_id, d->work[i], d->msg->n_attachments) != 0)
            return DB_EFAIL;
    return 0;
}

/*
 * One known mailbox and no attachments, the common case: one statement under
 * autocommit, three round trips (BEGIN, the lock, COMMIT) cheaper than the
 * transaction. Its SELECT ... FOR UPDATE takes the mailbox lock that
 * store_lock_mailboxes() would, before the row (and its id) is made.
 */
static int store_message_deliver_one(DB *db, const struct store_capture *d)
{
    static const char insert_locked[] =
        "INSERT INTO messages (mailbox_id, uuid, envelope_from, header_from, subject,"
        " message_id, body_text, body_html, html_text, raw, size, received_at, expires_at)"
        " SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3),"
        " UTC_TIMESTAMP(3) + INTERVAL ? SECOND FROM mailboxes WHERE id = ? FOR UPDATE";
    const char *uuid = d->uuid;
    long long affected;

    if (d->raw_fd >= 0)
        affected = db_exec(db, insert_locked, "ssssssssfuiu", uuid, d->env, d->from, d->subject,
                           d->message_id, d->text, d->html, d->html_text, d->raw_fd, d->raw_len,
                           (unsigned long long)d->raw_len, (long long)d->ttl, d->mailbox_ids[0]);
    else
        affected = db_exec(db, insert_locked, "ssssssssbuiu", uuid, d->env, d->from, d->subject,
                           d->message_id, d->text, d->html, d->html_text,
                           (const void *)(d->raw ? d->raw : ""), d->raw_len,
                           (unsigned long long)d->raw_len, (long long)d->ttl, d->mailbox_ids[0]);
    /*
     * 0 rows: the mailbox went away since RCPT (STORE_NOTFOUND; tempfail, and the
     * retry meets 550). db_exec() runs the statement again after a deadlock (rolled
     * back: nothing kept) or a lost connection; had the first one committed before
     * that loss, the second meets its own uuid (the table's only unique key besides
     * id): the message is stored, once.
     */
    if (affected == 1 || affected == DB_EDUP)
        return 0;
    return affected == 0 ? STORE_NOTFOUND : DB_EFAIL;
}

int store_message_deliver(DB *db, const unsigned long long *mailbox_ids, size_t n,
                          const char *envelope_from, const MIME_MESSAGE *msg,
                          const char *raw, int raw_fd, size_t raw_len, long ttl)
{
    unsigned long long *ids = n ? malloc(n * sizeof(*ids)) : NULL;

    if (n > 0 && ids == NULL)
        return DB_EFAIL;
    if (n > 0)
        memcpy(ids, mailbox_ids, n * sizeof(*ids));
    int rc = store_message_deliver_catchall(db, ids, NULL, n, envelope_from, msg, raw, raw_fd,
                                            raw_len, ttl);
    free(ids);
    return rc;
}

int store_message_deliver_catchall(DB *db, unsigned long long *mailbox_ids,
                                   const char *const *create, size_t n,
                                   const char *envelope_from, const MIME_MESSAGE *msg,
                                   const char *raw, int raw_fd, size_t raw_len, long ttl)
{
    if (n == 0)
        return 0;
    if (msg == NULL || sodium_init() < 0)
        return DB_EFAIL;

    struct store_capture d = {
        .mailbox_ids = mailbox_ids, .create = create, .n = n, .msg = msg, .raw = raw,
        .raw_fd = raw_fd, .raw_len = raw_len, .ttl = ttl,
    };
    int rc = DB_EFAIL;

    if (store_capture_init(&d, envelope_from, msg) == 0) {
        if (n == 1 && msg->n_attachments == 0 && mailbox_ids[0] != 0)
            rc = store_message_deliver_one(db, &d) == 0 ? 0 : DB_EFAIL;
        else if ((d.work = malloc(n * sizeof(*d.work))) != NULL) {
            rc = db_txn(db, store_message_deliver_txn, &d);
            if (rc == 0)
                memcpy(mailbox_ids, d.work, n * sizeof(*mailbox_ids));
            free(d.work);
        }
    }
    store_capture_release(&d);
    return rc;
}

/* ---- many one-mailbox captures in one statement ------------------------------- */

STORE_CAPTURE *store_capture_prepare(unsigned long long mailbox_id, const char *envelope_from,
                                     const MIME_MESSAGE *msg, const char *raw, size_t raw_len,
                                     long ttl)
{
    STORE_CAPTURE *c;

    if (msg == NULL || msg->n_attachments != 0 || mailbox_id == 0 || sodium_init() < 0
        || (c = calloc(1, sizeof(*c))) == NULL)
        return NULL;
    c->one_id = mailbox_id;
    c->mailbox_ids = &c->one_id;
    c->n = 1;
    c->msg = msg;
    c->raw = raw;
    c->raw_fd = -1;
    c->raw_len = raw_len;
    c->ttl = ttl;
    if (store_capture_init(c, envelope_from, msg) != 0) {
        store_capture_free(c);
        return NULL;
    }
    return c;
}

void store_capture_free(STORE_CAPTURE *c)
{
    if (c != NULL) {
        store_capture_release(c);
        free(c);
    }
}

/* The columns of a row, as store_message_deliver_one() has them, and their letters. */
#define STORE_GROUP_COLUMNS \
    "INSERT INTO messages (mailbox_id, uuid, envelope_from, header_from, subject," \
    " message_id, body_text, body_html, html_text, raw, size, received_at, expires_at) VALUES "
#define STORE_GROUP_ROW \
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL ? SECOND)"
#define STORE_GROUP_LETTERS "ussssssssbui"
#define STORE_GROUP_PARAMS  (sizeof(STORE_GROUP_LETTERS) - 1)

/*
 * The INSERT of k rows and its format, for every k from 2 to STORE_GROUP_MAX: built once
 * and kept, since db(3) caches a prepared statement by the address of its text.
 */
static char *store_group_insert[STORE_GROUP_MAX + 1];
static char store_group_fmt[STORE_GROUP_MAX + 1][STORE_GROUP_PARAMS * STORE_GROUP_MAX + 1];
static pthread_once_t store_group_once = PTHREAD_ONCE_INIT;

static void store_group_build(void)
{
    for (size_t k = 2; k <= STORE_GROUP_MAX; k++) {
        size_t size = sizeof(STORE_GROUP_COLUMNS) + k * (sizeof(STORE_GROUP_ROW) + 2);
        char *sql = malloc(size);
        if (sql == NULL)
            log_fatal("out of memory");
        strcpy(sql, STORE_GROUP_COLUMNS);
        for (size_t i = 0; i < k; i++) {
            if (i > 0)
                strcat(sql, ", ");
            strcat(sql, STORE_GROUP_ROW);
            strcat(store_group_fmt[k], STORE_GROUP_LETTERS);
        }
        store_group_insert[k] = sql;
    }
}

struct store_group {
    STORE_CAPTURE *const *group;
    size_t n;
};

/*
 * Lock the group's mailboxes (in id order, as store_lock_mailboxes() does) before any
 * row, so that ids still follow the order of the commits within each mailbox; then one
 * INSERT of every row. STORE_NOTFOUND: a mailbox went away since RCPT.
 */
static int store_group_txn(DB *db, void *arg)
{
    const struct store_group *g = arg;
    unsigned long long ids[STORE_GROUP_MAX];
    size_t distinct = 0;

    for (size_t i = 0; i < g->n; i++) {
        size_t j = 0;
        while (j < distinct && ids[j] != g->group[i]->one_id)
            j++;
        if (j == distinct)
            ids[distinct++] = g->group[i]->one_id;
    }
    for (size_t j = distinct; j < STORE_GROUP_MAX; j++)
        ids[j] = ids[0];                /* the lock's eight places, the rest repeated */
    DB_RESULT *res;
    if (db_query(db, &res,
                 "SELECT id FROM mailboxes WHERE id IN (?, ?, ?, ?, ?, ?, ?, ?)"
                 " ORDER BY id FOR UPDATE", "uuuuuuuu",
                 ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ids[7]) != 0)
        return DB_EFAIL;
    size_t locked = db_rows(res);
    db_result_free(res);
    if (locked != distinct)
        return STORE_NOTFOUND;

    DB_VALUE values[STORE_GROUP_PARAMS * STORE_GROUP_MAX];
    memset(values, 0, sizeof(values));
    for (size_t i = 0; i < g->n; i++) {
        const STORE_CAPTURE *c = g->group[i];
        DB_VALUE *v = &values[i * STORE_GROUP_PARAMS];
        v[0].i = (long long)c->one_id;
        v[1].s = c->uuid;
        v[2].s = c->env;
        v[3].s = c->from;
        v[4].s = c->subject;
        v[5].s = c->message_id;
        v[6].s = c->text;
        v[7].s = c->html;
        v[8].s = c->html_text;
        v[9].b = c->raw ? c->raw : "";
        v[9].len = c->raw_len;
        v[10].i = (long long)c->raw_len;
        v[11].i = c->ttl;
    }
    long long affected = db_exec_values(db, store_group_insert[g->n], store_group_fmt[g->n],
                                        values);
    return affected == (long long)g->n ? 0 : DB_EFAIL;
}

void store_capture_group(DB *db, STORE_CAPTURE *const *group, size_t n, int *rcs)
{
    if (n > STORE_GROUP_MAX)
        log_panic("store_capture_group: %zu captures, at most %d", n, STORE_GROUP_MAX);
    for (size_t i = 0; i < n; i++)
        group[i]->why[0] = '\0';
    if (n > 1) {
        struct store_group g = { group, n };
        pthread_once(&store_group_once, store_group_build);
        if (db_txn(db, store_group_txn, &g) == 0) {
            for (size_t i = 0; i < n; i++)
                rcs[i] = 0;
            return;
        }
    }
    /*
     * One alone, or the group failed (a mailbox gone, a row the server refused, a lost
     * connection): each on its own, with the uuid it had, so that a group that did
     * commit before its connection was lost is found stored (DB_EDUP), not stored again.
     */
    for (size_t i = 0; i < n; i++) {
        int rc = store_message_deliver_one(db, group[i]);
        if (rc == STORE_NOTFOUND)
            snprintf(group[i]->why, sizeof(group[i]->why), "its mailbox is gone since RCPT");
        else if (rc != 0)
            snprintf(group[i]->why, sizeof(group[i]->why), "%s", db_error(db));
        rcs[i] = rc == 0 ? 0 : DB_EFAIL;
    }
}

const char *store_capture_why(const STORE_CAPTURE *c)
{
    return c->why;
}
