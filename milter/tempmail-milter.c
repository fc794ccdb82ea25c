/*++
 * NAME
 *	tempmail-milter 8
 * SUMMARY
 *	capture mail for tempmail mailboxes from Postfix (or Sendmail)
 * SYNOPSIS
 *	tempmail-milter [-f] [-c config_file] [-u user]
 * DESCRIPTION
 *	A libmilter filter. For every envelope recipient it asks the database
 *	whether the domain is managed by tempmail and the mailbox exists:
 *
 *	managed domain, live mailbox
 *		the recipient is captured: the message is kept (in memory up to
 *		1 MB, then in an unlinked temporary file, so memory does not
 *		grow with the message) and, at end of message, parsed and stored
 *		once for every captured mailbox in one transaction. A message
 *		for captured recipients only is then discarded whole; one that
 *		also has other recipients loses the captured ones from its
 *		envelope and goes on untouched to the others.
 *	managed domain, no such live mailbox
 *		550 5.1.1, unless the domain is a catch-all one (its owner
 *		turned catch_all on) and generate would take the local part
 *		(never a role name such as postmaster: address(3)):
 *		then it is captured, and its mailbox is made for the domain's
 *		owner in the transaction that stores the message.
 *	any other domain
 *		left alone.
 *
 *	A message with nothing captured is accepted at DATA and never
 *	buffered. The raw source is rebuilt byte for byte from the milter
 *	header callbacks (the MTA is asked for leading spaces of header
 *	values, SMFIP_HDR_LEADSPC) and the body chunks.
 *
 *	Round trips are what a milter costs its MTA: with Debian's libmilter
 *	(built with the workers pool) every step the MTA waits on sends the
 *	session back through the pool's poll thread and wakes a worker again.
 *	So the steps the milter has nothing to say about are not asked for
 *	(SMFIP_NOCONNECT, SMFIP_NOHELO) and the MAIL, header, end-of-header and
 *	body steps get no reply (SMFIP_NR_MAIL, _HDR, _EOH, _BODY): the MTA
 *	streams them and one worker reads them in a row. A failure in the
 *	message (the size limit, memory, temporary file space) is remembered
 *	and answered at end of message, the first point where the SMTP client
 *	can hear it anyway; one at MAIL is answered at the first RCPT. RCPT
 *	and DATA keep their replies: RCPT answers 550 for an unknown mailbox,
 *	and DATA accepts mail that has nothing of ours.
 *
 *	A thread of its own deletes expired messages every purge_interval
 *	seconds, under a lease in the database's locks table (store_lock(3)) so
 *	that one milter of many, on one server or a Galera cluster, purges at a
 *	time; it logs how many it deleted. Between two batches of 1,000 it
 *	rests twice as long as the last batch took, so that a large backlog
 *	takes at most a third of the database's time from the mail arriving
 *	meanwhile; a stop (SIGTERM) ends the purge at the next batch.
 *
 *	Per-message state lives only in the libmilter private pointer: Debian's
 *	libmilter moves one SMTP session between worker threads. Database
 *	connections come from a small shared pool (dbpool(3)). The messages of
 *	concurrent sessions are stored together, up to eight rows with one
 *	INSERT (group(3)): the statement, not the row, is most of what a capture
 *	costs MariaDB. A capture waits at most a few ms for the others on their
 *	way (a session counts as on its way from its first captured recipient).
 *	The log line of a stored message says how many went in its statement
 *	("group=3").
 *
 *	Options:
 *	-c config_file
 *		read this file instead of $TEMPMAIL_CONF or
 *		/etc/tempmail/tempmail.conf.
 *	-f	log to stderr instead of syslog (facility mail). The milter never
 *		puts itself in the background either way: a service manager or
 *		a script does that.
 *	-u user
 *		when started as root: after reading the configuration, and before
 *		any database connection, thread or socket, become user (its
 *		groups, gid and uid; that root cannot be regained is checked).
 *		Without -u a root milter only logs a warning, since the local
 *		stack (tools/stack) runs it as root; under systemd User= does the
 *		same job before it starts. Not root: -u may only name oneself.
 * SIGNALS
 *	SIGUSR1 reloads the configuration file: max_message_size, message_ttl
 *	and purge_interval take effect for the next message (or the next purge
 *	sleep); a setting removed from the file gets its default. Every other
 *	setting (milter_socket, db_*, db_pool_size, temp_dir, ...) is read only
 *	at start: change those with a restart. A file that does not parse, or
 *	cannot be read (after -u the user must be able to read it), is logged
 *	and the old values stay. Turning the purge on when it was off at start
 *	needs a restart too. (systemctl reload sends SIGUSR1.)
 *
 *	SIGHUP reloads too. libmilter's mi_signal_thread() (signal.c, Debian's
 *	libmilter 8.17 included) sigwait()s for SIGHUP, SIGTERM and SIGINT and
 *	stops the milter on SIGHUP, with no way to change that set, and a
 *	second sigwait() of ours would race it. So this program defines
 *	sigwait() itself (see there): the dynamic linker binds libmilter's call
 *	to it, and it passes SIGHUP on as SIGUSR1 instead of returning it.
 *
 *	SIGTERM and SIGINT stop the milter: libmilter's signal thread catches
 *	them (it blocks them in every other thread, so a handler of ours would
 *	never run) and does what smfi_stop() does. The listener notices within
 *	5 seconds (libmilter's MI_CHK_TIME); the milter then closes its
 *	database connections, removes its unix socket and exits 0.
 * DIAGNOSTICS
 *	Problems go to the log. The milter never exits on trouble once it
 *	listens: any database or memory failure answers 451 4.3.0, so the
 *	sending MTA keeps the mail and retries, and nothing is lost. Exit
 *	status 64 for a bad command line, 1 when startup failed.
 * SECURITY
 *	Needs no privilege: run it as an unprivileged user of its own (systemd
 *	User=, or -u user when started as root). It reads the configuration file, which holds the database
 *	password, so that file should be readable by that user only. The unix
 *	socket is made mode 0666 so the MTA's smtpd (user postfix) can connect;
 *	put it in a directory that only the milter's user may write.
 *	Message bodies are never logged. Log lines about a message start with
 *	its queue id (macro i), stored mail and every refusal (550, 552, 451)
 *	alike.
 * CONFIGURATION PARAMETERS
 *	milter_socket (default: unix:/run/tempmail/milter.sock)
 *		where to listen: unix:/path, local:/path or inet:port@host. A
 *		stale unix socket is removed first.
 *	max_message_size (default: 26214400)
 *		bytes of a captured message; larger mail gets 552 5.3.4.
 *	temp_dir (default: empty, meaning $TMPDIR, else /tmp)
 *		where messages larger than 1 MB, and their large attachments,
 *		are kept while they are parsed and stored. Needs room for
 *		max_message_size times the concurrent large messages (twice that
 *		when they are mostly attachment).
 *	purge_interval (default: 60)
 *		seconds between purges of expired messages; 0 turns the purge
 *		off (then run tempmailctl purge from cron).
 *	message_ttl (default: 900)
 *		seconds a stored message lives.
 *	db_pool_size (default: 8)
 *		most database connections open at once.
 *	db_timeout (default: 30)
 *		seconds to wait for a statement's answer; a statement waits for a
 *		lock two thirds of that at most (db(3)). A message whose store
 *		timed out is answered 451 and was not stored.
 *	db_host, db_port, db_socket, db_user, db_password, db_name
 *		the MariaDB to use (see config(3)).
 * SEE ALSO
 *	doc/DESIGN.md "Mail capture", store(3), mime(3), dbpool(3), msgbuf(3)
 *--*/

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <sodium.h>

