/* Unit tests of words: whether one text adds words to another (words_all_in). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "words.h"

static void the_same_words_add_nothing(void **state)
{
    (void)state;
    const char *text = "Hello Ann,\r\nyour code is 482913. Confirm at https://example.org/c/42\r\n";
    /* an html part's visible text: other spacing, case and punctuation, fewer words */
    assert_int_equal(words_all_in("  HELLO ann!  Your code is 482913.\n\nconfirm ", text), 1);
    assert_int_equal(words_all_in("https://example.org/c/42", text), 1);
    assert_int_equal(words_all_in("", text), 1);
    assert_int_equal(words_all_in("... -- !!", ""), 1);
}

static void one_new_word_is_enough(void **state)
{
    (void)state;
    const char *text = "Welcome aboard. Your code is 482913.";
    assert_int_equal(words_all_in("Welcome aboard! Unsubscribe here.", text), 0);
    assert_int_equal(words_all_in("code 482914", text), 0);      /* another number */
    assert_int_equal(words_all_in("welcome", ""), 0);
    assert_int_equal(words_all_in("aboar", text), 0);            /* part of a word is not it */
}

static void short_words_are_not_indexed(void **state)
{
    (void)state;
    /* "is", "an", "ok": below innodb_ft_min_token_size */
    assert_int_equal(words_all_in("is an ok code", "the code"), 1);
}

static void never_finer_than_the_index(void **state)
{
    (void)state;
    /* '_' and an inner apostrophe are inside a word, as for the FULLTEXT parser */
    assert_int_equal(words_all_in("foo_bar", "foo bar"), 0);
    assert_int_equal(words_all_in("don't stop", "don t stop"), 0);
    assert_int_equal(words_all_in("don't stop", "Don't stop"), 1);
    /* UTF-8 bytes are word bytes, compared exactly: "Café" is not "cafe", nor "CAFÉ" */
    assert_int_equal(words_all_in("Café", "cafe"), 0);
    assert_int_equal(words_all_in("Café", "le CAFé ouvre"), 1);
    assert_int_equal(words_all_in("Grüße", "GRÜSSE"), 0);
}

static void many_words(void **state)
{
    (void)state;
    static char text[200000], words[200000];
    size_t t = 0, w = 0;
    for (int i = 0; i < 10000; i++) {
        t += (size_t)snprintf(text + t, sizeof(text) - t, "word%d ", i);
        if (i % 3 == 0)
            w += (size_t)snprintf(words + w, sizeof(words) - w, "WORD%d, ", i);
    }
    assert_int_equal(words_all_in(words, text), 1);
    snprintf(words + w, sizeof(words) - w, "word10000");
    assert_int_equal(words_all_in(words, text), 0);
}

static void a_huge_text_is_not_looked_at(void **state)
{
    (void)state;
    static char text[300 * 1024];
    for (size_t i = 0; i + 1 < sizeof(text); i++)
        text[i] = i % 6 == 5 ? ' ' : 'a' + (char)(i / 6 % 26);
    text[sizeof(text) - 1] = '\0';
    /* its words are in it, but past 256 KB the answer is "keep both" */
    assert_int_equal(words_all_in("aaaaa bbbbb", text), 0);
    text[200 * 1024] = '\0';
    assert_int_equal(words_all_in("aaaaa bbbbb", text), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_same_words_add_nothing),
        cmocka_unit_test(one_new_word_is_enough),
        cmocka_unit_test(short_words_are_not_indexed),
        cmocka_unit_test(never_finer_than_the_index),
        cmocka_unit_test(many_words),
        cmocka_unit_test(a_huge_text_is_not_looked_at),
    };
    return cmocka_run_group_tests_name("words", tests, NULL, NULL);
}
