/*++
 * NAME
 *	test_linear 1
 * SUMMARY
 *	unit tests: showing, indexing and parsing a message take time linear in its size
 * SYNOPSIS
 *	make tests/unit/test_linear && tests/unit/test_linear
 * DESCRIPTION
 *	Anyone can send mail, and every inbox read, event, search hit and
 *	webhook renders it again: a body that makes a scanner go back over what
 *	it read ("http://" and 200,000 ')' once took an inbox read past 10 s)
 *	wedges what every other user shares. Each shape below is a body of 1 MiB built to make a
 *	scanner go back over what it has read, or do much work for each byte.
 *	Every function a message goes through when it is shown or indexed runs
 *	over it: extract_links() and extract_codes() with it as the text and as
 *	the html, extract_html_text(), and words_all_in() with it as the words
 *	against its first 256 KiB as the text. Each must take less than
 *	LINEAR_BOUND of CPU time, and the shape checks what they find in it.
 *	Then mime_parse() over messages of 1 MiB made of many small parts,
 *	headers, parameters or addresses, within MIME_BOUND.
 *
 *	This project keeps timing out of its tests, except here: a bound on
 *	time is the only way to tell linear from quadratic. The bounds are far above what a linear scan takes (each line printed
 *	gives the times), so a slow or busy host does not fail them, while a
 *	quadratic scan of 1 MiB takes minutes. A call still running KILL_FACTOR
 *	times its bound after it started ends the test program, with a note of
 *	what was running, so that such a scan fails within seconds instead of
 *	hanging make unit.
 *--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "extract.h"
#include "mime.h"
#include "words.h"

/*
 * The bounds, in CPU seconds. A render step takes 1 to 12 ms over 1 MiB here,
 * mime_parse() 0.1 to 0.7 s: GMime makes an object of each part, header and
 * address. AddressSanitizer (make unit-asan, built -O1) checks every byte
 * read and maps, poisons and quarantines every block allocated: steps take
 * up to 10 times longer there, so its bounds are 10 times larger, still
 * far below the minutes of a quadratic scan of 1 MiB.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define LINEAR_BOUND    1.0
#define MIME_BOUND      20.0
#else
#define LINEAR_BOUND    0.1
#define MIME_BOUND      2.0
#endif
#define KILL_FACTOR     30
#define BODY_SIZE       (1024 * 1024)
#define WORDS_TEXT      (256 * 1024)    /* the most of a text words_all_in() looks at */

/* A body to render: data, and its first WORDS_TEXT bytes as the text for words_all_in(). */
struct body {
    char *data;
    char *text;
};

/* A test's state: its shape (a struct shape or struct mime_shape), and the body made of it. */
struct fixture {
    const void *shape;
    struct body body;
    size_t units;               /* of a MIME shape: the units in its message */
};

/* ---- the shapes -------------------------------------------------------------------------- */

/* Links, codes and visible text the same as the body itself (see struct shape). */
static const char SAME[] = "the body itself";

struct shape {
    const char *name;
    const char *head, *unit;    /* the body: head, then unit repeated up to BODY_SIZE */
    void (*build)(struct body *);   /* or this instead */
    const char *links;          /* found in it, as text and as html ("a|b"), or SAME, or NULL */
    const char *codes;          /* likewise, but never NULL */
    const char *shown;          /* its visible text as html, likewise (NULL: not checked) */
    int one_word;               /* one word of 1 MiB, not in the first 256 KiB */
};

static char *alloc(size_t n)
{
    char *p = malloc(n);
    assert_non_null(p);
    return p;
}

static void body_text(struct body *b)
{
    b->text = strndup(b->data, WORDS_TEXT);
    assert_non_null(b->text);
}

