#ifndef TEMPMAIL_TIMEFMT_H
#define TEMPMAIL_TIMEFMT_H

/*++
 * NAME
 *	timefmt 3
 * SUMMARY
 *	SQL DATETIME text to and from ISO 8601
 * SYNOPSIS
 *	#include "timefmt.h"
 *
 *	int	timefmt_to_iso(const char *sql, int millis, char *out, size_t len);
 *	int	timefmt_from_iso(const char *iso, char *sql, size_t len);
 * DESCRIPTION
 *	timefmt_to_iso() turns "2026-01-01 00:00:00.123" (UTC) into
 *	"2026-01-01T00:00:00.123Z", or "2026-01-01T00:00:00Z" without millis.
 *
 *	timefmt_from_iso() accepts an ISO 8601 date ("2026-01-01") or date-time
 *	("2026-01-01T00:00:00", optional fraction, optional "Z" or "+hh:mm"
 *	offset; no zone means UTC) and writes it in UTC as SQL text
 *	"2026-01-01 00:00:00.000".
 * DIAGNOSTICS
 *	Both return 0, or -1 for malformed input or a too small buffer.
 *--*/

#include <stddef.h>

extern int timefmt_to_iso(const char *sql, int millis, char *out, size_t len);
extern int timefmt_from_iso(const char *iso, char *sql, size_t len);

#endif
