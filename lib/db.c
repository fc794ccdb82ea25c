/*++
 * NAME
 *	db 3
 * SUMMARY
 *	MariaDB connections and prepared statements (see db.h)
 * DESCRIPTION
 *	Statements are prepared once per connection and kept in a small cache
 *	keyed by the address of their SQL text, so a route binary that serves
 *	thousands of requests prepares each statement once.
 *
 *	Result rows are copied out of the statement into a DB_RESULT, every
 *	column as text: the store decides what a column means, and DECIMALs stay
 *	exact.
 *--*/

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "config.h"
#include "db.h"
#include "log.h"

#define DB_STMT_CACHE   64
#define DB_MAX_PARAMS   100     /* a multi-row INSERT of store(3): 8 rows of 12 */
#define DB_MAX_COLS     64

struct db_stmt_slot {
    const char *sql;            /* identity: the literal's address */
    MYSQL_STMT *stmt;
};

struct db {
    MYSQL *mysql;
    struct db_stmt_slot cache[DB_STMT_CACHE];
    int ncache;
    int in_txn;
    int conflict;               /* a deadlock or lock wait timeout inside the open transaction */
    unsigned long retries;      /* statements and transactions run again after one */
    int heavy;                  /* read a row of DB_HEAVY_ROW bytes or more (db_heavy()) */
    int last_errno;
    char last_error[512];
};

struct db_cell {
    char *data;                 /* NUL-terminated; NULL for SQL NULL */
    size_t len;
};

struct db_result {
    size_t rows;
    unsigned cols;
    struct db_cell *cells;      /* rows * cols */
};

/* Errors after which the connection is gone and a reconnect may help. */
static int db_connection_lost(int code)
{
    return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST
        || code == CR_CONNECTION_ERROR || code == CR_CONN_HOST_ERROR
        || code == CR_SERVER_LOST_EXTENDED || code == ER_UNKNOWN_STMT_HANDLER
        || code == CR_COMMANDS_OUT_OF_SYNC || code == ER_CONNECTION_KILLED
        || code == ER_SERVER_SHUTDOWN;
}

/*
 * How many times in all a statement or transaction that failed with this error
 * is run. A deadlock (1213, also what Galera reports when a transaction loses
 * certification against a write from another node, or is aborted by one) costs
 * the loser nothing but its rollback: run it again. A lock wait timeout (1205)
 * has already waited innodb_lock_wait_timeout: one more try, then give up.
 */
int db_retry_limit(int code)
{
    if (code == ER_LOCK_DEADLOCK)
        return DB_RETRY_TRIES;
    if (code == ER_LOCK_WAIT_TIMEOUT)
        return 2;
    return 1;
}

long db_retry_delay_us(int retry, unsigned long random)
{
    if (retry < 1)
        retry = 1;
    long top = DB_RETRY_BASE_US << (retry > 8 ? 7 : retry - 1);
    if (top > DB_RETRY_MAX_US)
        top = DB_RETRY_MAX_US;
    /* Between half and all of it: two losers of the same conflict do not meet again in step. */
    return top / 2 + (long)(random % (unsigned long)(top / 2 + 1));
}

static void db_retry_sleep(DB *db, int retry)
{
    static _Thread_local unsigned seed;
    struct timespec ts;

    if (seed == 0) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid() ^ (unsigned)(unsigned long)pthread_self();
        seed |= 1;
    }
    long us = db_retry_delay_us(retry, (unsigned long)rand_r(&seed));
    log_info("db: %s (%d); running it again in %ld ms", db->last_errno == ER_LOCK_DEADLOCK
             ? "deadlock or write conflict" : "lock wait timeout", db->last_errno, us / 1000);
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000;
    nanosleep(&ts, NULL);
    db->retries++;
}

static void db_set_error(DB *db, int code, const char *text)
{
    db->last_errno = code;
    if (db->in_txn && db_retry_limit(code) > 1)
        db->conflict = 1;
    snprintf(db->last_error, sizeof(db->last_error), "%s", text ? text : "unknown error");
}

static void db_drop_statements(DB *db)
{
    for (int i = 0; i < db->ncache; i++)
        mysql_stmt_close(db->cache[i].stmt);
    db->ncache = 0;
}

