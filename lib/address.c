/*++
 * NAME
 *	address 3
 * SUMMARY
 *	mailbox addresses (see address.h)
 *--*/

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "address.h"
#include "config.h"

static const char *const address_adjectives[] = {
    "bold", "calm", "brave", "bright", "swift", "quiet", "happy", "lucky", "sunny", "gentle",
    "clever", "eager", "fancy", "jolly", "kind", "lively", "merry", "noble", "proud", "silly",
    "witty", "zesty", "amber", "azure", "coral", "crimson", "golden", "ivory", "jade", "misty",
    "rapid", "rustic", "silent", "silver", "smooth", "solar", "stormy", "tidy", "vivid", "wild",
};

static const char *const address_nouns[] = {
    "wave", "river", "stone", "cloud", "forest", "meadow", "falcon", "otter", "tiger", "maple",
    "harbor", "comet", "breeze", "canyon", "ember", "fjord", "glacier", "island", "lagoon", "mesa",
    "orbit", "pebble", "prairie", "quartz", "reef", "ridge", "spark", "summit", "thunder", "valley",
    "willow", "cedar", "dune", "echo", "flame", "grove", "lotus", "nova", "pine", "raven",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void address_random_local(char *out)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

    for (int i = 0; i < ADDRESS_RANDOM_LEN; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[ADDRESS_RANDOM_LEN] = '\0';
}

void address_words_local(char *out, size_t len)
{
    snprintf(out, len, "%s.%s%04u",
             address_adjectives[randombytes_uniform(NELEM(address_adjectives))],
             address_nouns[randombytes_uniform(NELEM(address_nouns))],
             (unsigned)randombytes_uniform(10000));
}

void address_lowercase(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

int address_valid_local(const char *local)
{
    size_t len = strlen(local);

    if (len == 0 || len > 64)
        return 0;
    if (!isalnum((unsigned char)local[0]) || !isalnum((unsigned char)local[len - 1]))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)local[i];
        if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-' || c == '+'))
            return 0;
        if (c == '.' && local[i + 1] == '.')
            return 0;
    }
    return 1;
}

/*
 * Role mailboxes: RFC 2142's names, and the ones a certificate authority may mail to
 * prove control of a domain (CA/Browser Forum Baseline Requirements 3.2.2.4.4: admin,
 * administrator, webmaster, hostmaster, postmaster). Whoever could read mail to one of
 * them on the operator's domain could get a TLS certificate for it.
 */
static const char *const address_roles[] = {
    "abuse", "admin", "administrator", "ftp", "hostmaster", "info", "mailer-daemon",
    "marketing", "news", "noc", "postmaster", "root", "sales", "security", "ssladmin",
    "support", "usenet", "uucp", "webmaster", "www",
};

#define ADDRESS_NROLES (sizeof(address_roles) / sizeof(address_roles[0]))

/*
 * The reserved words one at a time: the built-in roles, then the words of extra.
 * 1 with *word and *len set, 0 past the last; *at (0 to begin) keeps the place.
 */
static int address_reserved_next(const char *extra, size_t *at, const char **rest,
                                 const char **word, size_t *len)
{
    if (*at < ADDRESS_NROLES) {
        *word = address_roles[(*at)++];
        *len = strlen(*word);
        if (*at == ADDRESS_NROLES)
            *rest = extra != NULL ? extra : "";
        return 1;
    }
    return config_list_next(rest, word, len);
}

int address_reserved_local(const char *local, const char *extra)
{
    /* "admin+x" reaches admin wherever '+' marks a subaddress. */
    size_t base = strcspn(local, "+"), at = 0, len;
    const char *rest = "", *word;

    while (address_reserved_next(extra, &at, &rest, &word, &len))
        if (len == base && strncasecmp(word, local, len) == 0)
            return 1;
    return 0;
}

int address_reserved_regex(const char *extra, char *re, size_t size)
{
    size_t at = 0, len, out = 2;
    const char *rest = "", *word;

    if (size < 5)
        return -1;
    memcpy(re, "^(", 2);
    while (address_reserved_next(extra, &at, &rest, &word, &len)) {
        if (out > 2)
            re[out++] = '|';
        for (size_t i = 0; i < len; i++) {
            if (out + 4 >= size)            /* room for an escape, the byte and ")$" */
                return -1;
            if (!isalnum((unsigned char)word[i]))
                re[out++] = '\\';
            re[out++] = (char)tolower((unsigned char)word[i]);
        }
    }
    if (out + 3 > size)
        return -1;
    memcpy(re + out, ")$", 3);
    return 0;
}

int address_valid_domain(const char *domain)
{
    size_t len = strlen(domain);
    int labels = 0;

    if (len == 0 || len > 253)
        return 0;
    for (const char *label = domain; ; ) {
        size_t n = strcspn(label, ".");
        if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-')
            return 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)label[i];
            if (!(islower(c) || isdigit(c) || c == '-'))
                return 0;
        }
        labels++;
        if (label[n] == '\0')
            break;
        label += n + 1;
    }
    return labels >= 2;
}

int address_split(const char *address, char *local, size_t local_len,
                  char *domain, size_t domain_len)
{
    const char *at = strrchr(address, '@');

    if (at == NULL || strlen(address) > ADDRESS_MAX)
        return 0;
    size_t l = (size_t)(at - address), d = strlen(at + 1);
    if (l >= local_len || d >= domain_len)
        return 0;
    memcpy(local, address, l);
    local[l] = '\0';
    memcpy(domain, at + 1, d + 1);
    address_lowercase(local);
    address_lowercase(domain);
    return address_valid_local(local) && address_valid_domain(domain);
}
