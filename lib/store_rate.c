/*++
 * NAME
 *	store_rate 3
 * SUMMARY
 *	request windows shared by every process and host (see store.h)
 *--*/

#include "store.h"

/*
 * The window age and the count come back packed in one LAST_INSERT_ID(): the age
 * (under a window's length, far below 2^31) above bit 32, the count (an INT UNSIGNED
 * column) below.
 */
#define STORE_RATE_COUNT_BITS 32
#define STORE_RATE_COUNT_MASK 0xFFFFFFFFULL

int store_rate_hit(DB *db, const char *subject, const char *now, long window, long long n,
                   long long *hits, long *age)
{
    /*
     * One statement, one row a subject. MariaDB runs the assignments of ON DUPLICATE
     * KEY UPDATE left to right, each seeing the ones before: the count starts again
     * when the window has ended (judged by the old window_start), then the window
     * moves, then the count is written once more through LAST_INSERT_ID(expr), which
     * hands it and the window's age back through the insert id: no SELECT follows.
     * A fresh row gives insert id 0: n hits in a window that begins now.
     */
    long long rc = db_exec(db,
                           "INSERT INTO rate_counters (subject, window_start, hits) VALUES (?, ?, ?)"
                           " ON DUPLICATE KEY UPDATE"
                           " hits = IF(window_start <= ? - INTERVAL ? SECOND, 0, hits) + ?,"
                           " window_start = IF(window_start <= ? - INTERVAL ? SECOND, ?, window_start),"
                           " hits = LAST_INSERT_ID(hits"
                           " | (TIMESTAMPDIFF(SECOND, window_start, ?) << 32)) & 0xFFFFFFFF",
                           "ssisiisiss", subject, now, n, now, (long long)window, n,
                           now, (long long)window, now, now);
    if (rc < 0)
        return (int)rc;
    unsigned long long id = db_insert_id(db);
    *hits = id == 0 ? n : (long long)(id & STORE_RATE_COUNT_MASK);
    *age = id == 0 ? 0 : (long)(id >> STORE_RATE_COUNT_BITS);
    return 0;
}

int store_rate_peek(DB *db, const char *subject, const char *now, long window, long long *hits,
                    long *age)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT hits, TIMESTAMPDIFF(SECOND, window_start, ?)"
                      " FROM rate_counters WHERE subject = ? AND window_start > ? - INTERVAL ? SECOND",
                      "sssi", now, subject, now, (long long)window);
    if (rc != 0)
        return rc;
    *hits = db_rows(res) ? db_get_ll(res, 0, 0) : 0;
    *age = db_rows(res) ? (long)db_get_ll(res, 0, 1) : 0;
    db_result_free(res);
    return 0;
}

int store_rate_forget_ended(DB *db, long window, long long *deleted)
{
    /* window_start is the UTC time of a route process's clock: the same clock here. */
    long long rc = db_exec(db, "DELETE FROM rate_counters"
                           " WHERE window_start <= UTC_TIMESTAMP() - INTERVAL ? SECOND LIMIT 10000",
                           "i", (long long)window);
    if (rc < 0)
        return (int)rc;
    *deleted = rc;
    return 0;
}

int store_rate_clear(DB *db, const char *subject, long long *deleted)
{
    long long rc = db_exec(db, "DELETE FROM rate_counters WHERE subject = ?", "s", subject);
    if (rc < 0)
        return (int)rc;
    *deleted = rc;
    return 0;
}
