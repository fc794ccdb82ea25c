/*++
 * NAME
 *	inbox 3
 * SUMMARY
 *	reading an inbox for the API: since, wait, extracted fields (see inbox.h)
 *--*/

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "arrival.h"
#include "config.h"
#include "extract.h"
#include "inbox.h"
#include "log.h"
#include "mime.h"
#include "monotime.h"
#include "rendercache.h"
#include "reply.h"
#include "timefmt.h"

int inbox_query_since(HTTP_REQUEST *req, char *sql, size_t len)
{
    char iso[64];
    int found = http_query(req, "since", iso, sizeof(iso));

    *sql = '\0';
    if (found == 0 || (found == 1 && *iso == '\0'))
        return 0;
    /*
     * since=2026-01-01T00:00:00+01:00 typed in a shell arrives with its '+' unencoded, which
     * a query string means as a space. Past the date and its separator no space is valid,
     * so a space there is the '+' of a zone offset.
     */
    if (found == 1 && strlen(iso) > 11)
        for (char *p = iso + 11; *p; p++)
            if (*p == ' ')
                *p = '+';
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
        http_wait_begin();
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
        http_wait_end();
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

/* One message's JSON in the answer: kept by the cache, or rendered now. */
struct inbox_part {
    char *json;
    size_t len;
};

/* A message the cache did not hold: its key, and its place in the answer. */
struct inbox_want {
    unsigned long long id;
    const char *uuid;
    size_t at;
};

static int inbox_row_order(const void *a, const void *b)
{
    unsigned long long x = ((const STORE_MESSAGE *)a)->id, y = ((const STORE_MESSAGE *)b)->id;
    return x < y ? -1 : x > y;
}

static int inbox_want_order(const void *a, const void *b)
{
    unsigned long long x = ((const struct inbox_want *)a)->id, y = ((const struct inbox_want *)b)->id;
    return x < y ? -1 : x > y;
}

/* Render m, keep the text in the cache, and set *part to a copy of it. */
static void inbox_render_part(int kind, INBOX_RENDER render, const STORE_MESSAGE *m,
                              struct inbox_part *part)
{
    json_object *o = render(m);
    const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN
                                                         | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                         &part->len);
    if ((part->json = malloc(part->len)) == NULL)
        log_fatal("out of memory");
    memcpy(part->json, text, part->len);
    json_object_put(o);
    rendercache_put(kind, m->id, m->uuid, part->json, part->len);
}

/*
 * Render the wanted messages found among rows. One not found (deleted or expired
 * between the read of the ids and this one) stays NULL: it is not listed.
 */
static void inbox_render_found(STORE_MESSAGE *rows, size_t nrows, const struct inbox_want *want,
                               size_t nwant, struct inbox_part *parts, int kind,
                               INBOX_RENDER render)
{
    qsort(rows, nrows, sizeof(*rows), inbox_row_order);
    for (size_t i = 0; i < nwant; i++) {
        STORE_MESSAGE key = { .id = want[i].id };
        const STORE_MESSAGE *m = bsearch(&key, rows, nrows, sizeof(*rows), inbox_row_order);
        if (m != NULL && strcmp(m->uuid, want[i].uuid) == 0)
            inbox_render_part(kind, render, m, &parts[want[i].at]);
    }
}

