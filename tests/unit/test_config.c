/* Unit tests of config: the tempmail.conf reader. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static void defaults(void **state)
{
    (void)state;
    config_reset();
    assert_string_equal(cfg.address_price, "0.001");
    assert_int_equal(cfg.message_ttl, 900);
    assert_int_equal(cfg.max_message_size, 25 * 1024 * 1024);
    assert_int_equal(cfg.rate_free, 100);
    assert_int_equal(cfg.rate_pro, 1000);
    assert_int_equal(cfg.event_stream_ping_seconds, 15);
}

static void lines(void **state)
{
    char err[256];
    (void)state;
    config_reset();
    assert_int_equal(config_parse_line("  # a comment", err, sizeof(err)), 0);
    assert_int_equal(config_parse_line("", err, sizeof(err)), 0);
    assert_int_equal(config_parse_line("default_domain = example.org  \n", err, sizeof(err)), 0);
    assert_string_equal(cfg.default_domain, "example.org");
    assert_int_equal(config_parse_line("db_password=with = sign", err, sizeof(err)), 0);
    assert_string_equal(cfg.db_password, "with = sign");
    assert_int_equal(config_parse_line("message_ttl = 60", err, sizeof(err)), 0);
    assert_int_equal(cfg.message_ttl, 60);

    assert_int_equal(config_parse_line("no_such_key = 1", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown parameter"));
    assert_int_equal(config_parse_line("message_ttl = soon", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "message_ttl"));
    assert_int_equal(config_parse_line("message_ttl = 1", err, sizeof(err)), -1);
    assert_int_equal(config_parse_line("just words", err, sizeof(err)), -1);
    config_reset();
}

static void load_file(void **state)
{
    char path[] = "/tmp/tempmail-conf-XXXXXX", err[512];
    (void)state;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs("# sample\ndb_name = tm\nrate_free = 5\n\nbogus line\n", fp);
    fclose(fp);
    assert_int_equal(config_load(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":5:"));            /* the file and line are named */

    fp = fopen(path, "w");
    fputs("db_name = tm\nrate_free = 5\n", fp);
    fclose(fp);
    assert_int_equal(config_load(path, err, sizeof(err)), 0);
    assert_string_equal(cfg.db_name, "tm");
    assert_int_equal(cfg.rate_free, 5);
    unlink(path);
    assert_int_equal(config_load("/nonexistent/tempmail.conf", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/tempmail.conf"));
    config_reset();
}

/* Frees the strings the tests made, so the leak checker sees a clean exit. */
static int teardown(void **state)
{
    (void)state;
    config_reset();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(lines),
        cmocka_unit_test(load_file),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, teardown);
}
