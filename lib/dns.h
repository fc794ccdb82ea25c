#ifndef TEMPMAIL_DNS_H
#define TEMPMAIL_DNS_H

/*++
 * NAME
 *	dns 3
 * SUMMARY
 *	MX and TXT look-ups for custom-domain verification
 * SYNOPSIS
 *	#include "dns.h"
 *
 *	int	dns_mx(const char *domain, DNS_RECORD **records, size_t *count,
 *			char *err, size_t errlen);
 *	int	dns_txt(const char *domain, DNS_RECORD **records, size_t *count,
 *			char *err, size_t errlen);
 *	void	dns_records_free(DNS_RECORD *records, size_t count);
 *
 *	int	dns_parse_answer(const unsigned char *msg, int len, int type,
 *			DNS_RECORD **records, size_t *count);
 *	void	dns_host_normalize(char *name);
 *	int	dns_host_equal(const char *a, const char *b);
 * DESCRIPTION
 *	dns_mx() and dns_txt() ask the resolver at cfg.dns_server, port
 *	cfg.dns_port (the system's resolvers from /etc/resolv.conf when
 *	dns_server is empty) for the MX or TXT records of domain, without the
 *	search list. Each call has its own resolver state (res_ninit), so they
 *	are safe in threads. One query waits at most about 2 s per try, with
 *	2 tries, so a dead resolver costs a request seconds, not minutes.
 *
 *	On DNS_FOUND, *records is an array of *count records the caller frees
 *	with dns_records_free(). An MX record's text is the exchange host,
 *	normalized (lowercase, without the trailing dot) and its pref the
 *	preference, most preferred (lowest) first; a TXT record's text is its character-strings joined, as
 *	RFC 7208 reads them, and pref is 0. Records of other types in the answer
 *	(a CNAME chain) are skipped.
 *
 *	dns_parse_answer() is the pure part: it takes a DNS response message
 *	and returns the records of type (ns_t_mx or ns_t_txt) in its answer
 *	section, with the codes above. dns_host_normalize() lowercases a host
 *	name and drops one trailing dot; dns_host_equal() compares two host
 *	names that way.
 * DIAGNOSTICS
 *	DNS_FOUND (0): at least one record. DNS_NONE: the name does not exist
 *	(NXDOMAIN) or has no record of that type: an answer, not a failure.
 *	DNS_EFAIL: the resolver failed (timeout, refused, SERVFAIL, malformed
 *	answer, no memory, bad dns_server setting), with a reason in err for
 *	the log: the caller should tell its client to try again later.
 * CONFIGURATION PARAMETERS
 *	dns_server (empty: the system's), an IPv4 address; dns_port (53).
 *--*/

#include <stddef.h>

#define DNS_FOUND   0
#define DNS_NONE    1
#define DNS_EFAIL   (-1)

typedef struct dns_record {
    int pref;                   /* MX preference; 0 for TXT */
    char *text;                 /* MX: exchange host; TXT: the joined strings */
} DNS_RECORD;

extern int dns_mx(const char *domain, DNS_RECORD **records, size_t *count,
                  char *err, size_t errlen);
extern int dns_txt(const char *domain, DNS_RECORD **records, size_t *count,
                   char *err, size_t errlen);
extern void dns_records_free(DNS_RECORD *records, size_t count);

/* Pure helpers, exposed for the unit tests. */
extern int dns_parse_answer(const unsigned char *msg, int len, int type,
                            DNS_RECORD **records, size_t *count);
extern void dns_host_normalize(char *name);
extern int dns_host_equal(const char *a, const char *b);

#endif
