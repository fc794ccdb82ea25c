/*++
 * NAME
 *	fuzz_address 1
 * SUMMARY
 *	libFuzzer harness: address and domain validation (lib/address.c)
 * DESCRIPTION
 *	address_split(), address_valid_local() and address_valid_domain() over
 *	any bytes, with the buffer sizes the routes use. What they accept must
 *	keep their own promises: a valid local part is 1 to 64 of [a-z0-9._+-]
 *	(after the lowercasing split does) with no "..", a split address
 *	rejoins to the lowercased input.
 *--*/

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    char local[65], domain[254];

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';

    if (address_valid_local(in)) {
        size_t n = strlen(in);
        check(n >= 1 && n <= 64 && strstr(in, "..") == NULL);
        check(strspn(in, "abcdefghijklmnopqrstuvwxyz0123456789._+-") == n);
    }
    if (address_valid_domain(in))
        check(strlen(in) <= 253 && strchr(in, '.') != NULL && strchr(in, '@') == NULL);
    if (address_split(in, local, sizeof(local), domain, sizeof(domain))) {
        char joined[ADDRESS_MAX + 2];
        check(address_valid_local(local) && address_valid_domain(domain));
        snprintf(joined, sizeof(joined), "%s@%s", local, domain);
        address_lowercase(in);
        check(strcmp(joined, in) == 0);
    }
    /* Small buffers must make the split fail, never overflow. */
    (void)address_split(in, local, 4, domain, 4);
    free(in);
    return 0;
}
