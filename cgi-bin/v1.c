/*++
 * NAME
 *	v1.fcgi 8
 * SUMMARY
 *	aurelion API: inboxes, their messages, free keys, admin of keys
 * SYNOPSIS
 *	POST   /api/v1/inboxes
 *	GET    /api/v1/inboxes/{email}/messages[?since=ISO8601][&wait=SECONDS]
 *	GET    /api/v1/messages?recipient=EMAIL[&since=ISO8601][&wait=SECONDS]
 *	GET    /api/v1/inboxes/{email}/events[?after=ID]	(text/event-stream)
 *	DELETE /api/v1/inboxes/{email}		(the inbox and its mail)
 *	POST   /api/v1/keys				(no key needed)
 *	POST   /api/v1/admin/keys		{"name": "..."} (optional)
 *	GET    /api/v1/admin/keys
 *	DELETE /api/v1/admin/keys		{"key": "al_..."}
 * DESCRIPTION
 *	The routes of the aurelion document, served as written there, over the
 *	same accounts, keys, mailboxes and messages as the leveragers routes: a
 *	key of either dialect works here, and the reverse.
 *
 *	POST /api/v1/inboxes makes an adjective.noun1234 address on the default
 *	domain (201), debiting address_price like the leveragers generate.
 *	The two message routes list the live messages of an inbox of the
 *	caller's account, newest first; since (ISO 8601) keeps the newer ones.
 *	wait (1 to 60 seconds) holds an empty answer until a message arrives
 *	or the time is up (inbox.h). Each message also carries "links" and
 *	"codes", found in its bodies (inbox.h).
 *	events streams the inbox as Server-Sent Events (evstream.h): data is
 *	the message as listed here; the event id is the internal message
 *	number (the "id" field is the uuid), which Last-Event-ID resumes from.
 *	An inbox of another account, or of nobody, is 404 alike. DELETE of an
 *	inbox removes it with its messages; mail to it is refused from then on.
 *	(A message's raw source, attachments and deletion by its "id" are
 *	/api/v1/messages/{id}/..., served by messages.fcgi.)
 *
 *	POST /api/v1/keys is the document's "Get a free API key": a key with an
 *	account of its own (balance signup_balance), at most one per client
 *	address per hour (429 with Retry-After past it). The key is shown in
 *	this answer only.
 *
 *	The admin routes want the master key in X-API-Key (401 when there is no
 *	key, 403 when it is another key). An admin key gets an account of its
 *	own too. The listing shows the keys that still work, truncated to
 *	"al_a805..."; DELETE revokes the key given in full (404 when no live
 *	key matches), and it fails from the next request on.
 * SECURITY
 *	Keys are shown once, at creation; the database and the logs never see
 *	one, only its SHA-256 and its 7-character display prefix.
 * CONFIGURATION PARAMETERS
 *	default_domain, address_price, signup_balance, master_key_hash
 *	(tempmail.conf).
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "api.h"
#include "auth.h"
#include "config.h"
#include "evstream.h"
#include "inbox.h"
#include "log.h"
#include "rendercache.h"
#include "reply.h"
#include "store.h"

#define V1_INBOX_TRIES      10      /* 16 million words addresses: ten collisions means trouble */
#define V1_FREE_KEYS_PER_IP 1       /* per hour: "Rate-limited to one key per IP per hour" */
#define V1_KEY_NAME_CHARS   100     /* api_keys.name */

static void v1_inbox_create(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_DOMAIN domain;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    int rc = store_domain_find(db, cfg.default_domain, &domain);
    if (rc == STORE_NOTFOUND || (rc == 0 && strcmp(domain.status, "active") != 0)) {
        log_warn("default_domain %s is not an active domain", cfg.default_domain);
        reply_error(req, 503, "Service temporarily unavailable");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "find domain");
        return;
    }

    STORE_MAILBOX made;
    char address[ADDRESS_MAX + 1], balance[32];
    for (int attempt = 0; attempt < V1_INBOX_TRIES; attempt++) {
        char local[65];
        do
            address_words_local(local, sizeof(local));
        while (address_reserved_local(local, cfg.reserved_local_parts));
        snprintf(address, sizeof(address), "%s@%s", local, domain.name);
        rc = store_mailbox_create(db, &who, &domain, address, cfg.address_price, &made,
                                  balance, sizeof(balance));
        if (rc != DB_EDUP)
            break;
    }
    switch (rc) {
    case 0:
        break;
    case STORE_NOFUNDS:
        reply_error(req, 402, "Insufficient balance");
        return;
    case DB_EDUP:
        log_warn("%d address collisions in a row on %s", V1_INBOX_TRIES, domain.name);
        reply_error(req, 503, "Service temporarily unavailable");
        return;
    default:
        api_db_failed(req, db, "create mailbox");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "address", json_object_new_string(made.address));
    reply_json(req, 201, out);
}

