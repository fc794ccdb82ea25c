#ifndef TEMPMAIL_STORE_ROWS_H
#define TEMPMAIL_STORE_ROWS_H

/*++
 * NAME
 *	store_rows 3
 * SUMMARY
 *	result rows shared by several store files (private to lib/store*.c)
 * SYNOPSIS
 *	#include "store_rows.h"
 *
 *	#define STORE_MESSAGE_COLUMNS "m.id, m.uuid, b.address, ..."
 *	void	store_messages_from_result(const DB_RESULT *res, STORE_MESSAGE **messages,
 *			size_t *count);
 *
 *	#define STORE_PRINCIPAL_COLUMNS "a.id, a.tier, a.is_admin, a.balance"
 *	void	store_principal_from_row(const DB_RESULT *res, STORE_PRINCIPAL *who);
 * DESCRIPTION
 *	A query that reads messages for the API selects STORE_MESSAGE_COLUMNS
 *	(messages m joined with their mailboxes b), first and in that order;
 *	store_messages_from_result() then copies every row into a new array
 *	(NULL when there are none) for store_messages_free().
 *
 *	A query that authenticates a caller (by key or by web session) selects
 *	STORE_PRINCIPAL_COLUMNS of accounts a first; store_principal_from_row()
 *	fills *who from its first row, key_id 0 (the caller sets it).
 * DIAGNOSTICS
 *	Running out of memory is fatal, as everywhere in the store.
 *--*/

#include "store.h"

#define STORE_MESSAGE_COLUMNS \
    "m.id, m.uuid, b.address, m.envelope_from, m.header_from, m.subject," \
    " m.message_id, m.body_text, m.body_html, m.received_at"

#define STORE_PRINCIPAL_COLUMNS "a.id, a.tier, a.is_admin, a.balance"

extern void store_principal_from_row(const DB_RESULT *res, STORE_PRINCIPAL *who);
extern void store_messages_from_result(const DB_RESULT *res, STORE_MESSAGE **messages,
                                       size_t *count);

#endif
