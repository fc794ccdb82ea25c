/*++
 * NAME
 *	fuzz_config 1
 * SUMMARY
 *	libFuzzer harness: lines of tempmail.conf (config_parse_line)
 * DESCRIPTION
 *	Each line of the input goes through config_parse_line() as
 *	config_load() hands it over (without its newline). An error must come
 *	with a message; a success leaves every string setting non-NULL and
 *	every number within its limits (checked through the known bounds of a
 *	few). cfg is reset per input, so inputs do not depend on each other.
 *--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    char err[256];

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    config_reset();
    for (char *line = in, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        err[0] = '\0';
        int rc = config_parse_line(line, err, sizeof(err));
        if (rc != 0 && (rc != -1 || err[0] == '\0'))
            abort();
    }
    if (!cfg.db_host || !cfg.db_name || !cfg.default_domain || !cfg.master_key_hash)
        abort();
    if (cfg.max_request_body < 0 || cfg.db_port < 0 || cfg.dns_port < 0)
        abort();
    free(in);
    return 0;
}
