/*++
 * NAME
 *	fuzz_dns 1
 * SUMMARY
 *	libFuzzer harness: DNS answers from the resolver (dns_parse_answer)
 * DESCRIPTION
 *	Domain verification parses whatever the resolver sends back, and the
 *	resolver passes on what the customer's name servers say. The input is
 *	one DNS response message, parsed for MX and for TXT records; found
 *	records must have text, and dns_host_normalize/dns_host_equal take
 *	the MX hosts as domains.c does.
 *--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/nameser.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int types[] = { ns_t_mx, ns_t_txt };

    if (size > 65535)
        return 0;
    for (size_t t = 0; t < 2; t++) {
        DNS_RECORD *records = NULL;
        size_t count = 0;
        int rc = dns_parse_answer(data, (int)size, types[t], &records, &count);
        if (rc != DNS_FOUND && rc != DNS_NONE && rc != DNS_EFAIL)
            abort();
        if (rc == DNS_FOUND && (records == NULL || count == 0))
            abort();
        for (size_t i = 0; rc == DNS_FOUND && i < count; i++) {
            if (records[i].text == NULL)
                abort();
            (void)dns_host_equal(records[i].text, "mx.tempmail.test");
        }
        if (rc == DNS_FOUND)
            dns_records_free(records, count);
    }
    return 0;
}