static unsigned db_timeout_set;        /* db_set_timeout(); 0: cfg.db_timeout */

void db_set_timeout(unsigned seconds)
{
    db_timeout_set = seconds;
}

static MYSQL *db_connect(char *err, size_t errlen)
{
    MYSQL *mysql = mysql_init(NULL);
    if (mysql == NULL) {
        snprintf(err, errlen, "mysql_init: out of memory");
        return NULL;
    }
    unsigned int connect_timeout = 5;
    unsigned int io_timeout = db_timeout_set ? db_timeout_set : (unsigned)cfg.db_timeout;
    /* A lock wait ends (error 1205) well before the client stops waiting for its answer. */
    unsigned int lock_wait = io_timeout * 2 / 3;
    char init[128];
    snprintf(init, sizeof(init),
             "SET time_zone = '+00:00', lock_wait_timeout = %u, innodb_lock_wait_timeout = %u",
             lock_wait, lock_wait);
    mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(mysql, MYSQL_INIT_COMMAND, init);

    const char *host = *cfg.db_host ? cfg.db_host : NULL;
    const char *socket = host ? NULL : cfg.db_socket;
    if (mysql_real_connect(mysql, host, cfg.db_user, cfg.db_password, cfg.db_name,
                           (unsigned)cfg.db_port, socket, 0) == NULL) {
        snprintf(err, errlen, "connect to MariaDB %s as %s: %s",
                 host ? host : socket, cfg.db_user, mysql_error(mysql));
        mysql_close(mysql);
        return NULL;
    }
    return mysql;
}

