/*++
 * NAME
 *	arrival 3
 * SUMMARY
 *	the milter's "new mail" signal, and the wait for it (see arrival.h)
 * DESCRIPTION
 *	Signal: open(O_CREAT|O_WRONLY) and close, which inotify reports as
 *	IN_CLOSE_WRITE. Nothing is written: the event is the message. A rename
 *	into the directory (IN_MOVED_TO) counts too, for operators who would
 *	rather signal from a script.
 *
 *	Wait: one inotify instance per waiting request, watching the directory
 *	and filtering the events by file name. Each costs a file descriptor
 *	for the request's length and nothing while asleep.
 *--*/

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arrival.h"
#include "config.h"
#include "log.h"
#include "monotime.h"

#define ARRIVAL_DEFAULT_DIR "/run/tempmail/arrivals"

struct arrival_watch {
    int fd;                         /* inotify instance */
    char name[24];                  /* the bucket's file name; "" for every bucket */
};

int arrival_dir(char *buf, size_t len)
{
    const char *sock = cfg.milter_socket ? cfg.milter_socket : "";
    int n;

    if (cfg.arrival_dir && *cfg.arrival_dir) {
        n = snprintf(buf, len, "%s", cfg.arrival_dir);
    } else if (strncmp(sock, "unix:", 5) == 0 || strncmp(sock, "local:", 6) == 0) {
        const char *path = strchr(sock, ':') + 1;
        const char *slash = strrchr(path, '/');
        if (slash == NULL)
            n = snprintf(buf, len, "arrivals");
        else
            n = snprintf(buf, len, "%.*s/arrivals", (int)(slash - path), path);
    } else {
        n = snprintf(buf, len, "%s", ARRIVAL_DEFAULT_DIR);
    }
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static void arrival_bucket(unsigned long long mailbox_id, char *name, size_t len)
{
    snprintf(name, len, "%llu", mailbox_id % ARRIVAL_BUCKETS);
}

/* The directory, created when absent; -1 after a warning when neither works. */
static int arrival_dir_ready(char *dir, size_t len)
{
    struct stat st;

    if (arrival_dir(dir, len) != 0) {
        log_warn("arrival_dir: path too long");
        return -1;
    }
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        log_warn("arrival directory %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

void arrival_notify(const unsigned long long *mailbox_ids, size_t n)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], name[24];

    if (n == 0 || arrival_dir_ready(dir, sizeof(dir)) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        arrival_bucket(mailbox_ids[i], name, sizeof(name));
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
        if (fd < 0) {
            log_warn("arrival signal %s: %s", path, strerror(errno));
            continue;
        }
        close(fd);
    }
}

/* A watch of the bucket name ("" for all of them), or NULL after a warning. */
static ARRIVAL_WATCH *arrival_watch_name(const char *name)
{
    char dir[PATH_MAX];
    ARRIVAL_WATCH *w;

    if (arrival_dir_ready(dir, sizeof(dir)) != 0)
        return NULL;
    if ((w = calloc(1, sizeof(*w))) == NULL)
        log_fatal("out of memory");
    snprintf(w->name, sizeof(w->name), "%s", name);
    if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0
        || inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        log_warn("watch %s: %s", dir, strerror(errno));
        arrival_watch_close(w);
        return NULL;
    }
    return w;
}

ARRIVAL_WATCH *arrival_watch_open(unsigned long long mailbox_id)
{
    char name[24];

    arrival_bucket(mailbox_id, name, sizeof(name));
    return arrival_watch_name(name);
}

ARRIVAL_WATCH *arrival_watch_open_all(void)
{
    return arrival_watch_name("");
}

int arrival_watch_fd(const ARRIVAL_WATCH *w)
{
    return w->fd;
}

void arrival_watch_close(ARRIVAL_WATCH *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w);
}

/* Read every queued event: 1 when one names our bucket, 0 when none, -1 on error. */
static int arrival_drain(ARRIVAL_WATCH *w)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int ours = 0;

    for (;;) {
        ssize_t got = read(w->fd, buf, sizeof(buf));
        if (got < 0)
            return errno == EAGAIN || errno == EINTR ? ours : -1;
        for (char *p = buf; p < buf + got; ) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->mask & IN_Q_OVERFLOW)
                ours = 1;           /* events were lost: one might have been ours */
            else if (ev->len > 0 && (*w->name == '\0' || strcmp(ev->name, w->name) == 0))
                ours = 1;
            p += sizeof(*ev) + ev->len;
        }
    }
}

int arrival_wait(ARRIVAL_WATCH *w, long timeout_ms, int peer_fd)
{
    long deadline = monotime_ms() + timeout_ms;

    for (;;) {
        long left = deadline - monotime_ms();
        if (left <= 0)
            return 0;
        struct pollfd fds[2] = {
            { .fd = w->fd, .events = POLLIN },
            { .fd = peer_fd, .events = POLLRDHUP },
        };
        int rc = poll(fds, peer_fd >= 0 ? 2 : 1, (int)(left > INT_MAX ? INT_MAX : left));
        if (rc < 0 && errno != EINTR)
            return -1;
        if (rc <= 0)
            continue;
        if (peer_fd >= 0 && (fds[1].revents & (POLLRDHUP | POLLHUP | POLLERR)))
            return ARRIVAL_GONE;
        if (fds[0].revents & POLLIN) {
            int ours = arrival_drain(w);
            if (ours != 0)
                return ours;
        }
    }
}

int arrival_watch_check(ARRIVAL_WATCH *w)
{
    return arrival_drain(w);
}
