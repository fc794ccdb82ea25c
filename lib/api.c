/*++
 * NAME
 *	api 3
 * SUMMARY
 *	the steps every API route shares (see api.h)
 *--*/

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "batch.h"
#include "config.h"
#include "clientaddr.h"
#include "ratelimit.h"
#include "log.h"
#include "reply.h"

/*
 * http.c serves several requests of a process at once, one a thread. A request
 * borrows a connection for its length (api_connection, per thread) and gives
 * it back when answered, to a stack of idle ones: the last given back is the
 * next lent, so the ones at the bottom are those no request needed lately.
 * The rule: a connection idle for more than API_IDLE_SECONDS is closed at the
 * next give-back, and at most API_IDLE_MAX are kept. So under load a process
 * keeps as many connections as it serves requests at once, each with its
 * prepared statements (opening one per request cost a connect and a prepare
 * of every statement: make bench, issue 9), and after a quiet half minute it
 * is back to the one it holds at rest.
 */
#define API_IDLE_MAX        64
#define API_IDLE_SECONDS    30

struct api_idle {
    DB *db;
    time_t since;               /* when it was given back */
};

static pthread_mutex_t api_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct api_idle api_idle[API_IDLE_MAX];
static int api_nidle;
static __thread DB *api_connection;

static void api_db_release(void)
{
    DB *db = api_connection, *stale[API_IDLE_MAX];
    int nstale = 0;
    time_t now = time(NULL);

    api_connection = NULL;
    pthread_mutex_lock(&api_pool_lock);
    while (nstale < api_nidle && now - api_idle[nstale].since > API_IDLE_SECONDS) {
        stale[nstale] = api_idle[nstale].db;
        nstale++;
    }
    if (nstale > 0) {
        api_nidle -= nstale;
        memmove(api_idle, api_idle + nstale, (size_t)api_nidle * sizeof(api_idle[0]));
    }
    /* One that read a large row keeps a buffer that large until closed (db_heavy()). */
    if (db != NULL && !db_heavy(db) && api_nidle < API_IDLE_MAX) {
        api_idle[api_nidle].db = db;
        api_idle[api_nidle].since = now;
        api_nidle++;
        db = NULL;
    }
    pthread_mutex_unlock(&api_pool_lock);
    for (int i = 0; i < nstale; i++)
        db_close(stale[i]);
    db_close(db);
}

DB *api_db(HTTP_REQUEST *req)
{
    char err[512];

    if (api_connection != NULL)
        return api_connection;
    if (auth_init() != 0)
        log_fatal("libsodium failed to initialise");
    pthread_mutex_lock(&api_pool_lock);
    if (api_nidle > 0)
        api_connection = api_idle[--api_nidle].db;
    pthread_mutex_unlock(&api_pool_lock);
    if (api_connection == NULL && (api_connection = db_open(err, sizeof(err))) == NULL) {
        log_warn("%s", err);
        reply_error(req, 503, "Service temporarily unavailable");
        return NULL;
    }
    http_at_finish(req, api_db_release);
    return api_connection;
}

void api_db_failed(HTTP_REQUEST *req, DB *db, const char *what)
{
    log_warn("%s %s: %s: %s", req->method, req->path, what, db_error(db));
    reply_error(req, 503, "Service temporarily unavailable");
}

/* Add the X-RateLimit-* headers; answer 429 and return -1 when past the limit. */
static int api_rate_answer(HTTP_REQUEST *req, const RATELIMIT *rl)
{
    char value[32];

    snprintf(value, sizeof(value), "%ld", rl->limit);
    http_add_header(req, "X-RateLimit-Limit", value);
    snprintf(value, sizeof(value), "%ld", rl->remaining);
    http_add_header(req, "X-RateLimit-Remaining", value);
    snprintf(value, sizeof(value), "%ld", rl->reset);
    http_add_header(req, "X-RateLimit-Reset", value);
    if (!rl->exceeded)
        return 0;
    long wait = rl->reset - (long)time(NULL);
    snprintf(value, sizeof(value), "%ld", wait > 0 ? wait : 1);
    http_add_header(req, "Retry-After", value);
    reply_error(req, 429, "Rate limit exceeded: try again after the time in Retry-After");
    return -1;
}

int api_limit_ip(HTTP_REQUEST *req, DB *db, const char *what, long limit)
{
    char subject[128], client[CLIENTADDR_KEY_MAX];
    RATELIMIT rl;

    clientaddr_limit_key(req->remote_addr, client, sizeof(client));
    snprintf(subject, sizeof(subject), "ip:%s:%s", what, client);
    if (ratelimit_hit(db, subject, limit, &rl) != 0) {
        api_db_failed(req, db, "rate limit");
        return -1;
    }
    return api_rate_answer(req, &rl);
}

/*
 * Requests of one process that present the same key while a lookup of it is on its way
 * share the next one (batch(3)): one lookup of the key and one upsert of its account's
 * rate counter for them all, each request still counted once with its own place in the
 * count. 32 connections of one key each paid MariaDB the lookup, and the lookup and the
 * count were two waits of their own (make bench, issue 9). A member's lookup begins after
 * its request came, so a key revoked before a request is refused to it (store_key.c).
 */
