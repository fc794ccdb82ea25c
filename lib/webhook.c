/*++
 * NAME
 *	webhook 3
 * SUMMARY
 *	webhook targets, secrets, signatures and payloads (see webhook.h)
 * DESCRIPTION
 *	URLs are parsed by libcurl's own URL parser, so that what is checked
 *	here is exactly what the worker will request.
 *--*/

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json.h>
#include <sodium.h>

#include "config.h"
#include "inbox.h"
#include "log.h"
#include "webhook.h"

/* 1 when the IPv4 address (host order) is not a public unicast one. */
static int webhook_v4_internal(uint32_t a)
{
    return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127   /* this net, 10/8, loopback */
        || (a & 0xffc00000u) == 0x64400000u                         /* 100.64/10, shared */
        || (a & 0xffff0000u) == 0xa9fe0000u                         /* 169.254/16, link-local */
        || (a & 0xfff00000u) == 0xac100000u                         /* 172.16/12 */
        || (a & 0xffff0000u) == 0xc0a80000u                         /* 192.168/16 */
        || (a >> 28) >= 0xe;                                        /* multicast, reserved */
}

static int webhook_v6_internal(const struct in6_addr *a)
{
    const unsigned char *b = a->s6_addr;

    if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
        return webhook_v4_internal((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16
                                   | (uint32_t)b[14] << 8 | b[15]);
    return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a)
        || (b[0] & 0xfe) == 0xfc                                    /* fc00::/7, unique local */
        || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)                  /* fe80::/10, link-local */
        || b[0] == 0xff;                                            /* multicast */
}

int webhook_address_internal(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return webhook_v4_internal(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return webhook_v6_internal(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 1;                           /* anything else is nobody's public web server */
}

/*
 * Classify a URL's host as curl gives it ("[::1]" for IPv6): *loopback and
 * *internal are set for a loopback or private address literal, or localhost.
 */
static void webhook_host_kind(const char *host, int *loopback, int *internal)
{
    char literal[64];
    struct in_addr v4;
    struct in6_addr v6;
    size_t len = strlen(host);

    *loopback = *internal = 0;
    if (strcasecmp(host, "localhost") == 0
        || (len > 10 && strcasecmp(host + len - 10, ".localhost") == 0)) {
        *loopback = *internal = 1;
        return;
    }
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(literal)) {
        memcpy(literal, host + 1, len - 2);
        literal[len - 2] = '\0';
        char *zone = strchr(literal, '%');
        if (zone != NULL)
            *zone = '\0';
        if (inet_pton(AF_INET6, literal, &v6) == 1) {
            *loopback = IN6_IS_ADDR_LOOPBACK(&v6)
                || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
            *internal = webhook_v6_internal(&v6);
        }
        return;
    }
    if (inet_pton(AF_INET, host, &v4) == 1) {
        *loopback = (ntohl(v4.s_addr) >> 24) == 127;
        *internal = webhook_v4_internal(ntohl(v4.s_addr));
    }
}

int webhook_url_check(const char *url, char *canonical, size_t canonical_len,
                      char *why, size_t why_len)
{
    CURLU *u;
    char *scheme = NULL, *host = NULL, *full = NULL;
    int rc = -1;

    if (strlen(url) > WEBHOOK_URL_MAX) {
        snprintf(why, why_len, "Invalid url: at most %d characters", WEBHOOK_URL_MAX);
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f) {
            snprintf(why, why_len, "Invalid url: no spaces or control characters");
            return -1;
        }
    if ((u = curl_url()) == NULL)
        log_fatal("out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
        snprintf(why, why_len, "Invalid url: want an absolute https:// URL");
        goto done;
    }
    int https = strcmp(scheme, "https") == 0;
    if (!https && strcmp(scheme, "http") != 0) {
        snprintf(why, why_len, "Invalid url: want an absolute https:// URL");
        goto done;
    }
    int loopback, internal;
    webhook_host_kind(host, &loopback, &internal);
    if (!https && !loopback && !cfg.webhook_allow_http) {
        snprintf(why, why_len, "Invalid url: use https:// (http:// is for loopback hosts only)");
        goto done;
    }
    if (internal && !cfg.webhook_allow_internal) {
        snprintf(why, why_len, "Invalid url: loopback and private addresses are not allowed");
        goto done;
    }
    if (strlen(full) >= canonical_len || strlen(full) > WEBHOOK_URL_MAX) {
        snprintf(why, why_len, "Invalid url: at most %d characters", WEBHOOK_URL_MAX);
        goto done;
    }
    snprintf(canonical, canonical_len, "%s", full);
    rc = 0;
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(full);
    curl_url_cleanup(u);
    return rc;
}

void webhook_secret_new(char out[WEBHOOK_SECRET_SIZE])
{
    unsigned char raw[32];

    randombytes_buf(raw, sizeof(raw));
    memcpy(out, "whsec_", 6);
    sodium_bin2hex(out + 6, WEBHOOK_SECRET_SIZE - 6, raw, sizeof(raw));
}

void webhook_sign(const char *secret, long long timestamp, const char *body, size_t len,
                  char out[WEBHOOK_SIGNATURE_SIZE])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char stamp[24];

    int n = snprintf(stamp, sizeof(stamp), "%lld.", timestamp);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)stamp, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof(st));
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, WEBHOOK_SIGNATURE_SIZE - 7, mac, sizeof(mac));
}

/* The payload object; with full 0, body and html left empty. */
static char *webhook_render(unsigned long long webhook_id, const STORE_MESSAGE *m, int full,
                            size_t *len)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "event", json_object_new_string(WEBHOOK_EVENT));
    json_object_object_add(o, "webhook_id", json_object_new_int64((int64_t)webhook_id));
    json_object_object_add(o, "address", json_object_new_string(m->recipient));
    json_object_object_add(o, "uuid", json_object_new_string(m->uuid));
    json_object *msg = inbox_message_json(m);
    json_object_object_foreach(msg, key, value) {
        int cut = !full && (strcmp(key, "body") == 0 || strcmp(key, "html") == 0);
        json_object_object_add(o, key, cut ? json_object_new_string("") : json_object_get(value));
    }
    json_object_put(msg);
    json_object_object_add(o, "truncated", json_object_new_boolean(!full));
    size_t n;
    const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN
                                                         | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *copy = malloc(n + 1);
    if (copy == NULL || text == NULL)
        log_fatal("out of memory");
    memcpy(copy, text, n + 1);
    json_object_put(o);
    *len = n;
    return copy;
}

char *webhook_payload(unsigned long long webhook_id, const STORE_MESSAGE *m, size_t *len)
{
    char *text = webhook_render(webhook_id, m, 1, len);

    if (*len <= WEBHOOK_PAYLOAD_MAX)
        return text;
    free(text);
    return webhook_render(webhook_id, m, 0, len);
}
