#ifndef TEMPMAIL_INBOX_H
#define TEMPMAIL_INBOX_H

/*++
 * NAME
 *	inbox 3
 * SUMMARY
 *	reading an inbox for the API: since, wait, and the extracted fields
 * SYNOPSIS
 *	#include "inbox.h"
 *
 *	int	inbox_query_since(HTTP_REQUEST *req, char *sql, size_t len);
 *	int	inbox_query_wait(HTTP_REQUEST *req, long *seconds);
 *	int	inbox_read(HTTP_REQUEST *req, DB *db, const char *address,
 *			unsigned long long account_id, const char *since, long wait,
 *			STORE_MESSAGE **messages, size_t *count);
 *	int	inbox_reply(HTTP_REQUEST *req, DB *db, const char *address,
 *			unsigned long long account_id, const char *since, long wait,
 *			const char *list, int kind, INBOX_RENDER render);
 *	void	inbox_add_extracted(json_object *obj, const STORE_MESSAGE *m);
 *	json_object *inbox_message_json(const STORE_MESSAGE *m);
 *	const char *inbox_sender(const STORE_MESSAGE *m, char *addr, size_t addr_len,
 *			char *name, size_t name_len);
 * DESCRIPTION
 *	The inbox routes of both dialects share these steps.
 *
 *	inbox_query_since() reads the since parameter (ISO 8601) as SQL text
 *	into sql, "" when absent or empty. inbox_query_wait() reads wait, whole
 *	seconds from 1 to INBOX_WAIT_MAX; *seconds is 0 when absent.
 *
 *	inbox_read() lists the live messages of the account's live mailbox at
 *	address (lowercase), newest first (only
 *	those received after since, when not NULL or ""). With wait > 0 and
 *	nothing to list, it waits for the milter's arrival signal (arrival.h)
 *	and lists again when one comes for this mailbox, until something is
 *	listed or wait seconds have passed; then the (empty) list is the
 *	answer. The database is asked once per wake-up, and the wait ends early
 *	when the web server hangs up. When the arrival directory cannot be
 *	watched, it re-reads every INBOX_FALLBACK_MS. The signal is local to a
 *	host: where mail is captured by milters on other hosts, it never comes,
 *	so cfg.wait_reread_ms (when not 0) also re-reads on that timer.
 *
 *	inbox_reply() answers 200 with {"list": [...]}: what inbox_read() lists,
 *	each message as render makes it, in the same order. A message this
 *	process rendered before comes from its cache (rendercache.h, kind names
 *	the dialect), so a read without wait asks the database for the ids only,
 *	and for the rows of those it has not rendered yet.
 *
 *	inbox_add_extracted() adds "links" and "codes" to a message object of
 *	either dialect: arrays of strings found in its text and html by
 *	extract(3), for sign-up tests that want the confirmation link or code.
 *
 *	inbox_message_json() is a message as the leveragers inbox shows it: id,
 *	from, from_name, subject, body, html, received_at, then links and codes.
 *	The webhook worker posts the same object (webhook.h).
 *
 *	inbox_sender() is the sender as both documents show it, a bare address:
 *	the From header's (its display name into name), else the envelope
 *	sender's. It returns addr or the envelope sender.
 * DIAGNOSTICS
 *	The parameter readers return 0, or -1 with a 400 answered. inbox_read()
 *	returns 0, STORE_NOTFOUND when the account has no such live mailbox, or
 *	a db.h error code (nothing answered: the caller does); so does
 *	inbox_reply(), which answers only when it returns 0.
 *--*/

#include <stddef.h>

#include <json.h>

#include "db.h"
#include "http.h"
#include "store.h"

#define INBOX_WAIT_MAX      60
#define INBOX_FALLBACK_MS   1000
#define INBOX_READ_PAGE     100         /* rows of unkept messages read at a time */

extern int inbox_query_since(HTTP_REQUEST *req, char *sql, size_t len);
extern int inbox_query_wait(HTTP_REQUEST *req, long *seconds);
extern int inbox_read(HTTP_REQUEST *req, DB *db, const char *address,
                      unsigned long long account_id, const char *since, long wait,
                      STORE_MESSAGE **messages, size_t *count);
typedef json_object *(*INBOX_RENDER)(const STORE_MESSAGE *m);
extern int inbox_reply(HTTP_REQUEST *req, DB *db, const char *address,
                       unsigned long long account_id, const char *since, long wait,
                       const char *list, int kind, INBOX_RENDER render);
extern void inbox_add_extracted(json_object *obj, const STORE_MESSAGE *m);
extern json_object *inbox_message_json(const STORE_MESSAGE *m);
extern const char *inbox_sender(const STORE_MESSAGE *m, char *addr, size_t addr_len, char *name,
                                size_t name_len);

#endif
