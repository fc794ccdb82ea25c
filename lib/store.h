#ifndef TEMPMAIL_STORE_H
#define TEMPMAIL_STORE_H

/*++
 * NAME
 *	store 3
 * SUMMARY
 *	every SQL statement of tempmail
 * SYNOPSIS
 *	#include "store.h"
 * DESCRIPTION
 *	The store is the one place that knows the schema (sql/schema.sql). Its
 *	functions take an open DB and plain C values, and fill caller-owned
 *	structs. Addresses and domain names are passed lowercase.
 *
 *	Files: store_account.c (accounts, API keys), store_session.c (web
 *	sessions, sign-up, key rotation), store_key.c (aurelion keys),
 *	store_rate.c (rate counters), store_domain.c (domains), store_mailbox.c
 *	(mailboxes and the reads of messages), store_message.c (capture by the
 *	milter), store_purge.c (expiry), store_lock.c (cluster-wide
 *	leases of background workers), store_webhook.c (webhooks and their
 *	deliveries), store_web.c and store_console.c (web pages and admin
 *	console), store_admin.c (schema upgrade), store_search.c (message
 *	search), store_ctl.c (the operator's command line).
 * DIAGNOSTICS
 *	Unless said otherwise, a function returns 0 on success, STORE_NOTFOUND
 *	when the thing asked for does not exist (or is not the caller's),
 *	DB_EDUP when a unique name is taken, and DB_EFAIL when the database
 *	failed (logged by the caller with db_error()).
 *--*/

#include "db.h"
#include "mime.h"

#define STORE_NOTFOUND      (-3)
#define STORE_NOFUNDS       (-4)
#define STORE_AMBIGUOUS     (-5)    /* a partial name fits more than one thing */

/* ---- accounts and API keys (store_account.c) -------------------------- */

/* Who is calling: the account behind an API key. */
typedef struct store_principal {
    unsigned long long account_id;
    unsigned long long key_id;
    char tier[8];               /* "free" or "pro" */
    int is_admin;
    char balance[32];           /* DECIMAL as text */
    long requests_this_hour;    /* set by api_authenticate() */
} STORE_PRINCIPAL;

/* Look up an unrevoked key of an enabled account by the hex SHA-256 of the key. */
extern int store_key_authenticate(DB *db, const char *key_hash, STORE_PRINCIPAL *who);

/* Create an account; email and password_hash may be NULL (key-only account). */
extern int store_account_create(DB *db, const char *email, const char *password_hash,
                                const char *balance, int is_admin,
                                unsigned long long *account_id);
extern int store_account_find_by_email(DB *db, const char *email,
                                       unsigned long long *account_id);

/* Operator changes by e-mail; STORE_NOTFOUND when no such account. */
extern int store_account_set_tier(DB *db, const char *email, const char *tier);
/* Add amount (decimal text, may be negative) to the balance; *balance gets the new one. */
extern int store_account_topup(DB *db, const char *email, const char *amount, char *balance,
                               size_t len);

/* Add a key (already hashed) to an account. */
extern int store_key_create(DB *db, unsigned long long account_id, const char *key_hash,
                            const char *key_prefix, const char *name,
                            unsigned long long *key_id);

/* ---- web sessions, log-in, profile (store_session.c) ------------------ */

/* An account and its first key, in one transaction. DB_EDUP: the e-mail is taken. */
extern int store_account_register(DB *db, const char *email, const char *password_hash,
                                  const char *balance, int is_admin, const char *key_hash,
                                  const char *key_prefix, unsigned long long *account_id);
/* The password hash ("" when none) and state of the account with that e-mail. */
extern int store_account_credentials(DB *db, const char *email, unsigned long long *account_id,
                                     char *password_hash, size_t hash_len, int *disabled);
extern int store_session_create(DB *db, unsigned long long account_id, const char *token_hash,
                                const char *csrf_token, long ttl);
/* The account of a live session of an enabled account, and the session's CSRF token. */
extern int store_session_authenticate(DB *db, const char *token_hash, STORE_PRINCIPAL *who,
                                      char *csrf_token, size_t csrf_len);