#include "arrival.h"
#include "config.h"
#include "daemon_args.h"
#include "db.h"
#include "dbpool.h"
#include "group.h"
#include "log.h"
#include "mime.h"
#include "msgbuf.h"
#include "privs.h"
#include "store.h"

#define MILTER_NAME     "tempmail-milter"

/*
 * The settings a reload (SIGUSR1) may change, as read per message and by the
 * purge thread: each is one atomic value, so a message sees either the old or
 * the new one. Everything else in cfg is read only at start.
 */
static atomic_long rt_max_message_size;
static atomic_long rt_message_ttl;
static atomic_long rt_purge_interval;

/* One captured recipient: the mailbox, and the address exactly as the MTA gave it. */
struct milter_rcpt {
    unsigned long long mailbox_id;
    char *rcpt;                 /* for smfi_delrcpt(), e.g. "<Box@Example.org>" */
    char *create;               /* catch-all: the new address ("box@example.org"), id 0 */
};

/* Per message: reset at MAIL FROM, at end of message and on abort (mctx). */
struct milter_msg {
    char *envelope_from;        /* without angle brackets; "" for the null sender */
    struct milter_rcpt *rcpts;  /* captured recipients */
    size_t n_rcpts;
    size_t cap_rcpts;
    size_t n_other;             /* recipients left alone: they keep the message alive */
    MSGBUF *raw;                /* created at the first header of a captured message */
    int failed;                 /* a msgbuf_append() error, answered at end of message */
    int expected;               /* announced to group(3) and not yet stored or given up */
};

/* Per SMTP connection (cctx): lives from negotiation or connect until close. */
struct milter_conn {
    int leadspc;                /* header values arrive with their leading space */
    unsigned long noreply;      /* the SMFIP_NR_* steps negotiated */
    struct milter_msg msg;
};

/* ---- the private pointer, behind wrappers (a test driver can replace them) ---- */

static struct milter_conn *milter_conn_get(SMFICTX *ctx)
{
    return smfi_getpriv(ctx);
}

/* The connection context, made on first use; NULL only when memory runs out. */
static struct milter_conn *milter_conn_need(SMFICTX *ctx)
{
    struct milter_conn *conn = milter_conn_get(ctx);

    if (conn == NULL && (conn = calloc(1, sizeof(*conn))) != NULL) {
        if (smfi_setpriv(ctx, conn) != MI_SUCCESS) {
            free(conn);
            return NULL;
        }
    }
    return conn;
}

static void milter_msg_reset(struct milter_msg *msg)
{
    if (msg->expected)
        group_unexpect();
    free(msg->envelope_from);
    for (size_t i = 0; i < msg->n_rcpts; i++) {
        free(msg->rcpts[i].rcpt);
        free(msg->rcpts[i].create);
    }
    free(msg->rcpts);
    msgbuf_free(msg->raw);
    memset(msg, 0, sizeof(*msg));
}

/* ---- small helpers ----------------------------------------------------------- */

/* The queue id for log lines, or "NOQUEUE" before the MTA made one. */
static const char *milter_qid(SMFICTX *ctx)
{
    const char *qid = smfi_getsymval(ctx, "i");
    return qid && *qid ? qid : "NOQUEUE";
}

/*
 * A copy of an SMTP path without angle brackets or a source route
 * ("<@a,@b:user@c>" -> "user@c"), lowercased when lower is set. NULL when
 * memory runs out.
 */
