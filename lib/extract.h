#ifndef TEMPMAIL_EXTRACT_H
#define TEMPMAIL_EXTRACT_H

/*++
 * NAME
 *	extract 3
 * SUMMARY
 *	links and one-time codes found in a message, for sign-up tests
 * SYNOPSIS
 *	#include "extract.h"
 *
 *	void	extract_links(const char *text, const char *html, EXTRACT_LIST *out);
 *	void	extract_codes(const char *text, const char *html, EXTRACT_LIST *out);
 *	void	extract_html_text(const char *html, EXTRACT_BUF *out);
 *	void	extract_list_free(EXTRACT_LIST *list);
 * DESCRIPTION
 *	Pure functions over a message's text/plain and text/html bodies (either
 *	may be "" or NULL); nothing here touches the database or the network.
 *
 *	extract_links() finds http and https URLs: bare ones in the text, and in
 *	the html both the href (and src of frames/forms: action) attribute
 *	values and bare URLs in its visible text. HTML character references
 *	are decoded ("&amp;" in an href is "&"), trailing punctuation that
 *	ends a sentence is not part of a bare URL, and each URL is listed once,
 *	in order of first appearance (text first), at most EXTRACT_MAX_LINKS.
 *
 *	extract_codes() finds one-time codes: runs of 4 to 8 digits standing
 *	alone, in the text and in the html's visible text (tags, comments,
 *	script and style dropped, references decoded), with URLs left out. A
 *	run is not a code when a letter, digit or underscore touches it, when
 *	it continues a number across one of ".,:/-" (dates, times, decimals,
 *	phone numbers: "2026-01-31", "12:30:00", "1,234.50", "555-123-4567"),
 *	or when it is a year (1900-2099) next to a month name or after a
 *	copyright sign ("March 2026", "(c) 2026"). Each code once, in order,
 *	at most EXTRACT_MAX_CODES.
 *
 *	extract_html_text() writes the visible text of html into out (exposed
 *	for the unit tests). Lists and buffers start zeroed; free them with
 *	extract_list_free() and free(out->data).
 * DIAGNOSTICS
 *	None: these functions cannot fail, except by running out of memory,
 *	which is fatal (log_fatal).
 *--*/

#include <stddef.h>

#define EXTRACT_MAX_LINKS   100
#define EXTRACT_MAX_CODES   20

typedef struct extract_list {
    char **items;               /* NUL-terminated UTF-8 strings */
    size_t *lens;               /* the length of each */
    size_t count;
    size_t cap;
} EXTRACT_LIST;

typedef struct extract_buf {
    char *data;                 /* NUL-terminated once anything was written */
    size_t len;
    size_t cap;
} EXTRACT_BUF;

extern void extract_links(const char *text, const char *html, EXTRACT_LIST *out);
extern void extract_codes(const char *text, const char *html, EXTRACT_LIST *out);
extern void extract_html_text(const char *html, EXTRACT_BUF *out);
extern void extract_list_free(EXTRACT_LIST *list);

#endif