static json_object *v1_message_json(const STORE_MESSAGE *m)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "id", json_object_new_string(m->uuid));
    /* Message-ID is optional in mail; the uuid keeps message_id a unique non-empty string. */
    json_object_object_add(e, "message_id", json_object_new_string(*m->message_id ? m->message_id : m->uuid));
    json_object_object_add(e, "recipient", json_object_new_string(m->recipient));
    char addr[ADDRESS_MAX + 1], name[256];   /* the document's "sender@example.com": bare */
    json_object_object_add(e, "sender",
                           json_object_new_string(inbox_sender(m, addr, sizeof(addr), name, sizeof(name))));
    json_object_object_add(e, "subject", json_object_new_string(m->subject));
    json_object_object_add(e, "body_text", json_object_new_string(m->body_text));
    json_object_object_add(e, "body_html", json_object_new_string(m->body_html));
    json_object_object_add(e, "created_at", reply_time(m->received_at, 1));
    inbox_add_extracted(e, m);
    return e;
}

/* The shared tail of both message routes: the caller's inbox at address, read. */
static void v1_messages_reply(HTTP_REQUEST *req, DB *db, const STORE_PRINCIPAL *who,
                              const char *address_arg, const char *since, long wait)
{
    char address[ADDRESS_MAX + 1];

    snprintf(address, sizeof(address), "%s", address_arg);
    address_lowercase(address);
    int rc = inbox_reply(req, db, address, who->account_id, since, wait, "messages",
                         RENDERCACHE_AURELION, v1_message_json);
    if (rc == STORE_NOTFOUND)
        reply_error(req, 404, "Inbox not found");
    else if (rc != 0)
        api_db_failed(req, db, "read inbox");
}

static void v1_inbox_messages(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    char since[32];
    long wait;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if (inbox_query_since(req, since, sizeof(since)) != 0 || inbox_query_wait(req, &wait) != 0)
        return;
    v1_messages_reply(req, db, &who, req->params[0], since, wait);
}

static void v1_inbox_events(HTTP_REQUEST *req)
{
    evstream_route(req, "Inbox not found", v1_message_json);
}

static void v1_inbox_delete(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_MAILBOX box;
    char address[ADDRESS_MAX + 1];

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    snprintf(address, sizeof(address), "%s", req->params[0]);
    address_lowercase(address);
    int rc = store_mailbox_find_owned(db, address, who.account_id, &box);
    if (rc == 0)
        rc = store_mailbox_delete(db, box.id, who.account_id);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Inbox not found");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "delete inbox");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Inbox deleted"));
    json_object_object_add(out, "address", json_object_new_string(box.address));
    reply_json(req, 200, out);
}

static void v1_messages(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    char recipient[ADDRESS_MAX + 1], since[32];
    long wait;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    int found = http_query(req, "recipient", recipient, sizeof(recipient));
    if (found == 0 || (found == 1 && *recipient == '\0')) {
        reply_error(req, 400, "Missing required parameter: recipient");
        return;
    }
    if (found < 0 || strchr(recipient, '@') == NULL) {
        reply_error(req, 400, "Invalid recipient: want an e-mail address");
        return;
    }
    if (inbox_query_since(req, since, sizeof(since)) != 0 || inbox_query_wait(req, &wait) != 0)
        return;
    v1_messages_reply(req, db, &who, recipient, since, wait);
}

/* {key, name, created, last_used}: the answer of both key-making routes. */
static void v1_key_reply(HTTP_REQUEST *req, const char *key, const STORE_KEY *made)
{
    json_object *out = json_object_new_object();
    json_object_object_add(out, "key", json_object_new_string(key));
    json_object_object_add(out, "name", json_object_new_string(made->name));
    json_object_object_add(out, "created", reply_time(made->created_at, 1));
    json_object_object_add(out, "last_used", reply_time(made->last_used_at, 1));
    reply_json(req, 201, out);
}

/* Make a key with a key-only account of its own and answer with it; 0 when made. */
static int v1_key_make(HTTP_REQUEST *req, DB *db, const char *name)
{
    char key[AUTH_KEY_LEN + 1], hash[AUTH_HASH_HEX + 1], prefix[AUTH_PREFIX_LEN + 1];
    STORE_KEY made;

    auth_key_new(key);
    auth_key_hash(key, hash);
    auth_key_prefix(key, prefix);
    int rc = store_key_account_create(db, cfg.signup_balance, hash, prefix, name, &made);
    if (rc != 0) {
        sodium_memzero(key, sizeof(key));
        api_db_failed(req, db, "create key");
        return -1;
    }
    v1_key_reply(req, key, &made);
    sodium_memzero(key, sizeof(key));
    return 0;
}

static void v1_key_free(HTTP_REQUEST *req)
{
    DB *db;

    /* The document promises one free key per IP address per hour: a constant, not a setting. */
    if ((db = api_db(req)) == NULL || api_limit_ip(req, db, "freekey", V1_FREE_KEYS_PER_IP) != 0)
        return;
    (void)v1_key_make(req, db, "free");
}

/*
 * 0 when X-API-Key is the master key; otherwise answers 401 (no key) or 403.
 * Call it after api_db(), which starts libsodium for the hash.
 */
