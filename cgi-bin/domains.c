/*++
 * NAME
 *	domains.fcgi 8
 * SUMMARY
 *	leveragers API: custom domains (list, add, verify by DNS)
 * SYNOPSIS
 *	GET  /api/domains/user
 *	POST /api/domains/add			{"domain": "example.com"}
 *	POST /api/domains/{domain_id}/verify
 *	PATCH /api/domains/{domain_id}		{"catch_all": true|false}
 * DESCRIPTION
 *	The routes of the "Domain Management", "Add Domain" and "Verify Domain"
 *	sections of the leveragers document. Every route needs an X-API-KEY; an
 *	account sees and verifies only its own domains (another account's
 *	domain is 404, as if it did not exist).
 *
 *	A domain is added pending, with a verification token. Its owner then
 *	publishes, at the domain itself (not at a sub-label, so one DNS screen
 *	holds both records):
 *
 *	    example.com.  MX   10 <mail_host>.
 *	    example.com.  TXT  "tempmail-verify=<32 hex digits>"
 *
 *	Both are in the domain object ("mx_record", "txt_record" and, spelled
 *	out, "dns_records") of the add and list answers. Verify asks the DNS:
 *	the most preferred MX must be mail_host and one TXT record must equal the
 *	token. Then the domain becomes active (generate accepts it, Postfix
 *	relays it, the milter captures its mail); otherwise 422 tells which
 *	record is missing or wrong and what was found. Verifying an active
 *	domain again answers 200 with its first verified_at, without DNS.
 *
 *	Beyond the document, a domain object carries "catch_all" (false unless
 *	its owner set it), and PATCH sets it: with catch_all on, an active
 *	domain takes mail for any local part that generate would take, and
 *	the milter makes the mailbox, owned by the domain's owner and free of
 *	charge, when its first message is stored. Only an active domain can be
 *	turned on (409 otherwise); turning off works in any state. System
 *	domains are nobody's, so they are never found here (404).
 * DIAGNOSTICS
 *	400 malformed body or invalid domain name; 404 no such domain of the
 *	caller; 409 the name is taken (by anyone, or a system domain; another
 *	account's pending claim holds it for domain_claim_hours, then lapses) or the
 *	domain was disabled by the operator (or, for catch-all, is not active); 422 the DNS records are not (yet)
 *	right, a state of the world the client fixes before retrying the same
 *	request, unlike 400 which means the request itself is wrong; 503 the
 *	database or the resolver failed (logged, not shown).
 * SECURITY
 *	The token is unguessable (libsodium), so only who controls the domain's
 *	DNS can make it active. Resolver answers are only compared, never
 *	echoed raw beyond a bounded, quoted excerpt.
 * CONFIGURATION PARAMETERS
 *	mail_host (the MX target), dns_server and dns_port (the resolver asked;
 *	empty dns_server: the system's), default_domain (never addable).
 *--*/

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "api.h"
#include "config.h"
#include "dns.h"
#include "log.h"
#include "reply.h"
#include "store.h"

#define DOMAINS_MX_PREF     10      /* what we suggest; any value works if it is the lowest */
#define DOMAINS_EXCERPT     80      /* bytes of a found TXT value quoted back */

/* The domain object of the add and list answers: the document's fields, then the DNS to set. */
static json_object *domains_json(const STORE_DOMAIN *d)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64((int64_t)d->id));
    json_object_object_add(o, "domain_name", json_object_new_string(d->name));
    json_object_object_add(o, "status", json_object_new_string(d->status));
    json_object_object_add(o, "verified_at", reply_time(d->verified_at, 0));
    json_object_object_add(o, "created_at", reply_time(d->created_at, 0));
    json_object_object_add(o, "mx_record", json_object_new_string(cfg.mail_host));
    json_object_object_add(o, "txt_record", json_object_new_string(d->token));
    json_object_object_add(o, "catch_all", json_object_new_boolean(d->catch_all));

    json_object *records = json_object_new_array();
    json_object *mx = json_object_new_object();
    json_object_object_add(mx, "type", json_object_new_string("MX"));
    json_object_object_add(mx, "name", json_object_new_string(d->name));
    json_object_object_add(mx, "value", json_object_new_string(cfg.mail_host));
    json_object_object_add(mx, "priority", json_object_new_int(DOMAINS_MX_PREF));
    json_object_array_add(records, mx);
    json_object *txt = json_object_new_object();
    json_object_object_add(txt, "type", json_object_new_string("TXT"));
    json_object_object_add(txt, "name", json_object_new_string(d->name));
    json_object_object_add(txt, "value", json_object_new_string(d->token));
    json_object_array_add(records, txt);
    json_object_object_add(o, "dns_records", records);
    return o;
}

