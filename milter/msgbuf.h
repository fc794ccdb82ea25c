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
 *	MSGBUF	*msgbuf_create(size_t limit, const char *tmpdir);
 *	int	msgbuf_append(MSGBUF *buf, const void *data, size_t len);
 *	size_t	msgbuf_len(const MSGBUF *buf);
 *	const char *msgbuf_data(MSGBUF *buf);
 *	int	msgbuf_fd(const MSGBUF *buf);
 *	void	msgbuf_free(MSGBUF *buf);
 * DESCRIPTION
 *	The milter keeps the message source (headers as received, blank line,
 *	body) here between the header callbacks and end of message.
 *
 *	msgbuf_create() makes an empty buffer that refuses to grow past limit
 *	bytes. The first MSGBUF_MEMORY bytes are kept in memory; a message that
 *	grows beyond that moves to a temporary file in tmpdir (NULL or "":
 *	$TMPDIR, else /tmp), unlinked at once so that nothing is left behind
 *	by a crash, and every later append goes to the file. So the memory of
 *	one message is bounded by MSGBUF_MEMORY whatever its size.
 *
 *	msgbuf_append() adds bytes at the end. msgbuf_fd() gives the file
 *	descriptor of a message that moved to a file (read it with pread from
 *	offset 0: msgbuf_len() bytes), or -1 while it is in memory; then
 *	msgbuf_data() gives the content as one NUL-terminated block of
 *	msgbuf_len() bytes, valid until the next append or free (a NUL inside
 *	the message is possible: use the length). msgbuf_free() accepts NULL
 *	and closes the file.
 * DIAGNOSTICS
 *	msgbuf_create() returns NULL when memory runs out. msgbuf_append()
 *	returns 0, MSGBUF_TOOBIG when the limit would be passed (the buffer is
 *	unchanged), MSGBUF_NOMEM, or MSGBUF_IOERR when the temporary file
 *	could not be made or written (errno tells why). msgbuf_data() returns
 *	NULL when the message is in a file.
 *--*/

#include <stddef.h>

typedef struct msgbuf MSGBUF;

#define MSGBUF_TOOBIG   (-1)
#define MSGBUF_NOMEM    (-2)
#define MSGBUF_IOERR    (-3)

/* Bytes kept in memory before the message moves to a file. */
#define MSGBUF_MEMORY   (1024 * 1024)

extern MSGBUF *msgbuf_create(size_t limit, const char *tmpdir);
extern int msgbuf_append(MSGBUF *buf, const void *data, size_t len);
extern size_t msgbuf_len(const MSGBUF *buf);
extern const char *msgbuf_data(MSGBUF *buf);
extern int msgbuf_fd(const MSGBUF *buf);
extern void msgbuf_free(MSGBUF *buf);

#endif
