/*++
 * NAME
 *	fuzz_extract 1
 * SUMMARY
 *	libFuzzer harness: links, codes and visible text of a message (lib/extract.c)
 * DESCRIPTION
 *	What an inbox read does with a message's bodies (inbox.c), over any
 *	bytes: extract_links() and extract_codes() with them as the text and as
 *	the html, and extract_html_text(). Their promises: each link begins
 *	with "http://" or "https://" and has more after it, each code is 4 to 8
 *	digits, no item is listed twice, no list is longer than its maximum,
 *	and the visible text is never longer than the html (capture stores it
 *	in a column sized for the html).
 *--*/

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

static void check_unique(const EXTRACT_LIST *l, size_t max)
{
    check(l->count <= max);
    for (size_t i = 0; i < l->count; i++)
        for (size_t j = i + 1; j < l->count; j++)
            check(strcmp(l->items[i], l->items[j]) != 0);
}

static void check_links(const char *text, const char *html)
{
    EXTRACT_LIST l = { 0 };

    extract_links(text, html, &l);
    check_unique(&l, EXTRACT_MAX_LINKS);
    for (size_t i = 0; i < l.count; i++) {
        size_t scheme = strncasecmp(l.items[i], "https://", 8) == 0 ? 8
                        : strncasecmp(l.items[i], "http://", 7) == 0 ? 7 : 0;
        check(scheme > 0 && strlen(l.items[i]) > scheme);
    }
    extract_list_free(&l);
}

static void check_codes(const char *text, const char *html)
{
    EXTRACT_LIST l = { 0 };

    extract_codes(text, html, &l);
    check_unique(&l, EXTRACT_MAX_CODES);
    for (size_t i = 0; i < l.count; i++) {
        size_t n = strlen(l.items[i]);
        check(n >= 4 && n <= 8 && strspn(l.items[i], "0123456789") == n);
    }
    extract_list_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    EXTRACT_BUF shown = { 0 };

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    check_links(in, NULL);
    check_links(NULL, in);
    check_codes(in, NULL);
    check_codes(NULL, in);
    extract_html_text(in, &shown);
    check(shown.data != NULL && strlen(shown.data) <= strlen(in));
    free(shown.data);
    free(in);
    return 0;
}