extern int store_session_delete(DB *db, const char *token_hash);

typedef struct store_profile {
    unsigned long long account_id;
    char email[255];
    char tier[8];
    char balance[32];
    int is_admin;
    char created_at[32];
    char key_prefix[17];            /* of the newest live key; "" when none */
} STORE_PROFILE;

extern int store_account_profile(DB *db, unsigned long long account_id, STORE_PROFILE *profile);
/* Revoke every live key of the account and add the new one, in one transaction. */
extern int store_key_rotate(DB *db, unsigned long long account_id, const char *key_hash,
                            const char *key_prefix);

/* ---- rate counters (store_rate.c) -------------------------------------- */

/*
 * A subject's window is its own: it begins at its first hit after the last one
 * ended (now, SQL text in UTC) and lasts window seconds. Count n hits at now;
 * *hits is the count after them and *age how many seconds ago the window began.
 */
extern int store_rate_hit(DB *db, const char *subject, const char *now, long window, long long n,
                          long long *hits, long *age);
/* The same without counting: 0 hits and age 0 when no window is open at now. */
extern int store_rate_peek(DB *db, const char *subject, const char *now, long window,
                           long long *hits, long *age);
/* Forget up to a batch of windows that ended: begun window seconds ago or more. */
extern int store_rate_forget_ended(DB *db, long window, long long *deleted);
/* Forget every window of one subject ("ip:register:192.0.2.1"): the operator's unblock. */
extern int store_rate_clear(DB *db, const char *subject, long long *deleted);

/* ---- domains (store_domain.c) ------------------------------------------ */

typedef struct store_domain {
    unsigned long long id;
    unsigned long long owner_id;    /* 0: a system domain */
    char name[254];
    char status[16];                /* pending, active, disabled */
    char token[65];                 /* the TXT value that proves control; "" for system domains */
    char verified_at[32];           /* SQL text, UTC; "" until verified */
    char created_at[32];            /* SQL text, UTC */
    int catch_all;                  /* 1: mail to any local part makes its mailbox */
} STORE_DOMAIN;

extern int store_domain_find(DB *db, const char *name, STORE_DOMAIN *domain);
/* Add or re-activate a system domain (owner none, status active). */
extern int store_domain_add_system(DB *db, const char *name, unsigned long long *domain_id);
/*
 * Add a customer's domain, pending, with a fresh random token. Another account's pending
 * claim on the name older than claim_hours is dropped first (nobody squats a name they
 * cannot verify). DB_EDUP: the name is taken (active, a system domain, or a newer claim).
 */
extern int store_domain_create(DB *db, unsigned long long owner_id, const char *name,
                               long claim_hours, STORE_DOMAIN *made);
/* An account's domains, newest first; free *domains with free(). */
extern int store_domain_list(DB *db, unsigned long long owner_id, STORE_DOMAIN **domains,
                             size_t *count);
/* The domain with id if owner_id owns it (STORE_NOTFOUND otherwise). */
extern int store_domain_find_owned(DB *db, unsigned long long id, unsigned long long owner_id,
                                   STORE_DOMAIN *domain);
/* Make an owned pending domain active, verified now; *domain gets its new state. */
extern int store_domain_mark_verified(DB *db, unsigned long long id, unsigned long long owner_id,
                                      STORE_DOMAIN *domain);
/*
 * Turn catch-all on or off for a domain owner_id owns; on only takes on an active domain
 * (the caller checks the status in *domain, the state after the change).
 */
extern int store_domain_set_catch_all(DB *db, unsigned long long id, unsigned long long owner_id,
                                      int on, STORE_DOMAIN *domain);

/* ---- mailboxes (store_mailbox.c) ---------------------------------------- */

typedef struct store_mailbox {
    unsigned long long id;
    unsigned long long account_id;
    unsigned long long api_key_id;  /* 0: unknown */
    unsigned long long domain_id;
    char address[321];
    char created_at[32];            /* SQL text, UTC */
} STORE_MAILBOX;

