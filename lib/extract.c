/*++
 * NAME
 *	extract 3
 * SUMMARY
 *	links and one-time codes found in a message (see extract.h)
 * DESCRIPTION
 *	Hand-written scanners, not a regex engine and not an HTML parser: mail
 *	HTML is often broken, and all that is needed is attribute values and
 *	visible text. Every scan is linear in the input.
 *--*/

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract.h"
#include "log.h"

/* ---- growing buffers and lists ----------------------------------------------------------- */

/* p grown to count elements of size bytes; out of memory is fatal. */
static void *extract_grow(void *p, size_t count, size_t size)
{
    void *grown = reallocarray(p, count, size);
    if (grown == NULL)
        log_fatal("out of memory");
    return grown;
}

static void extract_buf_add(EXTRACT_BUF *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        b->data = extract_grow(b->data, cap, 1);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void extract_buf_char(EXTRACT_BUF *b, char c)
{
    extract_buf_add(b, &c, 1);
}

/*
 * Add s (n bytes) unless the list has it already or is full. The lengths kept
 * are compared before any bytes: a strlen() of every item at each add made a
 * short link repeated after long ones cost the length of them all per repeat.
 */
static void extract_list_add(EXTRACT_LIST *l, const char *s, size_t n, size_t max)
{
    if (l->count >= max)
        return;
    for (size_t i = 0; i < l->count; i++)
        if (l->lens[i] == n && memcmp(l->items[i], s, n) == 0)
            return;
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = extract_grow(l->items, l->cap, sizeof(*l->items));
        l->lens = extract_grow(l->lens, l->cap, sizeof(*l->lens));
    }
    char *copy = strndup(s, n);
    if (copy == NULL)
        log_fatal("out of memory");
    l->lens[l->count] = n;
    l->items[l->count++] = copy;
}

void extract_list_free(EXTRACT_LIST *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    free(l->lens);
    memset(l, 0, sizeof(*l));
}

/* ---- HTML character references ------------------------------------------------------------ */