static char *milter_address(const char *arg, int lower)
{
    const char *start = arg ? arg : "";
    size_t len;

    while (*start == ' ')
        start++;
    if (*start == '<')
        start++;
    len = strlen(start);
    while (len > 0 && (start[len - 1] == '>' || start[len - 1] == ' '))
        len--;
    if (len > 0 && *start == '@') {
        const char *colon = memchr(start, ':', len);
        if (colon != NULL) {
            len -= (size_t)(colon + 1 - start);
            start = colon + 1;
        }
    }
    char *addr = strndup(start, len);
    if (addr != NULL && lower)
        for (char *p = addr; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return addr;
}

/* Printable ASCII for an SMTP reply line: no CR/LF, no '%' (a format character to some MTAs). */
static void milter_reply_safe(char *out, size_t outlen, const char *in)
{
    size_t o = 0;

    for (; *in && o + 1 < outlen; in++)
        out[o++] = (*in > ' ' && *in < 0x7f && *in != '%') ? *in : '?';
    out[o] = '\0';
}

/* 550 for one recipient: "<addr>: why" to the client, the same to the log with the code. */
static sfsistat milter_refuse_rcpt(SMFICTX *ctx, const char *addr, const char *dsn,
                                   const char *why)
{
    char safe[330], text[400];

    milter_reply_safe(safe, sizeof(safe), addr);
    snprintf(text, sizeof(text), "<%s>: %s", safe, why);
    log_info("%s: RCPT TO %s: %s (550 %s)", milter_qid(ctx), addr, why, dsn);
    smfi_setreply(ctx, "550", (char *)dsn, text);
    return SMFIS_REJECT;
}

static sfsistat milter_tempfail(SMFICTX *ctx)
{
    smfi_setreply(ctx, "451", "4.3.0", "Temporary failure, please try again later");
    return SMFIS_TEMPFAIL;
}

/* Append a header value with lone LF line ends made CRLF (folded headers). */
static int milter_append_crlf(MSGBUF *raw, const char *value)
{
    const char *run = value;
    int rc;

    for (const char *p = value; *p; p++) {
        if (*p != '\n' || (p > value && p[-1] == '\r'))
            continue;
        if ((rc = msgbuf_append(raw, run, (size_t)(p - run))) != 0
            || (rc = msgbuf_append(raw, "\r\n", 2)) != 0)
            return rc;
        run = p + 1;
    }
    return msgbuf_append(raw, run, strlen(run));
}

/* Append one header line as it was sent: "Name:" value CRLF. */
static int milter_append_header(MSGBUF *raw, int leadspc, const char *name, const char *value)
{
    int rc;

    if ((rc = msgbuf_append(raw, name, strlen(name))) != 0
        || (rc = msgbuf_append(raw, leadspc ? ":" : ": ", leadspc ? 1 : 2)) != 0
        || (rc = milter_append_crlf(raw, value)) != 0)
        return rc;
    return msgbuf_append(raw, "\r\n", 2);
}

/* The verdict on a failed append: 552 past the size limit, else 451. */
static sfsistat milter_append_failed(SMFICTX *ctx, int rc)
{
    if (rc == MSGBUF_TOOBIG) {
        log_info("%s: message larger than max_message_size %ld: rejected (552 5.3.4)",
                 milter_qid(ctx), atomic_load(&rt_max_message_size));
        smfi_setreply(ctx, "552", "5.3.4", "Message size exceeds fixed maximum message size");
        return SMFIS_REJECT;
    }
    if (rc == MSGBUF_IOERR)
        log_warn("%s: writing the message to a temporary file in %s: %s", milter_qid(ctx),
                 *cfg.temp_dir ? cfg.temp_dir : "$TMPDIR", strerror(errno));
    else
        log_warn("%s: out of memory buffering the message", milter_qid(ctx));
    return milter_tempfail(ctx);
}

/* The buffer of a captured message, made at its first use. */
static MSGBUF *milter_raw(struct milter_msg *msg)
{
    if (msg->raw == NULL)
        msg->raw = msgbuf_create((size_t)atomic_load(&rt_max_message_size), cfg.temp_dir);
    return msg->raw;
}

/* ---- callbacks ------------------------------------------------------------------ */

static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                               unsigned long f2, unsigned long f3, unsigned long *pf0,
                               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    (void)f2;
    (void)f3;
    struct milter_conn *conn = milter_conn_need(ctx);
    if (conn == NULL) {
        log_warn("negotiate: out of memory");
        return SMFIS_REJECT;            /* libmilter drops the session: the MTA's default action */
    }
    if ((f0 & SMFIF_DELRCPT) == 0) {
        /* Without it captured mail would also go on to its domain: refuse to run. */
        log_warn("negotiate: the MTA cannot delete recipients (actions 0x%lx)", f0);
        return SMFIS_REJECT;
    }
    *pf0 = SMFIF_DELRCPT;
    /*
     * Leading spaces give the header byte-exact; unknown commands, connect and
     * HELO are of no interest; headers and body stream without replies (see
     * DESCRIPTION). libmilter offers the no-reply bits even to an MTA that
     * lacks them, and then answers in our place.
     */
    *pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NOUNKNOWN | SMFIP_NOCONNECT | SMFIP_NOHELO
                 | SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
    *pf2 = 0;
    *pf3 = 0;
    conn->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
    conn->noreply = *pf1 & (SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
    return SMFIS_CONTINUE;
}

static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
    (void)hostname;
    (void)hostaddr;
    if (milter_conn_need(ctx) == NULL) {
        log_warn("connect: out of memory");
        return milter_tempfail(ctx);
    }
    return SMFIS_CONTINUE;
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
    struct milter_conn *conn = milter_conn_need(ctx);
    if (conn == NULL) {
        log_warn("MAIL FROM: out of memory");
        return milter_tempfail(ctx);
    }
    milter_msg_reset(&conn->msg);
    if ((conn->msg.envelope_from = milter_address(argv[0], 0)) == NULL) {
        /* Without a reply to MAIL (SMFIP_NR_MAIL) the first RCPT answers for this. */
        log_warn("MAIL FROM: out of memory");
        return (conn->noreply & SMFIP_NR_MAIL) ? SMFIS_NOREPLY : milter_tempfail(ctx);
    }
    return (conn->noreply & SMFIP_NR_MAIL) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* Remember a captured recipient, once per distinct address string. */
static int milter_capture(struct milter_msg *msg, unsigned long long mailbox_id, const char *rcpt)
{
    for (size_t i = 0; i < msg->n_rcpts; i++)
        if (strcmp(msg->rcpts[i].rcpt, rcpt) == 0)
            return 0;                   /* RCPT TO twice: captured once */
    if (msg->n_rcpts == msg->cap_rcpts) {
        size_t cap = msg->cap_rcpts ? msg->cap_rcpts * 2 : 4;
        struct milter_rcpt *grown = realloc(msg->rcpts, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        msg->rcpts = grown;
        msg->cap_rcpts = cap;
    }
    char *copy = strdup(rcpt);
    if (copy == NULL)
        return -1;
    msg->rcpts[msg->n_rcpts].mailbox_id = mailbox_id;
    msg->rcpts[msg->n_rcpts].rcpt = copy;
    msg->rcpts[msg->n_rcpts].create = NULL;
    msg->n_rcpts++;
    if (!msg->expected) {
        /* A capture is on its way: group(3) leaders wait a little for it. */
        group_expect();
        msg->expected = 1;
    }
    return 0;
}

/* A recipient of a catch-all domain without a mailbox yet: made when the message is stored. */
static int milter_capture_new(struct milter_msg *msg, const char *addr, const char *rcpt)
{
    size_t before = msg->n_rcpts;

    if (milter_capture(msg, 0, rcpt) != 0)
        return -1;
    if (msg->n_rcpts > before && (msg->rcpts[before].create = strdup(addr)) == NULL)
        return -1;
    return 0;
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
    struct milter_conn *conn = milter_conn_get(ctx);
    char *addr = milter_address(argv[0], 1);
    char err[512];

    if (conn == NULL || addr == NULL || conn->msg.envelope_from == NULL) {
        free(addr);
        log_warn("%s: RCPT TO: out of memory", milter_qid(ctx));
        return milter_tempfail(ctx);
    }
    if (*addr == '\0') {
        free(addr);
        conn->msg.n_other++;
        return SMFIS_CONTINUE;
    }

    DB *db = dbpool_get(err, sizeof(err));
    if (db == NULL) {
        log_warn("%s: RCPT TO %s: no database connection: %s", milter_qid(ctx), addr, err);
        free(addr);
        return milter_tempfail(ctx);
    }
    unsigned long long mailbox_id = 0;
    int verdict = store_rcpt_check(db, addr, cfg.catch_all_max, &mailbox_id);
    if (verdict == DB_EFAIL)
        log_warn("%s: RCPT TO %s: lookup failed: %s", milter_qid(ctx), addr, db_error(db));
    dbpool_put(db, verdict == DB_EFAIL);

    sfsistat status = SMFIS_CONTINUE;
    switch (verdict) {
    case STORE_RCPT_CAPTURE:
        if (milter_capture(&conn->msg, mailbox_id, argv[0]) != 0) {
            log_warn("%s: RCPT TO %s: out of memory", milter_qid(ctx), addr);
            status = milter_tempfail(ctx);
        }
        break;
    case STORE_RCPT_CATCHALL:
        if (milter_capture_new(&conn->msg, addr, argv[0]) != 0) {
            log_warn("%s: RCPT TO %s: out of memory", milter_qid(ctx), addr);
            status = milter_tempfail(ctx);
        } else {
            log_info("%s: RCPT TO %s: new address of a catch-all domain", milter_qid(ctx), addr);
        }
        break;
    case STORE_RCPT_UNKNOWN:
        status = milter_refuse_rcpt(ctx, addr, "5.1.1", "no such mailbox");
        break;
    case STORE_RCPT_FULL: {
        char why[80];
        snprintf(why, sizeof(why), "the catch-all domain holds its limit of %ld addresses",
                 cfg.catch_all_max);
        status = milter_refuse_rcpt(ctx, addr, "5.7.1", why);
        break;
    }
    case STORE_RCPT_OTHER:
        conn->msg.n_other++;
        break;
    default:
        status = milter_tempfail(ctx);
        break;
    }
    free(addr);
    return status;
}

static sfsistat mlfi_data(SMFICTX *ctx)
{
    /*
     * Registered so the DATA macros get an answer at once (NOTES-infra trap 2),
     * and the point where mail with nothing of ours leaves the milter.
     */
    struct milter_conn *conn = milter_conn_get(ctx);
    if (conn == NULL)
        return milter_tempfail(ctx);
    return conn->msg.n_rcpts == 0 ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

/*
 * The answer to a header, end-of-header or body step (step is its SMFIP_NR_*
 * bit) after an append that returned rc: nothing when the step was negotiated
 * without reply, a failure being kept for end of message; else the verdict now.
 */
static sfsistat milter_streamed(SMFICTX *ctx, struct milter_conn *conn, unsigned long step,
                                int rc)
{
    if (conn->noreply & step) {
        if (rc != 0 && conn->msg.failed == 0)
            conn->msg.failed = rc;
        return SMFIS_NOREPLY;
    }
    return rc == 0 ? SMFIS_CONTINUE : milter_append_failed(ctx, rc);
}

/* Whether the message is being kept: captured for someone, and nothing failed yet. */
static int milter_keeping(const struct milter_msg *msg)
{
    return msg->n_rcpts > 0 && msg->failed == 0;
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
    struct milter_conn *conn = milter_conn_get(ctx);
    if (conn == NULL)
        return milter_tempfail(ctx);
    struct milter_msg *msg = &conn->msg;
    if (!milter_keeping(msg))
        return milter_streamed(ctx, conn, SMFIP_NR_HDR, 0);

    MSGBUF *raw = milter_raw(msg);
    int rc = raw == NULL ? MSGBUF_NOMEM : milter_append_header(raw, conn->leadspc, name, value);
    return milter_streamed(ctx, conn, SMFIP_NR_HDR, rc);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
    struct milter_conn *conn = milter_conn_get(ctx);
    if (conn == NULL)
        return milter_tempfail(ctx);
    if (!milter_keeping(&conn->msg))
        return milter_streamed(ctx, conn, SMFIP_NR_EOH, 0);

    MSGBUF *raw = milter_raw(&conn->msg);
    int rc = raw == NULL ? MSGBUF_NOMEM : msgbuf_append(raw, "\r\n", 2);
    return milter_streamed(ctx, conn, SMFIP_NR_EOH, rc);
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    struct milter_conn *conn = milter_conn_get(ctx);
    if (conn == NULL)
        return milter_tempfail(ctx);
    if (!milter_keeping(&conn->msg))
        return milter_streamed(ctx, conn, SMFIP_NR_BODY, 0);

    MSGBUF *raw = milter_raw(&conn->msg);
    int rc = raw == NULL ? MSGBUF_NOMEM : msgbuf_append(raw, chunk, len);
    return milter_streamed(ctx, conn, SMFIP_NR_BODY, rc);
}

/* Parse and store for every captured mailbox: 0, or -1 after logging (tempfail). */
static int milter_store(SMFICTX *ctx, struct milter_msg *msg)
{
    const char *qid = milter_qid(ctx);
    MSGBUF *raw = milter_raw(msg);
    if (raw == NULL) {
        log_warn("%s: out of memory", qid);
        return -1;
    }
    /* A large message is in a file (msgbuf(3)): parse and store it from there. */
    int fd = msgbuf_fd(raw);
    const char *data = msgbuf_data(raw);
    size_t len = msgbuf_len(raw);

    /* Each mailbox once, even when two address spellings reached it; new ones by address. */
    unsigned long long *ids = malloc(msg->n_rcpts * sizeof(*ids));
    const char **create = malloc(msg->n_rcpts * sizeof(*create));
    size_t n_ids = 0;
    if (ids == NULL || create == NULL) {
        log_warn("%s: out of memory", qid);
        free(ids);
        free(create);
        return -1;
    }
    for (size_t i = 0; i < msg->n_rcpts; i++) {
        const struct milter_rcpt *r = &msg->rcpts[i];
        size_t j = 0;
        while (j < n_ids && (ids[j] != r->mailbox_id
                             || (r->create && strcmp(create[j], r->create) != 0)))
            j++;
        if (j == n_ids) {
            ids[n_ids] = r->mailbox_id;
            create[n_ids++] = r->create;
        }
    }

    MIME_MESSAGE *parsed = fd >= 0 ? mime_parse_fd(fd, cfg.temp_dir) : mime_parse(data, len);
    if (parsed == NULL) {
        log_warn("%s: out of memory or temporary file space parsing the message", qid);
        free(ids);
        free(create);
        return -1;
    }

    char err[512];
    int rc = -1;
    /*
     * The common kind, one known mailbox with no attachment in memory, goes in a group
     * commit with the captures of other sessions at the same moment (group(3)).
     */
    STORE_CAPTURE *capture = n_ids == 1 && create[0] == NULL && fd < 0
                             && parsed->n_attachments == 0
                             ? store_capture_prepare(ids[0], msg->envelope_from, parsed, data, len,
                                                     atomic_load(&rt_message_ttl))
                             : NULL;
    size_t together = 1;                    /* messages in the statement that stored it */
    if (msg->expected && capture == NULL)
        group_unexpect();                   /* stored below, not in a group */
    msg->expected = 0;
    if (capture != NULL) {
        if (group_store(capture, err, sizeof(err), &together) == 0)
            rc = 0;
        else
            log_warn("%s: %s", qid, err);
        store_capture_free(capture);
    } else {
        DB *db = dbpool_get(err, sizeof(err));
        if (db == NULL) {
            log_warn("%s: no database connection: %s", qid, err);
        } else {
            int stored = store_message_deliver_catchall(db, ids, create, n_ids,
                                                        msg->envelope_from, parsed, data, fd,
                                                        len, atomic_load(&rt_message_ttl));
            if (stored == STORE_NOTFOUND)
                log_warn("%s: a catch-all domain was turned off during the message", qid);
            else if (stored != 0)
                log_warn("%s: storing the message failed: %s", qid, db_error(db));
            dbpool_put(db, stored != 0 && stored != STORE_NOTFOUND);
            rc = stored == 0 ? 0 : -1;
        }
    }
    if (rc == 0) {
        log_info("%s: stored for %zu mailbox%s, size=%zu, attachments=%zu, group=%zu",
                 qid, n_ids, n_ids == 1 ? "" : "es", len, parsed->n_attachments, together);
        arrival_notify(ids, n_ids);         /* wake the API requests waiting for this mail */
    }
    mime_free(parsed);
    free(ids);
    free(create);
    return rc;
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
    struct milter_conn *conn = milter_conn_get(ctx);
    if (conn == NULL)
        return milter_tempfail(ctx);
    struct milter_msg *msg = &conn->msg;
    if (msg->n_rcpts == 0)
        return SMFIS_CONTINUE;
    if (msg->failed != 0) {             /* kept from a header or body step without reply */
        sfsistat verdict = milter_append_failed(ctx, msg->failed);
        milter_msg_reset(msg);
        return verdict;
    }

    if (milter_store(ctx, msg) != 0) {
        milter_msg_reset(msg);
        return milter_tempfail(ctx);    /* nothing stored: the sender retries */
    }

    /*
     * Stored: a failure from here on must not tempfail, or a retry would store it twice.
     * Mail for our mailboxes only is discarded whole: removing its recipients first
     * would only make the MTA edit a queue file it is about to delete.
     */
    if (msg->n_other == 0) {
        milter_msg_reset(msg);
        return SMFIS_DISCARD;
    }
    for (size_t i = 0; i < msg->n_rcpts; i++)
        if (smfi_delrcpt(ctx, msg->rcpts[i].rcpt) != MI_SUCCESS)
            log_warn("%s: could not remove captured recipient %s", milter_qid(ctx),
                     msg->rcpts[i].rcpt);
    milter_msg_reset(msg);
    return SMFIS_CONTINUE;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
    struct milter_conn *conn = milter_conn_get(ctx);
    if (conn != NULL)
        milter_msg_reset(&conn->msg);
    return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
    struct milter_conn *conn = milter_conn_get(ctx);
    if (conn != NULL) {
        milter_msg_reset(&conn->msg);
        free(conn);
        smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

static struct smfiDesc milter_desc = {
    .xxfi_name = MILTER_NAME,
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_DELRCPT,
    .xxfi_connect = mlfi_connect,
    .xxfi_helo = NULL,
    .xxfi_envfrom = mlfi_envfrom,
    .xxfi_envrcpt = mlfi_envrcpt,
    .xxfi_header = mlfi_header,
    .xxfi_eoh = mlfi_eoh,
    .xxfi_body = mlfi_body,
    .xxfi_eom = mlfi_eom,
    .xxfi_abort = mlfi_abort,
    .xxfi_close = mlfi_close,
    .xxfi_unknown = NULL,
    .xxfi_data = mlfi_data,
    .xxfi_negotiate = mlfi_negotiate,
};

/* ---- the purge of expired mail ---------------------------------------------------- */

static pthread_mutex_t purge_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t purge_wake = PTHREAD_COND_INITIALIZER;
static int purge_stopping;
static int purge_running;               /* the purge thread was started */
static unsigned purge_reloads;          /* counts reloads: a new purge_interval */

/*
 * The purge's waits run on the monotonic clock, so that setting the wall clock
 * back neither stalls the purge nor stretches a rest. Called in main() before
 * any thread exists.
 */
static void milter_purge_clock(void)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_destroy(&purge_wake);
    pthread_cond_init(&purge_wake, &attr);
    pthread_condattr_destroy(&attr);
}

/* The monotonic time ms milliseconds from now, for pthread_cond_timedwait(&purge_wake). */
static struct timespec milter_purge_after(long ms)
{
    struct timespec at;

    clock_gettime(CLOCK_MONOTONIC, &at);
    at.tv_sec += ms / 1000;
    at.tv_nsec += (ms % 1000) * 1000000L;
    if (at.tv_nsec >= 1000000000L) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000L;
    }
    return at;
}

/*
 * Sleep purge_interval seconds, or less when told to stop: 1 when stopping.
 * A reload starts the sleep again with the new interval; an interval of 0
 * (set by a reload) sleeps until the next reload or the stop.
 */
static int milter_purge_wait(void)
{
    pthread_mutex_lock(&purge_mutex);
    for (;;) {
        unsigned reloads = purge_reloads;
        long interval = atomic_load(&rt_purge_interval);
        struct timespec deadline = milter_purge_after(interval * 1000);
        int rc = 0;

        while (!purge_stopping && purge_reloads == reloads && rc != ETIMEDOUT)
            rc = interval > 0 ? pthread_cond_timedwait(&purge_wake, &purge_mutex, &deadline)
                              : pthread_cond_wait(&purge_wake, &purge_mutex);
        if (purge_stopping || rc == ETIMEDOUT)
            break;
    }
    int stopping = purge_stopping;
    pthread_mutex_unlock(&purge_mutex);
    return stopping;
}

/*
 * Between two purge batches, rest MILTER_PURGE_REST times as long as the last
 * one took: the purge then keeps its connection busy at most a third of the
 * time, and the mail arriving while a backlog of a million expired messages
 * goes gets the CPU and the tables the rest. Expired mail is hidden from every
 * read already; only disk waits. Resting as long as a batch (half the time)
 * left capture during such a purge at 0.69 to 0.92 of its rate without one in
 * make bench, around issue 9's floor of 0.7. 1 when stopping: the purge ends
 * there, and the next one goes on.
 */
#define MILTER_PURGE_REST   2

static int milter_purge_rest(long batch_ms, void *context)
{
    struct timespec until = milter_purge_after(batch_ms * MILTER_PURGE_REST);
    int rc = 0;

    (void)context;
    pthread_mutex_lock(&purge_mutex);
    while (!purge_stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&purge_wake, &purge_mutex, &until);
    int stopping = purge_stopping;
    pthread_mutex_unlock(&purge_mutex);
    return stopping;
}

/*
 * Every purge_interval seconds, delete expired messages, so that no operator
 * has to remember a cron job. Its own connection, not the pool's: a long
 * purge must not hold a connection that mail is waiting for. With several MX
 * hosts (on one database or a cluster of them) only the one that holds the
 * "purge" lease purges (store_purge_leased()); the others skip their turn.
 */
static void *milter_purger(void *arg)
{
    DB *db = NULL;
    char err[512], holder[128];

    (void)arg;
    store_lock_holder(holder, sizeof(holder), "purge");
    while (!milter_purge_wait()) {
        if (db == NULL && (db = db_open(err, sizeof(err))) == NULL) {
            log_warn("purge: no database connection: %s", err);
            continue;
        }
        long deleted = 0;
        int rc = store_purge_leased(db, holder, milter_purge_rest, NULL, &deleted);
        if (deleted > 0)
            log_info("purge: deleted %ld expired message%s", deleted, deleted == 1 ? "" : "s");
        if (rc < 0) {
            log_warn("purge: %s", db_error(db));
            db_close(db);
            db = NULL;
        }
    }
    db_close(db);
    return NULL;
}

/*
 * Start a thread of ours with libmilter's signals blocked: libmilter blocks
 * them only in the threads it makes, and a SIGTERM delivered to ours would
 * kill the process instead of stopping it cleanly. 0, or the pthread error.
 */
static int milter_thread_start(pthread_t *thread, void *(*run)(void *))
{
    sigset_t block, old;

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(thread, NULL, run, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* 0, or -1 (logged). */
static int milter_purge_start(pthread_t *thread)
{
    int rc = milter_thread_start(thread, milter_purger);
    if (rc != 0) {
        log_warn("purge: cannot start its thread: %s", strerror(rc));
        return -1;
    }
    return 0;
}

/* Tell the purge to stop: it ends at its next batch, or its wait for the next purge. */
static void milter_purge_halt(void)
{
    pthread_mutex_lock(&purge_mutex);
    purge_stopping = 1;
    pthread_cond_signal(&purge_wake);
    pthread_mutex_unlock(&purge_mutex);
}

static void milter_purge_stop(pthread_t thread)
{
    milter_purge_halt();
    pthread_join(thread, NULL);
}

/* ---- reloading the configuration (SIGUSR1) ----------------------------------------- */

static const char *reload_path;         /* the configuration file, as config_load() found it */
static long reload_defaults[3];         /* the defaults of the reloadable settings */
static atomic_int reload_stopping;

/*
 * Read the run-time settings again: max_message_size, message_ttl and
 * purge_interval; one missing from the file gets its default. Other lines
 * are not looked at (they take effect at the next start). Only this thread
 * writes those three fields of cfg after startup, and nobody else reads them
 * then: messages and the purge thread read the atomic copies. On any error
 * the old values stay.
 */
static void milter_reload(void)
{
    static const char *const names[3] = { "max_message_size", "message_ttl", "purge_interval" };
    long *const fields[3] = { &cfg.max_message_size, &cfg.message_ttl, &cfg.purge_interval };
    long old[3];
    char line[2048], why[512];
    int lineno = 0, rc = 0;

    FILE *fp = fopen(reload_path, "r");
    if (fp == NULL) {
        log_warn("reload: %s: %s (settings unchanged)", reload_path, strerror(errno));
        return;
    }
    for (int i = 0; i < 3; i++) {
        old[i] = *fields[i];
        *fields[i] = reload_defaults[i];
    }
    while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
        const char *p = line;
        lineno++;
        while (isspace((unsigned char)*p))
            p++;
        size_t len = strcspn(p, " \t=");
        for (int i = 0; i < 3; i++)
            if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0
                && config_parse_line(line, why, sizeof(why)) != 0) {
                log_warn("reload: %s:%d: %s (settings unchanged)", reload_path, lineno, why);
                rc = -1;
            }
    }
    if (rc == 0 && ferror(fp)) {
        log_warn("reload: %s: read error (settings unchanged)", reload_path);
        rc = -1;
    }
    fclose(fp);
    if (rc != 0) {
        for (int i = 0; i < 3; i++)
            *fields[i] = old[i];
        return;
    }
    atomic_store(&rt_max_message_size, cfg.max_message_size);
    atomic_store(&rt_message_ttl, cfg.message_ttl);
    atomic_store(&rt_purge_interval, cfg.purge_interval);
    pthread_mutex_lock(&purge_mutex);
    purge_reloads++;
    pthread_cond_broadcast(&purge_wake);
    pthread_mutex_unlock(&purge_mutex);
    log_info("reload: %s: max message %ld bytes, message_ttl %ld s, purge every %ld s%s",
             reload_path, cfg.max_message_size, cfg.message_ttl, cfg.purge_interval,
             cfg.purge_interval > 0 && old[2] == 0 && !purge_running
             ? " (the purge was off at start: restart the milter to turn it on)" : "");
}

/*
 * sigwait() for the whole program, libmilter's signal thread included (it is the
 * only other caller, and libmilter.so's call binds to this definition): a SIGHUP
 * waited for together with SIGTERM, which only that thread does, is sent on as
 * SIGUSR1 to the reloader below and the wait goes on; a SIGTERM or SIGINT there
 * also stops the purge at once. Everything else is sigwait() as POSIX has it.
 */
int sigwait(const sigset_t *set, int *sig)
{
    for (;;) {
        int got = sigwaitinfo(set, NULL);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (got == SIGHUP && sigismember(set, SIGTERM) == 1) {
            kill(getpid(), SIGUSR1);
            continue;
        }
        /* libmilter's listener sees the stop only within 5 s; the purge stops now. */
        if ((got == SIGTERM || got == SIGINT) && sigismember(set, SIGTERM) == 1)
            milter_purge_halt();
        *sig = got;
        return 0;
    }
}

/* Wait for SIGUSR1 (blocked in every thread since the start of main) and reload. */
static void *milter_reloader(void *arg)
{
    sigset_t set;
    int sig;

    (void)arg;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (atomic_load(&reload_stopping))
            return NULL;
        milter_reload();
    }
}

/* Started like the purge thread, with libmilter's signals blocked. 0, or -1 (logged). */
static int milter_reload_start(pthread_t *thread)
{
    int rc = milter_thread_start(thread, milter_reloader);
    if (rc != 0) {
        log_warn("reload: cannot start its thread (SIGUSR1 will be ignored): %s", strerror(rc));
        return -1;
    }
    return 0;
}

static void milter_reload_stop(pthread_t thread)
{
    atomic_store(&reload_stopping, 1);
    pthread_kill(thread, SIGUSR1);
    pthread_join(thread, NULL);
}

/* ---- main ---------------------------------------------------------------------- */

/* The file system path of a unix-domain connection spec, or NULL for inet sockets. */
static const char *milter_socket_path(const char *spec)
{
    if (strncmp(spec, "unix:", 5) == 0)
        return spec + 5;
    if (strncmp(spec, "local:", 6) == 0)
        return spec + 6;
    if (spec[0] == '/')
        return spec;
    return NULL;
}

/*
 * libmilter's worker pool starts and ends threads all the time (about one a
 * message under load), each with the default stack of RLIMIT_STACK, 8 MB.
 * glibc keeps only 40 MB of stacks of ended threads for reuse, so most new
 * threads mapped a fresh stack and most ended ones unmapped theirs. With 1 MB
 * stacks (libmilter creates its threads with default attributes) the cache
 * covers 40 threads: over 3,000 messages of 20 sessions the milter made 34
 * mmap, 7 munmap and 67 mprotect calls, against about 950 of each (strace
 * -c, the thread count unchanged). The deepest stack use is GMime's parse of
 * nested multiparts, which stops descending at about a thousand levels and
 * needs less than 128 KB there (tests/api/test_capture.py sends 50,000).
 */
#define MILTER_THREAD_STACK (1024 * 1024)

static void milter_thread_stacks(void)
{
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return;
    if (pthread_attr_setstacksize(&attr, MILTER_THREAD_STACK) != 0
        || pthread_setattr_default_np(&attr) != 0)
        log_warn("thread stacks stay at the default size");
    pthread_attr_destroy(&attr);
}

int main(int argc, char **argv)
{
    DAEMON_ARGS args;
    char err[512];

    daemon_args(argc, argv, MILTER_NAME, &args);
    milter_purge_clock();

    /*
     * SIGUSR1 (reload) is taken by a thread of our own with sigwait(): block
     * it before any thread exists, so that every thread inherits the mask.
     */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);

    log_open(MILTER_NAME, !args.foreground);
    milter_thread_stacks();             /* before any thread exists, too */
    config_reset();
    reload_defaults[0] = cfg.max_message_size;
    reload_defaults[1] = cfg.message_ttl;
    reload_defaults[2] = cfg.purge_interval;
    if (config_load(args.config_path, err, sizeof(err)) != 0)
        log_fatal("configuration: %s", err);
    reload_path = args.config_path;          /* as config_load() finds the file */
    if (reload_path == NULL)
        reload_path = getenv("TEMPMAIL_CONF");
    if (reload_path == NULL || *reload_path == '\0')
        reload_path = CONFIG_DEFAULT_PATH;
    atomic_store(&rt_max_message_size, cfg.max_message_size);
    atomic_store(&rt_message_ttl, cfg.message_ttl);
    atomic_store(&rt_purge_interval, cfg.purge_interval);
    /* Before any database connection, thread or socket exists. */
    privs_drop(args.user);
    if (sodium_init() < 0)
        log_fatal("libsodium: initialisation failed");
    mime_init();
    /* A peer closing its socket must give EPIPE, not kill the process. */
    signal(SIGPIPE, SIG_IGN);

    /*
     * Open one connection now, in the main thread: it initialises the client
     * library before libmilter starts threads, and tells the operator at once
     * when the database is wrong. A database that is down is not fatal: mail
     * is tempfailed until it is back.
     */
    dbpool_init((size_t)cfg.db_pool_size);
    DB *db = dbpool_get(err, sizeof(err));
    if (db == NULL)
        log_warn("database not reachable yet (mail will be tempfailed until it is): %s", err);
    dbpool_put(db, 0);

    if (smfi_register(milter_desc) != MI_SUCCESS)
        log_fatal("smfi_register failed");
    if (smfi_setconn(cfg.milter_socket) != MI_SUCCESS)
        log_fatal("bad milter_socket \"%s\"", cfg.milter_socket);
    /* true: remove a stale unix socket left by an earlier run before binding. */
    if (smfi_opensocket(true) != MI_SUCCESS)
        log_fatal("cannot listen on %s", cfg.milter_socket);
    const char *path = milter_socket_path(cfg.milter_socket);
    struct stat made;
    if (path != NULL && chmod(path, 0666) != 0)
        log_warn("chmod 0666 %s: %s (the MTA may be unable to connect)", path, strerror(errno));
    if (path != NULL && stat(path, &made) != 0)
        path = NULL;

    pthread_t purger, reloader;
    int purging = cfg.purge_interval > 0 && milter_purge_start(&purger) == 0;
    purge_running = purging;

    log_info("listening on %s (pool of %ld database connections, max message %ld bytes,"
             " purge every %ld s)", cfg.milter_socket, cfg.db_pool_size,
             cfg.max_message_size, cfg.purge_interval);
    int reloading = milter_reload_start(&reloader) == 0;
    int rc = smfi_main();
    if (reloading)
        milter_reload_stop(reloader);
    if (purging)
        milter_purge_stop(purger);
    dbpool_shutdown();
    /* Remove our socket, unless a newer instance has already put its own there. */
    struct stat now;
    if (path != NULL && stat(path, &now) == 0 && now.st_dev == made.st_dev
        && now.st_ino == made.st_ino)
        unlink(path);
    if (rc != MI_SUCCESS) {
        log_warn("stopped after a failure or an interrupt");
        return 1;
    }
    log_info("stopped");
    return 0;
}
