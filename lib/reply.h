#ifndef TEMPMAIL_REPLY_H
#define TEMPMAIL_REPLY_H

/*++
 * NAME
 *	reply 3
 * SUMMARY
 *	JSON answers of the API
 * SYNOPSIS
 *	#include "reply.h"
 *
 *	void	reply_json(HTTP_REQUEST *req, int status, json_object *body);
 *	void	reply_error(HTTP_REQUEST *req, int status, const char *message);
 *	json_object *reply_decimal(const char *sql_decimal);
 *	json_object *reply_time(const char *sql_time, int millis);
 * DESCRIPTION
 *	reply_json() sends body (and drops the caller's reference to it).
 *	reply_error() sends {"error": message, "status": status}, the shape both
 *	API documents describe. Messages are for the client: never pass database
 *	or system error text.
 *
 *	reply_decimal() makes a JSON number that prints the DECIMAL exactly, with
 *	trailing zeros dropped ("0.999000" prints 0.999). reply_time() makes an
 *	ISO 8601 UTC string from SQL DATETIME text, with milliseconds if asked;
 *	NULL or "" gives JSON null.
 *--*/

#include <json.h>

#include "http.h"

extern void reply_json(HTTP_REQUEST *req, int status, json_object *body);
extern void reply_error(HTTP_REQUEST *req, int status, const char *message);
extern json_object *reply_decimal(const char *sql_decimal);
extern json_object *reply_time(const char *sql_time, int millis);

#endif
