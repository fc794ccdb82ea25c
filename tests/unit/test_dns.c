/*
 * Unit tests of dns: host name normalization and the parsing of DNS answers.
 * The answers are built by hand, byte by byte, so the parser is checked on
 * what a server really sends (compression pointers, CNAME chains, split TXT
 * strings, error codes) without a server.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/nameser.h>

#include "dns.h"

/* A response being built: header, the question example.com, then answer records. */
typedef struct packet {
    unsigned char b[512];
    size_t len;
    int ancount;
} PACKET;

#define QNAME_OFFSET 12         /* the question's name follows the 12-byte header */

static void put(PACKET *p, const void *data, size_t n)
{
    assert_true(p->len + n <= sizeof(p->b));
    memcpy(p->b + p->len, data, n);
    p->len += n;
}

static void put16(PACKET *p, unsigned v)
{
    unsigned char x[2] = { (unsigned char)(v >> 8), (unsigned char)v };
    put(p, x, 2);
}

static void start(PACKET *p, int rcode, int qtype)
{
    memset(p, 0, sizeof(*p));
    put16(p, 0x1234);                   /* id */
    put16(p, 0x8180 | (unsigned)rcode);   /* QR RD RA, rcode */
    put16(p, 1);                        /* qdcount */
    put16(p, 0);                        /* ancount, set by finish() */
    put16(p, 0);
    put16(p, 0);
    put(p, "\7example\3com", 13);       /* with its terminating zero */
    put16(p, (unsigned)qtype);
    put16(p, ns_c_in);
}

/* An answer record named by a pointer to the question; rdata given whole. */
static void answer(PACKET *p, int type, const void *rdata, size_t rdlen)
{
    put16(p, 0xC000 | QNAME_OFFSET);
    put16(p, (unsigned)type);
    put16(p, ns_c_in);
    put16(p, 0);
    put16(p, 300);                      /* ttl */
    put16(p, (unsigned)rdlen);
    put(p, rdata, rdlen);
    p->ancount++;
}

static int finish(PACKET *p)
{
    p->b[6] = (unsigned char)(p->ancount >> 8);
    p->b[7] = (unsigned char)p->ancount;
    return (int)p->len;
}

static void normalize_lowercases_and_drops_one_trailing_dot(void **state)
{
    char a[] = "MX.Tempmail.TEST.", b[] = "mx.tempmail.test", c[] = ".", d[] = "";
    (void)state;
    dns_host_normalize(a);
    dns_host_normalize(b);
    dns_host_normalize(c);
    dns_host_normalize(d);
    assert_string_equal(a, "mx.tempmail.test");
    assert_string_equal(b, "mx.tempmail.test");
    assert_string_equal(c, "");
    assert_string_equal(d, "");
}

static void host_equal_ignores_case_and_trailing_dot(void **state)
{
    (void)state;
    assert_true(dns_host_equal("mx.tempmail.test.", "MX.tempmail.test"));
    assert_false(dns_host_equal("mx.tempmail.test", "mx.tempmail.test.evil"));
    assert_false(dns_host_equal("mx.tempmail.test", "x.tempmail.test"));
}

static void mx_answer_is_read_sorted_and_normalized(void **state)
{
    PACKET p;
    DNS_RECORD *r;
    size_t n;
    (void)state;

    start(&p, ns_r_noerror, ns_t_mx);
    /* 20 "MX2.Example.COM" written as a label and a pointer to example.com. */
    unsigned char mx2[] = { 0, 20, 3, 'M', 'X', '2', 0xC0, QNAME_OFFSET };
    answer(&p, ns_t_mx, mx2, sizeof(mx2));
    unsigned char mx1[] = { 0, 10, 2, 'm', 'x', 8, 't', 'e', 'm', 'p', 'm', 'a', 'i', 'l',
                            4, 't', 'e', 's', 't', 0 };
    answer(&p, ns_t_mx, mx1, sizeof(mx1));
    assert_int_equal(dns_parse_answer(p.b, finish(&p), ns_t_mx, &r, &n), DNS_FOUND);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].pref, 10);
    assert_string_equal(r[0].text, "mx.tempmail.test");
    assert_int_equal(r[1].pref, 20);
    assert_string_equal(r[1].text, "mx2.example.com");
    dns_records_free(r, n);
}

