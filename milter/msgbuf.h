#ifndef TEMPMAIL_MSGBUF_H
#define TEMPMAIL_MSGBUF_H

/*++
 * NAME
 *	msgbuf 3
 * SUMMARY
 *	the raw message being received, capped at a size limit
 * SYNOPSIS
 *	#include "msgbuf.h"
 *
 *	MSGBUF	*msgbuf_create(size_t limit);
 *	int	msgbuf_append(MSGBUF *buf, const void *data, size_t len);
 *	size_t	msgbuf_len(const MSGBUF *buf);
 *	const char *msgbuf_data(MSGBUF *buf);
 *	void	msgbuf_free(MSGBUF *buf);
 * DESCRIPTION
 *	The milter keeps the message source (headers as received, blank line,
 *	body) here between the header callbacks and end of message. Callers see
 *	only this API so that the storage can change (memory now; a spill to a
 *	temporary file for large mail later) without touching the milter.
 *
 *	msgbuf_create() makes an empty buffer that refuses to grow past limit
 *	bytes. msgbuf_append() adds bytes at the end. msgbuf_data() gives the
 *	whole content as one contiguous, NUL-terminated block of msgbuf_len()
 *	bytes, valid until the next append or free (a NUL inside the message is
 *	possible: use the length). msgbuf_free() accepts NULL.
 * DIAGNOSTICS
 *	msgbuf_create() returns NULL when memory runs out. msgbuf_append()
 *	returns 0, MSGBUF_TOOBIG when the limit would be passed (the buffer is
 *	unchanged), or MSGBUF_NOMEM. msgbuf_data() returns NULL only when a
 *	later storage could not be read back.
 *--*/

#include <stddef.h>

typedef struct msgbuf MSGBUF;

#define MSGBUF_TOOBIG   (-1)
#define MSGBUF_NOMEM    (-2)

extern MSGBUF *msgbuf_create(size_t limit);
extern int msgbuf_append(MSGBUF *buf, const void *data, size_t len);
extern size_t msgbuf_len(const MSGBUF *buf);
extern const char *msgbuf_data(MSGBUF *buf);
extern void msgbuf_free(MSGBUF *buf);

#endif
