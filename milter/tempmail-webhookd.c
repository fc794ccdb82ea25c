/*++
 * NAME
 *	tempmail-webhookd 8
 * SUMMARY
 *	send the webhooks of new messages
 * SYNOPSIS
 *	tempmail-webhookd [-f] [-c config_file] [-u user]
 * DESCRIPTION
 *	Accounts register webhooks (POST /api/webhooks): a URL for one of
 *	their addresses, or for all of their addresses on a domain. For every
 *	message that arrives there, this daemon POSTs a JSON document to the
 *	URL, signed with the webhook's secret, and retries with backoff until
 *	the receiver answers 2xx or webhook_retry_for seconds have passed. The
 *	outcome of each delivery is in a log the account reads
 *	(GET /api/webhooks/{id}/deliveries).
 *
 *	The milter knows nothing of webhooks, so capture never waits for a
 *	receiver. This daemon finds new messages itself: it reads the
 *	messages whose id is above a cursor, joined to the webhooks that match
 *	them, and queues one delivery row per (webhook, message) with the JSON
 *	to send. It looks when the milter's arrival signal fires (arrival(3):
 *	inotify on the arrival directory, written after each commit), and
 *	every 30 seconds in case a signal was missed (another MX host's mail
 *	gives none here), never in a busy loop. Signals that come faster than
 *	one per WEBHOOKD_GAP_MS are taken together: a busy MX signals after
 *	every message, and one look per signal would cost the database more
 *	than the capture itself.
 *
 *	Message ids are not promised to grow in commit order (a capture
 *	transaction may commit a lower id after a higher one is visible, and
 *	Galera hands out interleaved ids), so the cursor trails behind: it
 *	moves to the highest id seen at least 60 seconds earlier, and each look
 *	reads everything above it again. The unique (webhook, message) key
 *	makes that harmless. A message whose capture transaction stays open for
 *	more than 60 seconds after a higher id is visible could be missed.
 *
 *	Deliveries are sent webhook_concurrency at a time with libcurl (one
 *	thread, one multi handle). A delivery taken for an attempt is leased
 *	for webhook_timeout + 30 seconds: if this daemon dies during the
 *	attempt, it is tried again after that. So a receiver may, rarely, get
 *	a delivery twice: X-Tempmail-Delivery tells it that it has seen it.
 *
 *	The queue is read in the order of its due index, 100 new pairs are
 *	queued per transaction, and the outcomes of the attempts that ended
 *	together are written in one: on the 2-core test machine the worker
 *	drained a backlog at about 430 deliveries a second to a loopback
 *	receiver, with MariaDB doing most of the work.
 *
 *	One daemon sends at a time across every host: it holds a named
 *	cluster-wide lock (store_lock_acquire(), "tempmail_webhookd") while it
 *	works, renewing it every 10 seconds (a lease of 90), and stops sending
 *	when a renewal finds it lost. Others stand by and try to take the lock
 *	every 10 seconds.
 * THE REQUEST
 *	POST to the webhook's URL, no redirects followed, no proxy used, https
 *	certificates verified against the system's CA store. Headers:
 *
 *	Content-Type: application/json
 *	X-Tempmail-Event: message.received
 *	X-Tempmail-Delivery: the delivery's id (the same on every retry)
 *	X-Tempmail-Timestamp: Unix seconds when this attempt was signed
 *	X-Tempmail-Signature: sha256=HEX, HEX being the lowercase hex
 *		HMAC-SHA256, keyed with the webhook's secret (the whole
 *		"whsec_..." string as shown at creation), of the timestamp's
 *		decimal digits, one ".", and the raw body, byte for byte.
 *
 *	A receiver recomputes the HMAC, compares it in constant time, and
 *	refuses a timestamp more than a few minutes from its clock; that stops
 *	a captured request from being replayed later. Body: see webhook(3)
 *	(event, webhook_id, address, uuid, and the message as the leveragers
 *	inbox shows it).
 *
 *	Any 2xx answer within webhook_timeout is "delivered". Anything else
 *	(another status, a redirect, a timeout, a refused connection, a TLS
 *	failure) is retried after webhook_retry_base seconds, doubling after
 *	each failure up to an hour, with one last attempt at webhook_retry_for
 *	seconds after the message arrived; then the delivery is "failed".
 *	The log keeps finished deliveries webhook_log_keep seconds. At its
 *	start, then hourly, the worker forgets older ones and fails the
 *	deliveries a paused webhook has held longer than webhook_retry_for
 *	(whatever the host's uptime: periodic(3)).
 *
 *	Options:
 *	-c config_file
 *		read this file instead of $TEMPMAIL_CONF or
 *		/etc/tempmail/tempmail.conf.
 *	-f	log to stderr instead of syslog (facility mail). It never puts
 *		itself in the background.
 *	-u user
 *		when started as root: after reading the configuration, become
 *		user (privs(3)), as the milter does.
 * SIGNALS
 *	SIGTERM, SIGINT and SIGHUP stop it: transfers under way are dropped
 *	(their lease makes them retried later), the lock is released, exit 0.
 * DIAGNOSTICS
 *	To syslog: each delivery's outcome by delivery and webhook id, never
 *	a URL (it may carry a token), a secret or a body. A database that is
 *	down is retried every 10 seconds. Exit status 64 for a bad command
 *	line, 1 when startup failed.
 * SECURITY
 *	Needs no privilege; run it as the milter's user. By default it sends
 *	to https:// URLs of public addresses only: a host name that resolves to
 *	a loopback or private address is refused at connect time, unless
 *	webhook_allow_internal is 1.
 * CONFIGURATION PARAMETERS
 *	webhook_timeout (10), webhook_retry_base (30), webhook_retry_for
 *	(86400), webhook_concurrency (8), webhook_log_keep (604800),
 *	webhook_allow_http (0), webhook_allow_internal (0); arrival_dir or
 *	milter_socket (where the arrival signal is); db_* (config(3)).
 * SEE ALSO
 *	webhook(3), store(3), arrival(3), tempmail-milter(8)
 *--*/

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "arrival.h"
#include "config.h"
#include "daemon_args.h"
#include "db.h"
#include "log.h"
#include "monotime.h"
#include "periodic.h"
#include "privs.h"
#include "store.h"
#include "webhook.h"

