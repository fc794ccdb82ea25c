/*++
 * NAME
 *	inbox 3
 * SUMMARY
 *	reading an inbox for the API: since, wait, extracted fields (see inbox.h)
 *--*/

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arrival.h"
#include "config.h"
#include "extract.h"
#include "inbox.h"
#include "log.h"
#include "monotime.h"
#include "reply.h"
#include "timefmt.h"

int inbox_query_since(HTTP_REQUEST *req, char *sql, size_t len)
{
    char iso[64];
    int found = http_query(req, "since", iso, sizeof(iso));

    *sql = '\0';
    if (found == 0 || (found == 1 && *iso == '\0'))
        return 0;
    if (found < 0 || timefmt_from_iso(iso, sql, len) != 0) {
        reply_error(req, 400, "Invalid since: use ISO 8601, e.g. 2026-01-01T00:00:00.000Z");
        return -1;
    }
    return 0;
}

int inbox_query_wait(HTTP_REQUEST *req, long *seconds)
{
    char buf[16], *end;
    int found = http_query(req, "wait", buf, sizeof(buf));

    *seconds = 0;
    if (found == 0)
        return 0;
    long n = found == 1 ? strtol(buf, &end, 10) : 0;
    if (found < 0 || *buf == '\0' || *end != '\0' || n < 1 || n > INBOX_WAIT_MAX) {
        reply_error(req, 400, "Invalid wait: want whole seconds from 1 to 60");
        return -1;
    }
    *seconds = n;
    return 0;
}

int inbox_read(HTTP_REQUEST *req, DB *db, const char *address, unsigned long long account_id,
               const char *since, long wait, STORE_MESSAGE **messages, size_t *count)
{
    const char *after = since && *since ? since : NULL;
    long deadline = monotime_ms() + wait * 1000;
    unsigned long long mailbox_id = 0;

    /* One statement finds the mailbox and lists it: all a read that need not wait costs. */
    int rc = store_mailbox_messages(db, address, account_id, after, &mailbox_id, messages, count);
    if (rc != 0 || *count > 0 || wait <= 0)
        return rc;
    store_messages_free(*messages, *count);
    /* Watch, then read again: mail landing between that read and the wait still wakes us. */
    ARRIVAL_WATCH *watch = arrival_watch_open(mailbox_id);

    for (;;) {
        if ((rc = store_messages_of_mailbox(db, mailbox_id, after, messages, count)) != 0)
            break;
        long left = deadline - monotime_ms();
        if (*count > 0 || left <= 0)
            break;
        store_messages_free(*messages, *count);
        int woke;
        if (watch != NULL) {
            /* Other hosts' milters send no signal here: re-read on a timer as well. */
            long slice = left;
            if (cfg.wait_reread_ms > 0 && cfg.wait_reread_ms < left)
                slice = cfg.wait_reread_ms;
            woke = arrival_wait(watch, slice, http_peer_fd(req));
        } else {
            struct timespec nap = { 0, 0 };
            long ms = left < INBOX_FALLBACK_MS ? left : INBOX_FALLBACK_MS;
            nap.tv_sec = ms / 1000;
            nap.tv_nsec = (ms % 1000) * 1000000L;
            nanosleep(&nap, NULL);
            woke = 1;
        }
        if (woke == ARRIVAL_GONE || woke < 0) {
            /* Nobody will read the answer, or the watch broke: answer what there is now. */
            if (woke < 0)
                log_warn("%s %s: waiting for mail failed", req->method, req->path);
            rc = store_messages_of_mailbox(db, mailbox_id, after, messages, count);
            break;
        }
        /* woke == 0: the deadline or the re-read timer; the loop reads again, ends at the deadline. */
    }
    arrival_watch_close(watch);
    return rc;
}

static json_object *inbox_json_list(const EXTRACT_LIST *l)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < l->count; i++)
        json_object_array_add(arr, json_object_new_string(l->items[i]));
    return arr;
}

void inbox_add_extracted(json_object *obj, const STORE_MESSAGE *m)
{
    EXTRACT_LIST links = { 0 }, codes = { 0 };

    extract_links(m->body_text, m->body_html, &links);
    extract_codes(m->body_text, m->body_html, &codes);
    json_object_object_add(obj, "links", inbox_json_list(&links));
    json_object_object_add(obj, "codes", inbox_json_list(&codes));
    extract_list_free(&links);
    extract_list_free(&codes);
}

json_object *inbox_message_json(const STORE_MESSAGE *m)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "id", json_object_new_int64((int64_t)m->id));
    json_object_object_add(e, "from", json_object_new_string(*m->header_from ? m->header_from : m->envelope_from));
    json_object_object_add(e, "subject", json_object_new_string(m->subject));
    json_object_object_add(e, "body", json_object_new_string(m->body_text));
    json_object_object_add(e, "html", json_object_new_string(m->body_html));
    json_object_object_add(e, "received_at", reply_time(m->received_at, 0));
    inbox_add_extracted(e, m);
    return e;
}