static void extract_utf8(EXTRACT_BUF *b, unsigned long cp)
{
    char u[4];
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        extract_buf_char(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        extract_buf_add(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        extract_buf_add(b, u, 3);
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        extract_buf_add(b, u, 4);
    }
}

/*
 * The named references known, sorted by strcmp() (capitals first) for bsearch():
 * HTML 4's names for U+00A1 to U+00FF (accented letters are words), the markup
 * characters and the usual typography.
 */
static const struct extract_entity {
    const char *name;
    unsigned long cp;
} extract_entities[] = {
    { "AElig", 0xc6 }, { "Aacute", 0xc1 }, { "Acirc", 0xc2 }, { "Agrave", 0xc0 },
    { "Aring", 0xc5 }, { "Atilde", 0xc3 }, { "Auml", 0xc4 }, { "Ccedil", 0xc7 },
    { "ETH", 0xd0 }, { "Eacute", 0xc9 }, { "Ecirc", 0xca }, { "Egrave", 0xc8 },
    { "Euml", 0xcb }, { "Iacute", 0xcd }, { "Icirc", 0xce }, { "Igrave", 0xcc },
    { "Iuml", 0xcf }, { "Ntilde", 0xd1 }, { "Oacute", 0xd3 }, { "Ocirc", 0xd4 },
    { "Ograve", 0xd2 }, { "Oslash", 0xd8 }, { "Otilde", 0xd5 }, { "Ouml", 0xd6 },
    { "THORN", 0xde }, { "Uacute", 0xda }, { "Ucirc", 0xdb }, { "Ugrave", 0xd9 },
    { "Uuml", 0xdc }, { "Yacute", 0xdd }, { "aacute", 0xe1 }, { "acirc", 0xe2 },
    { "acute", 0xb4 }, { "aelig", 0xe6 }, { "agrave", 0xe0 }, { "amp", '&' },
    { "apos", '\'' }, { "aring", 0xe5 }, { "atilde", 0xe3 }, { "auml", 0xe4 },
    { "bdquo", 0x201e }, { "brvbar", 0xa6 }, { "bull", 0x2022 }, { "ccedil", 0xe7 },
    { "cedil", 0xb8 }, { "cent", 0xa2 }, { "copy", 0xa9 }, { "curren", 0xa4 },
    { "deg", 0xb0 }, { "divide", 0xf7 }, { "eacute", 0xe9 }, { "ecirc", 0xea },
    { "egrave", 0xe8 }, { "emsp", 0x2003 }, { "ensp", 0x2002 }, { "eth", 0xf0 },
    { "euml", 0xeb }, { "euro", 0x20ac }, { "frac12", 0xbd }, { "frac14", 0xbc },
    { "frac34", 0xbe }, { "gt", '>' }, { "hellip", 0x2026 }, { "iacute", 0xed },
    { "icirc", 0xee }, { "iexcl", 0xa1 }, { "igrave", 0xec }, { "iquest", 0xbf },
    { "iuml", 0xef }, { "laquo", 0xab }, { "ldquo", 0x201c }, { "lsquo", 0x2018 },
    { "lt", '<' }, { "macr", 0xaf }, { "mdash", 0x2014 }, { "micro", 0xb5 },
    { "middot", 0xb7 }, { "nbsp", ' ' }, { "ndash", 0x2013 }, { "not", 0xac },
    { "ntilde", 0xf1 }, { "oacute", 0xf3 }, { "ocirc", 0xf4 }, { "ograve", 0xf2 },
    { "ordf", 0xaa }, { "ordm", 0xba }, { "oslash", 0xf8 }, { "otilde", 0xf5 },
    { "ouml", 0xf6 }, { "para", 0xb6 }, { "plusmn", 0xb1 }, { "pound", 0xa3 },
    { "quot", '"' }, { "raquo", 0xbb }, { "rdquo", 0x201d }, { "reg", 0xae },
    { "rsquo", 0x2019 }, { "sbquo", 0x201a }, { "sect", 0xa7 }, { "shy", 0xad },
    { "sup1", 0xb9 }, { "sup2", 0xb2 }, { "sup3", 0xb3 }, { "szlig", 0xdf },
    { "thinsp", 0x2009 }, { "thorn", 0xfe }, { "times", 0xd7 }, { "trade", 0x2122 },
    { "uacute", 0xfa }, { "ucirc", 0xfb }, { "ugrave", 0xf9 }, { "uml", 0xa8 },
    { "uuml", 0xfc }, { "yacute", 0xfd }, { "yen", 0xa5 }, { "yuml", 0xff },
    { "zwj", 0x200d }, { "zwnj", 0x200c },
};

/* The longest name above: a longer run of letters is no reference. */
#define EXTRACT_ENTITY_MAX  6

/* A name to look up: its letters, not NUL-terminated. */
struct extract_name {
    const char *s;
    size_t len;
};

static int extract_entity_cmp(const void *key, const void *member)
{
    const struct extract_name *name = key;
    const char *entry = ((const struct extract_entity *)member)->name;
    int cmp = strncmp(name->s, entry, name->len);
    return cmp != 0 ? cmp : entry[name->len] == '\0' ? 0 : -1;
}

/*
 * Decode the reference at s (s[0] == '&') into b; returns the bytes used,
 * or 0 when it is no reference (the '&' is then plain text). A binary search:
 * a scan of the whole table at each '&' took 0.25 s for a MiB of them.
 */
static size_t extract_entity(const char *s, size_t n, EXTRACT_BUF *b)
{
    size_t i = 1;
    unsigned long cp = 0;

    if (i < n && s[i] == '#') {
        int hex = i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
        i += hex ? 2 : 1;
        size_t digits = 0;
        for (; i < n && (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i])); i++) {
            if (cp < 0x110000)
                cp = cp * (hex ? 16 : 10)
                     + (unsigned long)(isdigit((unsigned char)s[i]) ? s[i] - '0'
                                       : tolower((unsigned char)s[i]) - 'a' + 10);
            digits++;
        }
        if (digits == 0)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        extract_utf8(b, cp);
        return i;
    }
    size_t start = i;
    while (i < n && i - start <= EXTRACT_ENTITY_MAX && isalpha((unsigned char)s[i]))
        i++;
    struct extract_name name = { s + start, i - start };
    if (name.len == 0 || name.len > EXTRACT_ENTITY_MAX)
        return 0;
    const struct extract_entity *e = bsearch(&name, extract_entities,
                                             sizeof(extract_entities) / sizeof(extract_entities[0]),
                                             sizeof(extract_entities[0]), extract_entity_cmp);
    if (e == NULL)
        return 0;
    extract_utf8(b, e->cp);
    return i < n && s[i] == ';' ? i + 1 : i;
}

