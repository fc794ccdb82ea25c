/* Unit tests of address: generators and validators of mailbox addresses. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <ctype.h>
#include <cmocka.h>

#include <sodium.h>

#include "address.h"

static void random_local_is_ten_of_a_z_0_9(void **state)
{
    char a[ADDRESS_RANDOM_LEN + 1], b[ADDRESS_RANDOM_LEN + 1];
    (void)state;
    address_random_local(a);
    address_random_local(b);
    assert_int_equal(strlen(a), 10);
    assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789"), 10);
    assert_string_not_equal(a, b);
    assert_true(address_valid_local(a));
}

static void words_local_is_adjective_dot_noun_and_four_digits(void **state)
{
    char local[64];
    (void)state;
    for (int i = 0; i < 200; i++) {
        address_words_local(local, sizeof(local));
        const char *dot = strchr(local, '.');
        assert_non_null(dot);
        size_t len = strlen(local);
        assert_true(len > 6);
        for (size_t k = len - 4; k < len; k++)
            assert_true(isdigit((unsigned char)local[k]));
        assert_false(isdigit((unsigned char)local[len - 5]));
        for (const char *c = local; c < dot; c++)
            assert_true(islower((unsigned char)*c));
        assert_true(address_valid_local(local));
    }
}

static void local_parts(void **state)
{
    (void)state;
    assert_true(address_valid_local("test"));
    assert_true(address_valid_local("a.b-c_d+e"));
    assert_true(address_valid_local("x"));
    assert_false(address_valid_local(""));
    assert_false(address_valid_local(".test"));
    assert_false(address_valid_local("test."));
    assert_false(address_valid_local("a..b"));
    assert_false(address_valid_local("Test"));
    assert_false(address_valid_local("a b"));
    assert_false(address_valid_local("a@b"));
    assert_false(address_valid_local("../etc"));
    assert_false(address_valid_local("a'; DROP TABLE x; --"));
    char long_local[80];
    memset(long_local, 'a', 65);
    long_local[65] = '\0';
    assert_false(address_valid_local(long_local));
    long_local[64] = '\0';
    assert_true(address_valid_local(long_local));
}

static void domains(void **state)
{
    (void)state;
    assert_true(address_valid_domain("tempmail.test"));
    assert_true(address_valid_domain("mx-1.example.co.uk"));
    assert_false(address_valid_domain("localhost"));
    assert_false(address_valid_domain("-a.test"));
    assert_false(address_valid_domain("a-.test"));
    assert_false(address_valid_domain("a..test"));
    assert_false(address_valid_domain("a.test."));
    assert_false(address_valid_domain("Example.com"));
    assert_false(address_valid_domain("exa_mple.com"));
    assert_false(address_valid_domain(""));
}

static void split_lowercases_and_validates(void **state)
{
    char local[65], domain[254];
    (void)state;
    assert_true(address_split("Bold.Wave4404@Tempmail.TEST", local, sizeof(local), domain, sizeof(domain)));
    assert_string_equal(local, "bold.wave4404");
    assert_string_equal(domain, "tempmail.test");
    assert_false(address_split("no-at-sign", local, sizeof(local), domain, sizeof(domain)));
    assert_false(address_split("@tempmail.test", local, sizeof(local), domain, sizeof(domain)));
    assert_false(address_split("a@b", local, sizeof(local), domain, sizeof(domain)));
}

static void role_names_are_reserved_on_every_domain(void **state)
{
    (void)state;
    /* CA/Browser Forum 3.2.2.4.4's and RFC 2142's names, and root. */
    const char *roles[] = { "admin", "administrator", "webmaster", "hostmaster", "postmaster",
                            "abuse", "noc", "security", "info", "support", "sales", "root" };
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        assert_true(address_reserved_local(roles[i], NULL));
    assert_true(address_reserved_local("PostMaster", NULL));
    assert_true(address_reserved_local("admin+certs", NULL));
    assert_false(address_reserved_local("administrator2", NULL));
    assert_false(address_reserved_local("my.admin", NULL));
    assert_false(address_reserved_local("xk9mq2jfat", NULL));
    assert_false(address_reserved_local("", NULL));
}

static void the_operators_list_is_reserved_too(void **state)
{
    (void)state;
    const char *list = " billing,  Legal\tdpo ,";
    assert_true(address_reserved_local("billing", list));
    assert_true(address_reserved_local("legal", list));
    assert_true(address_reserved_local("dpo+x", list));
    assert_false(address_reserved_local("bill", list));
    assert_false(address_reserved_local("billings", list));
    assert_false(address_reserved_local("billing", ""));
    char re[512];
    assert_int_equal(address_reserved_regex(list, re, sizeof(re)), 0);
    assert_non_null(strstr(re, "^(abuse|admin|administrator|"));
    assert_non_null(strstr(re, "|postmaster|"));
    assert_non_null(strstr(re, "|billing|legal|dpo)$"));
    assert_int_equal(address_reserved_regex("mail-admin", re, sizeof(re)), 0);
    assert_non_null(strstr(re, "|mail\\-admin)$"));
    assert_int_equal(address_reserved_regex(NULL, re, 40), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_local_is_ten_of_a_z_0_9),
        cmocka_unit_test(words_local_is_adjective_dot_noun_and_four_digits),
        cmocka_unit_test(local_parts),
        cmocka_unit_test(domains),
        cmocka_unit_test(split_lowercases_and_validates),
        cmocka_unit_test(role_names_are_reserved_on_every_domain),
        cmocka_unit_test(the_operators_list_is_reserved_too),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests_name("address", tests, NULL, NULL);
}
