/*++
 * NAME
 *	batch 3
 * SUMMARY
 *	concurrent requests of one process that touch the same row, run as one (see batch.h)
 *--*/

#include <stdio.h>
#include <string.h>

#include "batch.h"

/* Make the slots' conditions on first use (a static initializer cannot). Call locked. */
static void batch_table_init(BATCH_TABLE *table)
{
    if (!table->ready) {
        for (int i = 0; i < BATCH_SLOTS; i++)
            pthread_cond_init(&table->slots[i].cond, NULL);
        table->ready = 1;
    }
}

/* The batch of key that is run now, or NULL. Call with the table locked. */
static BATCH_SLOT *batch_running(BATCH_TABLE *table, const char *key)
{
    for (int i = 0; i < BATCH_SLOTS; i++) {
        BATCH_SLOT *b = &table->slots[i];
        if (b->used && b->sent && !b->done && strcmp(b->key, key) == 0)
            return b;
    }
    return NULL;
}

/* The batch of key that still takes members, or NULL. Call with the table locked. */
static BATCH_SLOT *batch_gathering(BATCH_TABLE *table, const char *key)
{
    for (int i = 0; i < BATCH_SLOTS; i++) {
        BATCH_SLOT *b = &table->slots[i];
        if (b->used && !b->sent && strcmp(b->key, key) == 0)
            return b;
    }
    return NULL;
}

static BATCH_SLOT *batch_free_slot(BATCH_TABLE *table)
{
    for (int i = 0; i < BATCH_SLOTS; i++)
        if (!table->slots[i].used)
            return &table->slots[i];
    return NULL;
}

/* A member leaves its ended batch. Call with the table locked. */
static void batch_leave(BATCH_SLOT *b)
{
    if (--b->unread == 0)
        b->used = 0;
}

static void batch_alone(BATCH_TABLE *table, void *arg, BATCH_RUN run, void *context)
{
    __atomic_add_fetch(&table->runs, 1, __ATOMIC_RELAXED);
    run(context, &arg, 1);
}

void batch_run(BATCH_TABLE *table, const char *key, void *arg, BATCH_RUN run, void *context)
{
    BATCH_SLOT *b, *before;

    if (strlen(key) >= BATCH_KEY_MAX) {
        batch_alone(table, arg, run, context);
        return;
    }
    pthread_mutex_lock(&table->lock);
    batch_table_init(table);
    if ((b = batch_gathering(table, key)) != NULL) {
        if (b->count < BATCH_MAX) {
            /* Its leader waits for the run before it, and will run us too. */
            b->args[b->count++] = arg;
            b->unread++;
            while (!b->done)
                pthread_cond_wait(&b->cond, &table->lock);
            batch_leave(b);
            pthread_mutex_unlock(&table->lock);
            return;
        }
        b = NULL;                           /* full: alone */
    } else {
        b = batch_free_slot(table);
    }
    if (b == NULL) {
        pthread_mutex_unlock(&table->lock);
        batch_alone(table, arg, run, context);
        return;
    }
    b->used = 1;
    b->sent = b->done = 0;
    snprintf(b->key, sizeof(b->key), "%s", key);
    b->args[0] = arg;
    b->count = b->unread = 1;
    /* We lead. While the key's run before ours is on its way, others join us. */
    while ((before = batch_running(table, key)) != NULL)
        pthread_cond_wait(&before->cond, &table->lock);
    b->sent = 1;
    size_t n = b->count;
    pthread_mutex_unlock(&table->lock);
    __atomic_add_fetch(&table->runs, 1, __ATOMIC_RELAXED);

    run(context, b->args, n);

    pthread_mutex_lock(&table->lock);
    b->done = 1;
    pthread_cond_broadcast(&b->cond);
    batch_leave(b);
    pthread_mutex_unlock(&table->lock);
}

long long batch_runs(const BATCH_TABLE *table)
{
    return __atomic_load_n(&table->runs, __ATOMIC_RELAXED);
}
