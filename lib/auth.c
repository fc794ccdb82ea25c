/*++
 * NAME
 *	auth 3
 * SUMMARY
 *	API keys, passwords and the master key (see auth.h)
 *--*/

#include <ctype.h>
#include <string.h>

#include "auth.h"
#include "config.h"

int auth_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

void auth_key_new(char *key)
{
    unsigned char raw[24];

    randombytes_buf(raw, sizeof(raw));
    memcpy(key, "al_", 3);
    sodium_bin2hex(key + 3, 49, raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
}

void auth_key_hash(const char *key, char *hex)
{
    unsigned char digest[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(digest, (const unsigned char *)key, strlen(key));
    sodium_bin2hex(hex, AUTH_HASH_HEX + 1, digest, sizeof(digest));
}

void auth_key_prefix(const char *key, char *prefix)
{
    size_t n = strnlen(key, AUTH_PREFIX_LEN);
    memcpy(prefix, key, n);
    prefix[n] = '\0';
}

int auth_key_well_formed(const char *key)
{
    if (strlen(key) != AUTH_KEY_LEN || strncmp(key, "al_", 3) != 0)
        return 0;
    for (const char *c = key + 3; *c; c++)
        if (!isxdigit((unsigned char)*c) || isupper((unsigned char)*c))
            return 0;
    return 1;
}

int auth_is_master(const char *key)
{
    char hex[AUTH_HASH_HEX + 1];

    if (cfg.master_key_hash == NULL || strlen(cfg.master_key_hash) != AUTH_HASH_HEX || key == NULL)
        return 0;
    auth_key_hash(key, hex);
    return sodium_memcmp(hex, cfg.master_key_hash, AUTH_HASH_HEX) == 0;
}

int auth_password_hash(const char *password, char *out)
{
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0 ? 0 : -1;
}

int auth_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}
