/*++
 * NAME
 *	mail.fcgi 8
 * SUMMARY
 *	leveragers API: generate an address, list addresses, read and search inboxes
 * SYNOPSIS
 *	POST /api/mail/generate		{"domain": "...", "prefix": "..."} (both optional)
 *	GET  /api/mail/list?page=&per_page=
 *	GET  /api/mail/inbox/{email_address}[?since=ISO8601][&wait=SECONDS]
 *	GET  /api/mail/inbox/{email_address}/events[?after=ID]	(text/event-stream)
 *	GET  /api/mail/search?q=WORDS[&address=EMAIL][&page=][&per_page=]
 * DESCRIPTION
 *	The routes of the "Email Generation", "List Emails" and "Get Email
 *	Details" sections of the leveragers document, served as written there.
 *	Every route needs an X-API-KEY; an account sees only its own addresses.
 *
 *	Beyond the document, the inbox takes since (only messages received
 *	after it) and wait (1 to 60): with nothing to list, the answer waits
 *	until a message arrives or the time is up (then "emails" is empty).
 *	Each message also carries "links" and "codes" (inbox.h).
 *
 *	events (beyond the document) is the inbox as Server-Sent Events
 *	(evstream.h): each new message is one event whose data is the object the
 *	inbox lists, id its "id", so Last-Event-ID resumes. EventSource sends no
 *	headers: the web session's cookie authenticates it too (a GET needs no
 *	CSRF token). It counts once against the rate limit, at opening.
 *
 *	search (beyond the document too) finds the caller's live messages whose
 *	sender, subject or body hold every word of q (MariaDB FULLTEXT; a word
 *	is a prefix, "a@b.example" a phrase), newest first, 50 a page, each as
 *	in the inbox plus its "email_address"; address keeps one mailbox's.
 * CONFIGURATION PARAMETERS
 *	default_domain, address_price (tempmail.conf).
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "api.h"
#include "config.h"
#include "evstream.h"
#include "inbox.h"
#include "rendercache.h"
#include "reply.h"
#include "store.h"

#define GENERATE_TRIES  5       /* random local parts colliding five times: give up */

static void mail_generate(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    json_object *body;
    int failed = 0;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if ((body = api_json_body(req)) == NULL)
        return;
    const char *domain_arg = api_json_string(req, body, "domain", &failed);
    const char *prefix_arg = failed ? NULL : api_json_string(req, body, "prefix", &failed);
    if (failed) {
        json_object_put(body);
        return;
    }

    char domain_name[254], prefix[65] = "";
    snprintf(domain_name, sizeof(domain_name), "%s", domain_arg && *domain_arg ? domain_arg : cfg.default_domain);
    address_lowercase(domain_name);
    if (prefix_arg && *prefix_arg) {
        if (strlen(prefix_arg) >= sizeof(prefix)) {
            json_object_put(body);
            reply_error(req, 400, "Invalid prefix: at most 64 characters");
            return;
        }
        snprintf(prefix, sizeof(prefix), "%s", prefix_arg);
        address_lowercase(prefix);
    }
    json_object_put(body);

    if (*prefix && !address_valid_local(prefix)) {
        reply_error(req, 400, "Invalid prefix: use letters, digits, '.', '_', '-' or '+', "
                              "starting and ending with a letter or digit");
        return;
    }
    if (*prefix && address_reserved_local(prefix, cfg.reserved_local_parts)) {
        reply_error(req, 400, "Invalid prefix: role addresses such as postmaster, hostmaster, "
                              "webmaster and admin are reserved");
        return;
    }
    STORE_DOMAIN domain;
    int rc = address_valid_domain(domain_name) ? store_domain_find(db, domain_name, &domain) : STORE_NOTFOUND;
    if (rc != 0 && rc != STORE_NOTFOUND) {
        api_db_failed(req, db, "find domain");
        return;
    }
    /* Unknown, inactive and other people's domains look the same from outside. */
    if (rc == STORE_NOTFOUND || strcmp(domain.status, "active") != 0
        || (domain.owner_id != 0 && domain.owner_id != who.account_id)) {
        reply_error(req, 400, "Domain is not available");
        return;
    }

    STORE_MAILBOX made;
    char address[ADDRESS_MAX + 1], balance[32];
    for (int attempt = 0; attempt < GENERATE_TRIES; attempt++) {
        char local[65];
        if (*prefix)
            snprintf(local, sizeof(local), "%s", prefix);
        else
            do
                address_random_local(local);
            while (address_reserved_local(local, cfg.reserved_local_parts));
        snprintf(address, sizeof(address), "%s@%s", local, domain.name);
        rc = store_mailbox_create(db, &who, &domain, address, cfg.address_price, &made,
                                  balance, sizeof(balance));
        if (rc != DB_EDUP || *prefix)
            break;
    }
    switch (rc) {
    case 0:
        break;
    case DB_EDUP:
        reply_error(req, 409, "Email address already taken");
        return;
    case STORE_NOFUNDS:
        reply_error(req, 402, "Insufficient balance");
        return;
    default:
        api_db_failed(req, db, "create mailbox");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Email generated successfully"));
    json_object_object_add(out, "email", json_object_new_string(made.address));
    json_object_object_add(out, "balance", reply_decimal(balance));
    json_object_object_add(out, "id", json_object_new_int64((int64_t)made.id));
    reply_json(req, 201, out);
}

static void mail_list(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    long page = api_query_number(req, "page", 1);
    long per_page = api_query_number(req, "per_page", 10);
    if (page < 0 || per_page < 0) {
        reply_error(req, 400, "page and per_page must be positive whole numbers");
        return;
    }
    if (per_page > 100)
        per_page = 100;

    STORE_MAILBOX *boxes;
    size_t count;
    long long total;
    if (store_mailbox_list(db, who.account_id, page, per_page, &boxes, &count, &total) != 0) {
        api_db_failed(req, db, "list mailboxes");
        return;
    }
    json_object *emails = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "id", json_object_new_int64((int64_t)boxes[i].id));
        json_object_object_add(e, "email_address", json_object_new_string(boxes[i].address));
        json_object_object_add(e, "domain_id", json_object_new_int64((int64_t)boxes[i].domain_id));
        json_object_object_add(e, "created_at", reply_time(boxes[i].created_at, 0));
        json_object_array_add(emails, e);
    }
    free(boxes);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "emails", emails);
    json_object_object_add(out, "total", json_object_new_int64(total));
    json_object_object_add(out, "page", json_object_new_int64(page));
    json_object_object_add(out, "per_page", json_object_new_int64(per_page));
    reply_json(req, 200, out);
}

