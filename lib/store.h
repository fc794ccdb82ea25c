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
 *	Files: store_account.c (accounts, API keys), store_domain.c (domains),
 *	store_mailbox.c (mailboxes and the reads of messages), store_message.c
 *	(capture of messages by the milter), store_admin.c (schema upgrade).
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

/* ---- accounts and API keys (store_account.c) -------------------------- */

/* Who is calling: the account behind an API key. */
typedef struct store_principal {
    unsigned long long account_id;
    unsigned long long key_id;
    char tier[8];               /* "free" or "pro" */
    int is_admin;
    char balance[32];           /* DECIMAL as text */
} STORE_PRINCIPAL;

/* Look up an unrevoked key of an enabled account by the hex SHA-256 of the key. */
extern int store_key_authenticate(DB *db, const char *key_hash, STORE_PRINCIPAL *who);

/* Create an account; email and password_hash may be NULL (key-only account). */
extern int store_account_create(DB *db, const char *email, const char *password_hash,
                                const char *balance, int is_admin,
                                unsigned long long *account_id);
extern int store_account_find_by_email(DB *db, const char *email,
                                       unsigned long long *account_id);

/* Add a key (already hashed) to an account. */
extern int store_key_create(DB *db, unsigned long long account_id, const char *key_hash,
                            const char *key_prefix, const char *name,
                            unsigned long long *key_id);

/* ---- domains (store_domain.c) ------------------------------------------ */

typedef struct store_domain {
    unsigned long long id;
    unsigned long long owner_id;    /* 0: a system domain */
    char name[254];
    char status[16];                /* pending, active, disabled */
} STORE_DOMAIN;

extern int store_domain_find(DB *db, const char *name, STORE_DOMAIN *domain);
/* Add or re-activate a system domain (owner none, status active). */
extern int store_domain_add_system(DB *db, const char *name, unsigned long long *domain_id);

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
 */
extern int store_mailbox_create(DB *db, const STORE_PRINCIPAL *who,
                                const STORE_DOMAIN *domain, const char *address,
                                const char *price, STORE_MAILBOX *made,
                                char *new_balance, size_t balance_len);

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

/* Live messages of one mailbox, newest first; since (SQL text, or NULL): only newer. */
extern int store_messages_of_mailbox(DB *db, unsigned long long mailbox_id, const char *since,
                                     STORE_MESSAGE **messages, size_t *count);
extern void store_messages_free(STORE_MESSAGE *messages, size_t count);

/* ---- capture by the milter (store_message.c) --------------------------- */

enum store_rcpt {
    STORE_RCPT_OTHER = 0,       /* not a managed domain: leave the recipient alone */
    STORE_RCPT_CAPTURE = 1,     /* a live mailbox: *mailbox_id is set */
    STORE_RCPT_UNKNOWN = 2,     /* a managed domain without such a live mailbox: 550 */
};

/* Classify a recipient address (lowercase, no angle brackets): an enum store_rcpt or DB_EFAIL. */
extern int store_rcpt_check(DB *db, const char *address, unsigned long long *mailbox_id);

/*
 * Store one message for each of n mailboxes, with its attachments, in one
 * transaction: all are stored or none. ttl is the message lifetime in seconds.
 */
extern int store_message_deliver(DB *db, const unsigned long long *mailbox_ids, size_t n,
                                 const char *envelope_from, const MIME_MESSAGE *msg,
                                 const char *raw, size_t raw_len, long ttl);

/* ---- schema (store_admin.c) --------------------------------------------- */

/* The recorded schema version, 0 when the schema was never loaded. */
extern int store_schema_version(DB *db, long *version);
extern int store_schema_record(DB *db, long version);

#endif