int inbox_reply(HTTP_REQUEST *req, DB *db, const char *address, unsigned long long account_id,
                const char *since, long wait, const char *list, int kind, INBOX_RENDER render)
{
    unsigned long long mailbox_id = 0;
    STORE_MESSAGE_KEY *keys = NULL;
    STORE_MESSAGE *rows = NULL;
    size_t n = 0, nrows = 0, nwant = 0;
    int rc;

    if (wait > 0) {
        if ((rc = inbox_read(req, db, address, account_id, since, wait, &rows, &nrows)) != 0)
            return rc;
        n = nrows;
        if (n > 0 && (keys = malloc(n * sizeof(*keys))) == NULL)
            log_fatal("out of memory");
        for (size_t i = 0; i < n; i++) {
            keys[i].id = rows[i].id;
            memcpy(keys[i].uuid, rows[i].uuid, sizeof(keys[i].uuid));
        }
    } else if ((rc = store_mailbox_message_keys(db, address, account_id, since, &mailbox_id,
                                                &keys, &n)) != 0) {
        return rc;
    }

    struct inbox_part *parts = calloc(n > 0 ? n : 1, sizeof(*parts));
    struct inbox_want *want = malloc((n > 0 ? n : 1) * sizeof(*want));
    if (parts == NULL || want == NULL)
        log_fatal("out of memory");
    for (size_t i = 0; i < n; i++) {
        parts[i].json = rendercache_copy(kind, keys[i].id, keys[i].uuid, &parts[i].len);
        if (parts[i].json == NULL)
            want[nwant++] = (struct inbox_want) { keys[i].id, keys[i].uuid, i };
    }
    /*
     * The ones not kept: their rows (wait= read them all), rendered. Otherwise they are
     * read INBOX_READ_PAGE at a time in id order, so that an inbox of thousands never has
     * all its rows, as well as all their JSON, in memory at once.
     */
    if (nwant > 0 && rows != NULL)
        inbox_render_found(rows, nrows, want, nwant, parts, kind, render);
    else if (nwant > 0) {
        qsort(want, nwant, sizeof(*want), inbox_want_order);
        for (size_t at = 0; at < nwant; at += INBOX_READ_PAGE) {
            size_t page = nwant - at < INBOX_READ_PAGE ? nwant - at : INBOX_READ_PAGE;
            if ((rc = store_messages_between(db, mailbox_id, want[at].id,
                                             want[at + page - 1].id, &rows, &nrows)) != 0)
                goto out;
            inbox_render_found(rows, nrows, want + at, page, parts, kind, render);
            store_messages_free(rows, nrows);
            rows = NULL;
            nrows = 0;
        }
    }

    /* {"list":[part,part,...]}, written from the parts as they are. */
    char head[64];
    size_t nv = 0;
    struct iovec *v = malloc((2 * n + 2) * sizeof(*v));
    if (v == NULL)
        log_fatal("out of memory");
    snprintf(head, sizeof(head), "{\"%s\":[", list);
    v[nv++] = (struct iovec) { head, strlen(head) };
    for (size_t i = 0; i < n; i++) {
        if (parts[i].json == NULL)
            continue;
        if (nv > 1)
            v[nv++] = (struct iovec) { ",", 1 };
        v[nv++] = (struct iovec) { parts[i].json, parts[i].len };
    }
    v[nv++] = (struct iovec) { "]}", 2 };
    http_respond_parts(req, 200, "application/json", v, nv);
    free(v);
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(parts[i].json);
    free(parts);
    free(want);
    free(keys);
    store_messages_free(rows, nrows);
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

const char *inbox_sender(const STORE_MESSAGE *m, char *addr, size_t addr_len, char *name,
                         size_t name_len)
{
    mime_from_split(m->header_from, addr, addr_len, name, name_len);
    return *addr ? addr : m->envelope_from;
}

json_object *inbox_message_json(const STORE_MESSAGE *m)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "id", json_object_new_int64((int64_t)m->id));
    /* The document shows "from" as a bare address; the display name has a field of its own. */
    char addr[ADDRESS_MAX + 1], name[256];
    const char *from = inbox_sender(m, addr, sizeof(addr), name, sizeof(name));
    json_object_object_add(e, "from", json_object_new_string(from));
    json_object_object_add(e, "from_name", json_object_new_string(name));
    json_object_object_add(e, "subject", json_object_new_string(m->subject));
    json_object_object_add(e, "body", json_object_new_string(m->body_text));
    json_object_object_add(e, "html", json_object_new_string(m->body_html));
    json_object_object_add(e, "received_at", reply_time(m->received_at, 0));
    inbox_add_extracted(e, m);
    return e;
}