#define WEBHOOKD_NAME           "tempmail-webhookd"
#define WEBHOOKD_LOCK           "tempmail_webhookd"
#define WEBHOOKD_FALLBACK_MS    30000L  /* look for new mail this often without a signal */
#define WEBHOOKD_GAP_MS         100L    /* arrival signals are taken together this long */
#define WEBHOOKD_STANDBY_MS     10000L  /* retry the database or the lock this often */
#define WEBHOOKD_WINDOW         60      /* seconds the cursor trails the highest id seen */
#define WEBHOOKD_BATCH          100     /* new (webhook, message) pairs read at a time */
#define WEBHOOKD_BACKOFF_MAX    3600L   /* longest wait between two attempts */
#define WEBHOOKD_LEASE_EXTRA    30L     /* seconds a claimed delivery waits beyond the timeout */
#define WEBHOOKD_PRUNE_EVERY    3600    /* seconds between prunes of the log */
#define WEBHOOKD_LEASE          90L     /* seconds the lock is ours without a renewal */
#define WEBHOOKD_RENEW          10      /* renew it this often (the longest sleep is 30 s) */

/* One attempt in flight. */
struct job {
    STORE_DUE due;                  /* owns url, secret, payload */
    CURL *easy;
    struct curl_slist *headers;
    int refused_internal;           /* the opensocket check said no */
    char error[CURL_ERROR_SIZE];
};

/* The daemon's state: one thread, so plain statics. */
static DB *db;
static int locked;                  /* we hold WEBHOOKD_LOCK */
static char holder[128];            /* our name as its holder: host:pid:webhookd */
static PERIODIC renewal = PERIODIC_NEVER;   /* the lock, taken or renewed at its last run */
static unsigned long long cursor;
static unsigned long long sample_id;/* the highest id seen when sampling last ran ... */
static PERIODIC sampling = PERIODIC_NEVER;  /* ... which becomes the cursor WEBHOOKD_WINDOW later */
static CURLM *multi;
static struct job **jobs;           /* webhook_concurrency slots */
static long in_flight;

/* Every "last done at" here is a PERIODIC (periodic(3)): never run means due. */
#define WEBHOOKD_SECONDS(s) ((long long)(s) * 1000)

