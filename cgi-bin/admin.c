/*++
 * NAME
 *	admin.fcgi 8
 * SUMMARY
 *	the operator's console: accounts, system domains, counts
 * SYNOPSIS
 *	GET  /api/admin/users?page=&per_page=&q=
 *	POST /api/admin/users/{id}/tier		{"tier": "free"|"pro"}
 *	POST /api/admin/users/{id}/topup	{"amount": "5.00"}
 *	POST /api/admin/users/{id}/disable	{"disabled": true|false}
 *	GET  /api/admin/domains
 *	POST /api/admin/domains			{"domain": "example.net"}
 *	POST /api/admin/domains/{id}/status	{"status": "active"|"disabled"}
 *	GET  /api/admin/stats
 * DESCRIPTION
 *	The JSON side of htdocs/admin.html. The users listing answers {"users":
 *	[{"id", "email", "tier", "balance", "is_admin", "disabled", "created_at",
 *	"mailboxes", "messages", "api_key_prefix"}], "total", "page", "per_page"};
 *	q keeps the accounts whose e-mail contains it. A top-up adds a positive
 *	amount (at most six decimals) and answers the new "balance". Disabling
 *	an account stops its keys and ends its web sessions at once. System
 *	domains are the operator's own (no owner): adding one makes it active;
 *	status switches it off and on. API keys are not here: the console uses
 *	the master-key routes of /api/v1/admin/keys for them.
 * DIAGNOSTICS
 *	401 no key or session; 403 the caller is not an administrator (or a
 *	session without its CSRF token); 400 a malformed body, or an
 *	administrator disabling their own account; 404 no such account or
 *	system domain; 409 a domain name a customer already has; 503 database.
 * SECURITY
 *	Every route needs an authenticated account with is_admin: a web
 *	session with its CSRF token, or that account's API key.
 *--*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "api.h"
#include "reply.h"
#include "store.h"

#define ADMIN_TOPUP_MAX     1000000L    /* one top-up; a typo of zeros should not pass */

/* Authenticate an administrator; answers itself and returns NULL otherwise. */
static DB *admin_start(HTTP_REQUEST *req, STORE_PRINCIPAL *who)
{
    DB *db;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, who) != 0)
        return NULL;
    if (!who->is_admin) {
        reply_error(req, 403, "Administrators only");
        return NULL;
    }
    return db;
}

/* The account id of params[0], or 0 (answered 404). */
static unsigned long long admin_id(HTTP_REQUEST *req, const char *what)
{
    const char *arg = req->params[0];
    char message[64];

    if (*arg && strlen(arg) <= 19 && strspn(arg, "0123456789") == strlen(arg)) {
        unsigned long long id = strtoull(arg, NULL, 10);
        if (id != 0)
            return id;
    }
    snprintf(message, sizeof(message), "%s not found", what);
    reply_error(req, 404, message);
    return 0;
}

static long admin_query_number(HTTP_REQUEST *req, const char *name, long def, long max)
{
    char buf[24], *end;
    int found = http_query(req, name, buf, sizeof(buf));
    if (found == 0 || (found == 1 && *buf == '\0'))
        return def;
    long n = found < 0 ? -1 : strtol(buf, &end, 10);
    if (found < 0 || *end != '\0' || n < 1)
        return -1;
    return n > max ? max : n;
}

/* 1 when s is a positive decimal ("5", "0.25", at most six decimals) up to ADMIN_TOPUP_MAX. */
static int admin_amount_valid(const char *s)
{
    size_t whole = strspn(s, "0123456789");
    const char *p = s + whole;
    size_t frac = 0;

    if (whole == 0 || whole > 7)
        return 0;
    if (*p == '.') {
        frac = strspn(p + 1, "0123456789");
        if (frac == 0 || frac > 6)
            return 0;
        p += 1 + frac;
    }
    if (*p != '\0')
        return 0;
    double value = strtod(s, NULL);
    return value > 0 && value <= ADMIN_TOPUP_MAX;
}