/*
 * Create a mailbox and debit price from the account, in one transaction.
 * STORE_NOFUNDS: the balance is below price, nothing was made. DB_EDUP: the
 * address is taken. On success *new_balance holds the balance after the debit.
 * Concurrent calls of one process for one account share a transaction (batch(3)),
 * each with its own outcome; store_mailbox_create_runs() tells how many
 * transactions this process ran (for tests).
 */
extern int store_mailbox_create(DB *db, const STORE_PRINCIPAL *who,
                                const STORE_DOMAIN *domain, const char *address,
                                const char *price, STORE_MAILBOX *made,
                                char *new_balance, size_t balance_len);
extern long long store_mailbox_create_runs(void);

/* The mailbox at address if it belongs to account_id (STORE_NOTFOUND otherwise). */
extern int store_mailbox_find_owned(DB *db, const char *address,
                                    unsigned long long account_id, STORE_MAILBOX *box);

/* One page of an account's mailboxes, newest first; *total counts them all. */
extern int store_mailbox_list(DB *db, unsigned long long account_id, long page, long per_page,
                              STORE_MAILBOX **boxes, size_t *count, long long *total);

/* A message as the API reads it. Strings are owned by the array; free with store_messages_free. */
typedef struct store_message {
    unsigned long long id;
    char uuid[37];
    char *recipient;
    char *envelope_from;
    char *header_from;
    char *subject;
    char *message_id;
    char *body_text;
    char *body_html;
    char received_at[32];           /* SQL text, UTC, milliseconds */
} STORE_MESSAGE;

/*
 * The account's live mailbox at address (its id in *mailbox_id) and its live messages, newest
 * first, as store_messages_of_mailbox() lists them; STORE_NOTFOUND: no such mailbox.
 */
extern int store_mailbox_messages(DB *db, const char *address, unsigned long long account_id,
                                  const char *since, unsigned long long *mailbox_id,
                                  STORE_MESSAGE **messages, size_t *count);
/*
 * store_mailbox_messages() with the messages' ids and uuids only (*keys, newest first, free()
 * it): what a read costs when the route has the messages rendered already (rendercache.h).
 */
typedef struct store_message_key {
    unsigned long long id;
    char uuid[37];
} STORE_MESSAGE_KEY;
extern int store_mailbox_message_keys(DB *db, const char *address, unsigned long long account_id,
                                      const char *since, unsigned long long *mailbox_id,
                                      STORE_MESSAGE_KEY **keys, size_t *count);
/*
 * Callers of one process reading the same inbox (account, address, since) at once share
 * a listing (batch(3)) that begins after each of them came; store_mailbox_listings()
 * counts the listings (for tests).
 */
extern long long store_mailbox_listings(void);
/* Live messages of one mailbox with ids from lo to hi (both in), in any order. */
extern int store_messages_between(DB *db, unsigned long long mailbox_id, unsigned long long lo,
                                  unsigned long long hi, STORE_MESSAGE **messages, size_t *count);
/* Live messages of one mailbox, newest first; since (SQL text, or NULL): only newer. */
extern int store_messages_of_mailbox(DB *db, unsigned long long mailbox_id, const char *since,
                                     STORE_MESSAGE **messages, size_t *count);
/*
 * Up to limit live messages of one mailbox with an id above after_id, oldest (lowest id)
 * first: the inbox event stream's read (evstream.h). Ids of one mailbox grow in the order
 * their deliveries commit (store_message_deliver locks the mailbox rows first).
 */
extern int store_messages_after(DB *db, unsigned long long mailbox_id, unsigned long long after_id,
                                long limit, STORE_MESSAGE **messages, size_t *count);
/* The highest message id a mailbox ever got that is still stored; 0 when none. */
extern int store_messages_last_id(DB *db, unsigned long long mailbox_id, unsigned long long *id);
extern void store_messages_free(STORE_MESSAGE *messages, size_t count);
/*
 * One page of the account's live messages matching query (words of sender, subject or body;
 * all must match), newest first; address (or NULL): only that mailbox's. STORE_NOTFOUND: the
 * query has no word of three letters or digits (store_search.c).
 */
extern int store_messages_search(DB *db, unsigned long long account_id, const char *address,
                                 const char *query, long page, long per_page,
                                 STORE_MESSAGE **messages, size_t *count);