/* head, unit again and again, tail: BODY_SIZE bytes or a little less; the units in it. */
static size_t body_repeat(struct body *b, const char *head, const char *unit, const char *tail)
{
    size_t n = strlen(head), u = strlen(unit), t = strlen(tail), units = 0;

    b->data = alloc(BODY_SIZE + 1);
    memcpy(b->data, head, n);
    for (; n + u + t <= BODY_SIZE; n += u, units++)
        memcpy(b->data + n, unit, u);
    memcpy(b->data + n, tail, t + 1);
    return units;
}

/*
 * 98 links of 5,000 bytes, then a short one again and again: each repeat was
 * compared with the list by strlen() of every link in it.
 */
static void build_long_links(struct body *b)
{
    size_t n = 0;

    b->data = alloc(BODY_SIZE + 1);
    for (int i = 0; i < 98; i++) {
        n += (size_t)sprintf(b->data + n, "https://x.example/%02d/", i);
        memset(b->data + n, 'a', 5000);
        n += 5000;
        b->data[n++] = ' ';
    }
    for (const char *link = "https://s.example/ "; n + strlen(link) <= BODY_SIZE; n += strlen(link))
        memcpy(b->data + n, link, strlen(link));
    b->data[n] = '\0';
}

/*
 * Words that all fall in one slot of the set words_all_in() made of them
 * when its hash was FNV-1a, unkeyed: 32,767 of 7 letters fill the text, and
 * the set has 65,536 slots, chosen by the low 16 bits of the hash. Those bits
 * of FNV-1a depend only on the low bits before each byte, so for 4 letters
 * and any 2 more the seventh that reaches the slot can be solved for.
 */
#define FNV_PRIME   1099511628211ULL
#define FNV_SLOT    0x1234u             /* the low 16 bits before the last multiply */

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
    return h;
}

static void build_one_slot(struct body *b)
{
    size_t n = 0, words = 0;
    char w[8];

    w[7] = ' ';

    b->data = alloc(BODY_SIZE + 1);
    for (int prefix = 0; words < 32767; prefix++) {
        assert_true(prefix < 26 * 26 * 26 * 26);
        for (int i = 0, x = prefix; i < 4; i++, x /= 26)
            w[i] = (char)('a' + x % 26);
        uint64_t h4 = fnv1a(1469598103934665603ULL, w, 4);
        for (int c = 0; c < 26 * 26 && words < 32767; c++) {
            w[4] = (char)('a' + c % 26);
            w[5] = (char)('a' + c / 26);
            unsigned last = (unsigned)(fnv1a(h4, w + 4, 2) & 0xffff) ^ FNV_SLOT;
            if (last < 'a' || last > 'z')
                continue;
            w[6] = (char)last;
            memcpy(b->data + n, w, 8);
            n += 8;
            words++;
        }
    }
    /* The same words again, as the html's words, up to the size. */
    for (size_t set = n; n + set <= BODY_SIZE; n += set)
        memcpy(b->data + n, b->data, set);
    b->data[n] = '\0';
}

static const struct shape shapes[] = {
    { "')' after a link", "http://x.example/", ")", NULL,
      "http://x.example/", "", SAME, 0 },
    { "']' after a link", "http://x.example/", "]", NULL,
      "http://x.example/", "", SAME, 0 },
    { "'&'", "", "&", NULL, "", "", SAME, 0 },
    { "'&a', a reference to look up", "", "&a", NULL, "", "", SAME, 0 },
    { "'&yuml;', the last name known", "", "&yuml;", NULL, "", "", NULL, 0 },
    { "'&#'", "", "&#", NULL, "", "", SAME, 0 },
    { "'<'", "", "<", NULL, "", "", SAME, 0 },
    { "'<a', never closed", "", "<a", NULL, "", "", " ", 0 },
    { "'<a ' and attributes, never closed", "", "<a href=\"http://y.example/\" ", NULL,
      "http://y.example/", "", " ", 0 },
    { "'<!--', never closed", "", "<!--", NULL, "", "", " ", 0 },
    { "'<script', never closed", "", "<script", NULL, "", "", " ", 0 },
    { "'</scrip' in a script", "<script>", "</scrip", NULL, "", "", " ", 0 },
    { "one run of digits", "", "1", NULL, "", "", SAME, 1 },
    { "a code again and again", "", "482913 ", NULL, "", "482913", SAME, 0 },
    { "a year again and again", "", "2026 ", NULL, "", "2026", SAME, 0 },
    { "a dated year again and again", "", "May 2026, ", NULL, "", "", SAME, 0 },
    { "digits joined by '-'", "", "1-", NULL, "", "", SAME, 0 },
    { "'http://' again and again", "", "http://", NULL, SAME, "", SAME, 0 },
    { "'http:// ' again and again", "", "http:// ", NULL, "", "", SAME, 0 },
    { "a short link after long ones", NULL, NULL, build_long_links, NULL, "", SAME, 0 },
    { "words in one slot of an unkeyed hash", NULL, NULL, build_one_slot, "", "", SAME, 0 },
};

