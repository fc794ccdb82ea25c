/*++
 * NAME
 *	notfound.fcgi 8
 * SUMMARY
 *	the JSON 404 for every /api/ path no other route binary serves
 * DESCRIPTION
 *	The web server sends here whatever under /api/ matched no more specific
 *	prefix, so that an API client always gets a JSON error, never an HTML page.
 *--*/

#include "http.h"

static const HTTP_ROUTE notfound_routes[] = {
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-notfound", notfound_routes);
}
