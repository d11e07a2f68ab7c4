/* tests/test_corpus.c - every file of the fuzzing seed corpora through the parsers.
 *
 * tests/fuzz/csv/ and tests/fuzz/model/ hold the fuzzers' seeds and every input
 * a fuzzer ever crashed on (kept as regressions). Each file here must be
 * handled without a crash, a leak or a sanitizer report (this program also
 * runs under ASan/UBSan and valgrind), with the promised empty output on
 * failure. A file whose name starts with a status, "ok-", "eparse-",
 * "etruncated-" and so on (the dlfs_status name in lower case, without the
 * "dlfs_" prefix), must give exactly that status:
 *     CSV files     dlfs_csv_parse and dlfs_csv_read, target = last column
 *                   (also parsed with the first column, "medv" and no target
 *                   as the target, with consistent outcomes);
 *     model files   dlfs_model_load_buffer and dlfs_model_load, any kind.
 * Model files are also replayed with their CRC made to match (the fuzzer
 * skips the CRC check, so that is the path its inputs took).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>
#include "testutil.h"

#define CSV_DIR DLFS_SOURCE_ROOT "/tests/fuzz/csv"
#define MODEL_DIR DLFS_SOURCE_ROOT "/tests/fuzz/model"

/* ---- Helpers -------------------------------------------------------------- */

static const struct {
    const char *prefix;
    dlfs_status status;
} prefixes[] = {
    {"ok", DLFS_OK},           {"enull", DLFS_ENULL},
    {"eshape", DLFS_ESHAPE},   {"eempty", DLFS_EEMPTY},
    {"einval", DLFS_EINVAL},   {"enomem", DLFS_ENOMEM},
    {"eoverflow", DLFS_EOVERFLOW}, {"enonfinite", DLFS_ENONFINITE},
    {"eio", DLFS_EIO},         {"eparse", DLFS_EPARSE},
    {"enotfound", DLFS_ENOTFOUND}, {"eformat", DLFS_EFORMAT},
    {"eversion", DLFS_EVERSION}, {"ekind", DLFS_EKIND},
    {"etruncated", DLFS_ETRUNCATED}, {"echecksum", DLFS_ECHECKSUM},
};

/* The status a file's name promises, or -1 when the name promises none. */
static int expected_status(const char *name)
{
    const char *dash = strchr(name, '-');
    if (!dash)
        return -1;
    for (size_t i = 0; i < TU_LEN(prefixes); i++)
        if (strlen(prefixes[i].prefix) == (size_t)(dash - name) &&
            strncmp(name, prefixes[i].prefix, (size_t)(dash - name)) == 0)
            return (int)prefixes[i].status;
    return -1;
}

/* Calls fn(path, name) for every entry of dir but the hidden ones, in name
 * order (so failures show up in the same order on every file system).
 * Returns how many files there were. */
typedef void (*file_fn)(const char *path, const char *name);

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

static size_t for_each_file(const char *dir, file_fn fn)
{
    struct dirent **list;
    const int n = scandir(dir, &list, not_hidden, by_name);
    if (n < 0)
        fail_msg("cannot list %s", dir);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
        fn(path, list[i]->d_name);
        free(list[i]);
    }
    free(list);
    return (size_t)n;
}

/* ---- CSV ------------------------------------------------------------------ */

static void assert_dataset_empty(const dlfs_dataset *ds)
{
    assert_null(ds->X.data);
    assert_null(ds->y.data);
    assert_null(ds->feature_names);
    assert_null(ds->target_name);
    assert_int_equal(ds->X.rows, 0);
    assert_int_equal(ds->y.rows, 0);
}

/* n x k features, n x 1 target (n x 0 and no name without one), all finite. */
static void assert_dataset_sound(const dlfs_dataset *ds, int has_target)
{
    const size_t n = ds->X.rows, k = ds->X.cols;
    assert_true(n >= 1 && k >= 1);
    assert_int_equal(ds->y.rows, n);
    assert_int_equal(ds->y.cols, has_target ? 1 : 0);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k; j++)
            assert_true(isfinite(ds->X.data[i * ds->X.ld + j]));
        if (has_target)
            assert_true(isfinite(ds->y.data[i * ds->y.ld]));
    }
    if (has_target)
        assert_non_null(ds->target_name);
    else
        assert_null(ds->target_name);
    for (size_t j = 0; j < k; j++)
        assert_non_null(ds->feature_names[j]);
}

/* Parses one way; checks the output is either sound or empty. */
static dlfs_status csv_one(const char *text, size_t len, const char *target, size_t index)
{
    dlfs_dataset ds;
    dlfs_csv_error err;
    const dlfs_status st = dlfs_csv_parse(text, len, target, index, &ds, &err);
    if (st == DLFS_OK) {
        assert_dataset_sound(&ds, target != NULL || index != DLFS_CSV_NO_TARGET);
    } else {
        assert_dataset_empty(&ds);
        assert_string_equal(err.message, dlfs_error_detail());
    }
    dlfs_dataset_free(&ds);
    return st;
}

static void csv_file(const char *path, const char *name)
{
    size_t len;
    unsigned char *text = tu_read_file(path, &len);
    const dlfs_status last = csv_one((const char *)text, len, NULL, (size_t)-1);
    /* The target column changes neither whether the table parses nor why not. */
    assert_int_equal(csv_one((const char *)text, len, NULL, 0), last);
    const dlfs_status named = csv_one((const char *)text, len, "medv", 0);
    assert_true(named == last || named == DLFS_ENOTFOUND);
    /* Without a target, a one-column table (DLFS_EEMPTY above) is read on. */
    const dlfs_status none = csv_one((const char *)text, len, NULL, DLFS_CSV_NO_TARGET);
    assert_true(none == last || last == DLFS_EEMPTY);

    dlfs_dataset ds;
    assert_int_equal(dlfs_csv_read(path, NULL, (size_t)-1, &ds, NULL), last);
    dlfs_dataset_free(&ds);

    const int want = expected_status(name);
    if (want >= 0 && (int)last != want)
        fail_msg("%s: status %s, expected %s (%s)", name, dlfs_strerror(last),
                 dlfs_strerror((dlfs_status)want), last ? dlfs_error_detail() : "");
    free(text);
}

