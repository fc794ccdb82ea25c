#ifndef TEMPMAIL_HTTP_H
#define TEMPMAIL_HTTP_H

/*++
 * NAME
 *	http 3
 * SUMMARY
 *	the FastCGI loop every route binary runs, and its request/response
 * SYNOPSIS
 *	#include "http.h"
 *
 *	static const HTTP_ROUTE routes[] = {
 *	    { "POST", "/api/mail/generate", mail_generate },
 *	    { "GET",  "/api/mail/inbox/{}", mail_inbox },
 *	    { 0 },
 *	};
 *	int main(void) { return http_serve("mail", routes); }
 *
 *	const char *http_header(const HTTP_REQUEST *req, const char *name);
 *	int	http_query(const HTTP_REQUEST *req, const char *name, char *buf, size_t len);
 *	int	http_cookie(const HTTP_REQUEST *req, const char *name, char *buf, size_t len);
 *	int	http_is_https(const HTTP_REQUEST *req);
 *	void	http_add_header(HTTP_REQUEST *req, const char *name, const char *value);
 *	void	http_respond(HTTP_REQUEST *req, int status, const char *content_type,
 *			const char *body, size_t len);
 *	void	http_respond_parts(HTTP_REQUEST *req, int status,
 *			const char *content_type, const struct iovec *parts,
 *			size_t nparts);
 *	const char *http_status_text(int status);
 *	int	http_peer_fd(const HTTP_REQUEST *req);
 *	void	http_at_finish(HTTP_REQUEST *req, void (*fn)(void));
 *	void	http_wait_begin(void);
 *	void	http_wait_end(void);
 *
 *	int	http_stream_begin(HTTP_REQUEST *req, const char *content_type);
 *	int	http_stream_write(HTTP_REQUEST *req, const char *data, size_t len);
 * DESCRIPTION
 *	http_serve() loads the configuration, then accepts FastCGI requests
 *	forever. For each it decodes the path (percent escapes undone), caps the
 *	body at cfg.max_request_body before reading it, and calls the handler
 *	of the first route whose method and pattern match. In a pattern, {}
 *	matches one non-empty path segment; the matched segments are in
 *	req->params. A path that matches a pattern under another method gets 405
 *	with an Allow header; no pattern at all gets 404. A HEAD runs the GET
 *	route's handler and sends its answer's head only (a stream ends after
 *	its head: http_stream_write() fails). These and the request
 *	errors (400 bad escape, 413 body too large) are JSON, like every reply.
 *
 *	A handler must answer exactly once, with http_respond() or the reply_*
 *	functions of reply.h; http_add_header() before that adds a header line.
 *	http_respond_parts() answers the concatenation of nparts pieces, so
 *	that a large answer made of pieces is never copied into one buffer.
 *	http_header() takes a header name in any case ("X-API-Key") and returns
 *	its value or NULL. http_query() copies the decoded value of a query
 *	parameter into buf and returns 1, or 0 when absent, or -1 when it does not
 *	fit or is malformed. http_cookie() does the same for a cookie of the
 *	Cookie header (its value taken as it is, not decoded). http_is_https()
 *	tells whether the client reached the web server over TLS.
 *
 *	Requests are served by cfg.http_threads threads per process (see
 *	http.c), so a handler may block for a while (wait=N) without stopping
 *	the others; handlers keep no unguarded static state. http_peer_fd()
 *	is the socket to the web server, only to poll for its hang-up while a
 *	handler waits: never read or write it.
 *	Of those threads, cfg.http_active work at once (http.c says why); a
 *	handler that is about to sleep until something happens (an arrival, a
 *	timer) calls http_wait_begin() first and http_wait_end() when it wakes,
 *	so that another request works meanwhile.
 *	http_at_finish() asks for fn to be called, in the request's thread,
 *	once the request is answered (one function a request; lib/api.c gives
 *	its database connection back with it).
 *
 *	http_stream_begin() answers 200 with content_type, "Cache-Control:
 *	no-cache" and no Content-Length, in place of http_respond(); the
 *	handler then sends the body piece by piece with http_stream_write(),
 *	each piece flushed to the web server at once (FCGX_FFlush), for a
 *	stream such as text/event-stream. Both return 0, or -1 when the web
 *	server is gone (the handler then stops writing and returns). The web
 *	server must pass the body on unbuffered (etc/lighttpd, etc/apache2).
 * SECURITY
 *	Header values written by handlers must not hold CR or LF; http_add_header()
 *	drops a header that does.
 *--*/

#include <stddef.h>
#include <sys/uio.h>

#define HTTP_MAX_PARAMS 4

typedef struct http_request {
    const char *method;
    const char *path;               /* decoded, without the query */
    const char *query;              /* raw query string, "" when none */
    const char *remote_addr;
    const char *body;               /* NUL-terminated; "" when none */
    size_t body_len;
    const char *params[HTTP_MAX_PARAMS];
    int nparams;
    int answered;
    void *impl;                     /* http.c's own state */
} HTTP_REQUEST;

typedef void (*HTTP_HANDLER)(HTTP_REQUEST *req);

typedef struct http_route {
    const char *method;
    const char *pattern;
    HTTP_HANDLER handler;
} HTTP_ROUTE;

extern int http_serve(const char *program, const HTTP_ROUTE *routes);

extern const char *http_header(const HTTP_REQUEST *req, const char *name);
extern int http_query(const HTTP_REQUEST *req, const char *name, char *buf, size_t len);
extern int http_cookie(const HTTP_REQUEST *req, const char *name, char *buf, size_t len);
extern int http_is_https(const HTTP_REQUEST *req);
extern int http_cookie_find(const char *header, const char *name, char *buf, size_t len);
extern void http_add_header(HTTP_REQUEST *req, const char *name, const char *value);
extern void http_respond(HTTP_REQUEST *req, int status, const char *content_type,
                         const char *body, size_t len);
extern void http_respond_parts(HTTP_REQUEST *req, int status, const char *content_type,
                               const struct iovec *parts, size_t nparts);
extern const char *http_status_text(int status);
extern int http_peer_fd(const HTTP_REQUEST *req);
extern void http_wait_begin(void);
extern void http_wait_end(void);
extern void http_at_finish(HTTP_REQUEST *req, void (*fn)(void));
extern int http_stream_begin(HTTP_REQUEST *req, const char *content_type);
extern int http_stream_write(HTTP_REQUEST *req, const char *data, size_t len);

/* Pure helpers, exposed for the unit tests. */
extern int http_percent_decode(const char *in, size_t in_len, char *out, size_t out_len, int plus_is_space);
extern int http_route_match(const char *pattern, const char *path, char *scratch, size_t scratch_len,
                            const char **params, int *nparams);

#endif
