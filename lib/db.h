#ifndef TEMPMAIL_DB_H
#define TEMPMAIL_DB_H

/*++
 * NAME
 *	db 3
 * SUMMARY
 *	MariaDB connections and prepared statements
 * SYNOPSIS
 *	#include "db.h"
 *
 *	DB	*db_open(char *err, size_t errlen);
 *	void	db_close(DB *db);
 *	void	db_set_timeout(unsigned seconds);
 *
 *	long long db_exec(DB *db, const char *sql, const char *fmt, ...);
 *	long long db_exec_values(DB *db, const char *sql, const char *fmt,
 *			const DB_VALUE *values);
 *	int	db_query(DB *db, DB_RESULT **res, const char *sql, const char *fmt, ...);
 *	unsigned long long db_insert_id(DB *db);
 *
 *	int	db_txn(DB *db, int (*fn)(DB *db, void *arg), void *arg);
 *	int	db_begin(DB *db);
 *	int	db_commit(DB *db);
 *	void	db_rollback(DB *db);
 *	unsigned long db_retries(const DB *db);
 *
 *	size_t	db_rows(const DB_RESULT *res);
 *	const char *db_get(const DB_RESULT *res, size_t row, unsigned col);
 *	size_t	db_len(const DB_RESULT *res, size_t row, unsigned col);
 *	int	db_isnull(const DB_RESULT *res, size_t row, unsigned col);
 *	long long db_get_ll(const DB_RESULT *res, size_t row, unsigned col);
 *	void	db_result_free(DB_RESULT *res);
 *
 *	int	db_errno(const DB *db);
 *	const char *db_error(const DB *db);
 *	int	db_heavy(const DB *db);
 * DESCRIPTION
 *	A DB is one connection, used by one thread at a time, with the session in
 *	UTC. Only lib/store*.c calls the statement functions: the SQL of the
 *	project lives there.
 *
 *	Every statement is a server-side prepared statement, cached on the
 *	connection by the address of its SQL text: pass string literals, or a
 *	string built once and kept for the life of the program, never one built
 *	per call. Parameters are described by fmt, one letter each:
 *	s	const char *, a string (NULL binds SQL NULL)
 *	b	const void *, size_t: bytes (a blob)
 *	f	int, size_t: a blob of that many bytes read from the file
 *		descriptor at offset 0 (pread), streamed to the server in chunks
 *		so that a large one never sits in memory whole
 *	i	long long
 *	u	unsigned long long
 *
 *	db_exec() runs a statement that returns no rows and gives the number of
 *	affected rows. db_exec_values() does the same with the parameters' values
 *	in an array (one DB_VALUE a letter of fmt), for statements whose number
 *	of parameters is known only at run time, such as a multi-row INSERT.
 *	db_query() runs one that does and stores every row in
 *	*res, each column as text (numbers and DECIMALs in their SQL text form,
 *	DATETIME as "YYYY-MM-DD HH:MM:SS.mmm"); free it with db_result_free().
 *
 *	The client waits db_timeout seconds (tempmail.conf) for a statement's
 *	answer, and the session lets a statement wait for a lock (a row, or a
 *	table a DDL statement holds) two thirds of that at most: so a statement
 *	the client gave up on has failed on the server too, and never completes
 *	there later (a message stored while its sender was told 451, a balance
 *	debited for a generate that answered 503). db_set_timeout() sets another
 *	time for the connections opened after it: tempmailctl db upgrade, whose
 *	migrations may rebuild a large table for minutes.
 *
 *	A connection lost between statements (server restart, idle timeout) is
 *	reopened once and the statement retried, unless a transaction was open:
 *	then the error is returned, since the transaction is gone.
 *
 *	Deadlocks and write conflicts are retried in this one place. Several
 *	writers (and on a Galera cluster, several nodes: a transaction that loses
 *	certification against another node's commit gets the same error) make
 *	the server roll a transaction back with error 1213, or 1205 when a lock
 *	wait timed out; neither left anything behind, so the work is run again
 *	from its start after a short random pause (db_retry_delay_us()), up to
 *	db_retry_limit() times in all. A statement outside a transaction is run
 *	again by db_exec()/db_query() themselves. A transaction is written as a
 *	function and run by db_txn(): it begins, calls fn(db, arg), commits when
 *	fn returned 0 and rolls back otherwise; after a deadlock anywhere in it
 *	(a statement, or the COMMIT, where Galera reports a lost certification)
 *	it rolls back and calls fn again. So fn must start from nothing each
 *	time: no state kept between calls but its outputs, which it overwrites.
 *	Called inside an open transaction, db_txn() only calls fn: the outer
 *	db_txn() runs the whole again. db_begin(), db_commit() and db_rollback()
 *	are its parts; use db_txn() rather than them. db_retries() counts the
 *	re-runs of this connection, for tests and logs.
 *	db_heavy() tells whether the connection has read a row of DB_HEAVY_ROW
 *	bytes or more. MariaDB Connector/C grows a connection's network buffer
 *	to the largest packet it has read and never shrinks it, so such a
 *	connection holds that much memory (20 MB after a 20 MB raw message)
 *	until it is closed: a pool closes it rather than keeping it idle.
 * DIAGNOSTICS
 *	db_open() returns NULL with a reason in err. db_exec() returns the
 *	affected row count, or DB_EDUP when a unique key was violated, or DB_EFAIL
 *	on any other failure; db_query(), db_begin() and db_commit() return 0 or
 *	the same negative codes; db_txn() returns fn's code (a failing one after
 *	the rollback), or the commit's, or DB_EFAIL after the last retry.
 *	db_errno() and db_error() tell the server's
 *	reason for the last failure: log it, never show it to a client.
 *	db_take_error() gives db the last failure of from: for a request whose
 *	statement another connection ran on its behalf (batch(3)), so that its
 *	log line tells that statement's reason, not a stale one of its own.
 *--*/

