/*
 * words.c - whether one text adds words to another; see words.h.
 */

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "words.h"

#define WORDS_MIN_BYTES 3
#define WORDS_MAX_TEXT  (256 * 1024)    /* bytes of text looked at: at most 2 MB of set */
#define WORDS_CHUNK     64              /* bytes of a word hashed at a time */

/*
 * The set's hash is keyed, with a key of this process's own: the words are a
 * sender's, and under a hash anyone can compute (FNV-1a, before) a text of
 * words that all fall in one slot turns the set into a list: 256 KB of them
 * took seconds. SipHash (libsodium's crypto_shorthash) is made for this.
 */
static unsigned char words_key[crypto_shorthash_KEYBYTES];
static pthread_once_t words_once = PTHREAD_ONCE_INIT;

static void words_init(void)
{
    if (sodium_init() < 0)
        log_fatal("words: libsodium cannot start");
    crypto_shorthash_keygen(words_key);
}

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

/*
 * The keyed hash of w[0..n) with ASCII case folded: a chunk at a time, each
 * hashed after the hash so far, which starts as the length (so that no two
 * words of different lengths chain alike).
 */
static uint64_t words_hash(const char *w, size_t n)
{
    unsigned char in[sizeof(uint64_t) + WORDS_CHUNK], out[crypto_shorthash_BYTES];
    uint64_t h = n;
    size_t at = 0;

    do {
        size_t k = n - at < WORDS_CHUNK ? n - at : WORDS_CHUNK;
        memcpy(in, &h, sizeof(h));
        for (size_t i = 0; i < k; i++)
            in[sizeof(h) + i] = words_lower((unsigned char)w[at + i]);
        crypto_shorthash(out, in, sizeof(h) + k, words_key);
        memcpy(&h, out, sizeof(h));
        at += k;
    } while (at < n);
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
    pthread_once(&words_once, words_init);
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