/* The database failed: log why, drop the connection (and so the lock) to start afresh. */
static void webhookd_db_failed(const char *what)
{
    log_warn("%s: %s", what, db != NULL ? db_error(db) : "no connection");
    db_close(db);
    db = NULL;
    if (locked)
        log_warn("gave up the lock with the connection; taking it again when the database answers");
    locked = 0;
}

/* ---- finding new messages ------------------------------------------------------- */

/*
 * Queue a delivery for up to WEBHOOKD_BATCH new (webhook, message) pairs
 * above the cursor: 1 when there may be more (the loop comes back at once,
 * between its sends), 0 when every pair is queued, -1 when the database
 * failed. Only after a complete look does the cursor move, to the highest id
 * seen WEBHOOKD_WINDOW seconds before: a pair below it is never skipped.
 */
static int webhookd_scan(void)
{
    static unsigned long long max_id;   /* the highest id when this look began */
    static int going_on;                /* this look is not complete yet */
    STORE_MESSAGE *found;
    unsigned long long *hook_ids;
    size_t n;

    if (!going_on && store_message_max_id(db, &max_id) != 0)
        return -1;
    int cut = store_webhook_arrivals(db, cursor, WEBHOOKD_BATCH, &found, &hook_ids, &n);
    if (cut < 0)
        return -1;
    /* One transaction a batch: one log flush for a hundred rows, not one each. */
    int rc = n > 0 ? db_begin(db) : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t len;
        char *payload = webhook_payload(hook_ids[i], &found[i], &len);
        rc = store_delivery_enqueue(db, hook_ids[i], &found[i], payload, len);
        free(payload);
    }
    if (n > 0 && rc == 0)
        rc = db_commit(db);
    else if (n > 0)
        db_rollback(db);
    store_messages_free(found, n);
    free(hook_ids);
    if (rc != 0)
        return -1;
    if ((going_on = cut == 1))
        return 1;

    long long now = monotime_ms();
    if (periodic_due(&sampling, now, WEBHOOKD_SECONDS(WEBHOOKD_WINDOW))) {
        if (sampling.ran && sample_id > cursor) {
            if (store_webhook_cursor_set(db, sample_id) != 0)
                return -1;
            cursor = sample_id;
        }
        sample_id = max_id;
        periodic_done(&sampling, now);
    }
    return 0;
}

/* ---- sending -------------------------------------------------------------------- */

static size_t webhookd_discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

/* Every connection the worker opens passes here: no internal address unless allowed. */
static curl_socket_t webhookd_open_socket(void *arg, curlsocktype purpose,
                                          struct curl_sockaddr *addr)
{
    struct job *job = arg;