/* ---- capture by the milter (store_message.c) --------------------------- */

enum store_rcpt {
    STORE_RCPT_OTHER = 0,       /* not a managed domain: leave the recipient alone */
    STORE_RCPT_CAPTURE = 1,     /* a live mailbox: *mailbox_id is set */
    STORE_RCPT_UNKNOWN = 2,     /* a managed domain without such a live mailbox: 550 */
    STORE_RCPT_CATCHALL = 3,    /* no such mailbox, but a catch-all domain: made on delivery */
    STORE_RCPT_FULL = 4,        /* the same, but the domain holds catch_all_max live addresses */
};

/*
 * Classify a recipient address (lowercase, no angle brackets): an enum store_rcpt or
 * DB_EFAIL. catch_all_max: the most live addresses a catch-all domain may hold before
 * mail for a new local part is refused (STORE_RCPT_FULL).
 */
extern int store_rcpt_check(DB *db, const char *address, long catch_all_max,
                            unsigned long long *mailbox_id);

/*
 * Store one message for each of n mailboxes, with its attachments, in one
 * transaction: all are stored or none. ttl is the message lifetime in seconds.
 * The raw source is raw_len bytes at raw, or in the file raw_fd (not -1) from
 * offset 0, streamed to the server.
 */
extern int store_message_deliver(DB *db, const unsigned long long *mailbox_ids, size_t n,
                                 const char *envelope_from, const MIME_MESSAGE *msg,
                                 const char *raw, int raw_fd, size_t raw_len, long ttl);
/*
 * The same, where some recipients were STORE_RCPT_CATCHALL: for each i with mailbox_ids[i]
 * 0, the mailbox at create[i] (the address as checked) is made first, in the same
 * transaction, owned by the domain's owner, free of charge (mail, not the owner, asks for
 * it), or found when a delivery at the same moment made it; its id is written into
 * mailbox_ids[i]. A mailbox listed twice gets the message once. STORE_NOTFOUND: the domain
 * stopped being catch-all since RCPT (nothing stored).
 */
extern int store_message_deliver_catchall(DB *db, unsigned long long *mailbox_ids,
                                          const char *const *create, size_t n,
                                          const char *envelope_from, const MIME_MESSAGE *msg,
                                          const char *raw, int raw_fd, size_t raw_len, long ttl);

/*
 * Many messages of the common kind (one known mailbox, no attachment, the raw source in
 * memory) stored with one statement: prepare each (NULL: out of memory, or not of that
 * kind), then store_capture_group() up to STORE_GROUP_MAX of them; rcs[i] is 0 when
 * group[i] was stored, DB_EFAIL otherwise. msg and raw must outlive the capture.
 */
#define STORE_GROUP_MAX 8
typedef struct store_capture STORE_CAPTURE;
extern STORE_CAPTURE *store_capture_prepare(unsigned long long mailbox_id,
                                            const char *envelope_from, const MIME_MESSAGE *msg,
                                            const char *raw, size_t raw_len, long ttl);
extern void store_capture_group(DB *db, STORE_CAPTURE *const *group, size_t n, int *rcs);
/* Why the last store_capture_group() did not store c: "" when it did. */
extern const char *store_capture_why(const STORE_CAPTURE *c);
extern void store_capture_free(STORE_CAPTURE *c);

/* ---- API keys for the aurelion dialect (store_key.c) ------------------- */

/* A key as the admin listing shows it: never the key itself, only its prefix. */
typedef struct store_key {
    unsigned long long id;
    unsigned long long account_id;
    char key_prefix[17];            /* "al_a805" */
    char name[401];                 /* up to 100 characters of UTF-8 */
    char created_at[32];            /* SQL text, UTC, milliseconds */
    char last_used_at[32];          /* likewise; "" when never used */
} STORE_KEY;

/*
 * A key-only account (no e-mail, no password) starting with balance, and its
 * key (already hashed), in one transaction; *made describes the new key.
 */
extern int store_key_account_create(DB *db, const char *balance, const char *key_hash,
                                    const char *key_prefix, const char *name, STORE_KEY *made);
