/*++
 * NAME
 *	http 3
 * SUMMARY
 *	the FastCGI loop of every route binary (see http.h)
 * DESCRIPTION
 *	A process runs cfg.http_threads workers, each with its own FCGX_Request
 *	and its own http_impl, all calling FCGX_Accept_r() on the one listening
 *	socket. libfcgi's threaded example takes a mutex around it because
 *	accept() is not safe from many threads everywhere; on Linux it is, and
 *	the kernel wakes one waiter a connection, where the mutex added a second
 *	hand-over (a thread woken from the mutex) to every request. So a request that
 *	waits for mail (wait=N) holds one worker, not the whole process; the
 *	web server still runs several processes. Handlers must therefore keep
 *	no unguarded static state: lib/api.c keeps one database connection per
 *	thread. All per-request memory is freed before the worker's next accept.
 *
 *	Of those workers, at most cfg.http_active take requests and work on them
 *	at once; the others wait their turn before accept(). A worker keeps its
 *	turn from one request to the next (handing it over at every request woke
 *	a sleeping worker and put this one to sleep: two context switches a
 *	request for nothing). On a host with a
 *	few cores, sixteen requests of a process sharing the CPU and MariaDB at
 *	once finished no sooner on average than eight, and a few of them much
 *	later: make bench's inbox read, p99 35-43 ms with sixteen, 15-18 ms with
 *	eight, at the same rate. Taking turns before accept() leaves the order
 *	to the listening socket's queue, first come first served. A request
 *	that waits for mail stands aside while it waits (http_wait_begin() and
 *	http_wait_end()), so long polls and event streams still hold threads
 *	but not turns.
 *
 *	An answer of HTTP_TRIM_AFTER bytes or more (an inbox of thousands of
 *	messages, a raw download) was built from many heap blocks in the
 *	worker's malloc arena; freed, they stay in the process, which then
 *	keeps the size of the largest answer it ever gave (a 10,000-message
 *	inbox of 43 MB left mail.fcgi at 90-140 MB). After such an answer the
 *	worker calls malloc_trim(), which hands the free pages of every arena
 *	back to the kernel. Ordinary answers never pay for it. That is not
 *	enough alone: glibc raises its mmap and trim thresholds after a large
 *	block is freed (up to 32 and 64 MB), after which a 20 MB blob comes
 *	from a thread's heap and, freed, stays at its top, which malloc_trim()
 *	leaves alone in any arena but the main one (messages.fcgi kept 27 MB
 *	after a 20 MB raw download). So the thresholds are set once, which
 *	stops glibc moving them: blocks of HTTP_MMAP_THRESHOLD or more get
 *	mappings of their own, unmapped when freed, and a heap gives back
 *	free space at its top beyond HTTP_HEAP_KEEP.
 *
 *	SIGTERM shuts the listening socket: every worker finishes the request
 *	it has and stops; the process exits when they have, or after
 *	HTTP_STOP_GRACE seconds (a request waiting for mail is cut short).
 *--*/

#include <ctype.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "config.h"
#include "cors.h"
#include "http.h"
#include "log.h"
#include "reply.h"

#define HTTP_EXTRA_HEADERS  4096
#define HTTP_PATH_MAX       2048
#define HTTP_STOP_GRACE     3       /* seconds the workers get to finish after SIGTERM */
#define HTTP_TRIM_AFTER     (1024 * 1024)   /* an answer this large: malloc_trim() after it */
#define HTTP_MMAP_THRESHOLD (1024 * 1024)   /* blocks this large: a mapping each */
#define HTTP_HEAP_KEEP      (8 * 1024 * 1024)   /* free top of a heap kept for reuse */

struct http_impl {
    FCGX_Request fcgx;
    char path[HTTP_PATH_MAX];
    char scratch[HTTP_PATH_MAX];
    char headers[HTTP_EXTRA_HEADERS];
    size_t headers_len;
    char *body;
    void (*at_finish)(void);        /* http_at_finish() */
    int large;                      /* the answer had HTTP_TRIM_AFTER bytes or more */
    int head;                       /* a HEAD request: the answer's head, no body */
};

const char *http_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default:  return "Status";
    }
}

