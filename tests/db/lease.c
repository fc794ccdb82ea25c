/*
 * tests/db/lease — store_lock_acquire(), the cluster-wide lease, raced for real.
 *
 *   tests/db/lease CONF_A CONF_B [ROUNDS]
 *
 * Two holders, each with a connection of its own made from its tempmail.conf (the same
 * server for `make db-test`; two Galera nodes in tests/cluster), take the same fresh
 * lock at the same moment, ROUNDS times (default 50). Each round exactly one must win.
 * Then the rules of a lease: the holder renews, the other cannot take it; after a
 * release the other can; a lapsed lease (0 seconds) is free for the other.
 * Exit 0 when every check passed, 1 otherwise.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "dbtest.h"
#include "log.h"
#include "store.h"

struct racer {
    DB *db;
    const char *holder;
    char name[64];
    int got;
};

static pthread_barrier_t start_line;
/* The config is global: open each connection while its file is the loaded one. */
static DB *open_with(const char *conf)
{
    char err[512];
    if (config_load(conf, err, sizeof(err)) != 0) {
        fprintf(stderr, "lease: %s: %s\n", conf, err);
        exit(2);
    }
    DB *db = db_open(err, sizeof(err));
    if (db == NULL) {
        fprintf(stderr, "lease: %s\n", err);
        exit(2);
    }
    return db;
}

static void *race(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(&start_line);
    r->got = store_lock_acquire(r->db, r->name, r->holder, 30);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: lease CONF_A CONF_B [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 50;
    log_open("lease", 0);
    struct racer a = { open_with(argv[1]), "test-a", "", 0 };
    struct racer b = { open_with(argv[2]), "test-b", "", 0 };
    char run[32];
    snprintf(run, sizeof(run), "t%ld-", (long)getpid());

    int one_winner = 0, wins_a = 0;
    for (int i = 0; i < rounds; i++) {
        snprintf(a.name, sizeof(a.name), "%srace-%d", run, i);
        snprintf(b.name, sizeof(b.name), "%srace-%d", run, i);
        pthread_t ta, tb;
        pthread_barrier_init(&start_line, NULL, 2);
        pthread_create(&ta, NULL, race, &a);
        pthread_create(&tb, NULL, race, &b);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&start_line);
        if ((a.got == 1) + (b.got == 1) == 1 && a.got >= 0 && b.got >= 0)
            one_winner++;
        else
            printf("# round %d: a got %d, b got %d\n", i, a.got, b.got);
        wins_a += a.got == 1;
    }
    check(one_winner == rounds, "every round of the race had exactly one winner");
    printf("# %d rounds: a won %d, b won %d; conflicts re-run: %lu\n", rounds, wins_a,
           rounds - wins_a, db_retries(a.db) + db_retries(b.db));

    char name[64];
    snprintf(name, sizeof(name), "%srules", run);
    check(store_lock_acquire(a.db, name, "test-a", 30) == 1, "a takes a free lock");
    check(store_lock_acquire(b.db, name, "test-b", 30) == 0, "b cannot take it while a's lease runs");
    check(store_lock_acquire(a.db, name, "test-a", 30) == 1, "a renews its lease");
    check(store_lock_acquire(b.db, name, "test-b", 30) == 0, "b still cannot");
    check(store_lock_release(b.db, name, "test-b") == 0
          && store_lock_acquire(b.db, name, "test-b", 30) == 0, "b's release frees nothing of a's");
    check(store_lock_release(a.db, name, "test-a") == 0, "a releases");
    /*
     * A "taken" is always certified against the other nodes' commits, so two holders
     * never both win; a "not taken" may come from a node that has not yet applied the
     * release made on another: on a cluster b sees the free lock a moment later.
     */
    int took = 0;
    for (int i = 0; i < 200 && (took = store_lock_acquire(b.db, name, "test-b", 0)) == 0; i++)
        usleep(50 * 1000);
    check(took == 1, "then b takes it");
    usleep(20 * 1000);
    check(store_lock_acquire(a.db, name, "test-a", 30) == 1, "b's lapsed lease is free for a");

    /* The rows of this run: names are unique to it, and no worker uses them. */
    db_exec(a.db, "DELETE FROM locks WHERE name LIKE CONCAT(?, '%')", "s", run);
    db_close(a.db);
    db_close(b.db);
    return failures ? 1 : 0;
}
