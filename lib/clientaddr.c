/*
 * clientaddr.c - the part of a client's address that per-address limits count;
 * see clientaddr.h.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "clientaddr.h"

void clientaddr_limit_key(const char *remote, char *out, size_t len)
{
    struct in6_addr a6;
    char text[INET6_ADDRSTRLEN];

    if (inet_pton(AF_INET6, remote, &a6) != 1) {
        snprintf(out, len, "%s", remote);
        return;
    }
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof(text));
        snprintf(out, len, "%s", text);
        return;
    }
    memset(&a6.s6_addr[8], 0, 8);
    inet_ntop(AF_INET6, &a6, text, sizeof(text));
    snprintf(out, len, "%s/64", text);
}
