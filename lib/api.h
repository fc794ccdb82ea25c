#ifndef TEMPMAIL_API_H
#define TEMPMAIL_API_H

/*++
 * NAME
 *	api 3
 * SUMMARY
 *	the steps every API route shares: database, caller, JSON body
 * SYNOPSIS
 *	#include "api.h"
 *
 *	DB	*api_db(HTTP_REQUEST *req);
 *	int	api_authenticate(HTTP_REQUEST *req, DB *db, STORE_PRINCIPAL *who);
 *	int	api_key_hit(DB *db, const char *key_hash, STORE_PRINCIPAL *who, RATELIMIT *rl,
 *			const char **step);
 *	long long api_key_lookups(void);
 *	json_object *api_json_body(HTTP_REQUEST *req);
 *	const char *api_json_string(HTTP_REQUEST *req, json_object *body, const char *field,
 *			int *failed);
 *	int	api_body_boolean(HTTP_REQUEST *req, const char *field, int *value);
 *	void	api_db_failed(HTTP_REQUEST *req, DB *db, const char *what);
 *	int	api_limit_ip(HTTP_REQUEST *req, DB *db, const char *what, long limit);
 *	long	api_query_number(HTTP_REQUEST *req, const char *name, long def);
 * DESCRIPTION
 *	Each of these answers the request itself when it fails, so a route reads
 *
 *	    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
 *	        return;
 *
 *	api_db() returns the request's connection, borrowed on first use from the
 *	process's idle one or opened (503 when
 *	MariaDB cannot be reached). api_authenticate() reads the X-API-Key header
 *	(any case) and fills *who, or answers 401. Without a key, a web session
 *	does (cookie API_SESSION_COOKIE; a request that changes something must
 *	also carry the session's CSRF token in the X-CSRF-Token header, else 403).
 *	Each authenticated request counts against the account's hourly limit
 *	(cfg.rate_free or cfg.rate_pro by tier): the answer carries
 *	X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (Unix
 *	time), and past the limit it is 429 with Retry-After. Requests of one
 *	process presenting the same key at once share its lookup and the count
 *	(each still counted once, in a lookup begun after it came).
 *	api_key_hit() is that step without the answer: the account of the key
 *	whose hex SHA-256 is key_hash into *who, this request's place in its
 *	count into *rl; it returns 0, STORE_NOTFOUND (no live key) or a db.h
 *	error, with *step naming the part that failed ("authenticate" or "rate
 *	limit"). api_key_lookups() tells how many lookups were made (for tests).
 *	api_json_body() parses the body
 *	as a JSON object (an empty body is an empty object), or answers 400;
 *	a body sent as another media type than JSON (text/plain, a form) gets
 *	415, so a form of another site cannot post to a cookie-session route;
 *	the caller puts the result. api_json_string() gets an optional string
 *	field: NULL when absent or null, and *failed set with a 400 answered
 *	when it has another type. api_body_boolean() reads a body that must
 *	hold field as true or false (a PATCH of one switch): 0 with *value
 *	set, or -1 with a 400 answered. api_db_failed() logs the database's reason and
 *	answers 503 without it. api_limit_ip() counts one attempt of what (e.g.
 *	"register") from the client's address (an IPv6 one by its /64:
 *	clientaddr(3)) and answers 429 past limit an hour.
 *	api_query_number() reads a query parameter that is a whole number from
 *	1 to 1000000 (page, per_page): def when absent or empty, -1 when
 *	malformed (nothing answered: the caller says which rule).
 *--*/

#include <json.h>

#include "db.h"
#include "http.h"
#include "ratelimit.h"
#include "store.h"

extern DB *api_db(HTTP_REQUEST *req);
extern int api_authenticate(HTTP_REQUEST *req, DB *db, STORE_PRINCIPAL *who);
extern int api_key_hit(DB *db, const char *key_hash, STORE_PRINCIPAL *who, RATELIMIT *rl,
                       const char **step);
extern long long api_key_lookups(void);
extern json_object *api_json_body(HTTP_REQUEST *req);
extern const char *api_json_string(HTTP_REQUEST *req, json_object *body, const char *field,
                                   int *failed);
extern int api_body_boolean(HTTP_REQUEST *req, const char *field, int *value);
#define API_SESSION_COOKIE "tm_session"

extern int api_limit_ip(HTTP_REQUEST *req, DB *db, const char *what, long limit);
extern void api_db_failed(HTTP_REQUEST *req, DB *db, const char *what);
extern long api_query_number(HTTP_REQUEST *req, const char *name, long def);

#endif
