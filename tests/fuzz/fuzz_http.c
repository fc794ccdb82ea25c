/*++
 * NAME
 *	fuzz_http 1
 * SUMMARY
 *	libFuzzer harness: the pure parsers of an HTTP request (lib/http.c)
 * DESCRIPTION
 *	One input drives, in turn, what http.c does with the outside world's
 *	bytes: http_percent_decode() of a path (and of a query value, '+' as
 *	space), http_route_match() of that path against every pattern shape the
 *	routes use, http_query() over the input as a raw query string (the
 *	request is built by hand: http_query reads only req->query), and
 *	http_cookie_find() over it as a Cookie header. Output buffers are sized
 *	as the real callers size them, and every answer is checked against the
 *	contract of http.h: a decode that succeeds is NUL-terminated within its
 *	buffer and holds no NUL; route parameters are non-empty and hold no '/'.
 *--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static const char *patterns[] = {
    "/api/mail/inbox/{}", "/api/domains/{}/verify", "/api/v1/inboxes/{}/messages",
    "/api/messages/{}/attachments/{}", "/api/admin/users/{}/tier", "/api/v1/messages",
    "/{}/{}/{}/{}/{}", "{}", "",
};

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    char out[2048], scratch[2048], small[24];
    const char *params[HTTP_MAX_PARAMS];
    int nparams;

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';

    for (int plus = 0; plus <= 1; plus++) {
        if (http_percent_decode(in, size, out, sizeof(out), plus) == 0) {
            size_t n = strnlen(out, sizeof(out));
            check(n < sizeof(out));
            if (!plus)
                for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
                    if (http_route_match(patterns[i], out, scratch, sizeof(scratch), params, &nparams)) {
                        check(nparams >= 0 && nparams <= HTTP_MAX_PARAMS);
                        for (int k = 0; k < nparams; k++)
                            check(*params[k] != '\0' && strchr(params[k], '/') == NULL);
                    }
        }
        /* A small buffer, as for page numbers: must refuse, never overflow. */
        (void)http_percent_decode(in, size, small, sizeof(small), plus);
    }
    /* A tiny scratch buffer must make the match fail, not overflow. */
    (void)http_route_match("/a/{}/{}", in, scratch, 8, params, &nparams);

    /* The query string: in stops at the first NUL, as a CGI variable would. */
    HTTP_REQUEST req;
    memset(&req, 0, sizeof(req));
    req.query = in;
    static const char *names[] = { "page", "per_page", "since", "recipient", "q", "" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int rc = http_query(&req, names[i], small, sizeof(small));
        check(rc >= -1 && rc <= 1);
        if (rc == 1)
            check(strnlen(small, sizeof(small)) < sizeof(small));
        rc = http_query(&req, names[i], out, sizeof(out));
        check(rc >= -1 && rc <= 1);
    }

    /* The Cookie header, with the session cookie's buffer size. */
    int rc = http_cookie_find(in, "tm_session", small, sizeof(small));
    check(rc >= -1 && rc <= 1);
    if (rc == 1)
        check(strnlen(small, sizeof(small)) < sizeof(small));
    (void)http_cookie_find(in, "", out, sizeof(out));
    free(in);
    return 0;
}
