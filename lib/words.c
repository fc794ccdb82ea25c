/*
 * words.c - whether one text adds words to another; see words.h.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "words.h"

#define WORDS_MIN_BYTES 3
#define WORDS_MAX_TEXT  (256 * 1024)    /* bytes of text looked at: at most 2 MB of set */

static int words_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c >= 0x80;
}

/* The next word at or after *s: its start and length (0 at the end); *s moves past it. */
static size_t words_next(const char **s, const char **start)
{
    const unsigned char *p = (const unsigned char *)*s;

    while (*p && !words_char(*p))
        p++;
    const unsigned char *w = p;
    while (*p && (words_char(*p) || (*p == '\'' && p > w && words_char(p[1]))))
        p++;
    *start = (const char *)w;
    *s = (const char *)p;
    return (size_t)(p - w);
}

static unsigned char words_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint64_t words_hash(const char *w, size_t n)
{
    uint64_t h = 1469598103934665603ULL;              /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ words_lower((unsigned char)w[i])) * 1099511628211ULL;
    return h;
}

static int words_equal(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (words_lower((unsigned char)a[i]) != words_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

struct words_slot {
    const char *word;           /* into the text; NULL: empty slot */
    size_t len;
};

/* Open addressing, at most half full: the slot of w, or the empty one where it would go. */
static struct words_slot *words_find(struct words_slot *set, size_t mask, const char *w, size_t n)
{
    for (size_t i = (size_t)words_hash(w, n) & mask;; i = (i + 1) & mask)
        if (set[i].word == NULL || (set[i].len == n && words_equal(set[i].word, w, n)))
            return &set[i];
}

int words_all_in(const char *words, const char *text)
{
    const char *s = text, *w;
    size_t n, count = 0, size = 16;

    if (strnlen(text, WORDS_MAX_TEXT + 1) > WORDS_MAX_TEXT)
        return 0;
    while ((n = words_next(&s, &w)) > 0)
        count += n >= WORDS_MIN_BYTES;
    while (size < 2 * count)
        size *= 2;
    struct words_slot *set = calloc(size, sizeof(*set));
    if (set == NULL)
        log_fatal("words: out of memory");
    for (s = text; (n = words_next(&s, &w)) > 0;) {
        if (n < WORDS_MIN_BYTES)
            continue;
        struct words_slot *slot = words_find(set, size - 1, w, n);
        slot->word = w;
        slot->len = n;
    }
    int all = 1;
    for (s = words; all && (n = words_next(&s, &w)) > 0;)
        if (n >= WORDS_MIN_BYTES && words_find(set, size - 1, w, n)->word == NULL)
            all = 0;
    free(set);
    return all;
}
