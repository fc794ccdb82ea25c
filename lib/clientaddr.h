#ifndef TEMPMAIL_CLIENTADDR_H
#define TEMPMAIL_CLIENTADDR_H

/*++
 * NAME
 *	clientaddr 3
 * SUMMARY
 *	the part of a client's address that per-address limits count
 * SYNOPSIS
 *	#include "clientaddr.h"
 *
 *	void	clientaddr_limit_key(const char *remote, char *out, size_t len);
 * DESCRIPTION
 *	An IPv6 host is given a /64 (RFC 6177: one subnet for one site), so a
 *	client that counted by its full address could make 2^64 free keys or
 *	sign-ups an hour. clientaddr_limit_key() writes the key a per-address
 *	limit counts remote under: an IPv4 address as it is (also when written
 *	IPv4-mapped, ::ffff:192.0.2.1), an IPv6 address as its /64
 *	("2001:db8:1:2::/64"), anything else as it is.
 *--*/

#include <stddef.h>

#define CLIENTADDR_KEY_MAX 64   /* INET6_ADDRSTRLEN and "/64", with room to spare */

extern void clientaddr_limit_key(const char *remote, char *out, size_t len);

#endif
