/* tests/test_status.c - dlfs_strerror, dlfs_error_detail and dlfs__fail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include <dlfs/dlfs.h>
#include "internal.h"

static const char unknown[] = "unknown dlfs status";

static void test_every_code_has_its_own_message(void **state)
{
    (void)state;
    for (int a = 0; a < DLFS_STATUS_COUNT_; a++) {
        const char *ma = dlfs_strerror((dlfs_status)a);
        assert_non_null(ma);
        assert_true(strlen(ma) > 0);
        assert_string_not_equal(ma, unknown);
        for (int b = 0; b < a; b++)
            assert_string_not_equal(ma, dlfs_strerror((dlfs_status)b));
    }
    /* Spot checks: the message matches the code's meaning. */
    assert_non_null(strstr(dlfs_strerror(DLFS_ENOMEM), "memory"));
    assert_non_null(strstr(dlfs_strerror(DLFS_EDIVERGED), "diverged"));
    assert_non_null(strstr(dlfs_strerror(DLFS_EUNSUPPORTED), "BLAS"));
}

static void test_unknown_codes(void **state)
{
    (void)state;
    assert_string_equal(dlfs_strerror(DLFS_STATUS_COUNT_), unknown);
    assert_string_equal(dlfs_strerror((dlfs_status)(DLFS_STATUS_COUNT_ + 1)), unknown);
    assert_string_equal(dlfs_strerror((dlfs_status)1000), unknown);
    assert_string_equal(dlfs_strerror((dlfs_status)-1), unknown);
}

/* Runs in a fresh thread: nothing has failed there yet. */
static void *fresh_thread_detail(void *arg)
{
    const char **out = arg;
    *out = dlfs_error_detail();
    return (void *)(strlen(*out) == 0 ? "empty" : "set");
}

static void test_detail_starts_empty(void **state)
{
    (void)state;
    pthread_t t;
    const char *seen = NULL;
    void *verdict = NULL;
    assert_int_equal(pthread_create(&t, NULL, fresh_thread_detail, &seen), 0);
    assert_int_equal(pthread_join(t, &verdict), 0);
    assert_non_null(seen);
    assert_string_equal((const char *)verdict, "empty");
}

static void test_detail_after_failure(void **state)
{
    (void)state;
    dlfs_matrix m;
    assert_int_equal(dlfs_matrix_alloc(&m, 0, 3), DLFS_EEMPTY);
    const char *d = dlfs_error_detail();
    assert_non_null(strstr(d, "dlfs_matrix_alloc"));
    assert_non_null(strstr(d, "0 x 3"));

    /* A later failure replaces it. */
    assert_int_equal(dlfs_matrix_check(NULL, "the_argument_name"), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "the_argument_name"));
    assert_null(strstr(dlfs_error_detail(), "dlfs_matrix_alloc"));

    /* A successful call leaves it as it was. */
    assert_int_equal(dlfs_matrix_alloc(&m, 2, 2), DLFS_OK);
    assert_non_null(strstr(dlfs_error_detail(), "the_argument_name"));
    dlfs_matrix_free(&m);
}

static void test_fail_returns_status_and_formats(void **state)
{
    (void)state;
    assert_int_equal(dlfs__fail(DLFS_ESHAPE, "fn: %s has %zu columns", "X", (size_t)12), DLFS_ESHAPE);
    assert_string_equal(dlfs_error_detail(), "fn: X has 12 columns");
    assert_int_equal(dlfs__fail(DLFS_EPARSE, "line %d", 7), DLFS_EPARSE);
    assert_string_equal(dlfs_error_detail(), "line 7");
}

/* A detail longer than the buffer is cut, not overrun. */
static void test_long_detail_is_truncated(void **state)
{
    (void)state;
    char name[4000];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    assert_int_equal(dlfs_matrix_check(NULL, name), DLFS_ENULL);
    const size_t len = strlen(dlfs_error_detail());
    assert_true(len > 100);
    assert_true(len < sizeof name - 1);
}

/* The detail is per thread: a failure elsewhere does not change ours. */
static void *fail_in_thread(void *arg)
{
    (void)arg;
    (void)dlfs__fail(DLFS_EIO, "other thread's failure");
    return (void *)(strcmp(dlfs_error_detail(), "other thread's failure") == 0 ? "ok" : "bad");
}

static void test_detail_is_thread_local(void **state)
{
    (void)state;
    (void)dlfs__fail(DLFS_EINVAL, "this thread's failure");
    pthread_t t;
    void *verdict = NULL;
    assert_int_equal(pthread_create(&t, NULL, fail_in_thread, NULL), 0);
    assert_int_equal(pthread_join(t, &verdict), 0);
    assert_string_equal((const char *)verdict, "ok");
    assert_string_equal(dlfs_error_detail(), "this thread's failure");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_its_own_message),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_detail_starts_empty),
        cmocka_unit_test(test_detail_after_failure),
        cmocka_unit_test(test_fail_returns_status_and_formats),
        cmocka_unit_test(test_long_detail_is_truncated),
        cmocka_unit_test(test_detail_is_thread_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