static int http_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int http_percent_decode(const char *in, size_t in_len, char *out, size_t out_len, int plus_is_space)
{
    size_t o = 0;

    for (size_t i = 0; i < in_len; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= in_len || (hi = http_hexval(in[i + 1])) < 0
                || (lo = http_hexval(in[i + 2])) < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0' || o + 1 >= out_len)
            return -1;
        out[o++] = (char)c;
    }
    if (o >= out_len)
        return -1;
    out[o] = '\0';
    return 0;
}

int http_route_match(const char *pattern, const char *path, char *scratch, size_t scratch_len,
                     const char **params, int *nparams)
{
    size_t used = 0;
    const char *p = pattern, *s = path;

    *nparams = 0;
    while (*p && *s) {
        if (p[0] == '{' && p[1] == '}') {
            size_t seg = strcspn(s, "/");
            if (seg == 0 || *nparams >= HTTP_MAX_PARAMS || used + seg + 1 > scratch_len)
                return 0;
            memcpy(scratch + used, s, seg);
            scratch[used + seg] = '\0';
            params[(*nparams)++] = scratch + used;
            used += seg + 1;
            s += seg;
            p += 2;
        } else if (*p == *s) {
            p++;
            s++;
        } else {
            return 0;
        }
    }
    return *p == '\0' && *s == '\0';
}

const char *http_header(const HTTP_REQUEST *req, const char *name)
{
    struct http_impl *impl = req->impl;
    char var[128] = "HTTP_";
    size_t n = 5;

    for (const char *c = name; *c && n + 1 < sizeof(var); c++)
        var[n++] = *c == '-' ? '_' : (char)toupper((unsigned char)*c);
    var[n] = '\0';
    if (strcmp(name, "Content-Type") == 0 || strcmp(name, "content-type") == 0)
        return FCGX_GetParam("CONTENT_TYPE", impl->fcgx.envp);
    return FCGX_GetParam(var, impl->fcgx.envp);
}

int http_query(const HTTP_REQUEST *req, const char *name, char *buf, size_t len)
{
    size_t name_len = strlen(name);
    const char *q = req->query;

    while (*q) {
        size_t pair = strcspn(q, "&");
        const char *eq = memchr(q, '=', pair);
        size_t key_len = eq ? (size_t)(eq - q) : pair;
        if (key_len == name_len && memcmp(q, name, name_len) == 0) {
            const char *value = eq ? eq + 1 : q + pair;
            size_t value_len = (size_t)(q + pair - value);
            return http_percent_decode(value, value_len, buf, len, 1) == 0 ? 1 : -1;
        }
        q += pair;
        if (*q == '&')
            q++;
    }
    return 0;
}

int http_cookie_find(const char *header, const char *name, char *buf, size_t len)
{
    size_t name_len = strlen(name);

    for (const char *c = header ? header : ""; *c; ) {
        while (*c == ' ' || *c == ';')
            c++;
        size_t pair = strcspn(c, ";");
        if (pair > name_len && c[name_len] == '=' && memcmp(c, name, name_len) == 0) {
            size_t value_len = pair - name_len - 1;
            if (value_len >= len)
                return -1;
            memcpy(buf, c + name_len + 1, value_len);
            buf[value_len] = '\0';
            return 1;
        }
        c += pair;
    }
    return 0;
}

int http_cookie(const HTTP_REQUEST *req, const char *name, char *buf, size_t len)
{
    return http_cookie_find(http_header(req, "Cookie"), name, buf, len);
}

int http_is_https(const HTTP_REQUEST *req)
{
    struct http_impl *impl = req->impl;
    const char *https = FCGX_GetParam("HTTPS", impl->fcgx.envp);
    return https != NULL && strcasecmp(https, "on") == 0;
}

void http_add_header(HTTP_REQUEST *req, const char *name, const char *value)
{
    struct http_impl *impl = req->impl;

    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
        log_warn("dropped a response header with CR or LF in it");
        return;
    }
    int n = snprintf(impl->headers + impl->headers_len, sizeof(impl->headers) - impl->headers_len,
                     "%s: %s\r\n", name, value);
    if (n > 0 && impl->headers_len + (size_t)n < sizeof(impl->headers))
        impl->headers_len += (size_t)n;
    else
        impl->headers[impl->headers_len] = '\0';
}

void http_at_finish(HTTP_REQUEST *req, void (*fn)(void))
{
    struct http_impl *impl = req->impl;
    impl->at_finish = fn;
}

