#ifndef TEMPMAIL_MIME_H
#define TEMPMAIL_MIME_H

/*++
 * NAME
 *	mime 3
 * SUMMARY
 *	raw RFC 5322 message to the fields tempmail stores (GMime)
 * SYNOPSIS
 *	#include "mime.h"
 *
 *	void	mime_init(void);
 *	MIME_MESSAGE *mime_parse(const char *raw, size_t len);
 *	MIME_MESSAGE *mime_parse_fd(int fd, const char *tmpdir);
 *	void	mime_free(MIME_MESSAGE *msg);
 * DESCRIPTION
 *	mime_init() initialises GMime once per process, before any thread parses.
 *
 *	mime_parse() reads a whole message (headers, blank line, body, as received
 *	over SMTP) and returns its decoded parts, every string UTF-8 and
 *	NUL-terminated, never NULL (empty when absent):
 *	from	the From header, RFC 2047 words decoded ("Name <a@b>" or "a@b")
 *	subject	the Subject header, decoded
 *	message_id the Message-ID header without angle brackets
 *	text	the first text/plain part that is not an attachment, with its
 *		transfer encoding undone and its charset converted to UTF-8
 *	html	the first text/html part that is not an attachment, likewise
 *	attachments every part with a filename or Content-Disposition:
 *		attachment, with its decoded bytes
 *	Malformed mail gives whatever could be read: capture never fails because
 *	a sender wrote bad MIME.
 *
 *	mime_from_split() takes a From as stored ("Name <a@b>", "a@b") apart
 *	with GMime's address parser: the first mailbox's address into addr and
 *	its display name into name, each "" when there is none (a group, or
 *	text that names no address).
 *
 *	mime_parse_fd() does the same for a message in a file (all of it, from
 *	offset 0; the descriptor is not closed and its offset is not used), and
 *	keeps memory bounded for large mail: GMime leaves the content on disk
 *	while it parses, and an attachment whose encoded form is larger than
 *	MIME_SPILL bytes is decoded into an unlinked temporary file in tmpdir
 *	(NULL or "": $TMPDIR, else /tmp), handed back as spill with data NULL.
 *	A text or html body whose encoded form is larger than MIME_TEXT_MAX is
 *	decoded the same way and only its first MIME_TEXT_MAX bytes are read
 *	back into text or html: so a 20 MB message costs about the same memory
 *	as a 2 MB one. The whole body stays in the raw source.
 * DIAGNOSTICS
 *	mime_parse() returns NULL only when memory runs out.
 *--*/

#include <stddef.h>
#include <stdio.h>

/* Encoded size above which mime_parse_fd() decodes an attachment to a file. */
#define MIME_SPILL  (1024 * 1024)
/* Bytes of a large text or html body that mime_parse_fd() keeps (see above). */
#define MIME_TEXT_MAX  (1024 * 1024)

typedef struct mime_attachment {
    char *filename;
    char *content_type;         /* "type/subtype" */
    unsigned char *data;        /* the decoded bytes, or NULL when in spill */
    size_t size;
    FILE *spill;                /* NULL, or an unlinked file holding the size bytes */
} MIME_ATTACHMENT;

typedef struct mime_message {
    char *from;
    char *subject;
    char *message_id;
    char *text;
    char *html;
    MIME_ATTACHMENT *attachments;
    size_t n_attachments;
} MIME_MESSAGE;

extern void mime_init(void);
extern MIME_MESSAGE *mime_parse(const char *raw, size_t len);
extern MIME_MESSAGE *mime_parse_fd(int fd, const char *tmpdir);
extern void mime_free(MIME_MESSAGE *msg);
extern void mime_from_split(const char *from, char *addr, size_t addr_len, char *name,
                            size_t name_len);

#endif
