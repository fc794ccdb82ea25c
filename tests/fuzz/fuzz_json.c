/*++
 * NAME
 *	fuzz_json 1
 * SUMMARY
 *	libFuzzer harness: a request body parsed as api_json_body() parses it
 * DESCRIPTION
 *	The calls of api_json_body() (lib/api.c), made in the same order on the
 *	same json-c tokener flags (strict, UTF-8 validated): json_tokener_parse_ex() over the whole
 *	body, then the error, the parse end and the trailing white space check.
 *	When the body is accepted, the string fields the routes read are taken
 *	as api_json_string() takes them, and the object is printed back as
 *	reply_json() prints it, since a route may echo what it was given.
 *
 *	api_json_body() itself needs a FastCGI request to answer errors on; the
 *	body arrives there as a NUL-terminated buffer of body_len bytes, and so
 *	it does here. Keep this in step with lib/api.c.
 *--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 64 * 1024)     /* cfg.max_request_body: larger never gets here */
        return 0;
    char *body = malloc(size + 1);
    if (body == NULL)
        return 0;
    memcpy(body, data, size);
    body[size] = '\0';

    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *obj = json_tokener_parse_ex(tok, body, (int)size);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (used > size)
        abort();
    while (used < size && body[used] != '\0' && strchr(" \t\r\n", body[used]))
        used++;
    if (obj != NULL && jerr == json_tokener_success && used == size
        && json_object_is_type(obj, json_type_object)) {
        static const char *fields[] = { "domain", "prefix", "email", "password", "name", "key",
                                        "tier", "amount", "status", "disabled" };
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            json_object *value;
            if (json_object_object_get_ex(obj, fields[i], &value) && value != NULL
                && json_object_is_type(value, json_type_string))
                (void)strlen(json_object_get_string(value));
        }
        size_t len;
        const char *text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN
                                                             | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        if (text == NULL || strlen(text) != len)
            abort();
    }
    json_object_put(obj);
    free(body);
    return 0;
}