struct api_key_request {
    DB *db;                                 /* the request's own connection */
    const char *hash;
    STORE_PRINCIPAL who;
    RATELIMIT rl;                           /* its place in the count */
    int rc;                                 /* 0, STORE_NOTFOUND or a db.h error */
    const char *step;                       /* the one that failed */
};

static BATCH_TABLE api_key_batches = BATCH_TABLE_INIT;

static void api_rate_subject(unsigned long long account_id, char *subject, size_t len)
{
    snprintf(subject, len, "account:%llu", account_id);
}

static long api_rate_limit(const STORE_PRINCIPAL *who)
{
    return strcmp(who->tier, "pro") == 0 ? cfg.rate_pro : cfg.rate_free;
}

static void api_key_run(void *db, void **args, size_t n)
{
    struct api_key_request *first = args[0];
    RATELIMIT *rl[BATCH_MAX];
    char subject[64];
    const char *step = "authenticate";
    int rc = store_key_authenticate(db, first->hash, &first->who);

    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            rl[i] = &((struct api_key_request *)args[i])->rl;
        api_rate_subject(first->who.account_id, subject, sizeof(subject));
        step = "rate limit";
        rc = ratelimit_hit_many(db, subject, api_rate_limit(&first->who), n, rl);
    }
    for (size_t i = 0; i < n; i++) {
        struct api_key_request *r = args[i];
        r->rc = rc;
        r->step = step;
        if (rc == 0)
            r->who = first->who;
        else if (rc != STORE_NOTFOUND)
            db_take_error(r->db, db);
    }
}

long long api_key_lookups(void)
{
    return batch_runs(&api_key_batches);
}

int api_key_hit(DB *db, const char *key_hash, STORE_PRINCIPAL *who, RATELIMIT *rl,
                const char **step)
{
    struct api_key_request r = { db, key_hash, { 0 }, { 0 }, DB_EFAIL, "authenticate" };
    char batch_key[BATCH_KEY_MAX * 2];

    /* A hash too long for a batch key (none is: SHA-256 in hex) runs alone. */
    snprintf(batch_key, sizeof(batch_key), "key:%s", key_hash);
    batch_run(&api_key_batches, batch_key, &r, api_key_run, db);
    if (r.rc == 0) {
        *who = r.who;
        *rl = r.rl;
    }
    *step = r.step;
    return r.rc;
}

static int api_authenticate_key(HTTP_REQUEST *req, DB *db, const char *key, STORE_PRINCIPAL *who,
                                RATELIMIT *rl)
{
    char hash[AUTH_HASH_HEX + 1];
    const char *step;

    if (!auth_key_well_formed(key)) {
        reply_error(req, 401, "Invalid API key");
        return -1;
    }
    auth_key_hash(key, hash);
    switch (api_key_hit(db, hash, who, rl, &step)) {
    case 0:
        return 0;
    case STORE_NOTFOUND:
        reply_error(req, 401, "Invalid API key");
        return -1;
    default:
        api_db_failed(req, db, step);
        return -1;
    }
}

static int api_authenticate_session(HTTP_REQUEST *req, DB *db, const char *token, STORE_PRINCIPAL *who)
{
    char hash[AUTH_HASH_HEX + 1], csrf[80];

    auth_key_hash(token, hash);
    switch (store_session_authenticate(db, hash, who, csrf, sizeof(csrf))) {
    case 0:
        break;
    case STORE_NOTFOUND:
        reply_error(req, 401, "Session expired: log in again");
        return -1;
    default:
        api_db_failed(req, db, "session");
        return -1;
    }
    /* A page that changes something proves it is ours: cookies alone ride along cross-site. */
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        const char *given = http_header(req, "X-CSRF-Token");
        if (given == NULL || strlen(given) != strlen(csrf)
            || sodium_memcmp(given, csrf, strlen(csrf)) != 0) {
            reply_error(req, 403, "Missing or wrong CSRF token");
            return -1;
        }
    }
    return 0;
}

int api_authenticate(HTTP_REQUEST *req, DB *db, STORE_PRINCIPAL *who)
{
    const char *key = http_header(req, "X-API-Key");
    char token[128], subject[64];
    RATELIMIT rl;

    if (key != NULL && *key != '\0') {
        if (api_authenticate_key(req, db, key, who, &rl) != 0)
            return -1;
    } else if (http_cookie(req, API_SESSION_COOKIE, token, sizeof(token)) == 1 && *token) {
        if (api_authenticate_session(req, db, token, who) != 0)
            return -1;
        api_rate_subject(who->account_id, subject, sizeof(subject));
        if (ratelimit_hit(db, subject, api_rate_limit(who), &rl) != 0) {
            api_db_failed(req, db, "rate limit");
            return -1;
        }
    } else {
        reply_error(req, 401, "Missing API key");
        return -1;
    }
    who->requests_this_hour = rl.used;
    return api_rate_answer(req, &rl);
}

/*
 * 1 when a string anywhere in o holds a NUL ("x\u0000y"): every C string function after
 * us would cut it short, so "x\u0000y" would be taken as "x" without a word. The depth
 * is bounded by the tokener's (JSON_TOKENER_DEFAULT_DEPTH).
 */