/* Every unrevoked key, oldest first; free *keys with free(). */
extern int store_key_list(DB *db, STORE_KEY **keys, size_t *count);
/* Revoke the live key with that hash: STORE_NOTFOUND when there is none. */
extern int store_key_revoke(DB *db, const char *key_hash);
/* Revoke the one live key listed as key_prefix: STORE_AMBIGUOUS when several are, none revoked. */
extern int store_key_revoke_listed(DB *db, const char *key_prefix);

/* ---- web pages: raw source, attachments, deletions (store_web.c) -------- */

/* An attachment as listed; index counts from 0 in the order the milter stored them. */
typedef struct store_attachment {
    long index;
    char filename[1021];            /* VARCHAR(255) of utf8mb4 */
    char content_type[1021];
    size_t size;
} STORE_ATTACHMENT;

typedef struct store_domain_name {
    char name[254];
    int is_system;                  /* 1: the operator's; 0: the caller's own, verified */
} STORE_DOMAIN_NAME;

/* The raw source of a live message of the account; free *raw with free(). */
extern int store_message_raw(DB *db, unsigned long long message_id, unsigned long long account_id,
                             char **raw, size_t *len);
/* The attachments of a live message of the account (none: 0 and *count 0); free *list. */
extern int store_attachment_list(DB *db, unsigned long long message_id,
                                 unsigned long long account_id, STORE_ATTACHMENT **list,
                                 size_t *count);
/* Attachment number index of such a message and its bytes; free *content with free(). */
extern int store_attachment_get(DB *db, unsigned long long message_id,
                                unsigned long long account_id, long index,
                                STORE_ATTACHMENT *att, char **content, size_t *len);
extern int store_message_delete(DB *db, unsigned long long message_id,
                                unsigned long long account_id);
/* The id of a live message of the account by its uuid (the aurelion "id"). */
extern int store_message_find_by_uuid(DB *db, const char *uuid, unsigned long long account_id,
                                      unsigned long long *message_id);
/* A mailbox of the account, with its messages. */
extern int store_mailbox_delete(DB *db, unsigned long long mailbox_id,
                                unsigned long long account_id);
/* Active domains the account may generate on: system ones first; free *names. */
extern int store_domain_available(DB *db, unsigned long long account_id,
                                  STORE_DOMAIN_NAME **names, size_t *count);

/* ---- the operator's console (store_console.c) --------------------------- */

typedef struct store_user {
    unsigned long long id;
    char email[255];                /* "" for a key-only account */
    char tier[8];
    char balance[32];
    int is_admin;
    int disabled;
    char created_at[32];
    long long mailboxes;
    long long messages;             /* live ones */
    char key_prefix[17];            /* newest live key; "" when none */
} STORE_USER;

typedef struct store_system_domain {
    unsigned long long id;
    char name[254];
    char status[16];
    char created_at[32];
    long long mailboxes;
} STORE_SYSTEM_DOMAIN;

typedef struct store_stats {
    long long accounts, accounts_disabled, mailboxes, messages, messages_last_hour,
              messages_last_day, attachments, stored_bytes, system_domains, custom_domains,
              live_keys;
} STORE_STATS;

/* One page of accounts, newest first; search ("" or NULL: all) is a substring of the e-mail. */
extern int store_user_list(DB *db, const char *search, long page, long per_page,
                           STORE_USER **users, size_t *count, long long *total);
extern int store_user_set_tier(DB *db, unsigned long long id, const char *tier);
/* Disabling also ends the account's web sessions. */
extern int store_user_set_disabled(DB *db, unsigned long long id, int disabled);
/* Add amount (decimal text) to the balance; *balance gets the new one. */
extern int store_user_topup(DB *db, unsigned long long id, const char *amount, char *balance,
                            size_t len);
extern int store_domain_list_system(DB *db, STORE_SYSTEM_DOMAIN **domains, size_t *count);
/* Set a system domain "active" or "disabled"; STORE_NOTFOUND for any other id. */
extern int store_domain_set_system_status(DB *db, unsigned long long id, const char *status);
extern int store_stats(DB *db, STORE_STATS *stats);
/*
 * Call fn(address, owner, arg) for each mailbox whose local part (before any '+')
 * matches the regular expression local_regex (MariaDB's, anchored by the caller),
 * oldest first; owner is the account's e-mail, or "" for a key-only account.
 */