    (void)purpose;
    if (!cfg.webhook_allow_internal && webhook_address_internal(&addr->addr)) {
        job->refused_internal = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static void webhookd_job_free(struct job *job)
{
    if (job->easy != NULL) {
        curl_multi_remove_handle(multi, job->easy);
        curl_easy_cleanup(job->easy);
    }
    curl_slist_free_all(job->headers);
    store_due_clear(&job->due);
    free(job);
}

static struct curl_slist *webhookd_header(struct curl_slist *list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct curl_slist *webhookd_header(struct curl_slist *list, const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    struct curl_slist *more = curl_slist_append(list, line);
    if (more == NULL)
        log_fatal("out of memory");
    return more;
}

/* Record the outcome of an attempt (status 0: no HTTP answer). */
static void webhookd_record(const STORE_DUE *due, int status, const char *error)
{
    int rc;

    if (db == NULL)
        return;                         /* the lease brings it back */
    if (status >= 200 && status < 300) {
        rc = store_delivery_delivered(db, due->id, status);
        if (rc == 0)
            log_info("delivery %llu (webhook %llu): delivered, HTTP %d, attempt %ld",
                     due->id, due->webhook_id, status, due->attempts + 1);
    } else {
        long delay = cfg.webhook_retry_base;
        long cap = cfg.webhook_retry_base > WEBHOOKD_BACKOFF_MAX ? cfg.webhook_retry_base
                                                                 : WEBHOOKD_BACKOFF_MAX;
        for (long i = 0; i < due->attempts && delay < cap; i++)
            delay *= 2;
        if (delay > cap)
            delay = cap;
        rc = store_delivery_retry(db, due->id, status, error, delay, cfg.webhook_retry_for);
        if (rc == 0)
            log_info("delivery %llu (webhook %llu): attempt %ld failed: %s",
                     due->id, due->webhook_id, due->attempts + 1, error);
    }
    if (rc != 0)
        webhookd_db_failed("recording a delivery");
}

/* Start one attempt; on a setup failure it is recorded as failed at once. */
static void webhookd_start(STORE_DUE *due)
{
    char canonical[WEBHOOK_URL_MAX + 1], why[256], signature[WEBHOOK_SIGNATURE_SIZE];
    struct job *job = calloc(1, sizeof(*job));

    if (job == NULL)
        log_fatal("out of memory");
    job->due = *due;                    /* the strings move to the job */
    memset(due, 0, sizeof(*due));
    /* The rules may have changed since the webhook was made. */
    if (webhook_url_check(job->due.url, canonical, sizeof(canonical), why, sizeof(why)) != 0) {
        webhookd_record(&job->due, 0, why);
        webhookd_job_free(job);
        return;
    }
    long long stamp = (long long)time(NULL);
    webhook_sign(job->due.secret, stamp, job->due.payload, job->due.payload_len, signature);
    job->headers = webhookd_header(NULL, "Content-Type: application/json");
    job->headers = webhookd_header(job->headers, "X-Tempmail-Event: %s", WEBHOOK_EVENT);
    job->headers = webhookd_header(job->headers, "X-Tempmail-Delivery: %llu", job->due.id);
    job->headers = webhookd_header(job->headers, "X-Tempmail-Timestamp: %lld", stamp);
    job->headers = webhookd_header(job->headers, "X-Tempmail-Signature: %s", signature);
    job->headers = webhookd_header(job->headers, "Expect:");   /* no 100-continue round trip */

    CURL *e = job->easy = curl_easy_init();
    if (e == NULL)
        log_fatal("curl_easy_init failed");
    curl_easy_setopt(e, CURLOPT_URL, canonical);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, job->due.payload);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->due.payload_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, job->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, WEBHOOKD_NAME "/1");
    curl_easy_setopt(e, CURLOPT_TIMEOUT, cfg.webhook_timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, cfg.webhook_timeout);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, webhookd_discard);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->error);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, webhookd_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, job);
    curl_easy_setopt(e, CURLOPT_PRIVATE, job);
    if (curl_multi_add_handle(multi, e) != CURLM_OK)
        log_fatal("curl_multi_add_handle failed");
    for (long i = 0; i < cfg.webhook_concurrency; i++)
        if (jobs[i] == NULL) {
            jobs[i] = job;
            break;
        }
    in_flight++;
}

/* An attempt ended: record it and free its slot. */
static void webhookd_finish(CURL *e, CURLcode result)
{
    struct job *job = NULL;
    char error[300];
    long status = 0;

    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&job);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (result == CURLE_OK && status >= 200 && status < 300)
        *error = '\0';
    else if (result == CURLE_OK)
        snprintf(error, sizeof(error), "HTTP %ld", status);
    else if (job->refused_internal)
        snprintf(error, sizeof(error), "refused: the host has a loopback or private address");
    else
        snprintf(error, sizeof(error), "%s", *job->error ? job->error : curl_easy_strerror(result));
    webhookd_record(&job->due, result == CURLE_OK ? (int)status : 0, error);
    for (long i = 0; i < cfg.webhook_concurrency; i++)
        if (jobs[i] == job)
            jobs[i] = NULL;
    in_flight--;
    webhookd_job_free(job);
}

/* Drop every attempt under way (at stop); their leases bring them back. */
static void webhookd_abandon(void)
{
    for (long i = 0; i < cfg.webhook_concurrency; i++)
        if (jobs[i] != NULL) {
            webhookd_job_free(jobs[i]);
            jobs[i] = NULL;
        }
    in_flight = 0;
}

/*
 * Take due deliveries for the free slots: 1 when every slot is busy now (more
 * may be due: the next transfer to end wakes the loop), 0 when what was due
 * is under way, or -1 (the database failed).
 */
