/*++
 * NAME
 *	dns 3
 * SUMMARY
 *	MX and TXT look-ups for custom-domain verification (see dns.h)
 * DESCRIPTION
 *	A thin layer over libresolv: res_ninit() on a private state, the
 *	configured server put in nsaddr_list[0], res_nquery(), and the answer
 *	walked with ns_initparse()/ns_parserr(). Nothing here caches: a
 *	verification wants what the DNS says now.
 *--*/

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dns.h"

#define DNS_TIMEOUT     2       /* seconds per try: a verification is a web request */
#define DNS_TRIES       2

void dns_host_normalize(char *name)
{
    size_t len;

    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if ((len = strlen(name)) > 0 && name[len - 1] == '.')
        name[len - 1] = '\0';
}

int dns_host_equal(const char *a, const char *b)
{
    char x[NS_MAXDNAME], y[NS_MAXDNAME];

    if (strlen(a) >= sizeof(x) || strlen(b) >= sizeof(y))
        return 0;
    strcpy(x, a);
    strcpy(y, b);
    dns_host_normalize(x);
    dns_host_normalize(y);
    return strcmp(x, y) == 0;
}

void dns_records_free(DNS_RECORD *records, size_t count)
{
    if (records == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(records[i].text);
    free(records);
}

/* The text of one MX or TXT record's data, malloc'ed; NULL when malformed or out of memory. */
static char *dns_rdata_text(const ns_msg *msg, const ns_rr *rr, int type, int *pref)
{
    const unsigned char *rd = ns_rr_rdata(*rr);
    size_t rdlen = ns_rr_rdlen(*rr);

    if (type == ns_t_mx) {
        char host[NS_MAXDNAME];
        if (rdlen < 3)
            return NULL;
        *pref = (int)ns_get16(rd);
        if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rd + 2, host, sizeof(host)) < 0)
            return NULL;
        dns_host_normalize(host);
        return strdup(host);
    }
    /* TXT: one or more <length><bytes> strings, read as one text (RFC 7208 3.3). */
    char *text = malloc(rdlen + 1), *out = text;
    if (text == NULL)
        return NULL;
    for (size_t at = 0; at < rdlen; ) {
        size_t n = rd[at++];
        if (n > rdlen - at) {
            free(text);
            return NULL;
        }
        memcpy(out, rd + at, n);
        out += n;
        at += n;
    }
    *out = '\0';
    *pref = 0;
    return text;
}

/* Most preferred (lowest) first, as a sending MTA tries them. */
static int dns_pref_order(const void *a, const void *b)
{
    const DNS_RECORD *x = a, *y = b;
    return (x->pref > y->pref) - (x->pref < y->pref);
}

int dns_parse_answer(const unsigned char *answer, int len, int type,
                     DNS_RECORD **records, size_t *count)
{
    ns_msg msg;
    ns_rr rr;

    *records = NULL;
    *count = 0;
    if (len <= 0 || ns_initparse(answer, len, &msg) < 0)
        return DNS_EFAIL;
    switch (ns_msg_getflag(msg, ns_f_rcode)) {
    case ns_r_noerror:
        break;
    case ns_r_nxdomain:
        return DNS_NONE;
    default:
        return DNS_EFAIL;
    }
    int n = ns_msg_count(msg, ns_s_an);
    DNS_RECORD *out = n > 0 ? calloc((size_t)n, sizeof(*out)) : NULL;
    if (n > 0 && out == NULL)
        return DNS_EFAIL;
    size_t got = 0;
    for (int i = 0; i < n; i++) {
        if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) {
            dns_records_free(out, got);
            return DNS_EFAIL;
        }
        /* The answer may start with the CNAME chain that led to the records. */
        if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in)
            continue;
        if ((out[got].text = dns_rdata_text(&msg, &rr, type, &out[got].pref)) == NULL) {
            dns_records_free(out, got);
            return DNS_EFAIL;
        }
        got++;
    }
    if (got == 0) {
        free(out);
        return DNS_NONE;
    }
    if (type == ns_t_mx)
        qsort(out, got, sizeof(*out), dns_pref_order);
    *records = out;
    *count = got;
    return DNS_FOUND;
}

static int dns_lookup(const char *domain, int type, DNS_RECORD **records, size_t *count,
                      char *err, size_t errlen)
{
    struct __res_state st;
    struct in_addr addr;
    unsigned char *answer;
    int len, rc;

    *records = NULL;
    *count = 0;
    if (cfg.dns_server && *cfg.dns_server && inet_pton(AF_INET, cfg.dns_server, &addr) != 1) {
        snprintf(err, errlen, "dns_server %s is not an IPv4 address", cfg.dns_server);
        return DNS_EFAIL;
    }
    memset(&st, 0, sizeof(st));
    if (res_ninit(&st) != 0) {
        snprintf(err, errlen, "res_ninit failed");
        return DNS_EFAIL;
    }
    st.retrans = DNS_TIMEOUT;
    st.retry = DNS_TRIES;
    if (cfg.dns_server && *cfg.dns_server) {
        /* nsaddr_list wins over the IPv6 slots of resolv.conf when sin_family is set. */
        memset(&st.nsaddr_list[0], 0, sizeof(st.nsaddr_list[0]));
        st.nsaddr_list[0].sin_family = AF_INET;
        st.nsaddr_list[0].sin_addr = addr;
        st.nsaddr_list[0].sin_port = htons((unsigned short)cfg.dns_port);
        st.nscount = 1;
    }
    if ((answer = malloc(NS_MAXMSG)) == NULL) {
        res_nclose(&st);
        snprintf(err, errlen, "out of memory");
        return DNS_EFAIL;
    }
    errno = 0;
    len = res_nquery(&st, domain, ns_c_in, type, answer, NS_MAXMSG);
    if (len < 0) {
        /* Not-found and no-data are answers; anything else means we learnt nothing. */
        int herr = st.res_h_errno;
        char why[96] = "";
        if (errno != 0)
            snprintf(why, sizeof(why), ": %m");
        rc = herr == HOST_NOT_FOUND || herr == NO_DATA ? DNS_NONE : DNS_EFAIL;
        if (rc == DNS_EFAIL)
            snprintf(err, errlen, "%s %s: %s%s", type == ns_t_mx ? "MX" : "TXT", domain,
                     hstrerror(herr), why);
    } else {
        rc = dns_parse_answer(answer, len < NS_MAXMSG ? len : NS_MAXMSG, type, records, count);
        if (rc == DNS_EFAIL)
            snprintf(err, errlen, "%s %s: malformed answer, or out of memory",
                     type == ns_t_mx ? "MX" : "TXT", domain);
    }
    free(answer);
    res_nclose(&st);
    return rc;
}

int dns_mx(const char *domain, DNS_RECORD **records, size_t *count, char *err, size_t errlen)
{
    return dns_lookup(domain, ns_t_mx, records, count, err, errlen);
}

int dns_txt(const char *domain, DNS_RECORD **records, size_t *count, char *err, size_t errlen)
{
    return dns_lookup(domain, ns_t_txt, records, count, err, errlen);
}