/* s[0..n) with references decoded, appended to b. */
static void extract_decode(const char *s, size_t n, EXTRACT_BUF *b)
{
    for (size_t i = 0; i < n; ) {
        size_t used = s[i] == '&' ? extract_entity(s + i, n - i, b) : 0;
        if (used == 0)
            extract_buf_char(b, s[i++]);
        else
            i += used;
    }
}

/* ---- HTML: visible text and attributes ---------------------------------------------------- */

/* Does the tag name at s (after '<' or "</") equal name, case-insensitively, as a whole word? */
static int extract_tag_is(const char *s, const char *name)
{
    size_t len = strlen(name);
    return strncasecmp(s, name, len) == 0 && !isalnum((unsigned char)s[len]);
}

/* The end of the element whose content is not text (script, style): just past "</name...>". */
static const char *extract_skip_raw(const char *s, const char *name)
{
    for (const char *p = s; (p = strchr(p, '<')) != NULL; p++)
        if (p[1] == '/' && extract_tag_is(p + 2, name)) {
            const char *gt = strchr(p, '>');
            return gt ? gt + 1 : p + strlen(p);
        }
    return s + strlen(s);
}

/* Called for each attribute value of a tag: name, raw value. */
typedef void (*EXTRACT_ATTR_FN)(const char *tag, const char *name, size_t name_len,
                                const char *value, size_t value_len, void *ctx);

/* Walk the attributes of the tag starting at s (just after '<'); returns just past its '>'. */
static const char *extract_tag(const char *s, EXTRACT_ATTR_FN fn, void *ctx)
{
    const char *tag = s;
    const char *p = s;

    while (*p && !isspace((unsigned char)*p) && *p != '>')
        p++;
    while (*p && *p != '>') {
        while (isspace((unsigned char)*p) || *p == '/')
            p++;
        const char *name = p;
        while (*p && !isspace((unsigned char)*p) && *p != '=' && *p != '>' && *p != '/')
            p++;
        size_t name_len = (size_t)(p - name);
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '=') {
            if (name_len == 0 && *p && *p != '>')
                p++;                /* a stray character: step over it */
            continue;
        }
        p++;
        while (isspace((unsigned char)*p))
            p++;
        const char *value;
        size_t value_len;
        if (*p == '"' || *p == '\'') {
            char quote = *p++;
            value = p;
            while (*p && *p != quote)
                p++;
            value_len = (size_t)(p - value);
            if (*p)
                p++;
        } else {
            value = p;
            while (*p && !isspace((unsigned char)*p) && *p != '>')
                p++;
            value_len = (size_t)(p - value);
        }
        if (fn && name_len > 0)
            fn(tag, name, name_len, value, value_len, ctx);
    }
    return *p ? p + 1 : p;
}

/*
 * Visible text of html into text; each attribute to fn. Tags become a space,
 * so words in separate cells stay apart.
 */
