/*++
 * NAME
 *	messages.fcgi 8
 * SUMMARY
 *	a message's raw source and attachments; deleting messages and mailboxes
 * SYNOPSIS
 *	GET    /api/messages/{id}/raw			(message/rfc822)
 *	GET    /api/messages/{id}/attachments
 *	GET    /api/messages/{id}/attachments/{n}	(the bytes, as a download)
 *	DELETE /api/messages/{id}
 *	DELETE /api/mailboxes/{id}
 *	GET    /api/mailboxes/domains
 *
 *	GET    /api/v1/messages/{id}/raw		(the same, aurelion style:
 *	GET    /api/v1/messages/{id}/attachments	 {id} is the message's
 *	GET    /api/v1/messages/{id}/attachments/{n}	 uuid, the "id" of the
 *	DELETE /api/v1/messages/{id}			 aurelion message routes)
 * DESCRIPTION
 *	What the inbox and addresses pages need beyond the two API documents;
 *	any API key or web session works, like the leveragers routes. {id} of a
 *	message is the "id" of /api/mail/inbox/{address}; {id} of a mailbox is
 *	the "id" of /api/mail/generate and /api/mail/list.
 *
 *	The attachment listing answers {"attachments": [{"index", "filename",
 *	"content_type", "size", "url"}]}; {n} is that index (from 0). Raw
 *	sources and attachments are sent with Content-Disposition: attachment.
 *	DELETE answers {"message": "..."}: a mailbox goes with its messages,
 *	and its address stops receiving mail at once. GET /api/mailboxes/domains
 *	lists the active domains the caller may generate on: {"domains":
 *	[{"domain", "type": "system"|"custom"}]}.
 * DIAGNOSTICS
 *	401 no key or session; 403 a session without its CSRF token (DELETE);
 *	404 no such message, attachment or mailbox of the caller's (another
 *	account's is 404 too, so ids tell nothing); 503 the database failed.
 * SECURITY
 *	Mail content is hostile. What is downloaded carries attachment
 *	disposition, nosniff and a sandboxing Content-Security-Policy, so even
 *	an HTML attachment opened from our origin runs no script there.
 *--*/

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "reply.h"
#include "store.h"

#define MESSAGES_DOWNLOAD_CSP   "default-src 'none'; sandbox"
#define MESSAGES_NAME_MAX       120     /* bytes of a file name put into a header */

/* A decimal id from a path segment, or 0 when it is not one. */
static unsigned long long messages_id(const char *arg)
{
    if (*arg == '\0' || strlen(arg) > 19 || strspn(arg, "0123456789") != strlen(arg))
        return 0;
    return strtoull(arg, NULL, 10);
}

/* A message uuid as the milter writes them: 36 of lowercase hex and dashes. */
static int messages_is_uuid(const char *arg)
{
    return strlen(arg) == 36 && strspn(arg, "0123456789abcdef-") == 36;
}

/*
 * Authenticate and read the id of params[0] (a number, or on /api/v1/ a
 * message uuid); answers itself and returns NULL on failure.
 */
static DB *messages_start(HTTP_REQUEST *req, STORE_PRINCIPAL *who, unsigned long long *id,
                          const char *what)
{
    DB *db;
    char message[64];
    int rc = STORE_NOTFOUND;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, who) != 0)
        return NULL;
    if (strncmp(req->path, "/api/v1/", 8) == 0) {
        if (messages_is_uuid(req->params[0]))
            rc = store_message_find_by_uuid(db, req->params[0], who->account_id, id);
    } else if ((*id = messages_id(req->params[0])) != 0) {
        rc = 0;
    }
    if (rc == STORE_NOTFOUND) {
        snprintf(message, sizeof(message), "%s not found", what);
        reply_error(req, 404, message);
        return NULL;
    }
    if (rc != 0) {
        api_db_failed(req, db, "find message");
        return NULL;
    }
    return db;
}

/*
 * Headers of a download: an ASCII fallback name (anything unusual becomes
 * '_') and the UTF-8 name percent-encoded (RFC 6266), never CR or LF.
 */
static void messages_download_headers(HTTP_REQUEST *req, const char *name)
{
    char ascii[MESSAGES_NAME_MAX + 1], encoded[3 * MESSAGES_NAME_MAX + 1], value[640];
    size_t a = 0, e = 0;

    for (const unsigned char *p = (const unsigned char *)name; *p && a < MESSAGES_NAME_MAX; p++) {
        ascii[a++] = isalnum(*p) || strchr("._- ", *p) ? (char)*p : '_';
        if (isalnum(*p) || strchr("._-", *p))
            encoded[e++] = (char)*p;
        else
            e += (size_t)snprintf(encoded + e, sizeof(encoded) - e, "%%%02X", *p);
    }
    ascii[a] = encoded[e] = '\0';
    if (a == 0)
        snprintf(ascii, sizeof(ascii), "attachment");
    snprintf(value, sizeof(value), "attachment; filename=\"%s\"%s%s", ascii,
             e ? "; filename*=UTF-8''" : "", e ? encoded : "");
    http_add_header(req, "Content-Disposition", value);
    http_add_header(req, "Content-Security-Policy", MESSAGES_DOWNLOAD_CSP);
}