/* The status line and headers of the one answer; framing says how the body ends. */
static void http_put_head(HTTP_REQUEST *req, int status, const char *content_type,
                          const char *framing)
{
    struct http_impl *impl = req->impl;

    if (req->answered)
        log_panic("route answered twice: %s %s", req->method, req->path);
    req->answered = 1;
    char head[HTTP_EXTRA_HEADERS + 512];
    int n = snprintf(head, sizeof(head),
                     "Status: %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "%s"
                     "X-Content-Type-Options: nosniff\r\n"
                     "%s\r\n",
                     status, http_status_text(status), content_type, framing, impl->headers);
    FCGX_PutStr(head, n > 0 && (size_t)n < sizeof(head) ? n : 0, impl->fcgx.out);
}

void http_respond(HTTP_REQUEST *req, int status, const char *content_type,
                  const char *body, size_t len)
{
    struct iovec whole = { (void *)body, len };

    http_respond_parts(req, status, content_type, &whole, 1);
}

void http_respond_parts(HTTP_REQUEST *req, int status, const char *content_type,
                        const struct iovec *parts, size_t nparts)
{
    struct http_impl *impl = req->impl;
    /* FCGX_FPrintF has its own printf that knows no %zu: format here. */
    char framing[96];
    size_t len = 0;

    for (size_t i = 0; i < nparts; i++)
        len += parts[i].iov_len;
    snprintf(framing, sizeof(framing), "Content-Length: %zu\r\nCache-Control: no-store\r\n", len);
    http_put_head(req, status, content_type, framing);
    for (size_t i = 0; i < nparts && !impl->head; i++)
        if (parts[i].iov_len > 0)
            FCGX_PutStr(parts[i].iov_base, (int)parts[i].iov_len, impl->fcgx.out);
    impl->large = len >= HTTP_TRIM_AFTER;
}

/*
 * A streamed answer: no Content-Length (the web server ends the body when we
 * finish), and each write is flushed at once, so a Server-Sent Event leaves the
 * process when it is written rather than when the request ends.
 */
int http_stream_begin(HTTP_REQUEST *req, const char *content_type)
{
    http_put_head(req, 200, content_type, "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n");
    return http_stream_write(req, "", 0);
}

int http_stream_write(HTTP_REQUEST *req, const char *data, size_t len)
{
    struct http_impl *impl = req->impl;

    /* A HEAD of a stream has had its head: end the stream as if its client had left. */
    if (impl->head) {
        FCGX_FFlush(impl->fcgx.out);
        return -1;
    }
    if (len > 0 && FCGX_PutStr(data, (int)len, impl->fcgx.out) != (int)len)
        return -1;
    return FCGX_FFlush(impl->fcgx.out) == 0 && FCGX_GetError(impl->fcgx.out) == 0 ? 0 : -1;
}

/* Read the body, refusing before reading when it is larger than allowed. */
static int http_read_body(HTTP_REQUEST *req)
{
    struct http_impl *impl = req->impl;
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", impl->fcgx.envp);
    long long want = cl && *cl ? strtoll(cl, NULL, 10) : 0;

    req->body = "";
    req->body_len = 0;
    if (want < 0) {
        reply_error(req, 400, "Invalid Content-Length");
        return -1;
    }
    if (want > cfg.max_request_body) {
        reply_error(req, 413, "Request body too large");
        return -1;
    }
    if (want == 0)
        return 0;
    impl->body = malloc((size_t)want + 1);
    if (impl->body == NULL) {
        reply_error(req, 503, "Service temporarily unavailable");
        return -1;
    }
    int got = FCGX_GetStr(impl->body, (int)want, impl->fcgx.in);
    if (got != want) {
        reply_error(req, 400, "Request body shorter than Content-Length");
        return -1;
    }
    impl->body[got] = '\0';
    req->body = impl->body;
    req->body_len = (size_t)got;
    return 0;
}

/* A route of method serves req: HEAD is served wherever GET is (RFC 9110 9.3.2). */
static int http_method_serves(const char *method, const HTTP_REQUEST *req)
{
    return strcmp(method, req->method) == 0
           || (strcmp(req->method, "HEAD") == 0 && strcmp(method, "GET") == 0);
}