/* ---- timing a call ----------------------------------------------------------------------- */

static double cpu_now(void)
{
    struct timespec t;
    assert_int_equal(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t), 0);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef void STEP_FN(const struct body *);

/* What the watchdog says before it ends the process. */
static char watchdog_note[256];

static void watchdog_fired(int sig)
{
    (void)sig;
    if (write(STDERR_FILENO, watchdog_note, strlen(watchdog_note)) < 0)
        _exit(2);
    _exit(1);
}

/*
 * CPU seconds run(b) took. A call still running KILL_FACTOR times bound after
 * it started ends the process with a note: a quadratic scan of 1 MiB would go
 * on for minutes. The watchdog counts real time: a CPU-time timer (ITIMER_PROF)
 * makes the kernel count this process's CPU time by the tick, 4 ms here.
 */
static double cpu_seconds(STEP_FN *run, const struct body *b, double bound, const char *what)
{
    struct itimerval watchdog = { .it_value = { .tv_sec = (time_t)(bound * KILL_FACTOR + 0.999) } };
    struct itimerval off = { 0 };

    snprintf(watchdog_note, sizeof(watchdog_note), "\n%.160s: still running after %ld s\n",
             what, (long)watchdog.it_value.tv_sec);
    assert_true(signal(SIGALRM, watchdog_fired) != SIG_ERR);
    assert_int_equal(setitimer(ITIMER_REAL, &watchdog, NULL), 0);
    double start = cpu_now();
    run(b);
    double took = cpu_now() - start;
    assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
    return took;
}

/* A step: a call timed, by the name it has in the lines printed. */
struct step {
    const char *name;
    STEP_FN *run;
};

/* Each step over b, timed; the times on one line, and the first over bound as failed. */
static void time_steps(const char *shape, const struct step *steps, size_t n,
                       const struct body *b, double bound, char *failed, size_t len)
{
    char line[1024], what[160];
    size_t at = (size_t)snprintf(line, sizeof(line), "%-40s", shape);

    failed[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        snprintf(what, sizeof(what), "%.40s on %.100s", steps[i].name, shape);
        double took = cpu_seconds(steps[i].run, b, bound, what);
        at += (size_t)snprintf(line + at, sizeof(line) - at, " %s %.4f", steps[i].name, took);
        if (took >= bound && failed[0] == '\0')
            snprintf(failed, len, "%s: %.3f s, bound %.1f s", what, took, bound);
    }
    print_message("%s\n", line);
}

/* ---- the rendering steps --------------------------------------------------------------- */

typedef void EXTRACT_FN(const char *, const char *, EXTRACT_LIST *);

/* fn over the body as the text, or as the html; what it finds is dropped. */
static void extract_from(EXTRACT_FN *fn, const struct body *b, int as_html)
{
    EXTRACT_LIST l = { 0 };
    fn(as_html ? NULL : b->data, as_html ? b->data : NULL, &l);
    extract_list_free(&l);
}

