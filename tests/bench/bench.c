/*++
 * NAME
 *	bench.fcgi 8
 * SUMMARY
 *	the bench's baseline route: a fixed small JSON through the shared FastCGI loop
 * SYNOPSIS
 *	GET /api/bench/hello
 *	GET /api/bench/sized?bytes=N
 *	GET /api/bench/authed?bytes=N		(X-API-Key)
 * DESCRIPTION
 *	The limit the API routes are measured against (make bench): the same
 *	lib/http.c loop, the same reply writer and the same web server as every
 *	route binary, with no database and no authentication.
 *
 *	sized answers a fixed JSON string of N bytes (2 to BENCH_SIZED_MAX) the
 *	same way: the most a route whose answer is that long could reach, with
 *	no work of its own (the inbox of 10 × 4 KB answers about 43 KB).
 *
 *	authed answers the same after the steps every API route takes first,
 *	api_authenticate(): the caller's key looked up and the request counted
 *	in the account's rate counter (X-RateLimit-* headers). The most an
 *	authenticated route with that answer could reach under DESIGN.md (no
 *	key or counter kept outside the database).
 * SECURITY
 *	Built into build/bench/ only and routed only by the bench's own stack
 *	(tests/bench/run): it is never part of `make all` or `make install`, and
 *	cgi-bin/routes.conf does not name it.
 *--*/

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http.h"
#include "reply.h"

#define BENCH_SIZED_MAX (1024 * 1024)

static void bench_hello(HTTP_REQUEST *req)
{
    static const char body[] = "{\"status\":\"ok\",\"service\":\"tempmail\"}";

    http_respond(req, 200, "application/json", body, sizeof(body) - 1);
}

/* The JSON string of bytes=N, or NULL with a 400 or 503 answered; free() it. */
static char *bench_sized_body(HTTP_REQUEST *req, long *len)
{
    char arg[16];
    char *end;

    if (http_query(req, "bytes", arg, sizeof(arg)) != 1) {
        http_respond(req, 400, "application/json", "{}", 2);
        return NULL;
    }
    long n = strtol(arg, &end, 10);
    if (*end != '\0' || n < 2 || n > BENCH_SIZED_MAX) {
        http_respond(req, 400, "application/json", "{}", 2);
        return NULL;
    }
    /* A JSON string, quotes around letters, made per request: threads share nothing. */
    char *body = malloc((size_t)n);
    if (body == NULL) {
        http_respond(req, 503, "application/json", "{}", 2);
        return NULL;
    }
    memset(body + 1, 'x', (size_t)n - 2);
    body[0] = body[n - 1] = '"';
    *len = n;
    return body;
}

static void bench_sized(HTTP_REQUEST *req)
{
    long n;
    char *body = bench_sized_body(req, &n);

    if (body != NULL)
        http_respond(req, 200, "application/json", body, (size_t)n);
    free(body);
}

static void bench_authed(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    long n;
    char *body;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if ((body = bench_sized_body(req, &n)) != NULL)
        http_respond(req, 200, "application/json", body, (size_t)n);
    free(body);
}

static const HTTP_ROUTE bench_routes[] = {
    { "GET", "/api/bench/hello", bench_hello },
    { "GET", "/api/bench/sized", bench_sized },
    { "GET", "/api/bench/authed", bench_authed },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-bench", bench_routes);
}
