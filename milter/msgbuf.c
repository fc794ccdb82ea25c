/*++
 * NAME
 *	msgbuf 3
 * SUMMARY
 *	the raw message being received (see msgbuf.h)
 * DESCRIPTION
 *	In memory, one growable block doubled as needed: appends are amortised
 *	O(1), and the parser gets the message without a copy. The block starts
 *	small because most captured mail (sign-up codes, notifications) is a few
 *	kilobytes, and never grows beyond MSGBUF_MEMORY.
 *
 *	Past that the block is written to an unlinked temporary file and freed;
 *	later appends are written straight through. The kernel's page cache
 *	holds the file, not the milter's heap: fifty concurrent 25 MB messages
 *	cost 50 MB of memory, not 1.25 GB.
 *--*/

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msgbuf.h"

#define MSGBUF_INITIAL  (16 * 1024)

struct msgbuf {
    char *data;                 /* in memory: len bytes, then a NUL */
    size_t len;
    size_t cap;                 /* bytes allocated, the NUL included */
    size_t limit;               /* most bytes of content accepted */
    int fd;                     /* the temporary file once spilled, else -1 */
    char *tmpdir;               /* where that file goes; NULL: $TMPDIR or /tmp */
};

MSGBUF *msgbuf_create(size_t limit, const char *tmpdir)
{
    MSGBUF *buf = calloc(1, sizeof(*buf));
    if (buf == NULL)
        return NULL;
    buf->limit = limit;
    buf->fd = -1;
    if (tmpdir != NULL && *tmpdir != '\0' && (buf->tmpdir = strdup(tmpdir)) == NULL) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* write(2) until done; 0 or -1 with errno. */
static int msgbuf_write(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Move the content to an unlinked temporary file; 0 or MSGBUF_IOERR/NOMEM. */
static int msgbuf_spill(MSGBUF *buf)
{
    const char *dir = buf->tmpdir;
    if (dir == NULL && ((dir = getenv("TMPDIR")) == NULL || *dir == '\0'))
        dir = "/tmp";
    char *path;
    if (asprintf(&path, "%s/tempmail-msg.XXXXXX", dir) < 0)
        return MSGBUF_NOMEM;
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        free(path);
        return MSGBUF_IOERR;
    }
    unlink(path);               /* the descriptor keeps it; a crash leaves nothing */
    free(path);
    if (msgbuf_write(fd, buf->data, buf->len) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return MSGBUF_IOERR;
    }
    buf->fd = fd;
    free(buf->data);
    buf->data = NULL;
    buf->cap = 0;
    return 0;
}

int msgbuf_append(MSGBUF *buf, const void *data, size_t len)
{
    int rc;

    if (len > buf->limit - buf->len)
        return MSGBUF_TOOBIG;
    if (buf->fd < 0 && buf->len + len > MSGBUF_MEMORY && (rc = msgbuf_spill(buf)) != 0)
        return rc;
    if (buf->fd >= 0) {
        if (msgbuf_write(buf->fd, data, len) != 0)
            return MSGBUF_IOERR;
        buf->len += len;
        return 0;
    }
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : MSGBUF_INITIAL;
        while (cap < buf->len + len + 1)
            cap *= 2;
        if (cap > MSGBUF_MEMORY + 1)
            cap = MSGBUF_MEMORY + 1;
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
    if (buf->fd >= 0)
        return NULL;
    return buf->data ? buf->data : "";
}

int msgbuf_fd(const MSGBUF *buf)
{
    return buf->fd;
}

void msgbuf_free(MSGBUF *buf)
{
    if (buf == NULL)
        return;
    if (buf->fd >= 0)
        close(buf->fd);
    free(buf->data);
    free(buf->tmpdir);
    free(buf);
}
