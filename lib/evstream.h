#ifndef TEMPMAIL_EVSTREAM_H
#define TEMPMAIL_EVSTREAM_H

/*++
 * NAME
 *	evstream 3
 * SUMMARY
 *	an inbox as a stream of Server-Sent Events (text/event-stream)
 * SYNOPSIS
 *	#include "evstream.h"
 *
 *	void	evstream_route(HTTP_REQUEST *req, const char *not_found, EVSTREAM_JSON to_json);
 *
 *	int	evstream_cursor(HTTP_REQUEST *req, unsigned long long *after, int *given);
 *	int	evstream_admit(HTTP_REQUEST *req);
 *	void	evstream_serve(HTTP_REQUEST *req, DB *db, unsigned long long mailbox_id,
 *			unsigned long long after, int given, EVSTREAM_JSON to_json);
 * DESCRIPTION
 *	A page (EventSource) or a test waits for new mail on one open response
 *	instead of asking again and again. Each new message is one event:
 *
 *	    id: <message id>
 *	    event: message
 *	    data: <the message as the dialect's inbox route lists it, one line of JSON>
 *
 *	evstream_route() is a whole route, GET .../{address}/events: it
 *	authenticates (api.h: key or web session; one hit of the rate limit),
 *	reads the cursor, finds the caller's mailbox at req->params[0] (else
 *	404 with not_found), admits and serves the stream with to_json, the
 *	dialect's message object. The functions below are its steps.
 *
 *	evstream_cursor() reads where the client stands: the Last-Event-ID
 *	header (sent by EventSource when it reconnects), else the "after" query
 *	parameter (a page that just listed the inbox passes the newest id it
 *	shows, so nothing falls between the list and the stream). The larger
 *	wins when both are there. *given is 0 when neither is.
 *
 *	evstream_admit() counts the streams open in this process, and refuses
 *	(503 with Retry-After) one that would leave fewer than half of the
 *	process's http_threads to other requests. A route calls it after it has
 *	authenticated and found the mailbox, and then must call evstream_serve(),
 *	which gives the place back.
 *
 *	evstream_serve() answers 200 text/event-stream and then sends, in id
 *	order, every live message of the mailbox above the cursor (above the
 *	newest one at opening when no cursor was given: only new mail), then
 *	waits for the milter's arrival signal (arrival.h) and sends what came,
 *	reading the database once per wake-up and never on a timer. Without
 *	an event for cfg.event_stream_ping_seconds it sends the comment ": ping"
 *	so that proxies keep the connection, and so that a web server that does
 *	not pass a hang-up on (mod_proxy_fcgi, mod_fcgid) lets the stream's
 *	thread go at that write at the latest. After cfg.event_stream_seconds
 *	it ends the response; the client reconnects with Last-Event-ID and
 *	misses nothing.
 *	It stops at once when the web server hangs up.
 * DIAGNOSTICS
 *	evstream_cursor() and evstream_admit() return 0, or -1 with the 400 or
 *	503 answered. A database failure during the stream is logged and ends
 *	it (the client reconnects).
 * CONFIGURATION PARAMETERS
 *	event_stream_seconds (default 300), event_stream_ping_seconds (15),
 *	http_threads.
 *--*/

#include <json.h>

#include "db.h"
#include "http.h"
#include "store.h"

#define EVSTREAM_BATCH      100         /* messages read and sent at a time */
#define EVSTREAM_RETRY_MS   1000        /* the reconnect delay suggested to EventSource */

typedef json_object *(*EVSTREAM_JSON)(const STORE_MESSAGE *m);

extern void evstream_route(HTTP_REQUEST *req, const char *not_found, EVSTREAM_JSON to_json);
extern int evstream_cursor(HTTP_REQUEST *req, unsigned long long *after, int *given);
extern int evstream_admit(HTTP_REQUEST *req);
extern void evstream_serve(HTTP_REQUEST *req, DB *db, unsigned long long mailbox_id,
                           unsigned long long after, int given, EVSTREAM_JSON to_json);

#endif
