/*++
 * NAME
 *	rendercache 3
 * SUMMARY
 *	a route process's messages already rendered as JSON (see rendercache.h)
 *--*/

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rendercache.h"

/*
 * A hash of chains for lookup, and one queue in the order of insertion for pushing
 * out: the oldest entry goes first, whether or not it was read lately. Messages are
 * read newest first and an inbox lives hours, so the oldest entry is the one least
 * likely to be asked for again; a least-recently-used list would cost a write under
 * the lock at every hit.
 */
#define RENDERCACHE_BUCKETS 4096

typedef struct rendercache_entry {
    struct rendercache_entry *chain;        /* the next of its bucket */
    struct rendercache_entry *newer;        /* the next in insertion order */
    unsigned long long id;
    char uuid[37];
    int kind;
    size_t len;
    char json[];
} RENDERCACHE_ENTRY;

static pthread_mutex_t rendercache_lock = PTHREAD_MUTEX_INITIALIZER;
static RENDERCACHE_ENTRY *rendercache_table[RENDERCACHE_BUCKETS];
static RENDERCACHE_ENTRY *rendercache_oldest, *rendercache_newest;
static size_t rendercache_kept;             /* bytes of the entries, headers included */

static RENDERCACHE_ENTRY **rendercache_bucket(int kind, unsigned long long id)
{
    return &rendercache_table[(id * 2 + (unsigned)kind) % RENDERCACHE_BUCKETS];
}

static size_t rendercache_size(const RENDERCACHE_ENTRY *e)
{
    return sizeof(*e) + e->len;
}

/* Call with the lock held. */
static RENDERCACHE_ENTRY *rendercache_find(int kind, unsigned long long id, const char *uuid)
{
    for (RENDERCACHE_ENTRY *e = *rendercache_bucket(kind, id); e != NULL; e = e->chain)
        if (e->id == id && e->kind == kind && strcmp(e->uuid, uuid) == 0)
            return e;
    return NULL;
}

/* Drop the oldest entry. Call with the lock held, the queue not empty. */
static void rendercache_drop_oldest(void)
{
    RENDERCACHE_ENTRY *e = rendercache_oldest, **p = rendercache_bucket(e->kind, e->id);

    while (*p != e)
        p = &(*p)->chain;
    *p = e->chain;
    if ((rendercache_oldest = e->newer) == NULL)
        rendercache_newest = NULL;
    rendercache_kept -= rendercache_size(e);
    free(e);
}

char *rendercache_copy(int kind, unsigned long long id, const char *uuid, size_t *len)
{
    char *copy = NULL;

    pthread_mutex_lock(&rendercache_lock);
    RENDERCACHE_ENTRY *e = rendercache_find(kind, id, uuid);
    if (e != NULL) {
        if ((copy = malloc(e->len + 1)) == NULL)
            log_fatal("out of memory");
        memcpy(copy, e->json, e->len);
        copy[e->len] = '\0';
        *len = e->len;
    }
    pthread_mutex_unlock(&rendercache_lock);
    return copy;
}

void rendercache_put(int kind, unsigned long long id, const char *uuid, const char *json,
                     size_t len)
{
    if (sizeof(RENDERCACHE_ENTRY) + len > RENDERCACHE_BYTES / 8
        || strlen(uuid) >= sizeof(((RENDERCACHE_ENTRY *)0)->uuid))
        return;
    RENDERCACHE_ENTRY *e = malloc(sizeof(*e) + len);
    if (e == NULL)
        log_fatal("out of memory");
    e->id = id;
    strcpy(e->uuid, uuid);
    e->kind = kind;
    e->len = len;
    e->newer = NULL;
    memcpy(e->json, json, len);

    pthread_mutex_lock(&rendercache_lock);
    if (rendercache_find(kind, id, uuid) != NULL) {
        /* Another request rendered it meanwhile: the same bytes. */
        pthread_mutex_unlock(&rendercache_lock);
        free(e);
        return;
    }
    while (rendercache_oldest != NULL && rendercache_kept + rendercache_size(e) > RENDERCACHE_BYTES)
        rendercache_drop_oldest();
    RENDERCACHE_ENTRY **bucket = rendercache_bucket(kind, id);
    e->chain = *bucket;
    *bucket = e;
    if (rendercache_newest != NULL)
        rendercache_newest->newer = e;
    else
        rendercache_oldest = e;
    rendercache_newest = e;
    rendercache_kept += rendercache_size(e);
    pthread_mutex_unlock(&rendercache_lock);
}

size_t rendercache_bytes(void)
{
    pthread_mutex_lock(&rendercache_lock);
    size_t n = rendercache_kept;
    pthread_mutex_unlock(&rendercache_lock);
    return n;
}
