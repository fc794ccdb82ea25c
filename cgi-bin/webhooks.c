/*++
 * NAME
 *	webhooks.fcgi 8
 * SUMMARY
 *	webhooks: a URL told of every new message of an address or a domain
 * SYNOPSIS
 *	POST   /api/webhooks			{"url": "https://...", "address": "a@b"}
 *						or {"url": "https://...", "domain": "b"}
 *	GET    /api/webhooks
 *	GET    /api/webhooks/{id}
 *	PATCH  /api/webhooks/{id}		{"active": true|false}
 *	DELETE /api/webhooks/{id}
 *	GET    /api/webhooks/{id}/deliveries[?page=&per_page=]
 * DESCRIPTION
 *	Beyond the two API documents, in the leveragers style (X-API-KEY or a
 *	web session, like the other routes). A webhook fires for each message
 *	that arrives, after it was made, at one address of the caller, or at
 *	every address of the caller on a domain: a system domain, or one of
 *	the caller's own. tempmail-webhookd(8) sends them and describes the
 *	request, its signature and the retries.
 *
 *	POST answers 201 {"message", "webhook_id", "webhook": {...}, "secret"}:
 *	the signing secret is shown this once, never again. A webhook object is
 *	{"id", "scope": "address"|"domain", "address", "domain" (one of the two
 *	null), "url", "active", "created_at"}. GET lists them {"webhooks",
 *	"total"}, newest first, at most WEBHOOKS_MAX an account.
 *
 *	PATCH pauses a webhook ("active": false) or resumes it, and answers
 *	200 {"message", "webhook"}. A paused webhook is sent nothing; what
 *	arrives meanwhile is queued (pending in its log) and sent, in order,
 *	once it is resumed. A delivery held longer than webhook_retry_for is
 *	given up (failed). Pausing keeps the URL, the secret and the log, which
 *	deleting does not.
 *
 *	deliveries is the log, newest first, 50 a page: {"deliveries": [{"id",
 *	"message_id", "uuid", "address", "state": "pending"|"delivered"|
 *	"failed", "attempts", "last_status" (HTTP, or null), "last_error" (or
 *	null), "created_at", "last_attempt_at", "next_attempt_at",
 *	"finished_at"}], "total", "page", "per_page"}.
 * DIAGNOSTICS
 *	400 malformed body, "active" not true or false, a url that is not an allowed https:// URL (see
 *	webhook(3)), neither or both of address and domain; 401 no key or
 *	session; 403 a session without its CSRF token, or WEBHOOKS_MAX
 *	webhooks already; 404 no such address, domain or webhook of the
 *	caller's (another account's is 404 too); 503 the database failed.
 * SECURITY
 *	The secret comes from libsodium; it is stored in clear because the
 *	worker needs it to sign, and is never logged or listed.
 * CONFIGURATION PARAMETERS
 *	webhook_allow_http, webhook_allow_internal (what a url may be).
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "address.h"
#include "api.h"
#include "reply.h"
#include "store.h"
#include "webhook.h"

#define WEBHOOKS_MAX        100     /* webhooks an account may have */
#define WEBHOOKS_PER_PAGE   50

static json_object *webhooks_json(const STORE_WEBHOOK *w)
{
    int domain = strcmp(w->scope, "domain") == 0;
    json_object *o = json_object_new_object();

    json_object_object_add(o, "id", json_object_new_int64((int64_t)w->id));
    json_object_object_add(o, "scope", json_object_new_string(w->scope));
    json_object_object_add(o, "address", domain ? NULL : json_object_new_string(w->target));
    json_object_object_add(o, "domain", domain ? json_object_new_string(w->target) : NULL);
    json_object_object_add(o, "url", json_object_new_string(w->url));
    json_object_object_add(o, "active", json_object_new_boolean(w->active));
    json_object_object_add(o, "created_at", reply_time(w->created_at, 0));
    return o;
}