static void mail_inbox(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    char address[ADDRESS_MAX + 1], since[32];
    long wait;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if (inbox_query_since(req, since, sizeof(since)) != 0 || inbox_query_wait(req, &wait) != 0)
        return;
    snprintf(address, sizeof(address), "%s", req->params[0]);
    address_lowercase(address);
    int rc = inbox_reply(req, db, address, who.account_id, since, wait, "emails",
                         RENDERCACHE_LEVERAGERS, inbox_message_json);
    if (rc == STORE_NOTFOUND)
        reply_error(req, 404, "Email address not found");
    else if (rc != 0)
        api_db_failed(req, db, "read inbox");
}

static void mail_events(HTTP_REQUEST *req)
{
    evstream_route(req, "Email address not found", inbox_message_json);
}

static void mail_search(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    char q[256], address[ADDRESS_MAX + 1];

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    int found = http_query(req, "q", q, sizeof(q));
    if (found <= 0 || *q == '\0') {
        reply_error(req, 400, found < 0 ? "Invalid q: at most 255 bytes"
                                        : "Missing required parameter: q");
        return;
    }
    found = http_query(req, "address", address, sizeof(address));
    if (found < 0 || (found == 1 && *address && strchr(address, '@') == NULL)) {
        reply_error(req, 400, "Invalid address: want an e-mail address");
        return;
    }
    if (found == 1)
        address_lowercase(address);
    long page = api_query_number(req, "page", 1);
    long per_page = api_query_number(req, "per_page", 50);
    if (page < 0 || per_page < 0) {
        reply_error(req, 400, "page and per_page must be positive whole numbers");
        return;
    }
    if (per_page > 100)
        per_page = 100;

    STORE_MESSAGE *messages;
    size_t count;
    int rc = store_messages_search(db, who.account_id, found == 1 && *address ? address : NULL,
                                   q, page, per_page, &messages, &count);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 400, "Invalid q: give a word of at least three letters or digits");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "search");
        return;
    }
    json_object *emails = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        json_object *e = inbox_message_json(&messages[i]);
        json_object_object_add(e, "email_address", json_object_new_string(messages[i].recipient));
        json_object_array_add(emails, e);
    }
    store_messages_free(messages, count);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "emails", emails);
    json_object_object_add(out, "page", json_object_new_int64(page));
    json_object_object_add(out, "per_page", json_object_new_int64(per_page));
    reply_json(req, 200, out);
}

static const HTTP_ROUTE mail_routes[] = {
    { "POST", "/api/mail/generate", mail_generate },
    { "GET", "/api/mail/list", mail_list },
    { "GET", "/api/mail/inbox/{}", mail_inbox },
    { "GET", "/api/mail/inbox/{}/events", mail_events },
    { "GET", "/api/mail/search", mail_search },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-mail", mail_routes);
}
