/*++
 * NAME
 *	api 3
 * SUMMARY
 *	the steps every API route shares (see api.h)
 *--*/

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "auth.h"
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

int api_authenticate(HTTP_REQUEST *req, DB *db, STORE_PRINCIPAL *who)
{
    const char *key = http_header(req, "X-API-Key");
    char hash[AUTH_HASH_HEX + 1];

    if (key == NULL || *key == '\0') {
        reply_error(req, 401, "Missing API key");
        return -1;
    }
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
