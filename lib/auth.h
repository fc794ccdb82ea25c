#ifndef TEMPMAIL_AUTH_H
#define TEMPMAIL_AUTH_H

/*++
 * NAME
 *	auth 3
 * SUMMARY
 *	API keys, passwords and the master key
 * SYNOPSIS
 *	#include "auth.h"
 *
 *	int	auth_init(void);
 *	void	auth_key_new(char key[AUTH_KEY_LEN + 1]);
 *	void	auth_key_hash(const char *key, char hex[AUTH_HASH_HEX + 1]);
 *	void	auth_key_prefix(const char *key, char prefix[AUTH_PREFIX_LEN + 1]);
 *	int	auth_key_well_formed(const char *key);
 *	int	auth_is_master(const char *key);
 *	int	auth_password_hash(const char *password, char out[AUTH_PWHASH_LEN]);
 *	int	auth_password_verify(const char *hash, const char *password);
 * DESCRIPTION
 *	A key is "al_" and 48 lowercase hex digits (24 random bytes), one format
 *	for both API dialects. Keys are stored as the hex SHA-256 of the whole
 *	key: they are random, so a fast hash is enough, and a lookup by hash
 *	never compares secrets byte by byte. auth_is_master() compares the key's
 *	hash with cfg.master_key_hash in constant time; an empty setting means
 *	no master key.
 *
 *	Passwords are hashed with argon2id (crypto_pwhash_str, interactive
 *	limits); auth_password_verify() returns 1 on a match.
 * DIAGNOSTICS
 *	auth_init() returns -1 when libsodium cannot start. auth_password_hash()
 *	returns -1 when memory runs out.
 *--*/

#include <sodium.h>

#define AUTH_KEY_LEN        51      /* "al_" + 48 hex */
#define AUTH_HASH_HEX       64
#define AUTH_PREFIX_LEN     7       /* "al_a805" */
#define AUTH_PWHASH_LEN     crypto_pwhash_STRBYTES

extern int auth_init(void);
extern void auth_key_new(char *key);
extern void auth_key_hash(const char *key, char *hex);
extern void auth_key_prefix(const char *key, char *prefix);
extern int auth_key_well_formed(const char *key);
extern int auth_is_master(const char *key);
extern int auth_password_hash(const char *password, char *out);
extern int auth_password_verify(const char *hash, const char *password);

#endif