static void txt_strings_are_joined_and_cname_skipped(void **state)
{
    PACKET p;
    DNS_RECORD *r;
    size_t n;
    (void)state;

    start(&p, ns_r_noerror, ns_t_txt);
    unsigned char cname[] = { 3, 'w', 'w', 'w', 0xC0, QNAME_OFFSET };
    answer(&p, ns_t_cname, cname, sizeof(cname));
    unsigned char txt[] = { 9, 't', 'e', 'm', 'p', 'm', 'a', 'i', 'l', '-',
                            9, 'v', 'e', 'r', 'i', 'f', 'y', '=', 'a', 'b' };
    answer(&p, ns_t_txt, txt, sizeof(txt));
    unsigned char empty[] = { 0 };
    answer(&p, ns_t_txt, empty, sizeof(empty));
    assert_int_equal(dns_parse_answer(p.b, finish(&p), ns_t_txt, &r, &n), DNS_FOUND);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].text, "tempmail-verify=ab");
    assert_int_equal(r[0].pref, 0);
    assert_string_equal(r[1].text, "");
    dns_records_free(r, n);
}

static void nxdomain_and_nodata_are_none(void **state)
{
    PACKET p;
    DNS_RECORD *r;
    size_t n;
    (void)state;

    start(&p, ns_r_nxdomain, ns_t_mx);
    assert_int_equal(dns_parse_answer(p.b, finish(&p), ns_t_mx, &r, &n), DNS_NONE);
    assert_null(r);
    assert_int_equal(n, 0);

    start(&p, ns_r_noerror, ns_t_mx);
    assert_int_equal(dns_parse_answer(p.b, finish(&p), ns_t_mx, &r, &n), DNS_NONE);

    /* Only records of another type (a CNAME to nowhere): no MX either. */
    start(&p, ns_r_noerror, ns_t_mx);
    unsigned char cname[] = { 3, 'w', 'w', 'w', 0xC0, QNAME_OFFSET };
    answer(&p, ns_t_cname, cname, sizeof(cname));
    assert_int_equal(dns_parse_answer(p.b, finish(&p), ns_t_mx, &r, &n), DNS_NONE);
}

static void servfail_and_malformed_are_failures(void **state)
{
    PACKET p;
    DNS_RECORD *r;
    size_t n;
    (void)state;

    start(&p, ns_r_servfail, ns_t_txt);
    assert_int_equal(dns_parse_answer(p.b, finish(&p), ns_t_txt, &r, &n), DNS_EFAIL);

    start(&p, ns_r_refused, ns_t_txt);
    assert_int_equal(dns_parse_answer(p.b, finish(&p), ns_t_txt, &r, &n), DNS_EFAIL);

    /* A TXT string claiming more bytes than its record holds. */
    start(&p, ns_r_noerror, ns_t_txt);
    unsigned char bad[] = { 40, 'a', 'b' };
    answer(&p, ns_t_txt, bad, sizeof(bad));
    assert_int_equal(dns_parse_answer(p.b, finish(&p), ns_t_txt, &r, &n), DNS_EFAIL);
    assert_null(r);

    /* An MX whose name points past the message. */
    start(&p, ns_r_noerror, ns_t_mx);
    unsigned char mx[] = { 0, 10, 0xC1, 0xFF };
    answer(&p, ns_t_mx, mx, sizeof(mx));
    assert_int_equal(dns_parse_answer(p.b, finish(&p), ns_t_mx, &r, &n), DNS_EFAIL);

    /* A message cut short inside its records. */
    start(&p, ns_r_noerror, ns_t_mx);
    unsigned char mx1[] = { 0, 10, 2, 'm', 'x', 0 };
    answer(&p, ns_t_mx, mx1, sizeof(mx1));
    assert_int_equal(dns_parse_answer(p.b, finish(&p) - 3, ns_t_mx, &r, &n), DNS_EFAIL);
    assert_int_equal(dns_parse_answer(p.b, 0, ns_t_mx, &r, &n), DNS_EFAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalize_lowercases_and_drops_one_trailing_dot),
        cmocka_unit_test(host_equal_ignores_case_and_trailing_dot),
        cmocka_unit_test(mx_answer_is_read_sorted_and_normalized),
        cmocka_unit_test(txt_strings_are_joined_and_cname_skipped),
        cmocka_unit_test(nxdomain_and_nodata_are_none),
        cmocka_unit_test(servfail_and_malformed_are_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