/* Add method to the Allow list (a HEAD beside each GET). */
static void http_allow_add(char *allow, size_t size, const char *method)
{
    if (strstr(allow, method) != NULL || strlen(allow) + strlen(method) + 3 >= size)
        return;
    if (*allow)
        strcat(allow, ", ");
    strcat(allow, method);
    if (strcmp(method, "GET") == 0)
        http_allow_add(allow, size, "HEAD");
}

/*
 * A page of another site may read this answer (cors(3)): say so on every answer of a
 * shared route to an allowed origin, errors included, never with credentials. 1 when said.
 */
static int http_cors_allow(HTTP_REQUEST *req)
{
    const char *origin = http_header(req, "Origin");

    if (!cors_shared_path(req->path) || !cors_origin_allowed(cfg.cors_origins, origin))
        return 0;
    if (cors_origin_allowed(cfg.cors_origins, "*")) {
        http_add_header(req, "Access-Control-Allow-Origin", "*");
    } else {
        http_add_header(req, "Access-Control-Allow-Origin", origin);
        http_add_header(req, "Vary", "Origin");
    }
    http_add_header(req, "Access-Control-Expose-Headers",
                    "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After");
    return 1;
}

/* OPTIONS of a path the routes know: its methods, and a CORS preflight's answer. */
static void http_options(HTTP_REQUEST *req, const char *allow, int cors)
{
    char methods[160];

    snprintf(methods, sizeof(methods), "%s, OPTIONS", allow);
    http_add_header(req, "Allow", methods);
    if (cors) {
        http_add_header(req, "Access-Control-Allow-Methods", methods);
        http_add_header(req, "Access-Control-Allow-Headers", "X-API-KEY, X-API-Key, Content-Type");
        http_add_header(req, "Access-Control-Max-Age", "600");
    }
    http_respond(req, 204, "application/json", "", 0);
}

static void http_dispatch(HTTP_REQUEST *req, const HTTP_ROUTE *routes)
{
    struct http_impl *impl = req->impl;
    char allow[128] = "";
    const char *params[HTTP_MAX_PARAMS];
    int nparams;
    int cors = http_cors_allow(req);

    for (const HTTP_ROUTE *r = routes; r->pattern; r++) {
        if (!http_route_match(r->pattern, req->path, impl->scratch, sizeof(impl->scratch),
                              params, &nparams))
            continue;
        if (!http_method_serves(r->method, req)) {
            http_allow_add(allow, sizeof(allow), r->method);
            continue;
        }
        memcpy(req->params, params, sizeof(params));
        req->nparams = nparams;
        if (http_read_body(req) == 0)
            r->handler(req);
        return;
    }
    if (*allow && strcmp(req->method, "OPTIONS") == 0) {
        http_options(req, allow, cors);
    } else if (*allow) {
        http_add_header(req, "Allow", allow);
        reply_error(req, 405, "Method not allowed");
    } else {
        reply_error(req, 404, "Not found");
    }
}

int http_peer_fd(const HTTP_REQUEST *req)
{
    const struct http_impl *impl = req->impl;
    return impl->fcgx.ipcFd;
}

/* One request, from accept to its answer. */
static void http_handle(struct http_impl *impl, const HTTP_ROUTE *routes)
{
    HTTP_REQUEST req;
    memset(&req, 0, sizeof(req));
    req.impl = impl;
    impl->headers_len = 0;
    impl->headers[0] = '\0';
    impl->body = NULL;

    const char *method = FCGX_GetParam("REQUEST_METHOD", impl->fcgx.envp);
    const char *uri = FCGX_GetParam("REQUEST_URI", impl->fcgx.envp);
    const char *addr = FCGX_GetParam("REMOTE_ADDR", impl->fcgx.envp);
    req.method = method ? method : "GET";
    impl->head = strcmp(req.method, "HEAD") == 0;
    req.remote_addr = addr ? addr : "";
    req.path = impl->path;
    if (uri == NULL)
        uri = "/";
    size_t path_len = strcspn(uri, "?");
    req.query = uri[path_len] == '?' ? uri + path_len + 1 : "";
    if (http_percent_decode(uri, path_len, impl->path, sizeof(impl->path), 0) != 0) {
        strcpy(impl->path, "/");
        reply_error(&req, 400, "Malformed request path");
    } else {
        http_dispatch(&req, routes);
    }
    if (!req.answered) {
        log_warn("%s %s: route gave no answer", req.method, req.path);
        reply_error(&req, 500, "Internal server error");
    }
    free(impl->body);
    impl->body = NULL;
    if (impl->at_finish)
        impl->at_finish();
    impl->at_finish = NULL;
}