static void domains_list(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_DOMAIN *domains;
    size_t count;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if (store_domain_list(db, who.account_id, &domains, &count) != 0) {
        api_db_failed(req, db, "list domains");
        return;
    }
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < count; i++)
        json_object_array_add(list, domains_json(&domains[i]));
    free(domains);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "domains", list);
    json_object_object_add(out, "total", json_object_new_int64((int64_t)count));
    reply_json(req, 200, out);
}

/*
 * A client's domain name made canonical (lowercase, one trailing dot
 * dropped) into name; 1 when it is a host name we can manage. A last label
 * of digits only is refused: that is an IP address, never a domain.
 */
static int domains_canonical(const char *in, char *name, size_t len)
{
    if (strlen(in) >= len)
        return 0;
    snprintf(name, len, "%s", in);
    dns_host_normalize(name);
    if (!address_valid_domain(name))
        return 0;
    const char *tld = strrchr(name, '.') + 1;
    return strspn(tld, "0123456789") < strlen(tld);
}

static void domains_add(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    json_object *body;
    int failed = 0;
    char name[254];

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if ((body = api_json_body(req)) == NULL)
        return;
    const char *arg = api_json_string(req, body, "domain", &failed);
    if (failed) {
        json_object_put(body);
        return;
    }
    if (arg == NULL || *arg == '\0') {
        json_object_put(body);
        reply_error(req, 400, "domain is required");
        return;
    }
    int valid = domains_canonical(arg, name, sizeof(name));
    json_object_put(body);
    if (!valid) {
        reply_error(req, 400, "Invalid domain name");
        return;
    }
    /* The operator's own names are never a customer's, even before they are in the table. */
    if (dns_host_equal(name, cfg.default_domain) || dns_host_equal(name, cfg.mail_host)) {
        reply_error(req, 409, "Domain is already registered");
        return;
    }

    STORE_DOMAIN made;
    switch (store_domain_create(db, who.account_id, name, cfg.domain_claim_hours, &made)) {
    case 0:
        break;
    case DB_EDUP:
        reply_error(req, 409, "Domain is already registered");
        return;
    default:
        api_db_failed(req, db, "add domain");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Domain added successfully"));
    json_object_object_add(out, "domain_id", json_object_new_int64((int64_t)made.id));
    json_object_object_add(out, "domain", domains_json(&made));
    reply_json(req, 201, out);
}

/* Append to a bounded message; what does not fit is cut, never overflowed. */
static void domains_say(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void domains_say(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;

    if (used + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/*
 * Check the MX records of a domain. 1 when the most preferred MX is
 * mail_host, else 0 with the reason appended to why.
 */
static int domains_check_mx(const char *name, const DNS_RECORD *mx, size_t n,
                            char *why, size_t len)
{
    int best = -1, ours = -1;

    for (size_t i = 0; i < n; i++) {
        if (best < 0 || mx[i].pref < best)
            best = mx[i].pref;
        if (dns_host_equal(mx[i].text, cfg.mail_host) && (ours < 0 || mx[i].pref < ours))
            ours = mx[i].pref;
    }
    if (ours >= 0 && ours == best)
        return 1;
    /* A lower-preference MX elsewhere would take the mail first: not good enough. */
    domains_say(why, len, "MX record for %s must point to %s%s; found: ", name, cfg.mail_host,
                ours >= 0 ? " with the lowest preference" : "");
    if (n == 0)
        domains_say(why, len, "none");
    for (size_t i = 0; i < n; i++) {
        if (ours >= 0)
            domains_say(why, len, "%s%d %s", i ? ", " : "", mx[i].pref, *mx[i].text ? mx[i].text : ".");
        else
            domains_say(why, len, "%s%s", i ? ", " : "", *mx[i].text ? mx[i].text : ".");
    }
    return 0;
}

/* Check that one TXT record equals the token; 0 with the reason appended to why otherwise. */
static int domains_check_txt(const STORE_DOMAIN *d, const DNS_RECORD *txt, size_t n,
                             char *why, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(txt[i].text, d->token) == 0)
            return 1;
    domains_say(why, len, "%sTXT record for %s must be \"%s\"; found: ", *why ? ". " : "",
                d->name, d->token);
    if (n == 0)
        domains_say(why, len, "none");
    for (size_t i = 0; i < n; i++) {
        char excerpt[DOMAINS_EXCERPT + 1];
        size_t k = 0;
        /* Quote what the DNS holds, printable bytes only, so the answer stays clean JSON text. */
        for (const char *p = txt[i].text; *p && k < DOMAINS_EXCERPT; p++)
            excerpt[k++] = isprint((unsigned char)*p) ? *p : '?';
        excerpt[k] = '\0';
        domains_say(why, len, "%s\"%s%s\"", i ? ", " : "", excerpt,
                    strlen(txt[i].text) > DOMAINS_EXCERPT ? "..." : "");
    }
    return 0;
}

/* The answer for a domain that is (now) active. */
static void domains_verified(HTTP_REQUEST *req, const STORE_DOMAIN *d)
{
    json_object *out = json_object_new_object();
    json_object_object_add(out, "status", json_object_new_string("active"));
    json_object_object_add(out, "message", json_object_new_string("Domain verified successfully"));
    json_object_object_add(out, "verified_at", reply_time(d->verified_at, 0));
    reply_json(req, 200, out);
}

/* The caller's domain named by the path's {domain_id}: 0, or -1 with 404 or 503 answered. */
static int domains_find_param(HTTP_REQUEST *req, DB *db, const STORE_PRINCIPAL *who,
                              STORE_DOMAIN *d)
{
    const char *arg = req->params[0];
    /* An id that is not a number names no domain: 404 like any other unknown id. */
    unsigned long long id = 0;
    int rc = STORE_NOTFOUND;
    if (strspn(arg, "0123456789") == strlen(arg) && strlen(arg) <= 19
        && (id = strtoull(arg, NULL, 10)) != 0)
        rc = store_domain_find_owned(db, id, who->account_id, d);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Domain not found");
        return -1;
    }
    if (rc != 0) {
        api_db_failed(req, db, "find domain");
        return -1;
    }
    return 0;
}

static void domains_verify(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_DOMAIN d;
    int rc;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if (domains_find_param(req, db, &who, &d) != 0)
        return;
    if (strcmp(d.status, "active") == 0) {
        domains_verified(req, &d);
        return;
    }
    if (strcmp(d.status, "pending") != 0) {
        reply_error(req, 409, "Domain is disabled");
        return;
    }

    DNS_RECORD *mx = NULL, *txt = NULL;
    size_t nmx = 0, ntxt = 0;
    char err[256] = "", why[1024] = "";
    int dns = dns_mx(d.name, &mx, &nmx, err, sizeof(err));
    if (dns != DNS_EFAIL)
        dns = dns_txt(d.name, &txt, &ntxt, err, sizeof(err));
    if (dns == DNS_EFAIL) {
        log_warn("verify domain %s: %s", d.name, err);
        dns_records_free(mx, nmx);
        reply_error(req, 503, "DNS lookup failed, try again later");
        return;
    }
    /* Both checks run, so one answer names every record still to fix. */
    int ok = domains_check_mx(d.name, mx, nmx, why, sizeof(why));
    ok &= domains_check_txt(&d, txt, ntxt, why, sizeof(why));
    dns_records_free(mx, nmx);
    dns_records_free(txt, ntxt);
    if (!ok) {
        reply_error(req, 422, why);
        return;
    }

    if ((rc = store_domain_mark_verified(db, d.id, who.account_id, &d)) == STORE_NOTFOUND) {
        reply_error(req, 404, "Domain not found");     /* deleted meanwhile */
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "verify domain");
        return;
    }
    if (strcmp(d.status, "active") != 0) {
        reply_error(req, 409, "Domain is disabled");    /* disabled meanwhile */
        return;
    }
    domains_verified(req, &d);
}

/* PATCH {"catch_all": true|false}: the one setting of a domain its owner may change. */
static void domains_update(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_DOMAIN d;
    int on;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if (api_body_boolean(req, "catch_all", &on) != 0)
        return;
    if (domains_find_param(req, db, &who, &d) != 0)
        return;
    if (on && strcmp(d.status, "active") != 0) {
        reply_error(req, 409, "Catch-all needs a verified (active) domain");
        return;
    }
    int rc = store_domain_set_catch_all(db, d.id, who.account_id, on, &d);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Domain not found");     /* deleted meanwhile */
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "update domain");
        return;
    }
    if (d.catch_all != on) {
        reply_error(req, 409, "Catch-all needs a verified (active) domain");  /* disabled meanwhile */
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Domain updated successfully"));
    json_object_object_add(out, "domain", domains_json(&d));
    reply_json(req, 200, out);
}

static const HTTP_ROUTE domains_routes[] = {
    { "GET", "/api/domains/user", domains_list },
    { "POST", "/api/domains/add", domains_add },
    { "POST", "/api/domains/{}/verify", domains_verify },
    { "PATCH", "/api/domains/{}", domains_update },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-domains", domains_routes);
}