static void extract_html_walk(const char *html, EXTRACT_BUF *text, EXTRACT_ATTR_FN fn, void *ctx)
{
    const char *p = html ? html : "";

    while (*p) {
        const char *lt = strchr(p, '<');
        size_t run = lt ? (size_t)(lt - p) : strlen(p);
        if (text)
            extract_decode(p, run, text);
        if (lt == NULL)
            break;
        p = lt;
        if (strncmp(p, "<!--", 4) == 0) {
            const char *end = strstr(p + 4, "-->");
            p = end ? end + 3 : p + strlen(p);
        } else if (isalpha((unsigned char)p[1]) || p[1] == '/' || p[1] == '!' || p[1] == '?') {
            int raw = extract_tag_is(p + 1, "script") ? 1 : extract_tag_is(p + 1, "style") ? 2 : 0;
            p = extract_tag(p + 1, fn, ctx);
            if (raw)
                p = extract_skip_raw(p, raw == 1 ? "script" : "style");
        } else {
            if (text)
                extract_buf_char(text, '<');     /* "a < b": text, not a tag */
            p++;
            continue;
        }
        if (text)
            extract_buf_char(text, ' ');
    }
}

void extract_html_text(const char *html, EXTRACT_BUF *out)
{
    extract_html_walk(html, out, NULL, NULL);
    if (out->data == NULL)
        extract_buf_add(out, "", 0);
}

/* ---- links --------------------------------------------------------------------------------- */

static size_t extract_url_scheme(const char *s)
{
    if (strncasecmp(s, "https://", 8) == 0)
        return 8;
    if (strncasecmp(s, "http://", 7) == 0)
        return 7;
    return 0;
}

static int extract_url_char(unsigned char c)
{
    return c > ' ' && c != 0x7f && !strchr("<>\"'`{}|\\^", c);
}

/*
 * The length of the bare URL at s (0 when none), without sentence punctuation at its end.
 * A closing parenthesis or bracket stays when the URL opened it (wiki/Foo_(bar)): the
 * balance of each is counted once on the way forward and kept as the end moves back.
 * Counting it again for each ')' at the end took seconds for a few hundred thousand.
 */
static size_t extract_url_len(const char *s)
{
    size_t scheme = extract_url_scheme(s), n = scheme;
    long parens = 0, brackets = 0;          /* opened minus closed, in s[scheme..n) */

    if (scheme == 0)
        return 0;
    for (; extract_url_char((unsigned char)s[n]); n++) {
        parens += s[n] == '(' ? 1 : s[n] == ')' ? -1 : 0;
        brackets += s[n] == '[' ? 1 : s[n] == ']' ? -1 : 0;
    }
    for (; n > scheme; n--) {
        char last = s[n - 1];
        if (last == ')' && parens < 0)
            parens++;
        else if (last == ']' && brackets < 0)
            brackets++;
        else if (strchr(".,;:!?*", last) == NULL)
            break;
    }
    return n > scheme ? n : 0;
}

/* Each bare URL in s; with blank set, overwrite them with spaces (for the code scan). */
static void extract_bare_urls(char *s, EXTRACT_LIST *out, int blank)
{
    for (char *p = s; *p; ) {
        /* A URL starts with h or H ("http"): skip to the next one at once (strpbrk is a
           table scan); a 4 KB body without links was a tenth of an inbox read's time. */
        if ((*p | 0x20) != 'h' && (p = strpbrk(p, "hH")) == NULL)
            break;
        size_t n = (p == s || !isalnum((unsigned char)p[-1])) ? extract_url_len(p) : 0;
        if (n == 0) {
            p++;
            continue;
        }
        if (out)
            extract_list_add(out, p, n, EXTRACT_MAX_LINKS);
        if (blank)
            memset(p, ' ', n);
        p += n;
    }
}

static void extract_href(const char *tag, const char *name, size_t name_len, const char *value,
                         size_t value_len, void *ctx)
{
    EXTRACT_LIST *out = ctx;
    (void)tag;
    if (!((name_len == 4 && strncasecmp(name, "href", 4) == 0)
          || (name_len == 6 && strncasecmp(name, "action", 6) == 0)))
        return;
    EXTRACT_BUF url = { 0 };
    extract_decode(value, value_len, &url);
    if (url.data) {
        /* Trim the white space mail templates leave in attributes. */
        char *start = url.data, *end = url.data + url.len;
        while (isspace((unsigned char)*start))
            start++;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        size_t scheme = extract_url_scheme(start);
        if (scheme && (size_t)(end - start) > scheme && memchr(start, ' ', (size_t)(end - start)) == NULL)
            extract_list_add(out, start, (size_t)(end - start), EXTRACT_MAX_LINKS);
    }
    free(url.data);
}

