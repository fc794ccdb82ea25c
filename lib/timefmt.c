/*++
 * NAME
 *	timefmt 3
 * SUMMARY
 *	SQL DATETIME text to and from ISO 8601 (see timefmt.h)
 *--*/

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

/* Read exactly n digits. */
static int timefmt_digits(const char **s, int n, int *value)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *value = v;
    return 0;
}

int timefmt_to_iso(const char *sql, int millis, char *out, size_t len)
{
    /* "YYYY-MM-DD HH:MM:SS" then an optional ".fff..." */
    if (sql == NULL || strlen(sql) < 19 || sql[10] != ' ')
        return -1;
    char ms[4] = "000";
    if (sql[19] == '.')
        for (int i = 0; i < 3 && isdigit((unsigned char)sql[20 + i]); i++)
            ms[i] = sql[20 + i];
    int n = millis ? snprintf(out, len, "%.10sT%.8s.%sZ", sql, sql + 11, ms)
                   : snprintf(out, len, "%.10sT%.8sZ", sql, sql + 11);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int timefmt_from_iso(const char *iso, char *sql, size_t len)
{
    const char *s = iso;
    int year, mon, day, hour = 0, min = 0, sec = 0, msec = 0;

    if (s == NULL || timefmt_digits(&s, 4, &year) || *s++ != '-' || timefmt_digits(&s, 2, &mon)
        || *s++ != '-' || timefmt_digits(&s, 2, &day))
        return -1;
    long offset = 0;
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (timefmt_digits(&s, 2, &hour) || *s++ != ':' || timefmt_digits(&s, 2, &min))
            return -1;
        if (*s == ':') {
            s++;
            if (timefmt_digits(&s, 2, &sec))
                return -1;
            if (*s == '.' || *s == ',') {
                s++;
                if (!isdigit((unsigned char)*s))
                    return -1;
                for (int i = 0; isdigit((unsigned char)*s); i++, s++)
                    if (i < 3)
                        msec = msec * 10 + (*s - '0');
                    else if (i >= 9)
                        return -1;
                /* Scale "5" to 500 ms and "12" to 120 ms. */
                const char *frac = strpbrk(iso, ".,") + 1;
                size_t digits = strspn(frac, "0123456789");
                for (size_t i = digits; i < 3; i++)
                    msec *= 10;
            }
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int sign = *s++ == '+' ? 1 : -1, oh, om = 0;
            if (timefmt_digits(&s, 2, &oh))
                return -1;
            if (*s == ':')
                s++;
            if (isdigit((unsigned char)*s) && timefmt_digits(&s, 2, &om))
                return -1;
            if (oh > 23 || om > 59)
                return -1;
            offset = sign * (oh * 3600L + om * 60L);
        }
    }
    if (*s != '\0')
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return -1;

    struct tm tm = { .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
                     .tm_hour = hour, .tm_min = min, .tm_sec = sec };
    time_t t = timegm(&tm);
    if (tm.tm_mday != day)          /* timegm normalised 2026-02-31: not a date */
        return -1;
    t -= offset;
    struct tm utc;
    if (gmtime_r(&t, &utc) == NULL)
        return -1;
    /* An offset can carry 9999-12-31 past year 9999 or 0000-01-01 before year 0: SQL
       DATETIME text has four year digits, so such a time is malformed, not "10000-...". */
    if (utc.tm_year + 1900 < 0 || utc.tm_year + 1900 > 9999)
        return -1;
    int n = snprintf(sql, len, "%04d-%02d-%02d %02d:%02d:%02d.%03d", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, msec);
    return n > 0 && (size_t)n < len ? 0 : -1;
}
