/*++
 * NAME
 *	api 3
 * SUMMARY
 *	the steps every API route shares (see api.h)
 *--*/

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "config.h"
#include "ratelimit.h"
#include "log.h"
#include "reply.h"

static DB *api_connection;

DB *api_db(HTTP_REQUEST *req)
{
    char err[512];

    if (api_connection == NULL) {
        if (auth_init() != 0)
            log_fatal("libsodium failed to initialise");
        if ((api_connection = db_open(err, sizeof(err))) == NULL) {
            log_warn("%s", err);
            reply_error(req, 503, "Service temporarily unavailable");
            return NULL;
        }
    }
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
    char subject[128];
    RATELIMIT rl;

    snprintf(subject, sizeof(subject), "ip:%s:%s", what, req->remote_addr);
    if (ratelimit_hit(db, subject, limit, &rl) != 0) {
        api_db_failed(req, db, "rate limit");
        return -1;
    }
    return api_rate_answer(req, &rl);
}

static int api_authenticate_key(HTTP_REQUEST *req, DB *db, const char *key, STORE_PRINCIPAL *who)
{
    char hash[AUTH_HASH_HEX + 1];

    if (!auth_key_well_formed(key)) {
        reply_error(req, 401, "Invalid API key");
        return -1;
    }
    auth_key_hash(key, hash);
    switch (store_key_authenticate(db, hash, who)) {
    case 0:
        return 0;
    case STORE_NOTFOUND:
        reply_error(req, 401, "Invalid API key");
        return -1;
    default:
        api_db_failed(req, db, "authenticate");
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
    int rc;

    if (key != NULL && *key != '\0')
        rc = api_authenticate_key(req, db, key, who);
    else if (http_cookie(req, API_SESSION_COOKIE, token, sizeof(token)) == 1 && *token)
        rc = api_authenticate_session(req, db, token, who);
    else {
        reply_error(req, 401, "Missing API key");
        rc = -1;
    }
    if (rc != 0)
        return rc;

    snprintf(subject, sizeof(subject), "account:%llu", who->account_id);
    if (ratelimit_hit(db, subject, strcmp(who->tier, "pro") == 0 ? cfg.rate_pro : cfg.rate_free,
                      &rl) != 0) {
        api_db_failed(req, db, "rate limit");
        return -1;
    }
    who->requests_this_hour = rl.used;
    return api_rate_answer(req, &rl);
}

json_object *api_json_body(HTTP_REQUEST *req)
{
    if (req->body_len == 0)
        return json_object_new_object();

    json_tokener *tok = json_tokener_new();
    json_object *obj = json_tokener_parse_ex(tok, req->body, (int)req->body_len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);

    /* Anything after the object but white space is an error too. */
    while (used < req->body_len && strchr(" \t\r\n", req->body[used]))
        used++;
    if (obj == NULL || jerr != json_tokener_success || used != req->body_len) {
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