#include <stddef.h>

typedef struct db DB;
typedef struct db_result DB_RESULT;

#define DB_EFAIL    (-1)
#define DB_EDUP     (-2)

#define DB_HEAVY_ROW    (1024 * 1024)   /* bytes of one value that make a connection heavy */

extern DB *db_open(char *err, size_t errlen);
extern void db_close(DB *db);
/* Seconds to wait for a statement's answer on connections opened from now on; 0: db_timeout. */
extern void db_set_timeout(unsigned seconds);

extern long long db_exec(DB *db, const char *sql, const char *fmt, ...);

/* One parameter of db_exec_values(): i for 'i', 'u' and 'f' (the descriptor), s for 's',
 * b for 'b', len for 'b' and 'f'. */
typedef struct db_value {
    long long i;
    const char *s;
    const void *b;
    size_t len;
} DB_VALUE;
extern long long db_exec_values(DB *db, const char *sql, const char *fmt, const DB_VALUE *values);
extern int db_query(DB *db, DB_RESULT **res, const char *sql, const char *fmt, ...);
extern unsigned long long db_insert_id(DB *db);

extern int db_txn(DB *db, int (*fn)(DB *db, void *arg), void *arg);
extern int db_begin(DB *db);
extern int db_commit(DB *db);
extern void db_rollback(DB *db);
extern unsigned long db_retries(const DB *db);

/* The retry policy (pure, for the tests): tries in all for a server error code, and
 * the pause before re-run number retry (1, 2, ...) given a random number. */
#define DB_RETRY_TRIES      8
#define DB_RETRY_BASE_US    2000L
#define DB_RETRY_MAX_US     100000L
extern int db_retry_limit(int code);
extern long db_retry_delay_us(int retry, unsigned long random);

extern size_t db_rows(const DB_RESULT *res);
extern const char *db_get(const DB_RESULT *res, size_t row, unsigned col);
extern size_t db_len(const DB_RESULT *res, size_t row, unsigned col);
extern int db_isnull(const DB_RESULT *res, size_t row, unsigned col);
extern long long db_get_ll(const DB_RESULT *res, size_t row, unsigned col);
extern void db_result_free(DB_RESULT *res);

extern int db_errno(const DB *db);
extern int db_heavy(const DB *db);
extern const char *db_error(const DB *db);
extern void db_take_error(DB *db, const DB *from);

/* Run a file of SQL statements (schema, migrations): not for data. */
extern int db_run_script(DB *db, const char *text, char *err, size_t errlen);

#endif