static pthread_mutex_t http_turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t http_turn_free = PTHREAD_COND_INITIALIZER;
static long http_turns_taken;

/* Wait for a turn to accept and work. */
static void http_turn_take(void)
{
    pthread_mutex_lock(&http_turn_lock);
    while (http_turns_taken >= cfg.http_active)
        pthread_cond_wait(&http_turn_free, &http_turn_lock);
    http_turns_taken++;
    pthread_mutex_unlock(&http_turn_lock);
}

static void http_turn_give(void)
{
    pthread_mutex_lock(&http_turn_lock);
    http_turns_taken--;
    pthread_cond_signal(&http_turn_free);
    pthread_mutex_unlock(&http_turn_lock);
}

/*
 * After a request: keep the turn (1) for the next, unless more than http_active are
 * taken (a wait came back, http_wait_end()): then give it back (0).
 */
static int http_turn_keep(void)
{
    int keep;

    pthread_mutex_lock(&http_turn_lock);
    if ((keep = http_turns_taken <= cfg.http_active) == 0) {
        http_turns_taken--;
        pthread_cond_signal(&http_turn_free);
    }
    pthread_mutex_unlock(&http_turn_lock);
    return keep;
}

void http_wait_begin(void)
{
    http_turn_give();
}

void http_wait_end(void)
{
    /*
     * Back without waiting for a turn: the turns may all be held by workers idle in
     * accept(), and a request that has waited must not wait again for new traffic. So
     * for a moment one more than http_active may work.
     */
    pthread_mutex_lock(&http_turn_lock);
    http_turns_taken++;
    pthread_mutex_unlock(&http_turn_lock);
}

/*
 * SIGTERM (the web server stopping us): shut the listening socket, which
 * makes accept() fail in whichever thread waits in it. libfcgi's own handler
 * only sets a flag that a thread blocked in accept() would never see.
 */
static void http_sigterm(int signo)
{
    (void)signo;
    shutdown(FCGI_LISTENSOCK_FILENO, SHUT_RDWR);
}

/* A worker: accept and answer until the listening socket fails (the server stops). */
static void *http_worker(void *arg)
{
    const HTTP_ROUTE *routes = arg;
    struct http_impl *impl = calloc(1, sizeof(*impl));

    if (impl == NULL)
        log_fatal("out of memory");
    FCGX_InitRequest(&impl->fcgx, 0, 0);
    for (int turn = 0;;) {
        if (!turn) {
            http_turn_take();
            turn = 1;
        }
        if (FCGX_Accept_r(&impl->fcgx) < 0) {
            http_turn_give();
            break;
        }
        http_handle(impl, routes);
        FCGX_Finish_r(&impl->fcgx);
        if (impl->large) {
            malloc_trim(0);
            impl->large = 0;
        }
        turn = http_turn_keep();
    }
    FCGX_Free(&impl->fcgx, 1);
    free(impl);
    return NULL;
}

int http_serve(const char *program, const HTTP_ROUTE *routes)
{
    char err[512];

    log_open(program, 0);
    if (config_load(NULL, err, sizeof(err)) != 0)
        log_fatal("configuration: %s", err);
    mallopt(M_MMAP_THRESHOLD, HTTP_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, HTTP_HEAP_KEEP);
    if (FCGX_Init() != 0)
        log_fatal("FCGX_Init failed");

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = http_sigterm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);

    /* The main thread is worker number one; the others get a moment to finish at the end. */
    pthread_t tids[64];
    long started = 0;
    for (long i = 1; i < cfg.http_threads && started < (long)(sizeof(tids) / sizeof(tids[0])); i++) {
        int rc = pthread_create(&tids[started], NULL, http_worker, (void *)routes);
        if (rc != 0) {
            log_warn("starting worker %ld of %ld: %s", i + 1, cfg.http_threads, strerror(rc));
            break;
        }
        started++;
    }
    http_worker((void *)routes);

    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += HTTP_STOP_GRACE;
    for (long i = 0; i < started; i++)
        if (pthread_timedjoin_np(tids[i], NULL, &until) != 0)
            break;                  /* still busy (a long wait=N): exit ends it */
    return 0;
}
