/*++
 * NAME
 *	notfound.fcgi 8
 * SUMMARY
 *	the JSON 404 for every /api/ path no other route binary serves, and
 *	the OpenAPI document
 * SYNOPSIS
 *	GET /api/openapi.json
 * DESCRIPTION
 *	The web server sends here whatever under /api/ matched no more specific
 *	prefix, so that an API client always gets a JSON error, never an HTML page.
 *
 *	GET /api/openapi.json answers the OpenAPI 3 document of both dialects,
 *	htdocs/openapi.json, compiled into this binary (the Makefile rebuilds it
 *	when the file changes), so an installed tree needs no path to it. Keep
 *	it in step with the HTTP_ROUTE tables of the route binaries:
 *	tests/api/test_openapi.py checks both ways.
 *--*/

#include "http.h"

/* The document, with a NUL after it; the path is relative to the top directory, where make runs. */
__asm__(".pushsection .rodata\n"
        ".globl tm_openapi_json\n.hidden tm_openapi_json\n"
        ".globl tm_openapi_json_end\n.hidden tm_openapi_json_end\n"
        "tm_openapi_json:\n"
        ".incbin \"htdocs/openapi.json\"\n"
        "tm_openapi_json_end:\n"
        ".byte 0\n"
        ".popsection\n");
extern const char tm_openapi_json[], tm_openapi_json_end[];

static void openapi_document(HTTP_REQUEST *req)
{
    http_respond(req, 200, "application/json", tm_openapi_json,
                 (size_t)(tm_openapi_json_end - tm_openapi_json));
}

static const HTTP_ROUTE notfound_routes[] = {
    { "GET", "/api/openapi.json", openapi_document },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-notfound", notfound_routes);
}