extern int store_mailbox_each_local(DB *db, const char *local_regex,
                                    void (*fn)(const char *address, const char *owner, void *arg),
                                    void *arg);

/* ---- expiry (store_purge.c) --------------------------------------------- */

/* Delete up to 1000 expired messages: 1 when more may be left, 0 when done, or DB_EFAIL. */
extern int store_purge_batch(DB *db, long *deleted);
/* Between two purge batches: the last one took batch_ms; 0 goes on, else stop. */
typedef int (*STORE_PURGE_BETWEEN)(long batch_ms, void *context);
/*
 * Delete every message past its expiry, 1000 a statement, under the cluster-wide lease
 * "purge" for holder (renewed between batches), calling between (if not NULL) after
 * each whole batch: 1 purged (all, or until between said stop), 0 another holder is
 * purging (nothing done), or DB_EFAIL; *deleted counts the rows deleted either way.
 */
extern int store_purge_leased(DB *db, const char *holder, STORE_PURGE_BETWEEN between,
                              void *context, long *deleted);

/* ---- cluster-wide leases (store_lock.c) ---------------------------------- */

/*
 * Take or renew the lock name for holder for lease_seconds: 1 when holder has
 * it, 0 when another holder's lease runs, or DB_EFAIL. A row of the locks
 * table, so it holds across every node of a cluster (GET_LOCK does not).
 */
extern int store_lock_acquire(DB *db, const char *name, const char *holder, long lease_seconds);
/* Free it now, if holder still has it: 0, or DB_EFAIL. */
extern int store_lock_release(DB *db, const char *name, const char *holder);
/* A holder name for this process: "host:pid:worker". */
extern void store_lock_holder(char *buf, size_t len, const char *worker);

/* ---- webhooks (store_webhook.c) ------------------------------------------ */

/* A webhook as its account sees it: never its secret, which is shown once. */
typedef struct store_webhook {
    unsigned long long id;
    char scope[8];                  /* "address" or "domain" */
    char target[321];               /* the address, or the domain name */
    char url[2049];
    int active;
    char created_at[32];            /* SQL text, UTC */
} STORE_WEBHOOK;

/* A row of a webhook's delivery log. */
typedef struct store_delivery {
    unsigned long long id;
    unsigned long long message_id;
    char message_uuid[37];
    char address[321];
    char state[12];                 /* pending, delivered, failed */
    long attempts;
    int last_status;                /* HTTP status of the last attempt; 0: none came */
    char last_error[1021];          /* "" when none */
    char created_at[32];            /* SQL text, UTC; "" for a NULL */
    char last_attempt_at[32];
    char next_attempt_at[32];
    char finished_at[32];
} STORE_DELIVERY;

/*
 * Add a webhook for one mailbox (mailbox_id, domain_id 0) or for the account's
 * mailboxes on one domain (domain_id, mailbox_id 0); *made describes it.
 */
extern int store_webhook_create(DB *db, unsigned long long account_id,
                                unsigned long long mailbox_id, unsigned long long domain_id,
                                const char *url, const char *secret, STORE_WEBHOOK *made);
extern int store_webhook_count(DB *db, unsigned long long account_id, long long *count);
/* The account's webhooks, newest first; free *hooks with free(). */
extern int store_webhook_list(DB *db, unsigned long long account_id, STORE_WEBHOOK **hooks,
                              size_t *count);
extern int store_webhook_find_owned(DB *db, unsigned long long id, unsigned long long account_id,
                                    STORE_WEBHOOK *hook);
/*
 * Pause (active 0) or resume (1) a webhook of the account; *hook describes it after.
 * While paused its deliveries are queued but not sent (store_delivery_expire_paused()).
 */
extern int store_webhook_set_active(DB *db, unsigned long long id, unsigned long long account_id,
                                    int active, STORE_WEBHOOK *hook);
