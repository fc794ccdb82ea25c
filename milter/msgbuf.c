/*++
 * NAME
 *	msgbuf 3
 * SUMMARY
 *	the raw message being received (see msgbuf.h)
 * DESCRIPTION
 *	One growable block of memory, doubled as needed: appends are amortised
 *	O(1), and the parser gets the message without a copy. The block starts
 *	small because most captured mail (sign-up codes, notifications) is a few
 *	kilobytes, and never grows beyond the limit plus its terminating NUL.
 *--*/

#include <stdlib.h>
#include <string.h>

#include "msgbuf.h"

#define MSGBUF_INITIAL  (16 * 1024)

struct msgbuf {
    char *data;                 /* len bytes, then a NUL */
    size_t len;
    size_t cap;                 /* bytes allocated, the NUL included */
    size_t limit;               /* most bytes of content accepted */
};

MSGBUF *msgbuf_create(size_t limit)
{
    MSGBUF *buf = calloc(1, sizeof(*buf));
    if (buf == NULL)
        return NULL;
    buf->limit = limit;
    return buf;
}

int msgbuf_append(MSGBUF *buf, const void *data, size_t len)
{
    if (len > buf->limit - buf->len)
        return MSGBUF_TOOBIG;
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : MSGBUF_INITIAL;
        while (cap < buf->len + len + 1)
            cap *= 2;
        if (cap > buf->limit + 1)
            cap = buf->limit + 1;
        char *grown = realloc(buf->data, cap);
        if (grown == NULL)
            return MSGBUF_NOMEM;
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

size_t msgbuf_len(const MSGBUF *buf)
{
    return buf->len;
}

const char *msgbuf_data(MSGBUF *buf)
{
    return buf->data ? buf->data : "";
}

void msgbuf_free(MSGBUF *buf)
{
    if (buf == NULL)
        return;
    free(buf->data);
    free(buf);
}
