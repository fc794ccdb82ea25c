/* Unit tests of auth: key format and hashing, passwords, the master key. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth.h"
#include "config.h"
#include "reply.h"

static void keys_are_al_and_48_hex(void **state)
{
    char a[AUTH_KEY_LEN + 1], b[AUTH_KEY_LEN + 1];
    (void)state;
    auth_key_new(a);
    auth_key_new(b);
    assert_int_equal(strlen(a), 51);
    assert_memory_equal(a, "al_", 3);
    assert_int_equal(strspn(a + 3, "0123456789abcdef"), 48);
    assert_string_not_equal(a, b);
    assert_true(auth_key_well_formed(a));
    assert_false(auth_key_well_formed("al_A805D555D3B875D4A88605219BAE4A6261BABDDEBFC1F8C9"));
    assert_false(auth_key_well_formed("al_a805"));
    assert_false(auth_key_well_formed(""));
}

static void hash_and_prefix(void **state)
{
    char hex[AUTH_HASH_HEX + 1], prefix[AUTH_PREFIX_LEN + 1];
    (void)state;
    /* SHA-256("abc"), the FIPS 180-2 test vector. */
    auth_key_hash("abc", hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    auth_key_prefix("al_a805d555d3b875d4a88605219bae4a6261babddebfc1f8c9", prefix);
    assert_string_equal(prefix, "al_a805");
}

static void master_key(void **state)
{
    char err[128], line[128], hex[AUTH_HASH_HEX + 1];
    (void)state;
    config_reset();
    assert_false(auth_is_master("al_a805d555d3b875d4a88605219bae4a6261babddebfc1f8c9"));
    auth_key_hash("al_a805d555d3b875d4a88605219bae4a6261babddebfc1f8c9", hex);
    snprintf(line, sizeof(line), "master_key_hash = %s", hex);
    assert_int_equal(config_parse_line(line, err, sizeof(err)), 0);
    assert_true(auth_is_master("al_a805d555d3b875d4a88605219bae4a6261babddebfc1f8c9"));
    assert_false(auth_is_master("al_a805d555d3b875d4a88605219bae4a6261babddebfc1f8c8"));
    assert_false(auth_is_master(NULL));
    config_reset();
}

static void passwords(void **state)
{
    char hash[AUTH_PWHASH_LEN];
    (void)state;
    assert_int_equal(auth_password_hash("correct horse", hash), 0);
    assert_memory_equal(hash, "$argon2id$", 10);
    assert_true(auth_password_verify(hash, "correct horse"));
    assert_false(auth_password_verify(hash, "correct horsE"));
}

static void decimals_print_exactly(void **state)
{
    (void)state;
    struct { const char *in, *out; } cases[] = {
        { "0.999000", "0.999" }, { "100.000000", "100" }, { "0.000000", "0" },
        { "12.340000", "12.34" }, { "99.999999", "99.999999" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *n = reply_decimal(cases[i].in);
        assert_string_equal(json_object_to_json_string(n), cases[i].out);
        json_object_put(n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_are_al_and_48_hex),
        cmocka_unit_test(hash_and_prefix),
        cmocka_unit_test(master_key),
        cmocka_unit_test(passwords),
        cmocka_unit_test(decimals_print_exactly),
    };
    if (auth_init() != 0)
        return 1;
    return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
