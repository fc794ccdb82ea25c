/*++
 * NAME
 *	store_rate 3
 * SUMMARY
 *	fixed-window request counters shared by every process and host (see store.h)
 *--*/

#include "store.h"

int store_rate_hit(DB *db, const char *subject, const char *window_start, long long n,
                   long long *hits)
{
    /*
     * One statement: LAST_INSERT_ID(expr) hands the updated count back through
     * the insert id, so no SELECT follows. A fresh row gives insert id 0: n hits.
     */
    long long rc = db_exec(db,
                           "INSERT INTO rate_counters (subject, window_start, hits) VALUES (?, ?, ?)"
                           " ON DUPLICATE KEY UPDATE hits = LAST_INSERT_ID(hits + ?)",
                           "ssii", subject, window_start, n, n);
    if (rc < 0)
        return (int)rc;
    unsigned long long id = db_insert_id(db);
    *hits = id == 0 ? n : (long long)id;
    return 0;
}

int store_rate_peek(DB *db, const char *subject, const char *window_start, long long *hits)
{
    DB_RESULT *res;
    int rc = db_query(db, &res, "SELECT hits FROM rate_counters WHERE subject = ? AND window_start = ?",
                      "ss", subject, window_start);
    if (rc != 0)
        return rc;
    *hits = db_rows(res) ? db_get_ll(res, 0, 0) : 0;
    db_result_free(res);
    return 0;
}

int store_rate_forget_before(DB *db, const char *window_start, long long *deleted)
{
    long long rc = db_exec(db, "DELETE FROM rate_counters WHERE window_start < ? LIMIT 10000",
                           "s", window_start);
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
