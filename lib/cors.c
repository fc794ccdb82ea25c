/*
 * cors.c - which pages of other sites may call the API from a browser; see cors.h.
 */

#include <string.h>
#include <strings.h>

#include "config.h"
#include "cors.h"

/* Routes a web session's cookie authenticates: never shared with another site. */
static const char *const cors_session_prefixes[] = {
    "/api/account/register", "/api/account/login", "/api/account/logout", "/api/admin/",
};

int cors_shared_path(const char *path)
{
    if (strncmp(path, "/api/", 5) != 0)
        return 0;
    for (size_t i = 0; i < sizeof(cors_session_prefixes) / sizeof(cors_session_prefixes[0]); i++)
        if (strncmp(path, cors_session_prefixes[i], strlen(cors_session_prefixes[i])) == 0)
            return 0;
    return 1;
}

int cors_origin_allowed(const char *allowed, const char *origin)
{
    size_t len = origin != NULL ? strlen(origin) : 0, n;
    const char *word;

    if (len == 0 || allowed == NULL)
        return 0;
    while (config_list_next(&allowed, &word, &n))
        if ((n == 1 && *word == '*') || (n == len && strncasecmp(word, origin, n) == 0))
            return 1;
    return 0;
}
