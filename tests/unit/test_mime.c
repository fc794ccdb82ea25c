/*++
 * NAME
 *	test_mime 1
 * SUMMARY
 *	unit tests of mime_parse() over real-looking messages
 * SYNOPSIS
 *	cc ... tests/unit/test_mime.c lib/mime.c lib/log.c -lcmocka $(pkg-config --libs gmime-3.0)
 *	./test_mime
 * DESCRIPTION
 *	Each test feeds one message, written out inline as it would arrive over
 *	SMTP (CRLF line ends), and checks what a user of the API would see:
 *	sender, subject, text, html and attachments. The last tests feed
 *	garbage: mime_parse() must not crash and must give empty strings. The
 *	last parses a message from a file, as the milter does for large mail.
 *--*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mime.h"

static MIME_MESSAGE *parse(const char *raw)
{
    MIME_MESSAGE *msg = mime_parse(raw, strlen(raw));
    assert_non_null(msg);
    return msg;
}

/* Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF)? */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned c = *p++;
        int more;
        unsigned min, cp;
        if (c < 0x80)
            continue;
        else if ((c & 0xe0) == 0xc0)
            more = 1, min = 0x80, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0)
            more = 2, min = 0x800, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0)
            more = 3, min = 0x10000, cp = c & 0x07;
        else
            return 0;
        while (more--) {
            if ((*p & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (*p++ & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    return 1;
}

/* Every string is present and UTF-8: the store binds them to utf8mb4 columns unchecked. */
static void assert_complete(const MIME_MESSAGE *msg)
{
    const char *strings[] = { msg->from, msg->subject, msg->message_id, msg->text, msg->html };

    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        assert_non_null(strings[i]);
        assert_true(utf8_valid(strings[i]));
    }
    for (size_t i = 0; i < msg->n_attachments; i++) {
        assert_non_null(msg->attachments[i].filename);
        assert_true(utf8_valid(msg->attachments[i].filename));
        assert_non_null(msg->attachments[i].content_type);
        assert_true(utf8_valid(msg->attachments[i].content_type));
        assert_true(msg->attachments[i].data != NULL || msg->attachments[i].spill != NULL);
    }
}

static int setup(void **state)
{
    (void)state;
    mime_init();
    return 0;
}

static void test_plain_text(void **state)
{
    (void)state;
    MIME_MESSAGE *msg = parse(
        "Received: from mx.example.org by mail.test; Tue, 25 Nov 2025 12:00:00 +0000\r\n"
        "From: Alice Example <alice@example.org>\r\n"
        "To: box@tempmail.test\r\n"
        "Subject: Hello there\r\n"
        "Message-ID: <20251125120000.1234@example.org>\r\n"
        "Date: Tue, 25 Nov 2025 12:00:00 +0000\r\n"
        "\r\n"
        "Hi,\r\n"
        "your code is 482913.\r\n");
    assert_complete(msg);
    assert_string_equal(msg->from, "Alice Example <alice@example.org>");
    assert_string_equal(msg->subject, "Hello there");
    assert_string_equal(msg->message_id, "20251125120000.1234@example.org");
    assert_non_null(strstr(msg->text, "your code is 482913."));
    assert_int_equal(strncmp(msg->text, "Hi,", 3), 0);
    assert_string_equal(msg->html, "");
    assert_int_equal(msg->n_attachments, 0);
    mime_free(msg);
}

static void test_quoted_printable_utf8(void **state)
{
    (void)state;
    MIME_MESSAGE *msg = parse(
        "From: bob@example.org\r\n"
        "Subject: qp\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Gr=C3=BC=C3=9Fe aus M=C3=BCnchen, ein sehr langer Satz, der weich umbroche=\r\n"
        "n wird. =E2=82=AC 5\r\n");
    assert_complete(msg);
    assert_string_equal(msg->from, "bob@example.org");
    assert_non_null(strstr(msg->text, "Grüße aus München"));
    /* The soft line break is gone: the word is whole again. */
    assert_non_null(strstr(msg->text, "umbrochen wird. € 5"));
    mime_free(msg);
}

static void test_quoted_printable_latin1(void **state)
{
    (void)state;
    MIME_MESSAGE *msg = parse(
        "From: carol@example.fr\r\n"
        "Subject: latin\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Voil=E0 le caf=E9 na=EFf.\r\n");
    assert_complete(msg);
    assert_non_null(strstr(msg->text, "Voilà le café naïf."));
    mime_free(msg);
}

static void test_undeclared_8bit(void **state)
{
    (void)state;
    /* Raw latin-1 bytes with no charset anywhere: still readable, still UTF-8. */
    MIME_MESSAGE *msg = parse(
        "From: old@example.de\r\n"
        "Subject: Gr\xfc\xdf" "e\r\n"
        "\r\n"
        "Sch\xf6nen Tag\r\n");
    assert_complete(msg);
    assert_string_equal(msg->subject, "Grüße");
    assert_non_null(strstr(msg->text, "Schönen Tag"));
    mime_free(msg);
}

static void test_base64_body(void **state)
{
    (void)state;
    MIME_MESSAGE *msg = parse(
        "From: dave@example.org\r\n"
        "Subject: b64\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "SGVsbG8sIHdvcmxkISBDYWbDqSDimJUK\r\n");
    assert_complete(msg);
    assert_string_equal(msg->text, "Hello, world! Café ☕\n");
    mime_free(msg);
}

static void test_encoded_words(void **state)
{
    (void)state;
    MIME_MESSAGE *msg = parse(
        "From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.de>\r\n"
        "Subject: =?UTF-8?B?w5xiZXJwcsO8ZnVuZw==?= =?UTF-8?Q?_Ihres_Kontos_=E2=9C=93?=\r\n"
        "Message-ID: <x@y>\r\n"
        "\r\n"
        "body\r\n");
    assert_complete(msg);
    assert_string_equal(msg->from, "Jörg Müller <joerg@example.de>");
    assert_string_equal(msg->subject, "Überprüfung Ihres Kontos ✓");
    assert_string_equal(msg->message_id, "x@y");
    mime_free(msg);
}

/* "%PDF-1.4\n" followed by the bytes 0x00 0xff 0x10 0x80: binary, with a NUL. */
static const unsigned char pdf_bytes[] = {
    '%', 'P', 'D', 'F', '-', '1', '.', '4', '\n', 0x00, 0xff, 0x10, 0x80
};

static void test_nested_multipart_with_attachment(void **state)
{
    (void)state;
    MIME_MESSAGE *msg = parse(
        "From: \"Shop, Inc.\" <orders@shop.example>\r\n"
        "Subject: Your order\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
        "\r\n"
        "This is a multi-part message in MIME format.\r\n"
        "--outer\r\n"
        "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
        "\r\n"
        "--alt\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Order 1001 confirmed.\r\n"
        "--alt\r\n"
        "Content-Type: multipart/related; boundary=\"rel\"\r\n"
        "\r\n"
        "--rel\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "<p>Order <b>1001</b> confirmed =E2=80=93 thanks!</p><img src=3D\"cid:logo\">\r\n"
        "--rel\r\n"
        "Content-Type: image/png\r\n"
        "Content-ID: <logo>\r\n"
        "Content-Disposition: inline; filename=\"logo.png\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "iVBORw0KGgo=\r\n"
        "--rel--\r\n"
        "--alt--\r\n"
        "--outer\r\n"
        "Content-Type: application/pdf; name=\"invoice 1001.pdf\"\r\n"
        "Content-Disposition: attachment; filename=\"invoice 1001.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "JVBERi0xLjQKAP8QgA==\r\n"
        "--outer--\r\n");
    assert_complete(msg);
    assert_string_equal(msg->from, "\"Shop, Inc.\" <orders@shop.example>");
    assert_string_equal(msg->subject, "Your order");
    assert_non_null(strstr(msg->text, "Order 1001 confirmed."));
    assert_null(strstr(msg->text, "<p>"));
    assert_non_null(strstr(msg->html, "<p>Order <b>1001</b> confirmed – thanks!</p>"));
    assert_non_null(strstr(msg->html, "src=\"cid:logo\""));

    assert_int_equal(msg->n_attachments, 2);
    const MIME_ATTACHMENT *logo = &msg->attachments[0];
    assert_string_equal(logo->filename, "logo.png");
    assert_string_equal(logo->content_type, "image/png");
    assert_int_equal(logo->size, 8);
    assert_memory_equal(logo->data, "\x89PNG\r\n\x1a\n", 8);

    const MIME_ATTACHMENT *pdf = &msg->attachments[1];
    assert_string_equal(pdf->filename, "invoice 1001.pdf");
    assert_string_equal(pdf->content_type, "application/pdf");
    assert_int_equal(pdf->size, sizeof(pdf_bytes));
    assert_memory_equal(pdf->data, pdf_bytes, sizeof(pdf_bytes));
    mime_free(msg);
}

static void test_html_only_and_encoded_filename(void **state)
{
    (void)state;
    MIME_MESSAGE *msg = parse(
        "From: news@example.org\r\n"
        "Subject: html\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n"
        "\r\n"
        "--b\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        "<h1>News</h1>\r\n"
        "--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\n"
        "\r\n"
        "not the body\r\n"
        "--b--\r\n");
    assert_complete(msg);
    /* A text/plain attachment is an attachment, not the text of the message. */
    assert_string_equal(msg->text, "");
    assert_non_null(strstr(msg->html, "<h1>News</h1>"));
    assert_int_equal(msg->n_attachments, 1);
    assert_string_equal(msg->attachments[0].filename, "résumé.txt");
    assert_string_equal(msg->attachments[0].content_type, "text/plain");
    /* The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1). */
    assert_int_equal(msg->attachments[0].size, strlen("not the body"));
    assert_memory_equal(msg->attachments[0].data, "not the body", msg->attachments[0].size);
    mime_free(msg);
}

static void test_forwarded_message(void **state)
{
    (void)state;
    MIME_MESSAGE *msg = parse(
        "From: fwd@example.org\r\n"
        "Subject: Fwd: hi\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n"
        "\r\n"
        "--b\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "See below.\r\n"
        "--b\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n"
        "From: inner@example.org\r\n"
        "Subject: hi\r\n"
        "\r\n"
        "inner text\r\n"
        "--b--\r\n");
    assert_complete(msg);
    assert_non_null(strstr(msg->text, "See below."));
    assert_null(strstr(msg->text, "inner text"));
    assert_int_equal(msg->n_attachments, 1);
    assert_string_equal(msg->attachments[0].content_type, "message/rfc822");
    assert_string_equal(msg->attachments[0].filename, "");
    assert_true(msg->attachments[0].size > 0);
    mime_free(msg);
}

static void test_no_body(void **state)
{
    (void)state;
    MIME_MESSAGE *msg = parse(
        "From: empty@example.org\r\n"
        "Subject: nothing inside\r\n");
    assert_complete(msg);
    assert_string_equal(msg->from, "empty@example.org");
    assert_string_equal(msg->subject, "nothing inside");
    assert_string_equal(msg->message_id, "");
    assert_string_equal(msg->text, "");
    assert_string_equal(msg->html, "");
    assert_int_equal(msg->n_attachments, 0);
    mime_free(msg);

    msg = parse("Subject: blank line, then nothing\r\n\r\n");
    assert_complete(msg);
    assert_string_equal(msg->from, "");
    assert_string_equal(msg->text, "");
    mime_free(msg);
}

static void test_garbage(void **state)
{
    (void)state;
    static const char binary[] = "\x00\xff\xfe\r\n\r\n--\x80\x81\x00:::\n\n\xc3";
    MIME_MESSAGE *msg = mime_parse(binary, sizeof(binary) - 1);
    assert_non_null(msg);
    assert_complete(msg);
    assert_string_equal(msg->from, "");
    assert_string_equal(msg->subject, "");
    mime_free(msg);

    msg = mime_parse("", 0);
    assert_non_null(msg);
    assert_complete(msg);
    assert_string_equal(msg->subject, "");
    assert_string_equal(msg->text, "");
    mime_free(msg);

    msg = mime_parse(NULL, 0);
    assert_non_null(msg);
    assert_complete(msg);
    mime_free(msg);
}

static void test_broken_mime(void **state)
{
    (void)state;
    /* Unterminated multipart, unknown charset, bad base64, invalid UTF-8. */
    MIME_MESSAGE *msg = parse(
        "From: <<<@@@>>>\r\n"
        "Subject: =?x-unknown?Q?abc?= \xc3\x28\r\n"
        "Content-Type: multipart/mixed; boundary=zz\r\n"
        "\r\n"
        "--zz\r\n"
        "Content-Type: text/plain; charset=x-no-such-charset\r\n"
        "\r\n"
        "still \xff readable\r\n"
        "--zz\r\n"
        "Content-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "!!!not base64***\r\n");
    assert_complete(msg);
    assert_non_null(strstr(msg->text, "readable"));
    assert_int_equal(msg->n_attachments, 1);
    assert_string_equal(msg->attachments[0].filename, "");
    assert_string_equal(msg->attachments[0].content_type, "application/octet-stream");
    mime_free(msg);
}

/* A message with a 1.5 MB attachment and a small one, written to an unlinked file. */
static void test_parse_fd_spills_large_attachments(void **state)
{
    (void)state;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    FILE *fp = tmpfile();
    assert_non_null(fp);
    fputs("From: a@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
          "Content-Type: multipart/mixed; boundary=bb\r\n\r\n"
          "--bb\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
          "--bb\r\nContent-Type: application/octet-stream\r\n"
          "Content-Disposition: attachment; filename=big.bin\r\n"
          "Content-Transfer-Encoding: base64\r\n\r\n", fp);
    /* 28,000 lines of 64 base64 characters: 1,792,000 encoded, 1,344,000 decoded. */
    for (int i = 0; i < 28000; i++)
        fprintf(fp, "%s\r\n", b64);
    fputs("--bb\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=s.csv\r\n"
          "\r\na,b\r\n--bb--\r\n", fp);
    fflush(fp);
    /* The file offset is left anywhere: mime_parse_fd reads from 0. */
    MIME_MESSAGE *msg = mime_parse_fd(fileno(fp), NULL);
    assert_non_null(msg);
    assert_complete(msg);
    assert_string_equal(msg->subject, "big");
    assert_string_equal(msg->text, "see attached");
    assert_int_equal(msg->n_attachments, 2);

    MIME_ATTACHMENT *big = &msg->attachments[0];
    assert_string_equal(big->filename, "big.bin");
    assert_null(big->data);
    assert_non_null(big->spill);
    assert_int_equal(big->size, 1344000);
    unsigned char head[3];
    assert_int_equal(pread(fileno(big->spill), head, 3, 0), 3);
    assert_memory_equal(head, "\x00\x10\x83", 3);     /* "ABCD" decoded */

    MIME_ATTACHMENT *small = &msg->attachments[1];
    assert_null(small->spill);
    assert_int_equal(small->size, 3);
    assert_memory_equal(small->data, "a,b", 3);
    mime_free(msg);
    fclose(fp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_quoted_printable_utf8),
        cmocka_unit_test(test_quoted_printable_latin1),
        cmocka_unit_test(test_undeclared_8bit),
        cmocka_unit_test(test_base64_body),
        cmocka_unit_test(test_encoded_words),
        cmocka_unit_test(test_nested_multipart_with_attachment),
        cmocka_unit_test(test_html_only_and_encoded_filename),
        cmocka_unit_test(test_forwarded_message),
        cmocka_unit_test(test_no_body),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_broken_mime),
        cmocka_unit_test(test_parse_fd_spills_large_attachments),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