static void admin_users(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_USER *users;
    size_t count;
    long long total;
    char q[255];

    if ((db = admin_start(req, &who)) == NULL)
        return;
    long page = admin_query_number(req, "page", 1, 1000000);
    long per_page = admin_query_number(req, "per_page", 20, 100);
    int found = http_query(req, "q", q, sizeof(q));
    if (page < 0 || per_page < 0 || found < 0) {
        reply_error(req, 400, "page and per_page must be positive whole numbers, q a short text");
        return;
    }
    if (found == 0)
        *q = '\0';
    if (store_user_list(db, q, page, per_page, &users, &count, &total) != 0) {
        api_db_failed(req, db, "list users");
        return;
    }
    json_object *array = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        const STORE_USER *u = &users[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64((int64_t)u->id));
        json_object_object_add(o, "email", *u->email ? json_object_new_string(u->email) : NULL);
        json_object_object_add(o, "tier", json_object_new_string(u->tier));
        json_object_object_add(o, "balance", reply_decimal(u->balance));
        json_object_object_add(o, "is_admin", json_object_new_boolean(u->is_admin));
        json_object_object_add(o, "disabled", json_object_new_boolean(u->disabled));
        json_object_object_add(o, "created_at", reply_time(u->created_at, 0));
        json_object_object_add(o, "mailboxes", json_object_new_int64(u->mailboxes));
        json_object_object_add(o, "messages", json_object_new_int64(u->messages));
        json_object_object_add(o, "api_key_prefix", json_object_new_string(u->key_prefix));
        json_object_array_add(array, o);
    }
    free(users);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "users", array);
    json_object_object_add(out, "total", json_object_new_int64(total));
    json_object_object_add(out, "page", json_object_new_int64(page));
    json_object_object_add(out, "per_page", json_object_new_int64(per_page));
    reply_json(req, 200, out);
}

/* A JSON body holding field of type; answers 400 itself and returns NULL otherwise. */
static json_object *admin_body_field(HTTP_REQUEST *req, json_object **body, const char *field,
                                     json_type type, const char *message)
{
    json_object *value;

    if ((*body = api_json_body(req)) == NULL)
        return NULL;
    if (!json_object_object_get_ex(*body, field, &value) || !json_object_is_type(value, type)) {
        json_object_put(*body);
        reply_error(req, 400, message);
        return NULL;
    }
    return value;
}

static void admin_user_changed(HTTP_REQUEST *req, DB *db, int rc, const char *message)
{
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Account not found");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, message);
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string(message));
    reply_json(req, 200, out);
}

static void admin_user_tier(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    json_object *body, *value;
    unsigned long long id;

    if ((db = admin_start(req, &who)) == NULL || (id = admin_id(req, "Account")) == 0)
        return;
    const char *bad = "tier must be \"free\" or \"pro\"";
    if ((value = admin_body_field(req, &body, "tier", json_type_string, bad)) == NULL)
        return;
    char tier[8];
    snprintf(tier, sizeof(tier), "%s", json_object_get_string(value));
    json_object_put(body);
    if (strcmp(tier, "free") != 0 && strcmp(tier, "pro") != 0) {
        reply_error(req, 400, bad);
        return;
    }
    admin_user_changed(req, db, store_user_set_tier(db, id, tier), "Tier changed");
}

static void admin_user_topup(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    json_object *body, *value;
    unsigned long long id;
    char amount[32], balance[32];

    if ((db = admin_start(req, &who)) == NULL || (id = admin_id(req, "Account")) == 0)
        return;
    if ((body = api_json_body(req)) == NULL)
        return;
    /* A number or a string of one: "5.00" keeps its decimals exactly. */
    *amount = '\0';
    if (json_object_object_get_ex(body, "amount", &value)
        && (json_object_is_type(value, json_type_string) || json_object_is_type(value, json_type_int)
            || json_object_is_type(value, json_type_double)))
        snprintf(amount, sizeof(amount), "%s", json_object_get_string(value));
    json_object_put(body);
    if (!admin_amount_valid(amount)) {
        reply_error(req, 400, "amount must be a positive number up to 1000000, at most 6 decimals");
        return;
    }
    int rc = store_user_topup(db, id, amount, balance, sizeof(balance));
    if (rc != 0) {
        admin_user_changed(req, db, rc, "top up");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Balance topped up"));
    json_object_object_add(out, "balance", reply_decimal(balance));
    reply_json(req, 200, out);
}

static void admin_user_disable(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    json_object *body, *value;
    unsigned long long id;

    if ((db = admin_start(req, &who)) == NULL || (id = admin_id(req, "Account")) == 0)
        return;
    if ((value = admin_body_field(req, &body, "disabled", json_type_boolean,
                                  "disabled must be true or false")) == NULL)
        return;
    int disabled = json_object_get_boolean(value);
    json_object_put(body);
    if (disabled && id == who.account_id) {
        reply_error(req, 400, "You cannot disable your own account");
        return;
    }
    admin_user_changed(req, db, store_user_set_disabled(db, id, disabled),
                       disabled ? "Account disabled" : "Account enabled");
}

static void admin_domains(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_SYSTEM_DOMAIN *domains;
    size_t count;

    if ((db = admin_start(req, &who)) == NULL)
        return;
    if (store_domain_list_system(db, &domains, &count) != 0) {
        api_db_failed(req, db, "list system domains");
        return;
    }
    json_object *array = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64((int64_t)domains[i].id));
        json_object_object_add(o, "domain_name", json_object_new_string(domains[i].name));
        json_object_object_add(o, "status", json_object_new_string(domains[i].status));
        json_object_object_add(o, "created_at", reply_time(domains[i].created_at, 0));
        json_object_object_add(o, "mailboxes", json_object_new_int64(domains[i].mailboxes));
        json_object_array_add(array, o);
    }
    free(domains);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "domains", array);
    reply_json(req, 200, out);
}

