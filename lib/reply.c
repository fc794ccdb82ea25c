/*++
 * NAME
 *	reply 3
 * SUMMARY
 *	JSON answers of the API (see reply.h)
 *--*/

#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "timefmt.h"

void reply_json(HTTP_REQUEST *req, int status, json_object *body)
{
    size_t len;
    const char *text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN
                                                         | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    http_respond(req, status, "application/json", text, len);
    json_object_put(body);
}

void reply_error(HTTP_REQUEST *req, int status, const char *message)
{
    json_object *body = json_object_new_object();
    json_object_object_add(body, "error", json_object_new_string(message));
    json_object_object_add(body, "status", json_object_new_int(status));
    reply_json(req, status, body);
}

json_object *reply_decimal(const char *sql_decimal)
{
    char text[64];
    size_t len = strlen(sql_decimal);

    if (len == 0 || len >= sizeof(text))
        return json_object_new_int(0);
    memcpy(text, sql_decimal, len + 1);
    if (strchr(text, '.')) {
        while (len > 0 && text[len - 1] == '0')
            text[--len] = '\0';
        if (len > 0 && text[len - 1] == '.')
            text[--len] = '\0';
    }
    return json_object_new_double_s(strtod(text, NULL), text);
}

json_object *reply_time(const char *sql_time, int millis)
{
    char iso[40];

    if (sql_time == NULL || *sql_time == '\0' || timefmt_to_iso(sql_time, millis, iso, sizeof(iso)) != 0)
        return NULL;
    return json_object_new_string(iso);
}