static int api_json_has_nul(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_string:
        return strlen(json_object_get_string(o)) != (size_t)json_object_get_string_len(o);
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(o); i++)
            if (api_json_has_nul(json_object_array_get_idx(o, i)))
                return 1;
        return 0;
    case json_type_object: {
        json_object_object_foreach(o, key, value) {
            (void)key;
            if (api_json_has_nul(value))
                return 1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

/*
 * 1 when s[0..len) is UTF-8 as RFC 3629 has it: no overlong forms, no surrogates, nothing
 * past U+10FFFF. json-c's own check (JSON_TOKENER_VALIDATE_UTF8, 0.16) lets overlong forms
 * and surrogates through, and MariaDB's utf8mb4 then refuses them mid-route.
 */
static int api_utf8_valid(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; ) {
        unsigned c = s[i];
        size_t n;
        unsigned lo = 0x80, hi = 0xbf;         /* the range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0)
                lo = 0xa0;                      /* overlong */
            else if (c == 0xed)
                hi = 0x9f;                      /* U+D800..U+DFFF, the surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0)
                lo = 0x90;                      /* overlong */
            else if (c == 0xf4)
                hi = 0x8f;                      /* past U+10FFFF */
        } else {
            return 0;
        }
        if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return 0;
        i += n + 1;
    }
    return 1;
}

/* 1 when a Content-Type names JSON: application/json or any type/x+json, parameters aside. */
static int api_json_type(const char *type)
{
    size_t len = strcspn(type, "; \t");

    if (len == 16 && strncasecmp(type, "application/json", 16) == 0)
        return 1;
    return len > 5 && memchr(type, '/', len) != NULL && strncasecmp(type + len - 5, "+json", 5) == 0;
}

json_object *api_json_body(HTTP_REQUEST *req)
{
    const char *type = http_header(req, "Content-Type");

    if (req->body_len == 0)
        return json_object_new_object();
    /*
     * A form of another site can post text/plain, form-urlencoded or multipart without
     * asking first (no CORS preflight), and its visitor's cookie goes along: a body that
     * says it is anything but JSON is refused, so no other site can log its visitors in
     * here or act for them. A body with no Content-Type (a browser always sends one) is
     * read as JSON.
     */
    if (type != NULL && *type != '\0' && !api_json_type(type)) {
        reply_error(req, 415, "Content-Type must be application/json");
        return NULL;
    }
    if (!api_utf8_valid((const unsigned char *)req->body, req->body_len)) {
        reply_error(req, 400, "Request body is not valid UTF-8");
        return NULL;
    }

    json_tokener *tok = json_tokener_new();
    /* JSON is UTF-8 (RFC 8259). Without VALIDATE_UTF8 json-c passes any bytes on in
       strings, and the database refuses them mid-route: a 503 where the client deserves a
       400. STRICT refuses trailing commas, comments and the like (json-c 0.16 still takes
       single quotes and NaN: harmless, they parse to what they look like). */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *obj = json_tokener_parse_ex(tok, req->body, (int)req->body_len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);

    /* Anything after the object but white space is an error too. */
    while (used < req->body_len && req->body[used] != '\0' && strchr(" \t\r\n", req->body[used]))
        used++;
    if (obj == NULL || jerr != json_tokener_success || used != req->body_len || api_json_has_nul(obj)) {
        json_object_put(obj);
        reply_error(req, 400, "Request body is not valid JSON");
        return NULL;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        reply_error(req, 400, "Request body must be a JSON object");
        return NULL;
    }
    return obj;
}

int api_body_boolean(HTTP_REQUEST *req, const char *field, int *value)
{
    json_object *body = api_json_body(req), *v;

    if (body == NULL)
        return -1;
    int ok = json_object_object_get_ex(body, field, &v) && json_object_is_type(v, json_type_boolean);
    if (ok)
        *value = json_object_get_boolean(v);
    json_object_put(body);
    if (!ok) {
        char text[128];
        snprintf(text, sizeof(text), "Field '%s' is required and must be true or false", field);
        reply_error(req, 400, text);
        return -1;
    }
    return 0;
}

const char *api_json_string(HTTP_REQUEST *req, json_object *body, const char *field, int *failed)
{
    json_object *value;
    char message[128];

    if (!json_object_object_get_ex(body, field, &value) || value == NULL)
        return NULL;
    if (!json_object_is_type(value, json_type_string)) {
        snprintf(message, sizeof(message), "Field '%s' must be a string", field);
        reply_error(req, 400, message);
        *failed = 1;
        return NULL;
    }
    return json_object_get_string(value);
}

long api_query_number(HTTP_REQUEST *req, const char *name, long def)
{
    char buf[24], *end;
    int found = http_query(req, name, buf, sizeof(buf));
    if (found == 0 || (found == 1 && *buf == '\0'))
        return def;
    if (found < 0)
        return -1;
    long n = strtol(buf, &end, 10);
    return *end == '\0' && n >= 1 && n <= 1000000 ? n : -1;
}