/* The scope named in a create request: *mailbox_id or *domain_id. 0, or -1 answered. */
static int webhooks_scope(HTTP_REQUEST *req, DB *db, const STORE_PRINCIPAL *who,
                          const char *address_arg, const char *domain_arg,
                          unsigned long long *mailbox_id, unsigned long long *domain_id)
{
    int has_address = address_arg != NULL && *address_arg;
    int has_domain = domain_arg != NULL && *domain_arg;
    char name[ADDRESS_MAX + 1];
    int rc;

    *mailbox_id = *domain_id = 0;
    if (has_address == has_domain) {
        reply_error(req, 400, "Give either address or domain");
        return -1;
    }
    snprintf(name, sizeof(name), "%s", has_address ? address_arg : domain_arg);
    address_lowercase(name);
    if (strlen(has_address ? address_arg : domain_arg) > ADDRESS_MAX) {
        rc = STORE_NOTFOUND;
    } else if (has_address) {
        STORE_MAILBOX box;
        rc = strchr(name, '@') ? store_mailbox_find_owned(db, name, who->account_id, &box)
                               : STORE_NOTFOUND;
        *mailbox_id = rc == 0 ? box.id : 0;
    } else {
        STORE_DOMAIN d;
        rc = address_valid_domain(name) ? store_domain_find(db, name, &d) : STORE_NOTFOUND;
        /* A system domain the caller may use, or one of the caller's own. */
        if (rc == 0 && !(d.owner_id == 0 ? strcmp(d.status, "active") == 0
                                          : d.owner_id == who->account_id))
            rc = STORE_NOTFOUND;
        *domain_id = rc == 0 ? d.id : 0;
    }
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, has_address ? "Email address not found" : "Domain not found");
        return -1;
    }
    if (rc != 0) {
        api_db_failed(req, db, "webhook scope");
        return -1;
    }
    return 0;
}

static void webhooks_create(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    json_object *body;
    int failed = 0;
    char url[WEBHOOK_URL_MAX + 1], why[160];
    unsigned long long mailbox_id, domain_id;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if ((body = api_json_body(req)) == NULL)
        return;
    const char *url_arg = api_json_string(req, body, "url", &failed);
    const char *address_arg = failed ? NULL : api_json_string(req, body, "address", &failed);
    const char *domain_arg = failed ? NULL : api_json_string(req, body, "domain", &failed);
    if (failed) {
        json_object_put(body);
        return;
    }
    if (url_arg == NULL || *url_arg == '\0') {
        json_object_put(body);
        reply_error(req, 400, "url is required");
        return;
    }
    if (webhook_url_check(url_arg, url, sizeof(url), why, sizeof(why)) != 0) {
        json_object_put(body);
        reply_error(req, 400, why);
        return;
    }
    int rc = webhooks_scope(req, db, &who, address_arg, domain_arg, &mailbox_id, &domain_id);
    json_object_put(body);
    if (rc != 0)
        return;

    long long count;
    if (store_webhook_count(db, who.account_id, &count) != 0) {
        api_db_failed(req, db, "count webhooks");
        return;
    }
    if (count >= WEBHOOKS_MAX) {
        char msg[64];
        snprintf(msg, sizeof(msg), "At most %d webhooks an account", WEBHOOKS_MAX);
        reply_error(req, 403, msg);
        return;
    }
    char secret[WEBHOOK_SECRET_SIZE];
    STORE_WEBHOOK made;
    webhook_secret_new(secret);
    if (store_webhook_create(db, who.account_id, mailbox_id, domain_id, url, secret, &made) != 0) {
        sodium_memzero(secret, sizeof(secret));
        api_db_failed(req, db, "create webhook");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Webhook created"));
    json_object_object_add(out, "webhook_id", json_object_new_int64((int64_t)made.id));
    json_object_object_add(out, "webhook", webhooks_json(&made));
    json_object_object_add(out, "secret", json_object_new_string(secret));
    sodium_memzero(secret, sizeof(secret));
    reply_json(req, 201, out);
}

static void webhooks_list(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_WEBHOOK *hooks;
    size_t count;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if (store_webhook_list(db, who.account_id, &hooks, &count) != 0) {
        api_db_failed(req, db, "list webhooks");
        return;
    }
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < count; i++)
        json_object_array_add(list, webhooks_json(&hooks[i]));
    free(hooks);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "webhooks", list);
    json_object_object_add(out, "total", json_object_new_int64((int64_t)count));
    reply_json(req, 200, out);
}

/* The caller, and the {id} of the path as a number (0 when it is none: no webhook has it). */
static DB *webhooks_start(HTTP_REQUEST *req, STORE_PRINCIPAL *who, unsigned long long *id)
{
    const char *arg = req->params[0];
    DB *db;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, who) != 0)
        return NULL;
    *id = strspn(arg, "0123456789") == strlen(arg) && strlen(arg) <= 19
        ? strtoull(arg, NULL, 10) : 0;
    return db;
}

