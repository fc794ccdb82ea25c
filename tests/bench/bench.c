/*++
 * NAME
 *	bench.fcgi 8
 * SUMMARY
 *	the bench's baseline route: a fixed small JSON through the shared FastCGI loop
 * SYNOPSIS
 *	GET /api/bench/hello
 * DESCRIPTION
 *	The limit the API routes are measured against (make bench): the same
 *	lib/http.c loop, the same reply writer and the same web server as every
 *	route binary, with no database and no authentication.
 * SECURITY
 *	Built into build/bench/ only and routed only by the bench's own stack
 *	(tests/bench/run): it is never part of `make all` or `make install`, and
 *	cgi-bin/routes.conf does not name it.
 *--*/

#include "http.h"
#include "reply.h"

static void bench_hello(HTTP_REQUEST *req)
{
    static const char body[] = "{\"status\":\"ok\",\"service\":\"tempmail\"}";

    http_respond(req, 200, "application/json", body, sizeof(body) - 1);
}

static const HTTP_ROUTE bench_routes[] = {
    { "GET", "/api/bench/hello", bench_hello },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-bench", bench_routes);
}
