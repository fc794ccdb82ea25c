#ifndef TEMPMAIL_ADDRESS_H
#define TEMPMAIL_ADDRESS_H

/*++
 * NAME
 *	address 3
 * SUMMARY
 *	mailbox addresses: generate local parts, validate, split
 * SYNOPSIS
 *	#include "address.h"
 *
 *	void	address_random_local(char out[ADDRESS_RANDOM_LEN + 1]);
 *	void	address_words_local(char *out, size_t len);
 *	int	address_valid_local(const char *local);
 *	int	address_reserved_local(const char *local, const char *extra);
 *	int	address_reserved_regex(const char *extra, char *re, size_t size);
 *	int	address_valid_domain(const char *domain);
 *	int	address_split(const char *address, char *local, size_t local_len,
 *			char *domain, size_t domain_len);
 *	void	address_lowercase(char *s);
 * DESCRIPTION
 *	address_random_local() makes ten characters of [a-z0-9] ("xk9mq2jfat",
 *	the leveragers style); address_words_local() makes adjective.noun and
 *	four digits ("bold.wave4404", the aurelion style), from the word lists
 *	in address.c. Both use libsodium's generator.
 *
 *	address_valid_local() accepts what tempmail hands out and what a client
 *	may ask for as a prefix: 1 to 64 of [a-z0-9._+-], starting and ending
 *	with a letter or digit, no "..". address_reserved_local() is 1 for a
 *	role mailbox that tempmail never hands out on any domain: RFC 2142's
 *	names and the ones certificate authorities mail to validate a domain
 *	(postmaster, hostmaster, webmaster, admin, administrator, ...), root,
 *	and the words of extra (the operator's reserved_local_parts, comma or
 *	blank separated; NULL for none), compared without case and without a
 *	"+subaddress". address_reserved_regex() writes the same names as a
 *	regular expression for a local part without its subaddress
 *	("^(abuse|admin|...)$", all but letters and digits escaped) into re:
 *	0, or -1 when size is too small. address_valid_domain() accepts a
 *	lowercase host name of two or more labels. address_split() lowercases
 *	a whole address into its parts and validates both.
 * DIAGNOSTICS
 *	The validators and address_split() return 1 for valid, 0 otherwise.
 *--*/

#include <stddef.h>

#define ADDRESS_RANDOM_LEN  10
#define ADDRESS_MAX         320

extern void address_random_local(char *out);
extern void address_words_local(char *out, size_t len);
extern int address_valid_local(const char *local);
extern int address_reserved_local(const char *local, const char *extra);
extern int address_reserved_regex(const char *extra, char *re, size_t size);
extern int address_valid_domain(const char *domain);
extern int address_split(const char *address, char *local, size_t local_len,
                         char *domain, size_t domain_len);
extern void address_lowercase(char *s);

#endif
