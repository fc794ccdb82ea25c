/* Unit tests of extract: links and one-time codes found in a message. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "extract.h"

/* The list as "a|b|c", for one readable comparison. */
static char *joined(const EXTRACT_LIST *l)
{
    static char buf[4096];
    buf[0] = '\0';
    for (size_t i = 0; i < l->count; i++) {
        if (i)
            strcat(buf, "|");
        strcat(buf, l->items[i]);
    }
    return buf;
}

static void check_links(const char *text, const char *html, const char *want)
{
    EXTRACT_LIST l = { 0 };
    extract_links(text, html, &l);
    assert_string_equal(joined(&l), want);
    extract_list_free(&l);
}

static void check_codes(const char *text, const char *html, const char *want)
{
    EXTRACT_LIST l = { 0 };
    extract_codes(text, html, &l);
    assert_string_equal(joined(&l), want);
    extract_list_free(&l);
}

static void links_in_text(void **state)
{
    (void)state;
    check_links("Confirm at https://example.com/confirm?t=abc&u=1. Thanks!", NULL,
                "https://example.com/confirm?t=abc&u=1");
    check_links("see (http://a.example/x) and <https://b.example/y>, or HTTPS://C.example", "",
                "http://a.example/x|https://b.example/y|HTTPS://C.example");
    check_links("wiki: https://en.wikipedia.org/wiki/Foo_(bar), ok", NULL,
                "https://en.wikipedia.org/wiki/Foo_(bar)");
    check_links("no links here, just ftp://x.example and http:// alone", NULL, "");
    check_links("twice https://x.example/a and https://x.example/a again", NULL,
                "https://x.example/a");
    check_links("", "", "");
    check_links(NULL, NULL, "");
}

static void links_in_html(void **state)
{
    (void)state;
    check_links(NULL,
                "<p>Hi</p><a class=\"btn\" href=\"https://example.com/verify?id=1&amp;token=x%2By\">"
                "Verify</a> <A HREF='http://example.com/unsubscribe'>out</A>"
                "<a href=mailto:help@example.com>help</a><a href=\"#top\">top</a>",
                "https://example.com/verify?id=1&token=x%2By|http://example.com/unsubscribe");
    /* A bare URL in the visible text, entities decoded; the same URL in text and html once. */
    check_links("Open https://example.com/a?x=1&y=2",
                "<p>Open <a href=\"https://example.com/a?x=1&amp;y=2\">"
                "https://example.com/a?x=1&amp;y=2</a> or https://example.com/b&#x3F;q</p>",
                "https://example.com/a?x=1&y=2|https://example.com/b?q");
    /* White space around an attribute value, and a form action. */
    check_links(NULL, "<a href=\"  https://example.com/s  \">s</a>"
                      "<form action=\"https://example.com/post\"></form>",
                "https://example.com/s|https://example.com/post");
    /* Script and style are not text; comments neither. */
    check_links(NULL, "<script>var u='https://evil.example/js';</script>"
                      "<style>@import url(https://x.example/css);</style>"
                      "<!-- https://hidden.example/ -->visible", "");
    /* Broken HTML gives what can be read. */
    check_links(NULL, "<a href=\"https://example.com/unterminated", "https://example.com/unterminated");
    check_links(NULL, "<a href=", "");
    check_links(NULL, "a < b and <", "");
}

static void codes_in_text(void **state)
{
    (void)state;
    check_codes("Your code is 482913", NULL, "482913");
    check_codes("Code: 1234. Backup: 87654321, again 482913", NULL, "1234|87654321|482913");
    check_codes("Your verification code is\n\n  0042  \n", NULL, "0042");
    /* Too short, too long, or part of something else. */
    check_codes("123 and 123456789 and ab1234 and 1234ab and x_1234", NULL, "");
    /* Dates, times, decimals, phone numbers, prices. */
    check_codes("on 2026-01-31 at 12:30:45, total 1,234.50 or $1999, call 555-123-4567", NULL, "");
    check_codes("sent 31/01/2026 and 2026.01.31", NULL, "");
    /* Years beside a month or after a copyright sign; a bare year-like number stays a code. */
    check_codes("March 2026, 5 May, 2026, 2026 Jan, \xc2\xa9 2026 ACME, (c) 2025", NULL, "");
    check_codes("Your PIN: 2026", NULL, "2026");
    /* Digits in URLs and e-mail addresses are not codes. */
    check_codes("Open https://example.com/verify/123456 as user4821@example.com", NULL, "");
    /* Each code once. */
    check_codes("482913 ... 482913", NULL, "482913");
}

static void codes_in_html(void **state)
{
    (void)state;
    check_codes(NULL, "<p>Your code:</p><p style=\"font-size:24px\"><b>482913</b></p>"
                      "<a href=\"https://example.com/c/99999999\">link 99999999</a>"
                      "<img width=\"6000\" src=\"x.png\">", "482913|99999999");
    check_codes("plain 1111", "<p>html&nbsp;2222</p><!-- 3333 --><style>.a{width:4444px}</style>",
                "1111|2222");
    check_codes(NULL, "<td>&#52;&#56;&#50;&#57;</td>", "4829");
}

static void html_text_and_entities(void **state)
{
    (void)state;
    EXTRACT_BUF b = { 0 };
    extract_html_text("<p>Fish &amp; chips &lt;3&gt; &#169; &#x1F600; &bogus; &</p><br/>x", &b);
    assert_string_equal(b.data, " Fish & chips <3> \xc2\xa9 \xf0\x9f\x98\x80 &bogus; &  x");
    free(b.data);
    memset(&b, 0, sizeof(b));
    extract_html_text("", &b);
    assert_string_equal(b.data, "");
    free(b.data);
    memset(&b, 0, sizeof(b));
    /* Latin-1 letters and the usual typography by name; names are case-sensitive. */
    extract_html_text("Caf&eacute; &Uuml;ber &szlig;&yuml; &iexcl;&euro;&rsquo;&EACUTE;", &b);
    assert_string_equal(b.data, "Caf\xc3\xa9 \xc3\x9c" "ber \xc3\x9f\xc3\xbf \xc2\xa1\xe2\x82\xac"
                                "\xe2\x80\x99&EACUTE;");
    free(b.data);
    memset(&b, 0, sizeof(b));
    /* An out-of-range reference becomes U+FFFD, not bytes that are not UTF-8. */
    extract_html_text("&#0;&#xD800;&#99999999999;", &b);
    assert_string_equal(b.data, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(b.data);
}

static void lists_are_capped(void **state)
{
    (void)state;
    char text[20000] = "";
    for (int i = 0; i < 150; i++) {
        char one[64];
        snprintf(one, sizeof(one), "https://x.example/%d %d ", i, 100000 + i);
        strcat(text, one);
    }
    EXTRACT_LIST l = { 0 };
    extract_links(text, NULL, &l);
    assert_int_equal(l.count, EXTRACT_MAX_LINKS);
    extract_list_free(&l);
    extract_codes(text, NULL, &l);
    assert_int_equal(l.count, EXTRACT_MAX_CODES);
    assert_string_equal(l.items[0], "100000");
    extract_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(links_in_text),
        cmocka_unit_test(links_in_html),
        cmocka_unit_test(codes_in_text),
        cmocka_unit_test(codes_in_html),
        cmocka_unit_test(html_text_and_entities),
        cmocka_unit_test(lists_are_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