void extract_links(const char *text, const char *html, EXTRACT_LIST *out)
{
    EXTRACT_BUF copy = { 0 }, visible = { 0 };

    if (text && *text) {
        extract_buf_add(&copy, text, strlen(text));
        extract_bare_urls(copy.data, out, 0);
    }
    if (html && *html) {
        extract_html_walk(html, &visible, extract_href, out);
        if (visible.data)
            extract_bare_urls(visible.data, out, 0);
    }
    free(copy.data);
    free(visible.data);
}

/* ---- codes --------------------------------------------------------------------------------- */

static const char *const extract_months[] = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
};

static int extract_is_month(const char *word, size_t len)
{
    if (len < 3)
        return 0;                           /* most often no word at all: a code's neighbour */
    for (size_t i = 0; i < sizeof(extract_months) / sizeof(extract_months[0]); i++)
        if (strlen(extract_months[i]) == len && strncasecmp(word, extract_months[i], len) == 0)
            return 1;
    return 0;
}

/* A year beside a month name ("March 2026", "2026 Jan", "5 May, 2026") or after a copyright. */
static int extract_is_dated_year(const char *s, const char *start, size_t len)
{
    if (len != 4 || !((start[0] == '1' && start[1] == '9') || (start[0] == '2' && start[1] == '0')))
        return 0;
    /* The word before, skipping spaces, commas and a day number. */
    const char *p = start;
    while (p > s && (p[-1] == ' ' || p[-1] == ',' || p[-1] == '.'))
        p--;
    if (p - s >= 2 && ((unsigned char)p[-2] == 0xc2 && (unsigned char)p[-1] == 0xa9))
        return 1;                           /* U+00A9 © */
    if (p - s >= 3 && strncasecmp(p - 3, "(c)", 3) == 0)
        return 1;
    while (p > s && isdigit((unsigned char)p[-1]))
        p--;                                /* "5 May 2026": the day is before the month */
    while (p > s && (p[-1] == ' ' || p[-1] == ','))
        p--;
    const char *end = p;
    while (p > s && isalpha((unsigned char)p[-1]))
        p--;
    if (extract_is_month(p, (size_t)(end - p)))
        return 1;
    /* The word after. */
    p = start + len;
    while (*p == ' ' || *p == ',')
        p++;
    const char *word = p;
    while (isalpha((unsigned char)*p))
        p++;
    return extract_is_month(word, (size_t)(p - word));
}

static void extract_codes_in(const char *s, EXTRACT_LIST *out)
{
    static const char joiners[] = ".,:/-";

    for (const char *p = s; *p; ) {
        if (!isdigit((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *start = p;
        while (isdigit((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - start);
        char before = start > s ? start[-1] : ' ';
        char before2 = start - s >= 2 ? start[-2] : ' ';
        char after = *p, after2 = after ? p[1] : '\0';
        if (len < 4 || len > 8)
            continue;
        if (isalpha((unsigned char)before) || before == '_' || isalpha((unsigned char)after)
            || after == '_' || before == '$')
            continue;
        if (strchr(joiners, before) && before && isdigit((unsigned char)before2))
            continue;
        if (after && strchr(joiners, after) && isdigit((unsigned char)after2))
            continue;
        if (extract_is_dated_year(s, start, len))
            continue;
        extract_list_add(out, start, len, EXTRACT_MAX_CODES);
    }
}

void extract_codes(const char *text, const char *html, EXTRACT_LIST *out)
{
    EXTRACT_BUF copy = { 0 }, visible = { 0 };

    if (text && *text) {
        extract_buf_add(&copy, text, strlen(text));
        extract_bare_urls(copy.data, NULL, 1);
        extract_codes_in(copy.data, out);
    }
    if (html && *html) {
        extract_html_walk(html, &visible, NULL, NULL);
        if (visible.data) {
            extract_bare_urls(visible.data, NULL, 1);
            extract_codes_in(visible.data, out);
        }
    }
    free(copy.data);
    free(visible.data);
}