/* Delete a webhook of the account, with its delivery log. */
extern int store_webhook_delete(DB *db, unsigned long long id, unsigned long long account_id);
/* One page of the log of a webhook of the account, newest first; free *rows with free(). */
extern int store_delivery_list(DB *db, unsigned long long webhook_id,
                               unsigned long long account_id, long page, long per_page,
                               STORE_DELIVERY **rows, size_t *count, long long *total);

/* ---- the webhook worker's queue (store_webhook.c) ------------------------ */

/* A delivery whose attempt is due. Strings are owned; free with store_due_free(). */
typedef struct store_due {
    unsigned long long id;
    unsigned long long webhook_id;
    long attempts;                  /* made so far */
    char *url;
    char *secret;
    char *payload;
    size_t payload_len;
} STORE_DUE;

/* The worker's cursor (every message id up to it was looked at), and moving it. */
extern int store_webhook_cursor(DB *db, unsigned long long *cursor);
extern int store_webhook_cursor_set(DB *db, unsigned long long cursor);
/* The highest message id there is (0: none). */
extern int store_message_max_id(DB *db, unsigned long long *id);
/*
 * Up to limit new (webhook, message) pairs: messages with an id above after,
 * received since their webhook was made, for an active webhook of their
 * mailbox or of the account's mailboxes on their domain, not yet queued for
 * it; oldest first. (*webhook_ids)[i] goes with (*messages)[i]; free them with
 * store_messages_free() and free(). Returns 1 when the pairs were cut at limit (more
 * may follow; a message deleted during the call leaves fewer than limit in *count),
 * 0 when every pair is there, or a negative DB code.
 */
extern int store_webhook_arrivals(DB *db, unsigned long long after, long limit,
                                  STORE_MESSAGE **messages, unsigned long long **webhook_ids,
                                  size_t *count);
/* Queue one delivery, due now; one already queued for the pair is left as it is. */
extern int store_delivery_enqueue(DB *db, unsigned long long webhook_id, const STORE_MESSAGE *m,
                                  const char *payload, size_t len);
/*
 * Up to limit pending deliveries of active webhooks whose attempt is due,
 * earliest first; each is leased (next attempt lease seconds on) so that a
 * worker that dies mid-attempt has it tried again later.
 */
extern int store_delivery_claim(DB *db, long limit, long lease, STORE_DUE **due, size_t *count);
extern void store_due_free(STORE_DUE *due, size_t count);
/* Free the strings of one (the secret wiped first) and zero it. */
extern void store_due_clear(STORE_DUE *due);
/* An attempt answered 2xx: delivered. */
extern int store_delivery_delivered(DB *db, unsigned long long id, int status);
/*
 * An attempt failed (status 0: no HTTP answer): pending again in delay seconds,
 * but never later than retry_for seconds after the delivery was queued; failed
 * once that time has come.
 */
extern int store_delivery_retry(DB *db, unsigned long long id, int status, const char *error,
                                long delay, long retry_for);
/* Milliseconds until the earliest due attempt (0 when one is due), -1 when none is pending. */
extern int store_delivery_next_due(DB *db, long long *ms);
/* Forget deliveries finished more than keep seconds ago; *deleted counts them. */
extern int store_delivery_prune(DB *db, long keep, long *deleted);
/*
 * Fail the deliveries of paused webhooks queued more than retry_for seconds ago (a webhook
 * paused for good must not hold its queue for ever); *failed counts them.
 */
extern int store_delivery_expire_paused(DB *db, long retry_for, long *failed);

/* ---- schema (store_admin.c) --------------------------------------------- */

/* The recorded schema version, 0 when the schema was never loaded. */
extern int store_schema_version(DB *db, long *version);
extern int store_schema_record(DB *db, long version);
/* 1 when that version is recorded as applied, 0 when not, or DB_EFAIL. */
extern int store_schema_has(DB *db, long version);

/* ---- the operator's command line (store_ctl.c) ------------------------- */

/* A server lock around `db upgrade`: 0, STORE_NOTFOUND after timeout seconds, or DB_EFAIL. */
extern int store_upgrade_lock(DB *db, long timeout);
extern void store_upgrade_unlock(DB *db);

#endif