/* A stored content type if it is a plain type/subtype token, else octet-stream. */
static const char *messages_content_type(const char *stored)
{
    size_t n = strlen(stored);
    if (n == 0 || n > 100 || strchr(stored, '/') == NULL)
        return "application/octet-stream";
    for (const char *p = stored; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/.+-_", *p))
            return "application/octet-stream";
    return stored;
}

static void messages_raw(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    unsigned long long id;
    char *raw, name[40];
    size_t len;

    if ((db = messages_start(req, &who, &id, "Message")) == NULL)
        return;
    int rc = store_message_raw(db, id, who.account_id, &raw, &len);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Message not found");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "raw message");
        return;
    }
    snprintf(name, sizeof(name), "message-%llu.eml", id);
    messages_download_headers(req, name);
    http_respond(req, 200, "message/rfc822", raw, len);
    free(raw);
}

static void messages_attachments(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    unsigned long long id;
    STORE_ATTACHMENT *list;
    size_t count;
    char url[160];

    if ((db = messages_start(req, &who, &id, "Message")) == NULL)
        return;
    int rc = store_attachment_list(db, id, who.account_id, &list, &count);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Message not found");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "list attachments");
        return;
    }
    json_object *array = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        json_object *a = json_object_new_object();
        json_object_object_add(a, "index", json_object_new_int64(list[i].index));
        json_object_object_add(a, "filename", json_object_new_string(list[i].filename));
        json_object_object_add(a, "content_type", json_object_new_string(list[i].content_type));
        json_object_object_add(a, "size", json_object_new_int64((int64_t)list[i].size));
        if (strncmp(req->path, "/api/v1/", 8) == 0)
            snprintf(url, sizeof(url), "/api/v1/messages/%s/attachments/%ld", req->params[0],
                     list[i].index);
        else
            snprintf(url, sizeof(url), "/api/messages/%llu/attachments/%ld", id, list[i].index);
        json_object_object_add(a, "url", json_object_new_string(url));
        json_object_array_add(array, a);
    }
    free(list);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "attachments", array);
    reply_json(req, 200, out);
}

static void messages_attachment(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    unsigned long long id;
    STORE_ATTACHMENT att;
    char *content;
    size_t len;

    if ((db = messages_start(req, &who, &id, "Attachment")) == NULL)
        return;
    const char *n = req->params[1];
    long index = *n && strlen(n) <= 6 && strspn(n, "0123456789") == strlen(n) ? strtol(n, NULL, 10) : -1;
    int rc = store_attachment_get(db, id, who.account_id, index, &att, &content, &len);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Attachment not found");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "attachment");
        return;
    }
    messages_download_headers(req, att.filename);
    http_respond(req, 200, messages_content_type(att.content_type), content, len);
    free(content);
}

static void messages_delete(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    unsigned long long id;

    if ((db = messages_start(req, &who, &id, "Message")) == NULL)
        return;
    int rc = store_message_delete(db, id, who.account_id);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Message not found");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "delete message");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Message deleted"));
    reply_json(req, 200, out);
}

static void mailboxes_delete(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    unsigned long long id;

    if ((db = messages_start(req, &who, &id, "Email address")) == NULL)
        return;
    int rc = store_mailbox_delete(db, id, who.account_id);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, "Email address not found");
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "delete mailbox");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Email address deleted"));
    reply_json(req, 200, out);
}

static void mailboxes_domains(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_DOMAIN_NAME *names;
    size_t count;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if (store_domain_available(db, who.account_id, &names, &count) != 0) {
        api_db_failed(req, db, "available domains");
        return;
    }
    json_object *array = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "domain", json_object_new_string(names[i].name));
        json_object_object_add(d, "type", json_object_new_string(names[i].is_system ? "system" : "custom"));
        json_object_array_add(array, d);
    }
    free(names);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "domains", array);
    reply_json(req, 200, out);
}

static const HTTP_ROUTE messages_routes[] = {
    { "GET", "/api/messages/{}/raw", messages_raw },
    { "GET", "/api/messages/{}/attachments", messages_attachments },
    { "GET", "/api/messages/{}/attachments/{}", messages_attachment },
    { "DELETE", "/api/messages/{}", messages_delete },
    { "GET", "/api/mailboxes/domains", mailboxes_domains },
    { "DELETE", "/api/mailboxes/{}", mailboxes_delete },
    { "GET", "/api/v1/messages/{}/raw", messages_raw },
    { "GET", "/api/v1/messages/{}/attachments", messages_attachments },
    { "GET", "/api/v1/messages/{}/attachments/{}", messages_attachment },
    { "DELETE", "/api/v1/messages/{}", messages_delete },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-messages", messages_routes);
}
