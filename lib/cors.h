#ifndef TEMPMAIL_CORS_H
#define TEMPMAIL_CORS_H

/*++
 * NAME
 *	cors 3
 * SUMMARY
 *	which pages of other sites may call the API from a browser
 * SYNOPSIS
 *	#include "cors.h"
 *
 *	int	cors_shared_path(const char *path);
 *	int	cors_origin_allowed(const char *allowed, const char *origin);
 * DESCRIPTION
 *	Both documents show fetch() examples that a page of the client's own
 *	site runs against the API: the browser lets that page read the answers
 *	only when they say so (CORS). The routes that take an API key (or a
 *	master key, or nothing) say so; the ones a web session's cookie
 *	authenticates (sign-up, log-in, log-out, the admin pages' routes) never
 *	do, and no answer ever allows credentials: another site's page can
 *	use a key it has, never a visitor's session.
 *
 *	cors_shared_path() is 1 for a path whose answers are shared with other
 *	origins. cors_origin_allowed() is 1 when origin (the request's Origin
 *	header) is in allowed: the configured cors_origins, "*" for any, or
 *	origins (scheme://host[:port]) separated by commas or blanks, compared
 *	without case; 0 for a NULL or empty origin, or an empty list.
 *--*/

extern int cors_shared_path(const char *path);
extern int cors_origin_allowed(const char *allowed, const char *origin);

#endif