static int v1_master(HTTP_REQUEST *req)
{
    const char *key = http_header(req, "X-API-Key");

    if (key == NULL || *key == '\0') {
        reply_error(req, 401, "Missing API key");
        return -1;
    }
    if (!auth_is_master(key)) {
        reply_error(req, 403, "This route needs the master key");
        return -1;
    }
    return 0;
}

static size_t v1_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void v1_admin_key_create(HTTP_REQUEST *req)
{
    DB *db;
    json_object *body;
    int failed = 0;
    char name[sizeof(((STORE_KEY *)0)->name)];

    if ((db = api_db(req)) == NULL || v1_master(req) != 0 || (body = api_json_body(req)) == NULL)
        return;
    const char *name_arg = api_json_string(req, body, "name", &failed);
    if (!failed && name_arg && v1_utf8_chars(name_arg) > V1_KEY_NAME_CHARS) {
        reply_error(req, 400, "Invalid name: at most 100 characters");
        failed = 1;
    }
    if (!failed)
        snprintf(name, sizeof(name), "%s", name_arg ? name_arg : "");
    json_object_put(body);
    if (!failed)
        (void)v1_key_make(req, db, name);
}

static void v1_admin_key_list(HTTP_REQUEST *req)
{
    DB *db;
    STORE_KEY *keys;
    size_t count;

    if ((db = api_db(req)) == NULL || v1_master(req) != 0)
        return;
    if (store_key_list(db, &keys, &count) != 0) {
        api_db_failed(req, db, "list keys");
        return;
    }
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        char shown[sizeof(keys[i].key_prefix) + 3];
        snprintf(shown, sizeof(shown), "%s...", keys[i].key_prefix);
        json_object *k = json_object_new_object();
        json_object_object_add(k, "key", json_object_new_string(shown));
        json_object_object_add(k, "name", json_object_new_string(keys[i].name));
        json_object_object_add(k, "created", reply_time(keys[i].created_at, 1));
        json_object_object_add(k, "last_used", reply_time(keys[i].last_used_at, 1));
        json_object_array_add(list, k);
    }
    free(keys);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "keys", list);
    reply_json(req, 200, out);
}

/*
 * 1 when key is a key as the admin listing shows it ("al_a805..." or "al_a805"), its
 * prefix copied to prefix: an admin may revoke a key they never saw in full.
 */
static int v1_listed_key(const char *key, char prefix[AUTH_PREFIX_LEN + 1])
{
    size_t len = strlen(key);

    if (len >= 3 && strcmp(key + len - 3, "...") == 0)
        len -= 3;
    if (len != AUTH_PREFIX_LEN || strncmp(key, "al_", 3) != 0
        || strspn(key + 3, "0123456789abcdef") < len - 3)
        return 0;
    memcpy(prefix, key, len);
    prefix[len] = '\0';
    return 1;
}

static void v1_admin_key_revoke(HTTP_REQUEST *req)
{
    DB *db;
    json_object *body;
    int failed = 0;
    char hash[AUTH_HASH_HEX + 1], prefix[AUTH_PREFIX_LEN + 1];

    if ((db = api_db(req)) == NULL || v1_master(req) != 0 || (body = api_json_body(req)) == NULL)
        return;
    const char *key = api_json_string(req, body, "key", &failed);
    int listed = 0;
    if (!failed && key != NULL && !auth_key_well_formed(key))
        listed = v1_listed_key(key, prefix);
    if (!failed && (key == NULL || (!listed && !auth_key_well_formed(key)))) {
        reply_error(req, 400, "Field 'key' must be a full API key (al_ and 48 hex digits)"
                              " or the key as the listing shows it (al_a805...)");
        failed = 1;
    }
    if (!failed && !listed) {
        auth_key_hash(key, hash);
        auth_key_prefix(key, prefix);
    }
    json_object_put(body);
    if (failed)
        return;

    int rc = listed ? store_key_revoke_listed(db, prefix) : store_key_revoke(db, hash);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "API key not found");
        return;
    }
    if (rc == STORE_AMBIGUOUS) {
        reply_error(req, 409, "More than one live key is listed that way: give the full key");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "revoke key");
        return;
    }
    char shown[AUTH_PREFIX_LEN + 4];
    snprintf(shown, sizeof(shown), "%s...", prefix);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("API key revoked"));
    json_object_object_add(out, "key", json_object_new_string(shown));
    reply_json(req, 200, out);
}

static const HTTP_ROUTE v1_routes[] = {
    { "POST", "/api/v1/inboxes", v1_inbox_create },
    { "GET", "/api/v1/inboxes/{}/messages", v1_inbox_messages },
    { "GET", "/api/v1/inboxes/{}/events", v1_inbox_events },
    { "DELETE", "/api/v1/inboxes/{}", v1_inbox_delete },
    { "GET", "/api/v1/messages", v1_messages },
    { "POST", "/api/v1/keys", v1_key_free },
    { "POST", "/api/v1/admin/keys", v1_admin_key_create },
    { "GET", "/api/v1/admin/keys", v1_admin_key_list },
    { "DELETE", "/api/v1/admin/keys", v1_admin_key_revoke },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-v1", v1_routes);
}