DB *db_open(char *err, size_t errlen)
{
    DB *db = calloc(1, sizeof(*db));
    if (db == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if ((db->mysql = db_connect(err, errlen)) == NULL) {
        free(db);
        return NULL;
    }
    return db;
}

void db_close(DB *db)
{
    if (db == NULL)
        return;
    db_drop_statements(db);
    if (db->mysql)
        mysql_close(db->mysql);
    free(db);
}

static int db_reconnect(DB *db)
{
    char err[512];

    db_drop_statements(db);
    if (db->mysql)
        mysql_close(db->mysql);
    db->in_txn = 0;
    if ((db->mysql = db_connect(err, sizeof(err))) == NULL) {
        db_set_error(db, CR_CONNECTION_ERROR, err);
        return -1;
    }
    log_info("reconnected to MariaDB");
    return 0;
}

static MYSQL_STMT *db_prepare(DB *db, const char *sql)
{
    for (int i = 0; i < db->ncache; i++)
        if (db->cache[i].sql == sql)
            return db->cache[i].stmt;

    if (db->mysql == NULL) {
        db_set_error(db, CR_SERVER_GONE_ERROR, "not connected");
        return NULL;
    }
    MYSQL_STMT *stmt = mysql_stmt_init(db->mysql);
    if (stmt == NULL) {
        db_set_error(db, mysql_errno(db->mysql), mysql_error(db->mysql));
        return NULL;
    }
    if (mysql_stmt_prepare(stmt, sql, (unsigned long)strlen(sql)) != 0) {
        db_set_error(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
        mysql_stmt_close(stmt);
        return NULL;
    }
    my_bool update_max = 1;
    mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
    if (db->ncache == DB_STMT_CACHE) {
        /* Full: evict the oldest. The project has far fewer statements than this. */
        mysql_stmt_close(db->cache[0].stmt);
        memmove(db->cache, db->cache + 1, sizeof(db->cache[0]) * (DB_STMT_CACHE - 1));
        db->ncache--;
    }
    db->cache[db->ncache].sql = sql;
    db->cache[db->ncache].stmt = stmt;
    db->ncache++;
    return stmt;
}

/* Parameters, decoded from the format once, so that a retry can bind them again. */
struct db_params {
    int count;
    MYSQL_BIND bind[DB_MAX_PARAMS];
    long long ints[DB_MAX_PARAMS];
    unsigned long lengths[DB_MAX_PARAMS];
    my_bool nulls[DB_MAX_PARAMS];
    int fds[DB_MAX_PARAMS];         /* 'f' parameters: the file, else -1 */
    size_t fd_lens[DB_MAX_PARAMS];
};

/* Bind parameter i as letter says (see db_exec()), its value taken from v. */
static void db_param_bind(struct db_params *p, int i, char letter, const DB_VALUE *v)
{
    MYSQL_BIND *b = &p->bind[i];

    memset(b, 0, sizeof(*b));
    p->nulls[i] = 0;
    p->fds[i] = -1;
    switch (letter) {
    case 'f':
        /* Sent in chunks before the execute: see db_send_files(). */
        p->fds[i] = (int)v->i;
        p->fd_lens[i] = v->len;
        b->buffer_type = MYSQL_TYPE_LONG_BLOB;
        b->buffer = (void *)"";
        break;
    case 's':
        b->buffer_type = MYSQL_TYPE_STRING;
        if (v->s == NULL) {
            p->nulls[i] = 1;
            b->is_null = &p->nulls[i];
        } else {
            b->buffer = (void *)v->s;
            p->lengths[i] = (unsigned long)strlen(v->s);
            b->buffer_length = p->lengths[i];
            b->length = &p->lengths[i];
        }
        break;
    case 'b':
        b->buffer_type = MYSQL_TYPE_BLOB;
        b->buffer = (void *)(v->b ? v->b : "");
        p->lengths[i] = (unsigned long)v->len;
        b->buffer_length = p->lengths[i];
        b->length = &p->lengths[i];
        break;
    case 'i':
    case 'u':
        p->ints[i] = v->i;
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->buffer = &p->ints[i];
        b->is_unsigned = letter == 'u';
        break;
    default:
        log_panic("db: bad parameter format letter '%c'", letter);
    }
}

/* The parameters of fmt, their values from ap (va_list) or from values (an array). */
static void db_params_decode(struct db_params *p, const char *fmt, va_list *ap,
                             const DB_VALUE *values)
{
    /* Only the parameters used are set: the arrays are large enough for a multi-row INSERT. */
    p->count = 0;
    for (const char *f = fmt ? fmt : ""; *f; f++) {
        int i = p->count++;
        if (i >= DB_MAX_PARAMS)
            log_panic("db: more than %d parameters", DB_MAX_PARAMS);
        DB_VALUE v = { 0 };
        if (values != NULL) {
            v = values[i];
        } else {
            switch (*f) {
            case 'f':
                v.i = va_arg(*ap, int);
                v.len = va_arg(*ap, size_t);
                break;
            case 's':
                v.s = va_arg(*ap, const char *);
                break;
            case 'b':
                v.b = va_arg(*ap, const void *);
                v.len = va_arg(*ap, size_t);
                break;
            case 'i':
                v.i = va_arg(*ap, long long);
                break;
            case 'u':
                v.i = (long long)va_arg(*ap, unsigned long long);
                break;
            }
        }
        db_param_bind(p, i, *f, &v);
    }
}

/*
 * The 'f' parameters, streamed with mysql_stmt_send_long_data() in chunks read
 * from offset 0: a 25 MB message never sits in the client's packet buffer, so
 * the milter's memory does not grow with it. pread() leaves the file offset
 * alone, so a retry after a reconnect reads the same bytes again. 0, or -1
 * with the error set.
 */
static int db_send_files(DB *db, MYSQL_STMT *stmt, const struct db_params *p)
{
    char chunk[64 * 1024];

    for (int i = 0; i < p->count; i++) {
        if (p->fds[i] < 0)
            continue;
        off_t off = 0;
        size_t left = p->fd_lens[i];
        if (left == 0 && mysql_stmt_send_long_data(stmt, (unsigned)i, "", 0) != 0)
            goto failed;
        while (left > 0) {
            ssize_t got = pread(p->fds[i], chunk, left < sizeof(chunk) ? left : sizeof(chunk), off);
            if (got <= 0) {
                db_set_error(db, CR_UNKNOWN_ERROR, got == 0 ? "file parameter: short file"
                                                            : strerror(errno));
                return -1;
            }
            if (mysql_stmt_send_long_data(stmt, (unsigned)i, chunk, (unsigned long)got) != 0)
                goto failed;
            off += got;
            left -= (size_t)got;
        }
    }
    return 0;
failed:
    db_set_error(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
    return -1;
}

/*
 * Prepare (cached), bind and execute; reconnect once if the server went away.
 * Outside a transaction, a statement that lost a deadlock or a lock wait is run
 * again here (its rollback undid it whole); inside one, the caller's db_txn()
 * runs the whole transaction again instead.
 */
static MYSQL_STMT *db_run(DB *db, const char *sql, struct db_params *p)
{
    int reconnected = 0;

    for (int attempt = 1;; attempt++) {
        MYSQL_STMT *stmt = db_prepare(db, sql);
        if (stmt != NULL) {
            if ((unsigned long)p->count != mysql_stmt_param_count(stmt))
                log_panic("db: statement wants %lu parameters, given %d: %s",
                          mysql_stmt_param_count(stmt), p->count, sql);
            if (mysql_stmt_bind_param(stmt, p->bind) != 0)
                db_set_error(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
            else if (db_send_files(db, stmt, p) != 0)
                mysql_stmt_reset(stmt);     /* drop long data already sent */
            else if (mysql_stmt_execute(stmt) == 0)
                return stmt;
            else {
                db_set_error(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
                mysql_stmt_reset(stmt);
            }
        }
        if (!db->in_txn && attempt < db_retry_limit(db->last_errno)) {
            db_retry_sleep(db, attempt);
            continue;
        }
        if (reconnected || db->in_txn || !db_connection_lost(db->last_errno))
            break;
        if (db_reconnect(db) != 0)
            break;
        reconnected = 1;
    }
    if (db_connection_lost(db->last_errno))
        db->in_txn = 0;
    return NULL;
}

static int db_failure_code(const DB *db)
{
    return db->last_errno == ER_DUP_ENTRY ? DB_EDUP : DB_EFAIL;
}

static long long db_exec_params(DB *db, const char *sql, struct db_params *p)
{
    MYSQL_STMT *stmt = db_run(db, sql, p);
    if (stmt == NULL)
        return db_failure_code(db);
    long long affected = (long long)mysql_stmt_affected_rows(stmt);
    return affected < 0 ? 0 : affected;
}

long long db_exec(DB *db, const char *sql, const char *fmt, ...)
{
    struct db_params p;
    va_list ap;

    va_start(ap, fmt);
    db_params_decode(&p, fmt, &ap, NULL);
    va_end(ap);
    return db_exec_params(db, sql, &p);
}

long long db_exec_values(DB *db, const char *sql, const char *fmt, const DB_VALUE *values)
{
    struct db_params p;

    db_params_decode(&p, fmt, NULL, values);
    return db_exec_params(db, sql, &p);
}

unsigned long long db_insert_id(DB *db)
{
    return db->mysql ? (unsigned long long)mysql_insert_id(db->mysql) : 0;
}

static int db_fetch_rows(DB *db, MYSQL_STMT *stmt, DB_RESULT *res)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(stmt);
    if (meta == NULL) {
        db_set_error(db, mysql_stmt_errno(stmt), "statement returns no rows");
        return DB_EFAIL;
    }
    unsigned ncols = mysql_num_fields(meta);
    if (ncols > DB_MAX_COLS)
        log_panic("db: more than %d result columns", DB_MAX_COLS);
    if (mysql_stmt_store_result(stmt) != 0) {
        db_set_error(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
        mysql_free_result(meta);
        return DB_EFAIL;
    }
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    MYSQL_BIND bind[DB_MAX_COLS];
    unsigned long lengths[DB_MAX_COLS];
    my_bool nulls[DB_MAX_COLS], errors[DB_MAX_COLS];
    char *buffers[DB_MAX_COLS];
    memset(bind, 0, sizeof(bind));
    for (unsigned c = 0; c < ncols; c++) {
        /* max_length is exact for strings and blobs; 64 holds any number or date. */
        size_t size = fields[c].max_length > 64 ? fields[c].max_length : 64;
        buffers[c] = malloc(size + 1);
        if (buffers[c] == NULL)
            log_fatal("db: out of memory");
        bind[c].buffer_type = MYSQL_TYPE_STRING;
        bind[c].buffer = buffers[c];
        bind[c].buffer_length = size;
        bind[c].length = &lengths[c];
        bind[c].is_null = &nulls[c];
        bind[c].error = &errors[c];
    }
    int rc = 0;
    if (ncols > 0 && mysql_stmt_bind_result(stmt, bind) != 0) {
        db_set_error(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
        rc = DB_EFAIL;
    }
    size_t nrows = (size_t)mysql_stmt_num_rows(stmt);
    res->cols = ncols;
    res->rows = 0;
    res->cells = calloc(nrows * ncols + 1, sizeof(struct db_cell));
    if (res->cells == NULL)
        log_fatal("db: out of memory");
    while (rc == 0) {
        int f = mysql_stmt_fetch(stmt);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1) {
            db_set_error(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
            rc = DB_EFAIL;
            break;
        }
        if (res->rows == nrows)
            break;
        for (unsigned c = 0; c < ncols; c++) {
            struct db_cell *cell = &res->cells[res->rows * ncols + c];
            if (nulls[c])
                continue;
            cell->len = lengths[c];
            if (cell->len >= DB_HEAVY_ROW)
                db->heavy = 1;
            cell->data = malloc(cell->len + 1);
            if (cell->data == NULL)
                log_fatal("db: out of memory");
            if (lengths[c] <= bind[c].buffer_length) {
                memcpy(cell->data, buffers[c], cell->len);
            } else {
                /* Longer than max_length promised: fetch the column whole. */
                MYSQL_BIND whole;
                memset(&whole, 0, sizeof(whole));
                whole.buffer_type = MYSQL_TYPE_STRING;
                whole.buffer = cell->data;
                whole.buffer_length = cell->len + 1;
                mysql_stmt_fetch_column(stmt, &whole, c, 0);
            }
            cell->data[cell->len] = '\0';
        }
        res->rows++;
    }
    for (unsigned c = 0; c < ncols; c++)
        free(buffers[c]);
    mysql_stmt_free_result(stmt);
    mysql_free_result(meta);
    return rc;
}

int db_query(DB *db, DB_RESULT **resp, const char *sql, const char *fmt, ...)
{
    struct db_params p;
    va_list ap;

    *resp = NULL;
    va_start(ap, fmt);
    db_params_decode(&p, fmt, &ap, NULL);
    va_end(ap);
    MYSQL_STMT *stmt = db_run(db, sql, &p);
    if (stmt == NULL)
        return db_failure_code(db);
    DB_RESULT *res = calloc(1, sizeof(*res));
    if (res == NULL)
        log_fatal("db: out of memory");
    if (db_fetch_rows(db, stmt, res) != 0) {
        /* INSERT ... RETURNING meets a duplicate key while its rows are read. */
        db_result_free(res);
        return db_failure_code(db);
    }
    *resp = res;
    return 0;
}

/* Plain statements with no data in them: transaction control only. */
static int db_simple(DB *db, const char *sql)
{
    if (db->mysql == NULL || mysql_real_query(db->mysql, sql, (unsigned long)strlen(sql)) != 0) {
        if (db->mysql)
            db_set_error(db, mysql_errno(db->mysql), mysql_error(db->mysql));
        return DB_EFAIL;
    }
    return 0;
}

/*
 * No ping first (it cost a round trip a transaction): START TRANSACTION itself shows a
 * lost connection, and reconnecting then is as safe, no transaction being open yet.
 */
int db_begin(DB *db)
{
    if (db->mysql == NULL || db_simple(db, "START TRANSACTION") != 0) {
        if (db->mysql != NULL && !db_connection_lost(db->last_errno))
            return DB_EFAIL;
        if (db_reconnect(db) != 0 || db_simple(db, "START TRANSACTION") != 0)
            return DB_EFAIL;
    }
    db->in_txn = 1;
    return 0;
}

int db_commit(DB *db)
{
    int rc = db_simple(db, "COMMIT");
    db->in_txn = 0;
    return rc == 0 ? 0 : db_failure_code(db);
}

void db_rollback(DB *db)
{
    if (db->in_txn && db->mysql)
        (void)db_simple(db, "ROLLBACK");
    db->in_txn = 0;
}

int db_txn(DB *db, int (*fn)(DB *db, void *arg), void *arg)
{
    int rc;

    if (db->in_txn)             /* part of a caller's transaction: that one runs it again */
        return fn(db, arg);
    for (int attempt = 1;; attempt++) {
        db->conflict = 0;
        if ((rc = db_begin(db)) != 0)
            return rc;
        rc = fn(db, arg);
        /* A conflict the function let pass still rolled the server's side back: never commit it. */
        if (rc == 0 && !db->conflict && (rc = db_commit(db)) == 0)
            return 0;
        int conflict = db->conflict;
        int code = db->last_errno;
        db_rollback(db);
        db->last_errno = code;
        if (!conflict)
            return rc;
        if (attempt >= db_retry_limit(code)) {
            log_warn("db: transaction gave up after %d attempts: %s", attempt, db->last_error);
            return rc < 0 ? rc : DB_EFAIL;
        }
        db_retry_sleep(db, attempt);
    }
}

unsigned long db_retries(const DB *db)
{
    return db->retries;
}

size_t db_rows(const DB_RESULT *res)
{
    return res ? res->rows : 0;
}

static const struct db_cell *db_cell(const DB_RESULT *res, size_t row, unsigned col)
{
    if (res == NULL || row >= res->rows || col >= res->cols)
        log_panic("db: cell %zu,%u outside the result", row, col);
    return &res->cells[row * res->cols + col];
}

const char *db_get(const DB_RESULT *res, size_t row, unsigned col)
{
    const struct db_cell *cell = db_cell(res, row, col);
    return cell->data ? cell->data : "";
}

size_t db_len(const DB_RESULT *res, size_t row, unsigned col)
{
    return db_cell(res, row, col)->len;
}

int db_isnull(const DB_RESULT *res, size_t row, unsigned col)
{
    return db_cell(res, row, col)->data == NULL;
}

long long db_get_ll(const DB_RESULT *res, size_t row, unsigned col)
{
    const struct db_cell *cell = db_cell(res, row, col);
    return cell->data ? strtoll(cell->data, NULL, 10) : 0;
}

void db_result_free(DB_RESULT *res)
{
    if (res == NULL)
        return;
    if (res->cells)
        for (size_t i = 0; i < res->rows * res->cols; i++)
            free(res->cells[i].data);
    free(res->cells);
    free(res);
}

int db_heavy(const DB *db)
{
    return db->heavy;
}

int db_errno(const DB *db)
{
    return db->last_errno;
}

const char *db_error(const DB *db)
{
    return db->last_error;
}

void db_take_error(DB *db, const DB *from)
{
    if (db == from)
        return;
    db->last_errno = from->last_errno;
    snprintf(db->last_error, sizeof(db->last_error), "%s", from->last_error);
}

int db_run_script(DB *db, const char *text, char *err, size_t errlen)
{
    if (db->mysql == NULL || mysql_ping(db->mysql) != 0) {
        if (db_reconnect(db) != 0) {
            snprintf(err, errlen, "%s", db->last_error);
            return DB_EFAIL;
        }
    }
    if (mysql_set_server_option(db->mysql, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0) {
        snprintf(err, errlen, "%s", mysql_error(db->mysql));
        return DB_EFAIL;
    }
    int rc = 0;
    if (mysql_real_query(db->mysql, text, (unsigned long)strlen(text)) != 0) {
        snprintf(err, errlen, "%s", mysql_error(db->mysql));
        rc = DB_EFAIL;
    } else {
        for (;;) {
            MYSQL_RES *r = mysql_store_result(db->mysql);
            if (r)
                mysql_free_result(r);
            int next = mysql_next_result(db->mysql);
            if (next == -1)
                break;
            if (next > 0) {
                snprintf(err, errlen, "%s", mysql_error(db->mysql));
                rc = DB_EFAIL;
                break;
            }
        }
    }
    mysql_set_server_option(db->mysql, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
    return rc;
}