static void test_csv_corpus(void **state)
{
    (void)state;
    /* A few seeds must be there, or this test checks nothing. */
    assert_true(for_each_file(CSV_DIR, csv_file) >= 10);
}

/* A few of the corpus's files, with what they must read as: the loader and
 * the names agree, and the names are not all "ok". */
static void test_csv_corpus_known(void **state)
{
    (void)state;
    dlfs_dataset ds;
    dlfs_csv_error err;
    assert_int_equal(dlfs_csv_read(CSV_DIR "/ok-quoted.csv", "medv", 0, &ds, &err), DLFS_OK);
    assert_int_equal(ds.X.rows, 2);
    assert_int_equal(ds.X.cols, 2);
    assert_string_equal(ds.feature_names[1], "b \"q\"");
    assert_true(ds.X.data[1] == 2.0 && ds.X.data[2] == 4.0 && ds.X.data[3] == 0.5);
    assert_true(ds.y.data[0] == 3.0 && ds.y.data[1] == 6.0);
    dlfs_dataset_free(&ds);

    assert_int_equal(dlfs_csv_read(CSV_DIR "/eparse-ragged-short.csv", NULL, (size_t)-1, &ds,
                                   &err), DLFS_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 3);

    assert_int_equal(dlfs_csv_read(CSV_DIR "/enonfinite-nan.csv", NULL, (size_t)-1, &ds, &err),
                     DLFS_ENONFINITE);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 2);

    /* One column: no features beside a target, but a table without one. */
    assert_int_equal(dlfs_csv_read(CSV_DIR "/eempty-one-column.csv", NULL, (size_t)-1, &ds,
                                   &err), DLFS_EEMPTY);
    assert_int_equal(dlfs_csv_read(CSV_DIR "/eempty-one-column.csv", NULL, DLFS_CSV_NO_TARGET,
                                   &ds, &err), DLFS_OK);
    assert_int_equal(ds.X.rows, 2);
    assert_int_equal(ds.X.cols, 1);
    assert_true(ds.X.data[0] == 1.0 && ds.X.data[1] == 2.0);
    assert_string_equal(ds.feature_names[0], "medv");
    dlfs_dataset_free(&ds);
}

/* ---- Model files ---------------------------------------------------------- */

static uint32_t crc32_ieee(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1u) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return crc ^ 0xFFFFFFFFu;
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void assert_model_empty(const dlfs_model *m)
{
    assert_int_equal(m->kind, 0);
    assert_int_equal(m->k, 0);
    assert_int_equal(m->m, 0);
    assert_null(m->linreg.params);
    assert_null(m->nn.params);
    assert_null(m->scaler.mean);
    assert_null(m->feature_names);
    assert_null(m->target_name);
}

/* Loads len bytes; on success, predicts 2 rows (which must succeed when
 * `strict`: a crafted file may hold weights that overflow) and re-encodes. */
static dlfs_status model_one(const unsigned char *b, size_t len, int strict)
{
    dlfs_model model;
    const dlfs_status st = dlfs_model_load_buffer(&model, b, len, DLFS_MODEL_ANY);
    if (st != DLFS_OK) {
        assert_model_empty(&model);
        return st;
    }
    dlfs_matrix X, P;
    assert_int_equal(dlfs_matrix_alloc(&X, 2, model.k), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(&P, 2, model.m), DLFS_OK);
    for (size_t i = 0; i < 2 * model.k; i++)
        X.data[i] = 0.5 * (double)i;
    const dlfs_status pst = dlfs_model_predict(&model, &X, &P);
    if (strict)
        assert_int_equal(pst, DLFS_OK);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&P);
    void *enc;
    size_t enc_len;
    assert_int_equal(dlfs_model_encode(&model, &enc, &enc_len), DLFS_OK);
    assert_int_equal(enc_len, len);
    assert_memory_equal(enc, b, len);
    free(enc);
    dlfs_model_free(&model);
    return st;
}

static void model_file(const char *path, const char *name)
{
    size_t len;
    unsigned char *b = tu_read_file(path, &len);
    const dlfs_status st = model_one(b, len, 1);
    dlfs_model model;
    assert_int_equal(dlfs_model_load(&model, path, DLFS_MODEL_ANY), st);
    dlfs_model_free(&model);

    const int want = expected_status(name);
    if (want >= 0 && (int)st != want)
        fail_msg("%s: status %s, expected %s (%s)", name, dlfs_strerror(st),
                 dlfs_strerror((dlfs_status)want), st ? dlfs_error_detail() : "");

    /* With the CRC the declared length calls for, as the fuzzer saw it. */
    if (len >= 24) {
        const uint64_t flen = le64(b + 16);
        if (flen >= 4 && flen <= len) {
            const uint32_t crc = crc32_ieee(b, (size_t)flen - 4);
            for (int i = 0; i < 4; i++)
                b[flen - 4 + (uint64_t)i] = (unsigned char)(crc >> (8 * i));
            (void)model_one(b, len, 0);
        }
    }
    free(b);
}

static void test_model_corpus(void **state)
{
    (void)state;
    assert_true(for_each_file(MODEL_DIR, model_file) >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_corpus),
        cmocka_unit_test(test_csv_corpus_known),
        cmocka_unit_test(test_model_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