static void links_in_text(const struct body *b)
{
    extract_from(extract_links, b, 0);
}

static void links_in_html(const struct body *b)
{
    extract_from(extract_links, b, 1);
}

static void codes_in_text(const struct body *b)
{
    extract_from(extract_codes, b, 0);
}

static void codes_in_html(const struct body *b)
{
    extract_from(extract_codes, b, 1);
}

static void html_text(const struct body *b)
{
    EXTRACT_BUF shown = { 0 };
    extract_html_text(b->data, &shown);
    free(shown.data);
}

static void words_in_text(const struct body *b)
{
    (void)words_all_in(b->data, b->text);
}

static const struct step render_steps[] = {
    { "links/text", links_in_text }, { "links/html", links_in_html },
    { "codes/text", codes_in_text }, { "codes/html", codes_in_html },
    { "html-text", html_text }, { "words", words_in_text },
};

/* ---- what is found in each shape -------------------------------------------------------- */

/* The list as "a|b|c", malloc'd. */
static char *joined(const EXTRACT_LIST *l)
{
    size_t n = 1;
    for (size_t i = 0; i < l->count; i++)
        n += strlen(l->items[i]) + 1;
    char *s = alloc(n), *p = s;
    *p = '\0';
    for (size_t i = 0; i < l->count; i++)
        p += sprintf(p, "%s%s", i ? "|" : "", l->items[i]);
    return s;
}

/* What fn finds in the body as text and as html: want, or the body itself for SAME. */
static void found(EXTRACT_FN *fn, const struct body *b, const char *want)
{
    if (want == SAME)
        want = b->data;
    for (int as_html = 0; as_html < 2; as_html++) {
        EXTRACT_LIST l = { 0 };
        fn(as_html ? NULL : b->data, as_html ? b->data : NULL, &l);
        char *got = joined(&l);
        assert_string_equal(got, want);
        free(got);
        extract_list_free(&l);
    }
}

static void found_in_shape(const struct shape *s, const struct body *b)
{
    if (s->links != NULL)
        found(extract_links, b, s->links);
    found(extract_codes, b, s->codes);
    if (s->shown != NULL) {
        EXTRACT_BUF shown = { 0 };
        extract_html_text(b->data, &shown);
        assert_string_equal(shown.data, s->shown == SAME ? b->data : s->shown);
        free(shown.data);
    }
    /* The body repeats what its first 256 KiB hold: no word to add to the index. */
    assert_int_equal(words_all_in(b->data, b->text), !s->one_word);
    assert_int_equal(words_all_in(b->text, b->text), 1);
}

static int render_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const struct shape *s = *state;

    assert_non_null(f);
    f->shape = s;
    if (s->build != NULL)
        s->build(&f->body);
    else
        body_repeat(&f->body, s->head, s->unit, "");
    body_text(&f->body);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;

    free(f->body.data);
    free(f->body.text);
    free(f);
    return 0;
}

static void render_shape(void **state)
{
    const struct fixture *f = *state;
    const struct shape *s = f->shape;
    char failed[256];

    time_steps(s->name, render_steps, sizeof(render_steps) / sizeof(render_steps[0]), &f->body,
               LINEAR_BOUND, failed, sizeof(failed));
    if (failed[0])
        fail_msg("%s", failed);
    found_in_shape(s, &f->body);
}

/* The long links: 98 of them and the short one, each once. */
static void a_short_link_after_long_ones(void **state)
{
    struct body b = { 0 };
    EXTRACT_LIST l = { 0 };

    (void)state;
    build_long_links(&b);
    extract_links(b.data, NULL, &l);
    assert_int_equal(l.count, 99);
    assert_int_equal(strlen(l.items[0]), strlen("https://x.example/00/") + 5000);
    assert_string_equal(l.items[98], "https://s.example/");
    extract_list_free(&l);
    free(b.data);
}

/* ---- the MIME walk ---------------------------------------------------------------------- */

