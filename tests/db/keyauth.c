/*
 * tests/db/keyauth — api_key_hit(), the first step of every API request made with a key,
 * from many threads of one process at once, against the stack's MariaDB: requests that
 * present the same key at once share its lookup and the count, and each still sees the
 * key as it was when it came, and is counted once.
 *
 * Run by `make db-test` (part of `make test`) with TEMPMAIL_CONF naming the stack's
 * tempmail.conf. A scratch account with one key; THREADS threads, each with its own
 * connection (as a route process's request threads have):
 *
 *   1. THREADS * CALLS requests with the key: each is given the key's account and key, and
 *      the places in the count 1 .. THREADS*CALLS, each once; the database counts as many;
 *   2. at most half as many lookups as requests: requests that came together shared one
 *      (one each, and the check fails, without sharing);
 *   3. while the main thread raises the account's balance CHANGES times, no request is
 *      given a balance lower than the one committed before it began: a shared lookup
 *      begins after each of its members came (joining a lookup already on its way would
 *      hand out the older balance);
 *   4. once the key is revoked, every request that begins after it is refused
 *      (STORE_NOTFOUND), as is a key that never was;
 *   5. while another transaction holds the account's rate counter, BLOCKED requests (each
 *      with a lock wait of a second) all fail in the rate-limit step, and each connection
 *      tells the lock wait as its reason, also those whose count another thread sent.
 *
 * Exit 0 when every check passed, 1 otherwise (each failure says what it saw).
 */

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "db.h"
#include "dbtest.h"
#include "store.h"

#define THREADS 16
#define CALLS   100
#define TOTAL   (THREADS * CALLS)
#define CHANGES 200                     /* balance raises in part 3 */
#define AFTER   20                      /* each thread's requests after the revocation */

static unsigned long long account_id, key_id;
static char key_hash[AUTH_HASH_HEX + 1];
static long long counted[TOTAL + 1];    /* how often each place in the count was handed out */
static int wrong_who, failed, stale, revoked_served, after_revoke, part3_calls;
static int committed_balance;           /* part 3: the balance last committed (whole units) */
static int revoked, changing;           /* part 4: the revocation is committed; part 3 runs */
static int calls_before;                /* part 4: requests made before the revocation */
static pthread_mutex_t tally = PTHREAD_MUTEX_INITIALIZER;

static int hit(DB *db, STORE_PRINCIPAL *who, RATELIMIT *rl)
{
    const char *step;
    return api_key_hit(db, key_hash, who, rl, &step);
}

/* Part 1: CALLS requests; each must be given the key's account and a place of its own. */
static void *counter(void *arg)
{
    (void)arg;
    DB *db = dbtest_open();

    for (int i = 0; i < CALLS; i++) {
        STORE_PRINCIPAL who;
        RATELIMIT rl;
        int rc = hit(db, &who, &rl);
        pthread_mutex_lock(&tally);
        if (rc != 0)
            failed++;
        else if (who.account_id != account_id || who.key_id != key_id)
            wrong_who++;
        else if (rl.used >= 1 && rl.used <= TOTAL)
            counted[rl.used]++;
        pthread_mutex_unlock(&tally);
    }
    db_close(db);
    return NULL;
}

/* Part 3: requests while the balance rises; none may see one below what came before it. */
static void *reader(void *arg)
{
    (void)arg;
    DB *db = dbtest_open();

    while (__atomic_load_n(&changing, __ATOMIC_SEQ_CST)) {
        int floor = __atomic_load_n(&committed_balance, __ATOMIC_SEQ_CST);
        STORE_PRINCIPAL who;
        RATELIMIT rl;
        int rc = hit(db, &who, &rl);
        pthread_mutex_lock(&tally);
        part3_calls++;
        if (rc != 0)
            failed++;
        else if (strtod(who.balance, NULL) < floor) {
            if (stale++ == 0)
                printf("# began after balance %d was committed, was given %s\n", floor,
                       who.balance);
        }
        pthread_mutex_unlock(&tally);
    }
    db_close(db);
    return NULL;
}

/* Part 4: requests before and after the revocation; none that began after it is served. */
static void *revokee(void *arg)
{
    (void)arg;
    DB *db = dbtest_open();

    for (int after = 0; after < AFTER; ) {
        int was_revoked = __atomic_load_n(&revoked, __ATOMIC_SEQ_CST);
        STORE_PRINCIPAL who;
        RATELIMIT rl;
        int rc = hit(db, &who, &rl);
        if (!was_revoked) {
            __atomic_add_fetch(&calls_before, 1, __ATOMIC_SEQ_CST);
            continue;
        }
        after++;
        pthread_mutex_lock(&tally);
        after_revoke++;
        if (rc != STORE_NOTFOUND)
            revoked_served++;
        pthread_mutex_unlock(&tally);
    }
    db_close(db);
    return NULL;
}

