/*++
 * NAME
 *	evstream 3
 * SUMMARY
 *	an inbox as a stream of Server-Sent Events (see evstream.h)
 * DESCRIPTION
 *	A stream holds one of the process's http_threads (and its database
 *	connection, idle between wake-ups) for up to event_stream_seconds. So a
 *	process never lets streams take more than half of its threads: the rest
 *	keep answering the ordinary routes of the same binary.
 *--*/

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "api.h"
#include "arrival.h"
#include "config.h"
#include "evstream.h"
#include "log.h"
#include "monotime.h"
#include "reply.h"

static atomic_long evstream_open;

/* A message id as the client gives it: digits only, at most 19 of them; -1 otherwise. */
static int evstream_parse_id(const char *s, unsigned long long *id)
{
    size_t len = strlen(s);

    if (len == 0 || len > 19 || strspn(s, "0123456789") != len)
        return -1;
    *id = strtoull(s, NULL, 10);
    return 0;
}

int evstream_cursor(HTTP_REQUEST *req, unsigned long long *after, int *given)
{
    const char *header = http_header(req, "Last-Event-ID");
    char query[32];
    unsigned long long id;
    int found = http_query(req, "after", query, sizeof(query));

    *after = 0;
    *given = 0;
    if (found != 0) {
        if (found < 0 || evstream_parse_id(query, &id) != 0) {
            reply_error(req, 400, "Invalid after: want a message id");
            return -1;
        }
        *after = id;
        *given = 1;
    }
    if (header != NULL && *header != '\0') {
        if (evstream_parse_id(header, &id) != 0) {
            reply_error(req, 400, "Invalid Last-Event-ID: want a message id");
            return -1;
        }
        if (id > *after)
            *after = id;
        *given = 1;
    }
    return 0;
}

int evstream_admit(HTTP_REQUEST *req)
{
    long most = cfg.http_threads / 2 > 0 ? cfg.http_threads / 2 : 1;

    if (atomic_fetch_add(&evstream_open, 1) >= most) {
        atomic_fetch_sub(&evstream_open, 1);
        http_add_header(req, "Retry-After", "5");
        reply_error(req, 503, "Too many open event streams: try again shortly");
        return -1;
    }
    return 0;
}

/* Send every message above *cursor, moving it on: 0, or -1 when the stream must end. */
static int evstream_send_new(HTTP_REQUEST *req, DB *db, unsigned long long mailbox_id,
                             unsigned long long *cursor, EVSTREAM_JSON to_json)
{
    for (;;) {
        STORE_MESSAGE *messages;
        size_t count;
        if (store_messages_after(db, mailbox_id, *cursor, EVSTREAM_BATCH, &messages, &count) != 0) {
            log_warn("%s %s: read inbox: %s", req->method, req->path, db_error(db));
            return -1;
        }
        int rc = 0;
        for (size_t i = 0; i < count && rc == 0; i++) {
            json_object *obj = to_json(&messages[i]);
            /* PLAIN JSON escapes every newline: the data field is one line. */
            const char *json = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
            size_t len = strlen(json) + 64;
            char *event = malloc(len);
            if (event == NULL)
                log_fatal("out of memory");
            int n = snprintf(event, len, "id: %llu\nevent: message\ndata: %s\n\n",
                             messages[i].id, json);
            rc = http_stream_write(req, event, (size_t)n);
            if (rc == 0)
                *cursor = messages[i].id;
            free(event);
            json_object_put(obj);
        }
        store_messages_free(messages, count);
        if (rc != 0 || count < EVSTREAM_BATCH)
            return rc;
    }
}

void evstream_serve(HTTP_REQUEST *req, DB *db, unsigned long long mailbox_id,
                    unsigned long long after, int given, EVSTREAM_JSON to_json)
{
    unsigned long long cursor = after;
    /* Watch before the first read: mail landing between the read and the wait still wakes us. */
    ARRIVAL_WATCH *watch = arrival_watch_open(mailbox_id);
    long end = monotime_ms() + cfg.event_stream_seconds * 1000;
    char hello[64];

    if (!given && store_messages_last_id(db, mailbox_id, &cursor) != 0) {
        log_warn("%s %s: read inbox: %s", req->method, req->path, db_error(db));
        reply_error(req, 503, "Service temporarily unavailable");
        goto out;
    }
    snprintf(hello, sizeof(hello), "retry: %d\n: open\n\n", EVSTREAM_RETRY_MS);
    if (http_stream_begin(req, "text/event-stream; charset=utf-8") != 0
        || http_stream_write(req, hello, strlen(hello)) != 0)
        goto out;
    long last_write = monotime_ms(), ping_ms = cfg.event_stream_ping_seconds * 1000;
    for (;;) {
        unsigned long long before = cursor;
        if (evstream_send_new(req, db, mailbox_id, &cursor, to_json) != 0)
            break;
        long now = monotime_ms();
        if (cursor != before)
            last_write = now;
        if (now >= end)
            break;
        if (now - last_write >= ping_ms) {
            if (http_stream_write(req, ": ping\n\n", 8) != 0)
                break;
            last_write = now;
        }
        long left = end - now, quiet = last_write + ping_ms - now;
        long ms = quiet < left ? quiet : left;
        int woke;
        http_wait_begin();
        if (watch != NULL) {
            woke = arrival_wait(watch, ms, http_peer_fd(req));
        } else {
            /* No inotify: look again once a second, as inbox_read() does. */
            struct timespec nap = { 0, (ms < 999 ? ms : 999) * 1000000L };
            nanosleep(&nap, NULL);
            woke = 1;
        }
        http_wait_end();
        if (woke == ARRIVAL_GONE)
            break;
        if (woke < 0) {
            log_warn("%s %s: waiting for mail failed", req->method, req->path);
            break;
        }
    }
out:
    arrival_watch_close(watch);
    atomic_fetch_sub(&evstream_open, 1);
}

void evstream_route(HTTP_REQUEST *req, const char *not_found, EVSTREAM_JSON to_json)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_MAILBOX box;
    char address[ADDRESS_MAX + 1];
    unsigned long long after;
    int given;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if (evstream_cursor(req, &after, &given) != 0)
        return;
    snprintf(address, sizeof(address), "%s", req->params[0]);
    address_lowercase(address);
    int rc = store_mailbox_find_owned(db, address, who.account_id, &box);
    if (rc == STORE_NOTFOUND) {
        reply_error(req, 404, not_found);
        return;
    }
    if (rc != 0) {
        api_db_failed(req, db, "find mailbox");
        return;
    }
    if (evstream_admit(req) == 0)
        evstream_serve(req, db, box.id, after, given, to_json);
}