static void admin_domain_add(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    json_object *body, *value;
    char name[254];
    unsigned long long id;

    if ((db = admin_start(req, &who)) == NULL)
        return;
    if ((value = admin_body_field(req, &body, "domain", json_type_string, "domain is required")) == NULL)
        return;
    const char *arg = json_object_get_string(value);
    int fits = strlen(arg) < sizeof(name);
    snprintf(name, sizeof(name), "%s", arg);
    json_object_put(body);
    address_lowercase(name);
    if (!fits || !address_valid_domain(name)) {
        reply_error(req, 400, "Invalid domain name");
        return;
    }
    int rc = store_domain_add_system(db, name, &id);
    if (rc == DB_EDUP) {
        reply_error(req, 409, "A customer has this domain");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "add system domain");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("System domain active"));
    json_object_object_add(out, "id", json_object_new_int64((int64_t)id));
    json_object_object_add(out, "domain_name", json_object_new_string(name));
    reply_json(req, 201, out);
}

static void admin_domain_status(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    json_object *body, *value;
    unsigned long long id;
    char status[16];

    if ((db = admin_start(req, &who)) == NULL || (id = admin_id(req, "Domain")) == 0)
        return;
    const char *bad = "status must be \"active\" or \"disabled\"";
    if ((value = admin_body_field(req, &body, "status", json_type_string, bad)) == NULL)
        return;
    snprintf(status, sizeof(status), "%s", json_object_get_string(value));
    json_object_put(body);
    if (strcmp(status, "active") != 0 && strcmp(status, "disabled") != 0) {
        reply_error(req, 400, bad);
        return;
    }
    int rc = store_domain_set_system_status(db, id, status);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Domain not found");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "domain status");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string(
        strcmp(status, "active") == 0 ? "Domain enabled" : "Domain disabled"));
    json_object_object_add(out, "status", json_object_new_string(status));
    reply_json(req, 200, out);
}

static void admin_stats(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_STATS s;

    if ((db = admin_start(req, &who)) == NULL)
        return;
    if (store_stats(db, &s) != 0) {
        api_db_failed(req, db, "stats");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "accounts", json_object_new_int64(s.accounts));
    json_object_object_add(out, "accounts_disabled", json_object_new_int64(s.accounts_disabled));
    json_object_object_add(out, "mailboxes", json_object_new_int64(s.mailboxes));
    json_object_object_add(out, "messages", json_object_new_int64(s.messages));
    json_object_object_add(out, "messages_last_hour", json_object_new_int64(s.messages_last_hour));
    json_object_object_add(out, "messages_last_day", json_object_new_int64(s.messages_last_day));
    json_object_object_add(out, "attachments", json_object_new_int64(s.attachments));
    json_object_object_add(out, "stored_bytes", json_object_new_int64(s.stored_bytes));
    json_object_object_add(out, "system_domains", json_object_new_int64(s.system_domains));
    json_object_object_add(out, "custom_domains", json_object_new_int64(s.custom_domains));
    json_object_object_add(out, "live_keys", json_object_new_int64(s.live_keys));
    reply_json(req, 200, out);
}

static const HTTP_ROUTE admin_routes[] = {
    { "GET", "/api/admin/users", admin_users },
    { "POST", "/api/admin/users/{}/tier", admin_user_tier },
    { "POST", "/api/admin/users/{}/topup", admin_user_topup },
    { "POST", "/api/admin/users/{}/disable", admin_user_disable },
    { "GET", "/api/admin/domains", admin_domains },
    { "POST", "/api/admin/domains", admin_domain_add },
    { "POST", "/api/admin/domains/{}/status", admin_domain_status },
    { "GET", "/api/admin/stats", admin_stats },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-admin", admin_routes);
}