/* Answer a store result other than 0; 1 when it did. */
static int webhooks_failed(HTTP_REQUEST *req, DB *db, int rc, const char *what)
{
    if (rc == STORE_NOTFOUND)
        reply_error(req, 404, "Webhook not found");
    else if (rc != 0)
        api_db_failed(req, db, what);
    return rc != 0;
}

static void webhooks_get(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_WEBHOOK hook;
    unsigned long long id;

    if ((db = webhooks_start(req, &who, &id)) == NULL)
        return;
    int rc = id != 0 ? store_webhook_find_owned(db, id, who.account_id, &hook) : STORE_NOTFOUND;
    if (!webhooks_failed(req, db, rc, "find webhook"))
        reply_json(req, 200, webhooks_json(&hook));
}

static void webhooks_update(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_WEBHOOK hook;
    unsigned long long id;
    int active;

    if ((db = webhooks_start(req, &who, &id)) == NULL)
        return;
    if (api_body_boolean(req, "active", &active) != 0)
        return;
    int rc = id != 0 ? store_webhook_set_active(db, id, who.account_id, active, &hook)
                     : STORE_NOTFOUND;
    if (webhooks_failed(req, db, rc, "update webhook"))
        return;
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message",
                           json_object_new_string(active ? "Webhook resumed" : "Webhook paused"));
    json_object_object_add(out, "webhook", webhooks_json(&hook));
    reply_json(req, 200, out);
}

static void webhooks_delete(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    unsigned long long id;

    if ((db = webhooks_start(req, &who, &id)) == NULL)
        return;
    int rc = id != 0 ? store_webhook_delete(db, id, who.account_id) : STORE_NOTFOUND;
    if (webhooks_failed(req, db, rc, "delete webhook"))
        return;
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Webhook deleted"));
    reply_json(req, 200, out);
}

static void webhooks_deliveries(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    unsigned long long id;
    STORE_DELIVERY *rows = NULL;
    size_t count = 0;
    long long total = 0;

    if ((db = webhooks_start(req, &who, &id)) == NULL)
        return;
    long page = api_query_number(req, "page", 1);
    long per_page = api_query_number(req, "per_page", WEBHOOKS_PER_PAGE);
    if (page < 0 || per_page < 0) {
        reply_error(req, 400, "page and per_page must be positive whole numbers");
        return;
    }
    if (per_page > 100)
        per_page = 100;
    int rc = id != 0 ? store_delivery_list(db, id, who.account_id, page, per_page, &rows, &count,
                                           &total)
                     : STORE_NOTFOUND;
    if (webhooks_failed(req, db, rc, "list deliveries"))
        return;
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        const STORE_DELIVERY *d = &rows[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64((int64_t)d->id));
        json_object_object_add(o, "message_id", json_object_new_int64((int64_t)d->message_id));
        json_object_object_add(o, "uuid", json_object_new_string(d->message_uuid));
        json_object_object_add(o, "address", json_object_new_string(d->address));
        json_object_object_add(o, "state", json_object_new_string(d->state));
        json_object_object_add(o, "attempts", json_object_new_int64(d->attempts));
        json_object_object_add(o, "last_status",
                               d->last_status ? json_object_new_int(d->last_status) : NULL);
        json_object_object_add(o, "last_error",
                               *d->last_error ? json_object_new_string(d->last_error) : NULL);
        json_object_object_add(o, "created_at", reply_time(d->created_at, 1));
        json_object_object_add(o, "last_attempt_at", reply_time(d->last_attempt_at, 1));
        json_object_object_add(o, "next_attempt_at", reply_time(d->next_attempt_at, 1));
        json_object_object_add(o, "finished_at", reply_time(d->finished_at, 1));
        json_object_array_add(list, o);
    }
    free(rows);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "deliveries", list);
    json_object_object_add(out, "total", json_object_new_int64(total));
    json_object_object_add(out, "page", json_object_new_int64(page));
    json_object_object_add(out, "per_page", json_object_new_int64(per_page));
    reply_json(req, 200, out);
}

static const HTTP_ROUTE webhooks_routes[] = {
    { "POST", "/api/webhooks", webhooks_create },
    { "GET", "/api/webhooks", webhooks_list },
    { "GET", "/api/webhooks/{}", webhooks_get },
    { "PATCH", "/api/webhooks/{}", webhooks_update },
    { "DELETE", "/api/webhooks/{}", webhooks_delete },
    { "GET", "/api/webhooks/{}/deliveries", webhooks_deliveries },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-webhooks", webhooks_routes);
}
