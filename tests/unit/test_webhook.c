/* Unit tests of webhook: the URL rules, the signature, the internal addresses, the payload. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <sodium.h>

#include "config.h"
#include "webhook.h"

static int url_ok(const char *url)
{
    char canonical[WEBHOOK_URL_MAX + 1], why[160];
    return webhook_url_check(url, canonical, sizeof(canonical), why, sizeof(why)) == 0;
}

static void https_public_only_by_default(void **state)
{
    (void)state;
    config_reset();
    assert_true(url_ok("https://hooks.example.com/in?x=1"));
    assert_true(url_ok("HTTPS://Hooks.Example.com:8443/"));
    assert_false(url_ok("http://hooks.example.com/in"));
    assert_false(url_ok("ftp://hooks.example.com/in"));
    assert_false(url_ok("hooks.example.com/in"));
    assert_false(url_ok("https://hooks.example.com/a b"));
    assert_false(url_ok(""));
    /* loopback and private hosts need webhook_allow_internal, even over https */
    assert_false(url_ok("https://127.0.0.1/in"));
    assert_false(url_ok("http://127.0.0.1:8080/in"));
    assert_false(url_ok("http://localhost/in"));
    assert_false(url_ok("https://10.1.2.3/in"));
    assert_false(url_ok("https://192.168.0.1/in"));
    assert_false(url_ok("https://[::1]/in"));
    assert_false(url_ok("https://[fd00::1]/in"));
    assert_false(url_ok("https://169.254.169.254/latest"));
    assert_false(url_ok("https://[::ffff:127.0.0.1]/in"));
}

static void http_for_loopback_when_internal_is_allowed(void **state)
{
    char canonical[WEBHOOK_URL_MAX + 1], why[160];
    (void)state;
    config_reset();
    cfg.webhook_allow_internal = 1;
    assert_true(url_ok("http://127.0.0.1:8080/in"));
    assert_true(url_ok("http://[::1]:8080/in"));
    assert_true(url_ok("http://localhost/in"));
    assert_false(url_ok("http://10.1.2.3/in"));        /* private, but not loopback: https */
    assert_true(url_ok("https://10.1.2.3/in"));
    assert_int_equal(webhook_url_check("http://hooks.example.com/", canonical, sizeof(canonical),
                                       why, sizeof(why)), -1);
    assert_non_null(strstr(why, "https"));
    cfg.webhook_allow_http = 1;
    assert_true(url_ok("http://hooks.example.com/in"));
    config_reset();
}

static void internal_addresses(void **state)
{
    struct sockaddr_in v4 = { .sin_family = AF_INET };
    struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
    static const char *const inside[] = { "127.0.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255",
                                          "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                                          "224.0.0.1" };
    static const char *const outside[] = { "93.184.216.34", "172.32.0.1", "100.128.0.1", "8.8.8.8" };
    (void)state;
    for (size_t i = 0; i < sizeof(inside) / sizeof(*inside); i++) {
        inet_pton(AF_INET, inside[i], &v4.sin_addr);
        assert_true(webhook_address_internal((struct sockaddr *)&v4));
    }
    for (size_t i = 0; i < sizeof(outside) / sizeof(*outside); i++) {
        inet_pton(AF_INET, outside[i], &v4.sin_addr);
        assert_false(webhook_address_internal((struct sockaddr *)&v4));
    }
    inet_pton(AF_INET6, "::1", &v6.sin6_addr);
    assert_true(webhook_address_internal((struct sockaddr *)&v6));
    inet_pton(AF_INET6, "fe80::1", &v6.sin6_addr);
    assert_true(webhook_address_internal((struct sockaddr *)&v6));
    inet_pton(AF_INET6, "::ffff:10.0.0.1", &v6.sin6_addr);
    assert_true(webhook_address_internal((struct sockaddr *)&v6));
    inet_pton(AF_INET6, "2606:2800:220:1::1", &v6.sin6_addr);
    assert_false(webhook_address_internal((struct sockaddr *)&v6));
}

/* The documented scheme, against Python's hmac.new(secret, b"<ts>." + body, sha256). */
static void signature_matches_the_documented_scheme(void **state)
{
    char sig[WEBHOOK_SIGNATURE_SIZE], secret[WEBHOOK_SECRET_SIZE], other[WEBHOOK_SECRET_SIZE];
    const char *body = "{\"a\":1}";
    (void)state;
    webhook_sign("whsec_0123", 1700000000, body, strlen(body), sig);
    assert_string_equal(sig, "sha256=1a9d885d49d9ffca0910d910564325c28eb50173b0557e8f884bcfca744322c4");
    webhook_sign("whsec_0123", 1700000001, body, strlen(body), sig);
    assert_string_not_equal(sig, "sha256=1a9d885d49d9ffca0910d910564325c28eb50173b0557e8f884bcfca744322c4");
    webhook_secret_new(secret);
    webhook_secret_new(other);
    assert_int_equal(strlen(secret), 70);
    assert_memory_equal(secret, "whsec_", 6);
    assert_string_not_equal(secret, other);
}

static void payload_is_cut_past_its_limit(void **state)
{
    char *big = malloc(WEBHOOK_PAYLOAD_MAX + 10);
    STORE_MESSAGE m = { .id = 7, .uuid = "00000000-0000-0000-0000-000000000007",
                        .recipient = "a@b.example", .envelope_from = "x@y.example",
                        .header_from = "", .subject = "s", .message_id = "",
                        .body_text = "code 123456", .body_html = "",
                        .received_at = "2026-01-01 00:00:00.000" };
    size_t len;
    (void)state;
    char *p = webhook_payload(3, &m, &len);
    assert_non_null(strstr(p, "\"event\":\"message.received\""));
    assert_non_null(strstr(p, "\"webhook_id\":3"));
    assert_non_null(strstr(p, "\"from\":\"x@y.example\""));
    assert_non_null(strstr(p, "\"codes\":[\"123456\"]"));
    assert_non_null(strstr(p, "\"truncated\":false"));
    free(p);
    memset(big, 'a', WEBHOOK_PAYLOAD_MAX + 9);
    big[WEBHOOK_PAYLOAD_MAX + 9] = '\0';
    memcpy(big, "code 654321 ", 12);
    m.body_text = big;
    p = webhook_payload(3, &m, &len);
    assert_true(len < 4096);
    assert_non_null(strstr(p, "\"body\":\"\""));
    assert_non_null(strstr(p, "\"codes\":[\"654321\"]"));
    assert_non_null(strstr(p, "\"truncated\":true"));
    free(p);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(https_public_only_by_default),
        cmocka_unit_test(http_for_loopback_when_internal_is_allowed),
        cmocka_unit_test(internal_addresses),
        cmocka_unit_test(signature_matches_the_documented_scheme),
        cmocka_unit_test(payload_is_cut_past_its_limit),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