static void *changer(void *arg)
{
    DB *db = arg;

    for (int b = 1; b <= CHANGES; b++) {
        if (db_exec(db, "UPDATE accounts SET balance = ? WHERE id = ?", "iu", (long long)b,
                    account_id) != 1)
            dbtest_die(db, "raising the balance");
        __atomic_store_n(&committed_balance, b, __ATOMIC_SEQ_CST);
    }
    __atomic_store_n(&changing, 0, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *revoker(void *arg)
{
    DB *db = arg;

    /* Revoke while requests are on their way, lookups among them. */
    while (__atomic_load_n(&calls_before, __ATOMIC_SEQ_CST) < THREADS * 5)
        sched_yield();
    if (db_exec(db, "UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(3) WHERE id = ?", "u",
                key_id) != 1)
        dbtest_die(db, "revoking the key");
    __atomic_store_n(&revoked, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

#define BLOCKED 4

static const char *blocked_step[BLOCKED];

static int blocked_hit(DB *db, long i)
{
    STORE_PRINCIPAL who;
    RATELIMIT rl;
    return api_key_hit(db, key_hash, &who, &rl, &blocked_step[i]);
}

/* Run workers in THREADS threads while main_part runs on db in one more. */
static void run_beside(void *(*worker)(void *), void *(*main_part)(void *), DB *db)
{
    pthread_t t;

    if (pthread_create(&t, NULL, main_part, db) != 0)
        dbtest_die(NULL, "pthread_create");
    dbtest_threads(THREADS, worker);
    pthread_join(t, NULL);
}

int main(void)
{
    dbtest_setup("keyauth");
    DB *db = dbtest_open();
    char key[AUTH_KEY_LEN + 1];

    if (store_account_create(db, NULL, NULL, "0", 0, &account_id) != 0)
        dbtest_die(db, "scratch account");
    auth_key_new(key);
    auth_key_hash(key, key_hash);
    if (store_key_create(db, account_id, key_hash, "db-test", "keyauth", &key_id) != 0)
        dbtest_die(db, "scratch key");

    /* 1, 2: the account is new, so its window begins with this run, whatever the hour. */
    long long lookups0 = api_key_lookups();
    dbtest_threads(THREADS, counter);
    long long lookups = api_key_lookups() - lookups0;
    char subject[64];
    RATELIMIT counted_rl = { 0 };
    snprintf(subject, sizeof(subject), "account:%llu", account_id);
    ratelimit_peek(db, subject, TOTAL, &counted_rl);
    long long stored = counted_rl.used;
    printf("# %d requests: %lld lookups, %d failed, %d given another key; the database counts"
           " %lld\n", TOTAL, lookups, failed, wrong_who, stored);
    int once = 1;
    for (int n = 1; n <= TOTAL; n++)
        if (counted[n] != 1) {
            printf("# place %d in the count handed out %lld times\n", n, counted[n]);
            once = 0;
            break;
        }
    check(failed == 0 && wrong_who == 0, "1: every request given the key's account");
    check(once && stored == TOTAL, "1: places 1 .. N in the count, each once; the database agrees");
    check(lookups <= TOTAL / 2, "2: at most half as many lookups as requests");

    /* 3 */
    changing = 1;
    failed = 0;
    run_beside(reader, changer, db);
    printf("# 3: %d requests while the balance rose %d times; %d given an older one\n",
           part3_calls, CHANGES, stale);
    check(failed == 0 && stale == 0, "3: no request given a balance older than its start");

    /* 4 */
    run_beside(revokee, revoker, db);
    STORE_PRINCIPAL who;
    RATELIMIT rl;
    const char *step;
    char never[AUTH_HASH_HEX + 1];
    auth_key_new(key);
    auth_key_hash(key, never);
    int unknown = api_key_hit(db, never, &who, &rl, &step);
    printf("# 4: %d requests after the revocation, %d served\n", after_revoke, revoked_served);
    check(after_revoke == THREADS * AFTER && revoked_served == 0,
          "4: every request after the revocation refused");
    check(unknown == STORE_NOTFOUND, "4: a key that never was refused");

    /* 5 */
    if (db_exec(db, "UPDATE api_keys SET revoked_at = NULL WHERE id = ?", "u", key_id) != 1)
        dbtest_die(db, "the key back");
    int blocked_failed, blocked_told, in_rate_step = 0;
    dbtest_blocked(db, "SELECT hits FROM rate_counters WHERE subject = ? FOR UPDATE", subject,
                   BLOCKED, blocked_hit, &blocked_failed, &blocked_told);
    for (int i = 0; i < BLOCKED; i++)
        in_rate_step += blocked_step[i] != NULL && strcmp(blocked_step[i], "rate limit") == 0;
    printf("# 5: %d of %d failed, %d in the rate-limit step, %d telling the lock wait\n",
           blocked_failed, BLOCKED, in_rate_step, blocked_told);
    check(blocked_failed == BLOCKED && in_rate_step == BLOCKED && blocked_told == BLOCKED,
          "5: each blocked request fails counting, with the lock wait as its own reason");

    long long gone;
    store_rate_clear(db, subject, &gone);
    db_exec(db, "DELETE FROM api_keys WHERE account_id = ?", "u", account_id);
    db_exec(db, "DELETE FROM accounts WHERE id = ?", "u", account_id);
    db_close(db);
    return failures ? 1 : 0;
}