static int webhookd_fill(void)
{
    long free_slots = cfg.webhook_concurrency - in_flight;
    STORE_DUE *due;
    size_t n;

    if (free_slots <= 0)
        return 1;
    if (store_delivery_claim(db, free_slots, cfg.webhook_timeout + WEBHOOKD_LEASE_EXTRA,
                             &due, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        webhookd_start(&due[i]);
    store_due_free(due, n);             /* only the emptied shells are left */
    return (long)n == free_slots;
}

/* ---- the loop ------------------------------------------------------------------- */

/*
 * One round of work with the database: connect, hold the lock, look for new
 * messages when *scan asks (it stays set while a look is not complete), start
 * due attempts, prune the log now and then. Sets *wait_ms to how long to
 * sleep (poll) before the next round.
 */
static void webhookd_round(int *scan, long *wait_ms)
{
    static int standby_said;
    static PERIODIC pruning = PERIODIC_NEVER;      /* at start, then every WEBHOOKD_PRUNE_EVERY */
    char err[512];

    *wait_ms = WEBHOOKD_STANDBY_MS;
    if (db == NULL && (db = db_open(err, sizeof(err))) == NULL) {
        log_warn("no database connection: %s", err);
        return;
    }
    long long now = monotime_ms();
    if (locked && periodic_due(&renewal, now, WEBHOOKD_SECONDS(WEBHOOKD_RENEW))) {
        int held = store_lock_acquire(db, WEBHOOKD_LOCK, holder, WEBHOOKD_LEASE);
        if (held < 0) {
            webhookd_db_failed("renewing the lock");
            return;
        }
        if (!held) {
            log_warn("the lock was lost (a reconnection, or a lease run out): standing by");
            locked = 0;
        }
        periodic_done(&renewal, now);
    }
    if (!locked) {
        int rc = store_lock_acquire(db, WEBHOOKD_LOCK, holder, WEBHOOKD_LEASE);
        if (rc < 0) {
            webhookd_db_failed("taking the lock");
            return;
        }
        periodic_done(&renewal, now);
        if (rc == 0) {
            if (!standby_said)
                log_info("another tempmail-webhookd holds the lock: standing by");
            standby_said = 1;
            return;
        }
        if (store_webhook_cursor(db, &cursor) != 0) {
            webhookd_db_failed("reading the cursor");
            return;
        }
        locked = 1;
        standby_said = 0;
        periodic_forget(&sampling);
        *scan = 1;
        log_info("holding the lock: sending webhooks (cursor at message %llu)", cursor);
    }
    if (*scan && (*scan = webhookd_scan()) < 0) {
        *scan = 1;
        webhookd_db_failed("looking for new messages");
        return;
    }
    int full = webhookd_fill();
    if (full < 0) {
        webhookd_db_failed("taking due deliveries");
        return;
    }
    now = monotime_ms();
    if (periodic_due(&pruning, now, WEBHOOKD_SECONDS(WEBHOOKD_PRUNE_EVERY))) {
        long deleted;
        if (store_delivery_prune(db, cfg.webhook_log_keep, &deleted) != 0) {
            webhookd_db_failed("pruning the delivery log");
            return;
        }
        if (deleted > 0)
            log_info("forgot %ld finished deliver%s", deleted, deleted == 1 ? "y" : "ies");
        long failed;
        if (store_delivery_expire_paused(db, cfg.webhook_retry_for, &failed) != 0) {
            webhookd_db_failed("failing the deliveries of paused webhooks");
            return;
        }
        if (failed > 0)
            log_info("gave up %ld deliver%s of paused webhooks (older than %ld s)", failed,
                     failed == 1 ? "y" : "ies", cfg.webhook_retry_for);
        periodic_done(&pruning, now);
    }
    /* More new messages to queue: come back at once (after a look at the sockets). */
    *wait_ms = *scan ? 0 : WEBHOOKD_FALLBACK_MS;
    /* With every slot busy a due attempt waits for a transfer to end, which wakes the poll. */
    long long due_ms;
    if (full)
        return;
    if (store_delivery_next_due(db, &due_ms) != 0) {
        webhookd_db_failed("reading the next due attempt");
        return;
    }
    if (due_ms >= 0 && due_ms < *wait_ms)
        *wait_ms = (long)due_ms;
}

int main(int argc, char **argv)
{
    DAEMON_ARGS args;
    char err[512];

    daemon_args(argc, argv, WEBHOOKD_NAME, &args);

    /* The stop signals arrive as readable data on a descriptor the loop polls. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop, NULL);
    int sigfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);

    log_open(WEBHOOKD_NAME, !args.foreground);
    if (sigfd < 0)
        log_fatal("signalfd: %s", strerror(errno));
    if (config_load(args.config_path, err, sizeof(err)) != 0)
        log_fatal("configuration: %s", err);
    privs_drop(args.user);
    if (sodium_init() < 0)
        log_fatal("libsodium: initialisation failed");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (multi = curl_multi_init()) == NULL)
        log_fatal("libcurl: initialisation failed");
    signal(SIGPIPE, SIG_IGN);
    if ((jobs = calloc((size_t)cfg.webhook_concurrency, sizeof(*jobs))) == NULL)
        log_fatal("out of memory");

    store_lock_holder(holder, sizeof(holder), "webhookd");
    ARRIVAL_WATCH *watch = arrival_watch_open_all();
    char dir[512] = "";
    arrival_dir(dir, sizeof(dir));
    log_info("started: %ld at a time, timeout %ld s, retries from %ld s for %ld s; arrivals %s%s",
             cfg.webhook_concurrency, cfg.webhook_timeout, cfg.webhook_retry_base,
             cfg.webhook_retry_for, dir, watch == NULL ? " not watched (looking every 30 s)" : "");

    /*
     * A round of database work runs when the last one asked to be back (its
     * wait ran out), when a transfer ended (a slot is free), or on an arrival
     * signal, but then at most once a WEBHOOKD_GAP_MS: the signals of a busy
     * MX are taken together, not one round each.
     */
    int stopping = 0, scan = 1, round_now = 1, signalled = 0;
    PERIODIC looked = PERIODIC_NEVER;      /* the last complete look for new messages */
    periodic_done(&looked, monotime_ms());  /* the first round looks (scan = 1) */
    long long round_at = 0, deadline = 0;
    while (!stopping) {
        long long now_ms = monotime_ms();
        if (round_now || now_ms >= deadline || (signalled && now_ms - round_at >= WEBHOOKD_GAP_MS)) {
            long round_wait;
            int asked = scan;
            webhookd_round(&scan, &round_wait);
            if (asked && !scan)
                periodic_done(&looked, monotime_ms());
            round_at = now_ms;
            deadline = now_ms + round_wait;
            round_now = signalled = 0;
        }
        long long until = deadline;
        if (signalled && round_at + WEBHOOKD_GAP_MS < until)
            until = round_at + WEBHOOKD_GAP_MS;
        now_ms = monotime_ms();
        long wait_ms = until > now_ms ? (long)(until - now_ms) : 0;

        struct curl_waitfd extra[2] = {
            { .fd = sigfd, .events = CURL_WAIT_POLLIN },
            { .fd = watch != NULL ? arrival_watch_fd(watch) : -1, .events = CURL_WAIT_POLLIN },
        };
        if (curl_multi_poll(multi, extra, watch != NULL ? 2 : 1, (int)wait_ms, NULL) != CURLM_OK)
            log_fatal("curl_multi_poll failed");
        if (extra[0].revents) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                log_info("signal %u: stopping", si.ssi_signo);
                stopping = 1;
            }
        }
        if (watch != NULL && extra[1].revents) {
            int got = arrival_watch_check(watch);
            if (got != 0)
                scan = signalled = 1;   /* an arrival, or an error of the watch: look anyway */
        }
        if (periodic_due(&looked, monotime_ms(), WEBHOOKD_FALLBACK_MS))
            scan = 1;

        int running;
        curl_multi_perform(multi, &running);
        /* The outcomes of every attempt that ended, in one transaction (one log flush). */
        CURLMsg *msg;
        int left, batch = 0;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE) {
                if (!batch && db != NULL && db_begin(db) == 0)
                    batch = 1;
                webhookd_finish(msg->easy_handle, msg->data.result);
            }
        if (batch && db != NULL && db_commit(db) != 0)
            webhookd_db_failed("recording deliveries");
        if (batch)
            round_now = 1;      /* slots are free: start the next due attempts */
    }

    webhookd_abandon();
    if (db != NULL && locked)
        store_lock_release(db, WEBHOOKD_LOCK, holder);
    db_close(db);
    arrival_watch_close(watch);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    free(jobs);
    close(sigfd);
    log_info("stopped");
    return 0;
}