struct mime_shape {
    const char *name;
    const char *head, *unit, *tail;     /* the message: head, unit repeated, tail */
    const char *text;                   /* the message's text */
    size_t unit_attachments;            /* attachments in each unit */
    int one_header;                     /* the units make one long header */
};

/*
 * GMime's parser grows the buffer of a header 64 bytes at a time. glibc's
 * realloc() extends it where it lies, which keeps a long header linear;
 * AddressSanitizer's moves it every time, which makes it quadratic: a
 * folded Subject of 1 MiB takes 40 s there. So those shapes are left out of
 * the sanitizer build. (MTAs cap headers well below: Postfix at 100 KB.)
 */
static const struct mime_shape mime_shapes[] = {
    { "MIME: many text parts",
      "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n",
      "--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n", "--B--\r\n", "hi", 0, 0 },
    { "MIME: many attachments",
      "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n",
      "--B\r\nContent-Disposition: attachment; filename=a.bin\r\n\r\nhi\r\n", "--B--\r\n", "",
      1, 0 },
    { "MIME: many attached messages",
      "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n",
      "--B\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nhi\r\n", "--B--\r\n", "",
      1, 0 },
    { "MIME: many headers", "From: a@example.com\r\n", "X-Header: value\r\n", "\r\nbody",
      "body", 0, 0 },
    { "MIME: many addresses", "Subject: x\r\nFrom: ", "a@example.com, ", "\r\n\r\nbody",
      "body", 0, 1 },
    { "MIME: many parameters", "From: a@example.com\r\nContent-Type: text/plain", "; a=b",
      "\r\n\r\nbody", "body", 0, 1 },
    { "MIME: a folded subject", "From: a@example.com\r\nSubject: x", "\r\n y", "\r\n\r\nbody",
      "body", 0, 1 },
};

/* The message of a MIME shape. */
static int mime_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const struct mime_shape *s = *state;

    assert_non_null(f);
    f->shape = s;
    f->units = body_repeat(&f->body, s->head, s->unit, s->tail);
    *state = f;
    return 0;
}

static void mime_parse_body(const struct body *b)
{
    mime_free(mime_parse(b->data, strlen(b->data)));
}

static void mime_shape(void **state)
{
    struct fixture *f = *state;
    const struct mime_shape *s = f->shape;
    const struct step parse = { "mime_parse", mime_parse_body };
    char failed[256];

#ifdef SANITIZED
    if (s->one_header)
        skip();
#endif
    time_steps(s->name, &parse, 1, &f->body, MIME_BOUND, failed, sizeof(failed));
    if (failed[0])
        fail_msg("%s", failed);
    MIME_MESSAGE *msg = mime_parse(f->body.data, strlen(f->body.data));
    assert_non_null(msg);
    assert_string_equal(msg->text, s->text);
    assert_int_equal(msg->n_attachments, f->units * s->unit_attachments);
    mime_free(msg);
}

int main(void)
{
    enum { RENDER = sizeof(shapes) / sizeof(shapes[0]) };
    enum { MIME = sizeof(mime_shapes) / sizeof(mime_shapes[0]) };
    struct CMUnitTest tests[RENDER + 1 + MIME];
    size_t n = 0;

    mime_init();
    for (size_t i = 0; i < RENDER; i++)
        tests[n++] = (struct CMUnitTest) { shapes[i].name, render_shape, render_setup,
                                           fixture_teardown, (void *)&shapes[i] };
    tests[n++] = (struct CMUnitTest) { "a short link after long ones, found",
                                       a_short_link_after_long_ones, NULL, NULL, NULL };
    for (size_t i = 0; i < MIME; i++)
        tests[n++] = (struct CMUnitTest) { mime_shapes[i].name, mime_shape, mime_setup,
                                           fixture_teardown, (void *)&mime_shapes[i] };
    return cmocka_run_group_tests_name("linear", tests, NULL, NULL);
}
