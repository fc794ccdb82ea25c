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
 *	json_object *api_json_body(HTTP_REQUEST *req);
 *	const char *api_json_string(HTTP_REQUEST *req, json_object *body, const char *field,
 *			int *failed);
 *	void	api_db_failed(HTTP_REQUEST *req, DB *db, const char *what);
 * DESCRIPTION
 *	Each of these answers the request itself when it fails, so a route reads
 *
 *	    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
 *	        return;
 *
 *	api_db() returns the process's connection, opened on first use (503 when
 *	MariaDB cannot be reached). api_authenticate() reads the X-API-Key header
 *	(any case) and fills *who, or answers 401. api_json_body() parses the body
 *	as a JSON object (an empty body is an empty object), or answers 400;
 *	the caller puts the result. api_json_string() gets an optional string
 *	field: NULL when absent or null, and *failed set with a 400 answered
 *	when it has another type. api_db_failed() logs the database's reason and
 *	answers 503 without it.
 *--*/

#include <json.h>

#include "db.h"
#include "http.h"
#include "store.h"

extern DB *api_db(HTTP_REQUEST *req);
extern int api_authenticate(HTTP_REQUEST *req, DB *db, STORE_PRINCIPAL *who);
extern json_object *api_json_body(HTTP_REQUEST *req);
extern const char *api_json_string(HTTP_REQUEST *req, json_object *body, const char *field,
                                   int *failed);
extern void api_db_failed(HTTP_REQUEST *req, DB *db, const char *what);

#endif
