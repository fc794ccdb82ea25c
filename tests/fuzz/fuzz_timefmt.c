/*++
 * NAME
 *	fuzz_timefmt 1
 * SUMMARY
 *	libFuzzer harness: ISO 8601 from clients (timefmt_from_iso, lib/timefmt.c)
 * DESCRIPTION
 *	The since parameter of the aurelion routes arrives as any text up to
 *	63 bytes. What timefmt_from_iso() accepts must come out as SQL text
 *	"YYYY-MM-DD hh:mm:ss.mmm" and go back through timefmt_to_iso().
 *--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    char sql[32], iso[40], tiny[8];

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    if (timefmt_from_iso(in, sql, sizeof(sql)) == 0) {
        if (strlen(sql) != 23 || sql[4] != '-' || sql[10] != ' ' || sql[19] != '.')
            abort();
        if (timefmt_to_iso(sql, 1, iso, sizeof(iso)) != 0)
            abort();
    }
    (void)timefmt_from_iso(in, tiny, sizeof(tiny));
    (void)timefmt_to_iso(in, 1, iso, sizeof(iso));
    (void)timefmt_to_iso(in, 0, tiny, sizeof(tiny));
    free(in);
    return 0;
}
