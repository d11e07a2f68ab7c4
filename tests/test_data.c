/* tests/test_data.c - the CSV reader, the standardizer, the split and the metrics. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dlfs/dlfs.h>
#include "testutil.h"

/* The resident-memory test means nothing under a sanitizer or valgrind,
 * whose own bookkeeping takes memory. */
#if defined(__SANITIZE_ADDRESS__)
#define MEMORY_TOOL 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define MEMORY_TOOL 1
#endif
#endif
#ifndef MEMORY_TOOL
#define MEMORY_TOOL 0
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define BOSTON DLFS_SOURCE_ROOT "/data/boston_housing.csv"

static double X_at(const dlfs_dataset *ds, size_t i, size_t j)
{
    return ds->X.data[i * ds->X.ld + j];
}

static double y_at(const dlfs_dataset *ds, size_t i)
{
    return ds->y.data[i * ds->y.ld];
}

static dlfs_status parse(const char *text, const char *target, size_t index,
                         dlfs_dataset *ds, dlfs_csv_error *err)
{
    return dlfs_csv_parse(text, strlen(text), target, index, ds, err);
}

static void assert_dataset_empty(const dlfs_dataset *ds)
{
    assert_null(ds->X.data);
    assert_null(ds->y.data);
    assert_null(ds->feature_names);
    assert_null(ds->target_name);
    assert_int_equal(ds->X.rows, 0);
    assert_int_equal(ds->X.cols, 0);
}

/* Writes len bytes to a new file under /tmp; its name goes to path. */
static void write_temp(char path[64], const char *text, size_t len)
{
    strcpy(path, "/tmp/dlfs_test_data_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* ---- Well-formed input --------------------------------------------------- */

static void test_parse_simple(void **state)
{
    (void)state;
    dlfs_dataset ds;
    dlfs_csv_error err;
    assert_int_equal(parse("a,b,c\n1,2,3\n4,5,6\n", "b", 0, &ds, &err), DLFS_OK);
    assert_int_equal(ds.X.rows, 2);
    assert_int_equal(ds.X.cols, 2);
    assert_int_equal(ds.X.ld, 2);
    assert_int_equal(ds.y.rows, 2);
    assert_int_equal(ds.y.cols, 1);
    assert_true(X_at(&ds, 0, 0) == 1.0 && X_at(&ds, 0, 1) == 3.0);
    assert_true(X_at(&ds, 1, 0) == 4.0 && X_at(&ds, 1, 1) == 6.0);
    assert_true(y_at(&ds, 0) == 2.0 && y_at(&ds, 1) == 5.0);
    assert_string_equal(ds.feature_names[0], "a");
    assert_string_equal(ds.feature_names[1], "c");
    assert_string_equal(ds.target_name, "b");
    assert_int_equal(err.line, 0);
    assert_string_equal(err.message, "");
    dlfs_dataset_free(&ds);
    assert_dataset_empty(&ds);
    dlfs_dataset_free(&ds);  /* twice is harmless */
}

/* BOM, quoted names with "" inside, CRLF, blank and blank-looking lines,
 * quoted numbers, blanks around fields, no final newline. */
static const char messy[] =
    "\xEF\xBB\xBF\"x 1\",\"a \"\"b\"\"\",y\r\n"
    "\r\n"
    "\"1.5\", 2 ,-3e2\r\n"
    "   \r\n"
    "\n"
    "\t-.25 ,\" 7 \",+4.\r\n"
    "4,\"5\",6";

static void check_messy(const dlfs_dataset *ds)
{
    assert_int_equal(ds->X.rows, 3);
    assert_int_equal(ds->X.cols, 2);
    assert_string_equal(ds->feature_names[0], "x 1");
    assert_string_equal(ds->feature_names[1], "a \"b\"");
    assert_string_equal(ds->target_name, "y");
    assert_true(X_at(ds, 0, 0) == 1.5 && X_at(ds, 0, 1) == 2.0 && y_at(ds, 0) == -300.0);
    assert_true(X_at(ds, 1, 0) == -0.25 && X_at(ds, 1, 1) == 7.0 && y_at(ds, 1) == 4.0);
    assert_true(X_at(ds, 2, 0) == 4.0 && X_at(ds, 2, 1) == 5.0 && y_at(ds, 2) == 6.0);
}

static void test_parse_messy(void **state)
{
    (void)state;
    dlfs_dataset ds;
    assert_int_equal(dlfs_csv_parse(messy, sizeof messy - 1, NULL, (size_t)-1, &ds, NULL),
                     DLFS_OK);
    check_messy(&ds);
    dlfs_dataset_free(&ds);

    /* By name, a name that needed unescaping. */
    assert_int_equal(dlfs_csv_parse(messy, sizeof messy - 1, "a \"b\"", 0, &ds, NULL), DLFS_OK);
    assert_string_equal(ds.target_name, "a \"b\"");
    assert_string_equal(ds.feature_names[1], "y");
    assert_true(y_at(&ds, 1) == 7.0 && X_at(&ds, 1, 1) == 4.0);
    dlfs_dataset_free(&ds);
}

static void test_parse_target_choice(void **state)
{
    (void)state;
    const char *text = "p,q,r\n1,2,3\n";
    dlfs_dataset ds;
    assert_int_equal(parse(text, NULL, 0, &ds, NULL), DLFS_OK);
    assert_string_equal(ds.target_name, "p");
    assert_true(y_at(&ds, 0) == 1.0 && X_at(&ds, 0, 0) == 2.0 && X_at(&ds, 0, 1) == 3.0);
    dlfs_dataset_free(&ds);

    assert_int_equal(parse(text, NULL, 1, &ds, NULL), DLFS_OK);
    assert_string_equal(ds.target_name, "q");
    assert_true(y_at(&ds, 0) == 2.0 && X_at(&ds, 0, 0) == 1.0 && X_at(&ds, 0, 1) == 3.0);
    dlfs_dataset_free(&ds);

    assert_int_equal(parse(text, NULL, (size_t)-1, &ds, NULL), DLFS_OK);
    assert_string_equal(ds.target_name, "r");
    assert_string_equal(ds.feature_names[0], "p");
    assert_string_equal(ds.feature_names[1], "q");
    assert_true(y_at(&ds, 0) == 3.0);
    dlfs_dataset_free(&ds);

    assert_int_equal(parse(text, NULL, 2, &ds, NULL), DLFS_OK);
    assert_string_equal(ds.target_name, "r");
    dlfs_dataset_free(&ds);

    /* A name wins over the index. */
    assert_int_equal(parse(text, "q", 0, &ds, NULL), DLFS_OK);
    assert_string_equal(ds.target_name, "q");
    dlfs_dataset_free(&ds);
}

/* DLFS_CSV_NO_TARGET: every column is a feature, y has n rows and no column. */
static void test_parse_no_target(void **state)
{
    (void)state;
    dlfs_dataset ds;
    dlfs_csv_error err;

    assert_int_equal(parse("p,q,r\n1,2,3\n4,5,6.5\n", NULL, DLFS_CSV_NO_TARGET, &ds, NULL),
                     DLFS_OK);
    assert_int_equal(ds.X.rows, 2);
    assert_int_equal(ds.X.cols, 3);
    assert_int_equal(ds.X.ld, 3);
    assert_true(X_at(&ds, 0, 0) == 1.0 && X_at(&ds, 0, 2) == 3.0 && X_at(&ds, 1, 2) == 6.5);
    assert_string_equal(ds.feature_names[0], "p");
    assert_string_equal(ds.feature_names[1], "q");
    assert_string_equal(ds.feature_names[2], "r");
    assert_null(ds.target_name);
    assert_null(ds.y.data);
    assert_int_equal(ds.y.rows, 2);
    assert_int_equal(ds.y.cols, 0);
    dlfs_dataset_free(&ds);
    assert_dataset_empty(&ds);

    /* One column is enough without a target (with one it is refused). */
    assert_int_equal(parse("x\n1\n2\n3\n", NULL, DLFS_CSV_NO_TARGET, &ds, NULL), DLFS_OK);
    assert_int_equal(ds.X.rows, 3);
    assert_int_equal(ds.X.cols, 1);
    assert_true(X_at(&ds, 2, 0) == 3.0);
    assert_string_equal(ds.feature_names[0], "x");
    dlfs_dataset_free(&ds);
    assert_int_equal(parse("x\n1\n", NULL, (size_t)-1, &ds, NULL), DLFS_EEMPTY);

    /* Many rows: the row arrays grow without a y to grow beside them. */
    {
        size_t n = 5000, len = 0;
        char *text = malloc(16 * n + 16);
        assert_non_null(text);
        len += (size_t)sprintf(text, "a,b\n");
        for (size_t i = 0; i < n; i++)
            len += (size_t)sprintf(text + len, "%zu,-%zu\n", i, i);
        assert_int_equal(dlfs_csv_parse(text, len, NULL, DLFS_CSV_NO_TARGET, &ds, NULL), DLFS_OK);
        assert_int_equal(ds.X.rows, n);
        assert_int_equal(ds.y.rows, n);
        assert_null(ds.y.data);
        assert_true(X_at(&ds, n - 1, 0) == (double)(n - 1) && X_at(&ds, n - 1, 1) == -(double)(n - 1));
        dlfs_dataset_free(&ds);
        free(text);
    }

    /* Errors still say where, counting every column. */
    assert_int_equal(parse("a,b\n1,2\n3\n", NULL, DLFS_CSV_NO_TARGET, &ds, &err), DLFS_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 2);
    assert_dataset_empty(&ds);
    assert_int_equal(parse("a,b\n1,x\n", NULL, DLFS_CSV_NO_TARGET, &ds, &err), DLFS_EPARSE);
    assert_int_equal(err.column, 2);
    assert_dataset_empty(&ds);

    /* A target name wins over the sentinel. */
    assert_int_equal(parse("a,b\n1,2\n", "a", DLFS_CSV_NO_TARGET, &ds, NULL), DLFS_OK);
    assert_string_equal(ds.target_name, "a");
    assert_int_equal(ds.X.cols, 1);
    assert_true(y_at(&ds, 0) == 1.0);
    dlfs_dataset_free(&ds);

    /* The file reader takes it too. */
    char path[64];
    write_temp(path, "u,v\n7,8\n", 8);
    assert_int_equal(dlfs_csv_read(path, NULL, DLFS_CSV_NO_TARGET, &ds, NULL), DLFS_OK);
    assert_int_equal(ds.X.cols, 2);
    assert_true(X_at(&ds, 0, 1) == 8.0);
    assert_null(ds.target_name);
    dlfs_dataset_free(&ds);
    unlink(path);
}

/* The text need not be NUL-terminated: only len bytes are read. */
static void test_parse_length_bounded(void **state)
{
    (void)state;
    const char text[] = "a,b\n1,2\n3,4\nthis is not read";
    dlfs_dataset ds;
    assert_int_equal(dlfs_csv_parse(text, 12, NULL, (size_t)-1, &ds, NULL), DLFS_OK);
    assert_int_equal(ds.X.rows, 2);
    assert_true(y_at(&ds, 1) == 4.0);
    dlfs_dataset_free(&ds);

    /* Cut inside the last number: "3,4" becomes "3," and the row is bad. */
    dlfs_csv_error err;
    assert_int_equal(dlfs_csv_parse(text, 10, NULL, (size_t)-1, &ds, &err), DLFS_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 2);
}

/* Every accepted spelling gives exactly strtod's value. */
static void test_parse_number_forms(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "0", "-0", "+1", "1.", ".5", "-.5", "1e3", "1E+3", "1e-3", "  \t7\t ",
        "0.1", "123456789012345678", "1234567890123456789012345", "9007199254740993",
        "0.30000000000000004", "1e22", "1e23", "4.9e-324", "1e-400", "2.2250738585072011e-308",
        "1.7976931348623157e308", "000000000000000000000000000001.5", "0.000000000000000000000000001",
        "3.14159265358979323846264338327950288", "1e-5", "123.456e-7", "\"  42  \"",
    };
    for (size_t f = 0; f < TU_LEN(forms); f++) {
        char text[256];
        snprintf(text, sizeof text, "a,b\n%s,1\n", forms[f]);
        dlfs_dataset ds;
        assert_int_equal(parse(text, "b", 0, &ds, NULL), DLFS_OK);
        const char *s = forms[f][0] == '"' ? forms[f] + 1 : forms[f];
        double want = strtod(s, NULL);
        double got = X_at(&ds, 0, 0);
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("\"%s\": got %.17g, strtod gives %.17g", forms[f], got, want);
        dlfs_dataset_free(&ds);
    }
}

/* Many random decimal strings, fast path and strtod path alike, compared bit
 * for bit with strtod. */
static void test_parse_matches_strtod(void **state)
{
    (void)state;
    enum { N = 20000, W = 48 };
    char *text = malloc(16 + (size_t)N * W);
    char (*fields)[W] = malloc((size_t)N * W);
    assert_non_null(text);
    assert_non_null(fields);
    dlfs_rng rng;
    dlfs_rng_seed(&rng, 20240611);
    size_t len = (size_t)sprintf(text, "v,t\n");
    for (size_t r = 0; r < N; r++) {
        char *f = fields[r];
        size_t n = 0, ndig = 1 + dlfs_rng_below(&rng, 24);
        size_t point = dlfs_rng_below(&rng, ndig + 2);  /* ndig + 1: no point */
        if (dlfs_rng_below(&rng, 2))
            f[n++] = '-';
        for (size_t d = 0; d < ndig; d++) {
            if (d == point)
                f[n++] = '.';
            f[n++] = (char)('0' + dlfs_rng_below(&rng, 10));
        }
        if (dlfs_rng_below(&rng, 2))
            n += (size_t)sprintf(f + n, "e%d", (int)dlfs_rng_below(&rng, 600) - 320);
        f[n] = '\0';
        len += (size_t)sprintf(text + len, "%s,0\n", f);
    }
    dlfs_dataset ds;
    dlfs_csv_error err;
    assert_int_equal(dlfs_csv_parse(text, len, "t", 0, &ds, &err), DLFS_OK);
    assert_int_equal(ds.X.rows, N);
    for (size_t r = 0; r < N; r++) {
        double want = strtod(fields[r], NULL), got = X_at(&ds, r, 0);
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("\"%s\": got %.17g, strtod gives %.17g", fields[r], got, want);
    }
    dlfs_dataset_free(&ds);
    free(fields);
    free(text);
}

/* Enough rows to grow the value arrays several times. */
static void test_parse_many_rows(void **state)
{
    (void)state;
    enum { ROWS = 20000, COLS = 20 };
    size_t cap = 64 + (size_t)ROWS * COLS * 12, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int j = 0; j < COLS; j++)
        len += (size_t)sprintf(text + len, "%sc%d", j ? "," : "", j);
    text[len++] = '\n';
    for (int i = 0; i < ROWS; i++) {
        for (int j = 0; j < COLS; j++)
            len += (size_t)sprintf(text + len, "%s%d.%02d", j ? "," : "", i, j);
        text[len++] = '\n';
    }
    dlfs_dataset ds;
    assert_int_equal(dlfs_csv_parse(text, len, "c7", 0, &ds, NULL), DLFS_OK);
    assert_int_equal(ds.X.rows, ROWS);
    assert_int_equal(ds.X.cols, COLS - 1);
    assert_true(X_at(&ds, 0, 0) == 0.0);
    assert_true(X_at(&ds, 12345, 6) == 12345.06);
    assert_true(X_at(&ds, 12345, 7) == 12345.08);   /* c8: after the target */
    assert_true(X_at(&ds, ROWS - 1, COLS - 2) == 19999.19);
    assert_true(y_at(&ds, ROWS - 1) == 19999.07);
    assert_string_equal(ds.feature_names[7], "c8");
    dlfs_dataset_free(&ds);
    free(text);
}

/* ---- Malformed input ----------------------------------------------------- */

typedef struct bad_case {
    const char *text;
    const char *target;
    size_t index;
    dlfs_status status;
    size_t line, column;
    const char *needle;   /* must appear in the message */
} bad_case;

static const bad_case bad_cases[] = {
    {"", NULL, (size_t)-1, DLFS_EEMPTY, 0, 0, "no header"},
    {"\xEF\xBB\xBF", NULL, (size_t)-1, DLFS_EEMPTY, 0, 0, "no header"},
    {"\n \r\n\t\n", NULL, (size_t)-1, DLFS_EEMPTY, 0, 0, "no header"},
    {"a,b\n", NULL, (size_t)-1, DLFS_EEMPTY, 0, 0, "no data rows"},
    {"a,b", NULL, (size_t)-1, DLFS_EEMPTY, 0, 0, "no data rows"},
    {"a,b\r\n\r\n\r\n", NULL, (size_t)-1, DLFS_EEMPTY, 0, 0, "no data rows"},
    {"a\n1\n", NULL, (size_t)-1, DLFS_EEMPTY, 1, 0, "no feature columns"},
    {"a,b\n1,2\n3\n", NULL, (size_t)-1, DLFS_EPARSE, 3, 2, "expected 2 fields, found 1"},
    {"a,b\r\n1,2\r\n\r\n3,4,5\r\n", NULL, (size_t)-1, DLFS_EPARSE, 4, 3,
     "expected 2 fields, found 3"},
    {"a,b,c\n1,2,3\n1,2,3,4,5\n", "b", 0, DLFS_EPARSE, 3, 4, "expected 3 fields, found 5"},
    {"a,b\n1,2,\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 3, "found 3"},
    {"a,b\n1,\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "empty field"},
    {"a,b\n1,\"\"\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "empty field"},
    {"a,b\n,1\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 1, "empty field"},
    {"a,b\n1,2\n3,1.2.3\n", NULL, (size_t)-1, DLFS_EPARSE, 3, 2, "\"1.2.3\" is not a decimal"},
    {"a,b\nabc,1\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 1, "\"abc\""},
    {"a,b\n0x1p3,1\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 1, "0x1p3"},
    {"a,b\n1,2 3\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "not a decimal"},
    {"a,b\n1,e5\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "not a decimal"},
    {"a,b\n1,.\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "not a decimal"},
    {"a,b\n1,-\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "not a decimal"},
    {"a,b\n1,1e\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "not a decimal"},
    {"a,b\n1,1e+\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "not a decimal"},
    {"a,b\n1,--1\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "not a decimal"},
    {"a,b\n1,\"a \"\"q\"\"\"\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "not a decimal"},
    {"a,b\n1;5,2\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 1, "not a decimal"},
    /* A decimal comma splits the field. */
    {"a,b\n1,5,2\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 3, "expected 2 fields, found 3"},
    {"a,b\n1,2\r3,4\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "not a decimal"},
    {"a,b\n1,nan\n", NULL, (size_t)-1, DLFS_ENONFINITE, 2, 2, "\"nan\" is not a finite"},
    {"a,b\n1,2\n3,NaN\n", NULL, (size_t)-1, DLFS_ENONFINITE, 3, 2, "NaN"},
    {"a,b\ninf,2\n", NULL, (size_t)-1, DLFS_ENONFINITE, 2, 1, "inf"},
    {"a,b\n-Infinity,2\n", NULL, (size_t)-1, DLFS_ENONFINITE, 2, 1, "-Infinity"},
    {"a,b\n1,\"+INF\"\n", NULL, (size_t)-1, DLFS_ENONFINITE, 2, 2, "INF"},
    {"a,b\n1,1e999\n", NULL, (size_t)-1, DLFS_ENONFINITE, 2, 2, "1e999"},
    {"a,b\n1,-2e308\n", NULL, (size_t)-1, DLFS_ENONFINITE, 2, 2, "-2e308"},
    {"a,b\n1,\"2\n3,4\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 2, "unterminated"},
    {"\"a,b\n1,2\n", NULL, (size_t)-1, DLFS_EPARSE, 1, 1, "unterminated"},
    {"a,b\n\"1\"x,2\n", NULL, (size_t)-1, DLFS_EPARSE, 2, 1, "unexpected character 'x'"},
    {"a,\"b\"c\n1,2\n", NULL, (size_t)-1, DLFS_EPARSE, 1, 2, "unexpected character 'c'"},
    /* A quoted name spanning two lines: later lines are counted right. */
    {"\"two\nlines\",b\n1,2\n3,x\n", NULL, (size_t)-1, DLFS_EPARSE, 4, 2, "\"x\""},
    {"a,b\n1,2\n", "zz", 0, DLFS_ENOTFOUND, 1, 0, "\"zz\""},
    {"\n\na,b\n1,2\n", "A", 0, DLFS_ENOTFOUND, 3, 0, "\"A\""},
    {"a,b\n1,2\n", NULL, 2, DLFS_ENOTFOUND, 1, 0, "index 2"},
    {"a,b\n1,2\n", NULL, 1000000, DLFS_ENOTFOUND, 1, 0, "out of range"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t c = 0; c < TU_LEN(bad_cases); c++) {
        const bad_case *b = &bad_cases[c];
        dlfs_dataset ds;
        dlfs_csv_error err;
        memset(&ds, 0x5A, sizeof ds);   /* garbage: the reader must reset it */
        memset(&err, 0x5A, sizeof err);
        dlfs_status st = parse(b->text, b->target, b->index, &ds, &err);
        if (st != b->status || err.line != b->line || err.column != b->column ||
            !strstr(err.message, b->needle))
            fail_msg("case %zu: status %d (want %d), line %zu (want %zu), column %zu (want %zu), "
                     "message \"%s\" (want \"%s\" in it)", c, (int)st, (int)b->status, err.line,
                     b->line, err.column, b->column, err.message, b->needle);
        assert_dataset_empty(&ds);
        assert_string_equal(err.message, dlfs_error_detail());
        assert_non_null(strstr(err.message, "dlfs_csv_parse: "));
        if (b->line && b->column) {
            char where[64];
            snprintf(where, sizeof where, "line %zu, column %zu: ", b->line, b->column);
            assert_non_null(strstr(err.message, where));
        }
        /* err is optional. */
        assert_int_equal(parse(b->text, b->target, b->index, &ds, NULL), b->status);
        assert_dataset_empty(&ds);
    }
}

/* ---- Files ----------------------------------------------------------------- */

static void test_read_file(void **state)
{
    (void)state;
    char path[64];
    write_temp(path, messy, sizeof messy - 1);
    dlfs_dataset ds;
    dlfs_csv_error err;
    dlfs_status st = dlfs_csv_read(path, "y", 0, &ds, &err);
    unlink(path);
    assert_int_equal(st, DLFS_OK);
    check_messy(&ds);
    dlfs_dataset_free(&ds);
}

static void test_read_file_errors(void **state)
{
    (void)state;
    char path[64];
    static const char ragged[] = "a,b\r\n1,2\r\n3,4\r\n5\r\n";
    write_temp(path, ragged, sizeof ragged - 1);
    dlfs_dataset ds;
    dlfs_csv_error err;
    dlfs_status st = dlfs_csv_read(path, NULL, (size_t)-1, &ds, &err);
    unlink(path);
    assert_int_equal(st, DLFS_EPARSE);
    assert_int_equal(err.line, 4);
    assert_int_equal(err.column, 2);
    assert_non_null(strstr(err.message, "dlfs_csv_read: line 4"));
    assert_non_null(strstr(err.message, "expected 2 fields, found 1"));
    assert_string_equal(err.message, dlfs_error_detail());
    assert_dataset_empty(&ds);

    /* An empty file. */
    write_temp(path, "", 0);
    st = dlfs_csv_read(path, NULL, (size_t)-1, &ds, &err);
    unlink(path);
    assert_int_equal(st, DLFS_EEMPTY);
    assert_dataset_empty(&ds);

    /* Missing file, unreadable path (a directory). */
    assert_int_equal(dlfs_csv_read(path, NULL, (size_t)-1, &ds, &err), DLFS_EIO);
    assert_non_null(strstr(err.message, path));
    assert_dataset_empty(&ds);
    assert_int_equal(dlfs_csv_read("/tmp", NULL, (size_t)-1, &ds, &err), DLFS_EIO);
    assert_dataset_empty(&ds);
}

/* A pipe has no size to read ahead: the buffer grows as the data comes
 * (more than its first 64 KiB here). */
static void test_read_pipe(void **state)
{
    (void)state;
    enum { ROWS = 20000 };
    char path[64];
    strcpy(path, "/tmp/dlfs_test_fifo_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = fopen(path, "w");
        if (!f)
            _exit(1);
        fputs("x,y\n", f);
        for (int i = 0; i < ROWS; i++)
            fprintf(f, "%d,%d.5\n", i, 2 * i);
        _exit(fclose(f) == 0 ? 0 : 1);
    }
    dlfs_dataset ds;
    dlfs_csv_error err;
    dlfs_status st = dlfs_csv_read(path, "y", 0, &ds, &err);
    int wstatus = 0;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    unlink(path);
    assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    if (st)
        fail_msg("%s", err.message);
    assert_int_equal(ds.X.rows, ROWS);
    assert_true(X_at(&ds, ROWS - 1, 0) == ROWS - 1);
    assert_true(y_at(&ds, ROWS - 1) == 2.0 * (ROWS - 1) + 0.5);
    dlfs_dataset_free(&ds);
}

static void test_read_boston(void **state)
{
    (void)state;
    static const char *const names[13] = {"crim", "zn", "indus", "chas", "nox", "rm", "age",
                                          "dis", "rad", "tax", "ptratio", "b", "lstat"};
    /* First and last rows of the file. */
    static const double first[13] = {0.00632, 18.00, 2.310, 0, 0.5380, 6.5750, 65.20,
                                     4.0900, 1, 296.0, 15.30, 396.90, 4.98};
    static const double last[13] = {0.04741, 0.00, 11.930, 0, 0.5730, 6.0300, 80.80,
                                    2.5050, 1, 273.0, 21.00, 396.90, 7.88};
    dlfs_dataset ds;
    dlfs_csv_error err;
    dlfs_status st = dlfs_csv_read(BOSTON, "medv", 0, &ds, &err);
    if (st)
        fail_msg("%s", err.message);
    assert_int_equal(ds.X.rows, 506);
    assert_int_equal(ds.X.cols, 13);
    assert_int_equal(ds.y.rows, 506);
    assert_string_equal(ds.target_name, "medv");
    for (size_t j = 0; j < 13; j++) {
        assert_string_equal(ds.feature_names[j], names[j]);
        assert_true(X_at(&ds, 0, j) == first[j]);
        assert_true(X_at(&ds, 505, j) == last[j]);
    }
    assert_true(y_at(&ds, 0) == 24.0);
    assert_true(y_at(&ds, 1) == 21.6);
    assert_true(y_at(&ds, 505) == 11.9);
    dlfs_dataset_free(&ds);

    /* The last column by index is the same target. */
    assert_int_equal(dlfs_csv_read(BOSTON, NULL, (size_t)-1, &ds, NULL), DLFS_OK);
    assert_string_equal(ds.target_name, "medv");
    assert_true(y_at(&ds, 505) == 11.9);
    dlfs_dataset_free(&ds);
}

/* A text of about 15 MB for 500000 rows, so that a mapped file is given back
 * in several steps while it is parsed: a header longer than a page (the names
 * are read again at the end), CRLF, blank lines, quoted and padded fields.
 * With bad_row < rows, that row's second field is malformed. */
static char *large_text(size_t rows, size_t bad_row, size_t *len)
{
    size_t cap = 8192 + rows * 64, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    t[n++] = '"';
    for (int i = 0; i < 5000; i++)
        t[n++] = (char)('a' + i % 26);
    n += (size_t)sprintf(t + n, "\",b,\"target \"\"y\"\"\"\r\n");
    for (size_t i = 0; i < rows; i++) {
        if (i % 1000 == 999)
            n += (size_t)sprintf(t + n, "  \r\n");
        if (i == bad_row)
            n += (size_t)sprintf(t + n, "%zu.5,1.2.3,%zu\r\n", i, i);
        else if (i % 7 == 0)
            n += (size_t)sprintf(t + n, " \"%zu.5\" , -%zue-3 ,\"%zu\"\r\n", i, i, 3 * i);
        else
            n += (size_t)sprintf(t + n, "%zu.5,-%zue-3,%zu\r\n", i, i, 3 * i);
        assert_true(n + 128 < cap);
    }
    *len = n;
    return t;
}

static void assert_same_dataset(const dlfs_dataset *a, const dlfs_dataset *b)
{
    assert_int_equal(a->X.rows, b->X.rows);
    assert_int_equal(a->X.cols, b->X.cols);
    assert_int_equal(a->y.rows, b->y.rows);
    assert_memory_equal(a->X.data, b->X.data, a->X.rows * a->X.cols * sizeof(double));
    assert_memory_equal(a->y.data, b->y.data, a->y.rows * sizeof(double));
    for (size_t j = 0; j < a->X.cols; j++)
        assert_string_equal(a->feature_names[j], b->feature_names[j]);
    assert_string_equal(a->target_name, b->target_name);
}

/* A file read where it lies (mapped, given back as it is parsed) gives what
 * the same bytes give from memory, values, names and errors alike. */
static void test_read_large_file(void **state)
{
    (void)state;
    enum { ROWS = 500000 };
    size_t len;
    char *text = large_text(ROWS, ROWS, &len);
    assert_true(len > 3 * ((size_t)4 << 20));
    char path[64];
    write_temp(path, text, len);
    dlfs_dataset fd, md;
    dlfs_csv_error err;
    dlfs_status st = dlfs_csv_read(path, "target \"y\"", 0, &fd, &err);
    unlink(path);
    if (st)
        fail_msg("%s", err.message);
    assert_int_equal(dlfs_csv_parse(text, len, "target \"y\"", 0, &md, NULL), DLFS_OK);
    assert_same_dataset(&fd, &md);
    assert_int_equal(fd.X.rows, ROWS);
    assert_int_equal(strlen(fd.feature_names[0]), 5000);
    assert_true(X_at(&fd, ROWS - 1, 0) == ROWS - 1 + 0.5);
    assert_true(X_at(&fd, ROWS - 1, 1) == -(double)(ROWS - 1) / 1000);   /* correctly rounded */
    assert_true(y_at(&fd, ROWS - 7) == 3.0 * (ROWS - 7));
    dlfs_dataset_free(&fd);
    dlfs_dataset_free(&md);
    free(text);

    /* An error far into the file: the same place and words. */
    const size_t bad = ROWS - 10;
    text = large_text(ROWS, bad, &len);
    write_temp(path, text, len);
    dlfs_csv_error merr;
    st = dlfs_csv_read(path, NULL, (size_t)-1, &fd, &err);
    unlink(path);
    assert_int_equal(st, DLFS_EPARSE);
    assert_int_equal(dlfs_csv_parse(text, len, NULL, (size_t)-1, &md, &merr), DLFS_EPARSE);
    assert_dataset_empty(&fd);
    assert_int_equal(err.line, 2 + bad + bad / 1000);   /* header, rows, blank lines */
    assert_int_equal(err.column, 2);
    assert_int_equal(err.line, merr.line);
    assert_string_equal(err.message + strlen("dlfs_csv_read"),
                        merr.message + strlen("dlfs_csv_parse"));
    assert_non_null(strstr(err.message, "\"1.2.3\" is not a decimal number"));
    free(text);
}

/* The value in kB of `key` in /proc/self/status, or -1. */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0) {
            kb = strtol(line + strlen(key), NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* Reading a file does not hold the whole file in memory on top of the data:
 * the peak resident memory of the call, above what the process held before
 * (VmHWM, reset through /proc/self/clear_refs), stays far below the file's
 * size. Fields padded with blanks make the file 60 MB for 2.4 MB of doubles;
 * a reader that holds the file peaks above 60 MB, this one near 2.4 MB plus
 * the few MB it gives back at a time. */
static void test_read_memory(void **state)
{
    (void)state;
    enum { ROWS = 150000, PAD = 200 };
    if (MEMORY_TOOL || RUNNING_ON_VALGRIND)
        skip();
    FILE *reset = fopen("/proc/self/clear_refs", "w");
    if (!reset || status_kb("VmHWM:") < 0) {
        if (reset)
            fclose(reset);
        skip();
    }
    fclose(reset);

    char path[64];
    strcpy(path, "/tmp/dlfs_test_data_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("a,b\n", f);
    for (int i = 0; i < ROWS; i++)
        fprintf(f, "%*d,%*d\n", PAD, i, PAD, -i);
    long size = ftell(f);
    assert_int_equal(fclose(f), 0);

    dlfs_dataset ds;
    reset = fopen("/proc/self/clear_refs", "w");
    assert_non_null(reset);
    assert_true(fputs("5", reset) >= 0);
    assert_int_equal(fclose(reset), 0);
    const long before = status_kb("VmRSS:");
    dlfs_status st = dlfs_csv_read(path, NULL, (size_t)-1, &ds, NULL);
    const long peak = status_kb("VmHWM:");
    unlink(path);
    assert_int_equal(st, DLFS_OK);
    assert_int_equal(ds.X.rows, ROWS);
    assert_true(X_at(&ds, ROWS - 1, 0) == ROWS - 1 && y_at(&ds, ROWS - 1) == -(ROWS - 1));
    dlfs_dataset_free(&ds);
    const long grew = peak - before, file_kb = size / 1024;
    if (grew > file_kb / 4)
        fail_msg("reading a %ld kB file (%d kB of doubles) raised the peak by %ld kB", file_kb,
                 ROWS * 2 * 8 / 1024, grew);
}

/* ---- Standardizer --------------------------------------------------------- */

static void test_standardizer(void **state)
{
    (void)state;
    /* Column 0: 1, 2, 4: mean 7/3, population sd sqrt(14)/3.
     * Column 1: constant 0.1 (its sum is not 0.3 exactly): mean 0.1, sd 1. */
    double xv[6] = {1, 0.1, 2, 0.1, 4, 0.1};
    dlfs_matrix X = dlfs_matrix_view(xv, 3, 2, 2);
    dlfs_standardizer s;
    assert_int_equal(dlfs_standardizer_fit(&s, &X), DLFS_OK);
    assert_int_equal(s.k, 2);
    assert_close(s.mean[0], 7.0 / 3.0, 1e-15);
    assert_close(s.sd[0], sqrt(14.0) / 3.0, 1e-15);
    assert_true(s.mean[1] == 0.1);
    assert_true(s.sd[1] == 1.0);

    assert_int_equal(dlfs_standardizer_apply(&s, &X), DLFS_OK);
    const double sd0 = sqrt(14.0) / 3.0;
    assert_close(xv[0], (1 - 7.0 / 3.0) / sd0, 1e-14);
    assert_close(xv[2], (2 - 7.0 / 3.0) / sd0, 1e-14);
    assert_close(xv[4], (4 - 7.0 / 3.0) / sd0, 1e-14);
    for (int i = 0; i < 3; i++)
        assert_true(xv[2 * i + 1] == 0.0);   /* exactly 0, not NaN, not a residue */
    /* Standardised: mean 0, population sd 1. */
    assert_close(xv[0] + xv[2] + xv[4], 0.0, 1e-14);
    assert_close((xv[0] * xv[0] + xv[2] * xv[2] + xv[4] * xv[4]) / 3, 1.0, 1e-14);

    /* Another set, inside a wider array (ld 3), with the first set's statistics. */
    double ov[6] = {0, 0.6, -99, 7.0 / 3.0, 0.1, -99};
    dlfs_matrix O = dlfs_matrix_view(ov, 2, 2, 3);
    assert_int_equal(dlfs_standardizer_apply(&s, &O), DLFS_OK);
    assert_close(ov[0], -7.0 / sqrt(14.0), 1e-14);
    assert_close(ov[1], 0.5, 1e-15);
    assert_close(ov[3], 0.0, 1e-15);
    assert_close(ov[4], 0.0, 1e-15);
    assert_true(ov[2] == -99 && ov[5] == -99);   /* outside the view: untouched */

    /* Round trip. */
    assert_int_equal(dlfs_standardizer_invert(&s, &O), DLFS_OK);
    assert_close(ov[0], 0.0, 1e-14);
    assert_close(ov[1], 0.6, 1e-14);
    assert_close(ov[3], 7.0 / 3.0, 1e-14);
    assert_close(ov[4], 0.1, 1e-15);
    assert_int_equal(dlfs_standardizer_invert(&s, &X), DLFS_OK);
    assert_close(xv[0], 1, 1e-14);
    assert_close(xv[2], 2, 1e-14);
    assert_close(xv[4], 4, 1e-14);
    assert_true(xv[1] == 0.1 && xv[3] == 0.1 && xv[5] == 0.1);

    /* Wrong width. */
    dlfs_matrix W = dlfs_matrix_view(ov, 1, 3, 3);
    assert_int_equal(dlfs_standardizer_apply(&s, &W), DLFS_ESHAPE);
    assert_int_equal(dlfs_standardizer_invert(&s, &W), DLFS_ESHAPE);

    dlfs_standardizer_free(&s);
    assert_null(s.mean);
    assert_null(s.sd);
    assert_int_equal(s.k, 0);
    dlfs_standardizer_free(&s);
    /* Freed, hence not fitted. */
    assert_int_equal(dlfs_standardizer_apply(&s, &X), DLFS_ENULL);
}

static void test_standardizer_errors(void **state)
{
    (void)state;
    double xv[4] = {1, 2, NAN, 4};
    dlfs_matrix X = dlfs_matrix_view(xv, 2, 2, 2);
    dlfs_standardizer s;
    assert_int_equal(dlfs_standardizer_fit(&s, &X), DLFS_ENONFINITE);
    assert_null(s.mean);
    assert_null(s.sd);
    dlfs_matrix E = dlfs_matrix_view(xv, 0, 2, 2);
    assert_int_equal(dlfs_standardizer_fit(&s, &E), DLFS_EEMPTY);
    assert_null(s.mean);

    /* One row: every column is constant. */
    xv[2] = 3;
    dlfs_matrix one = dlfs_matrix_view(xv, 1, 2, 2);
    assert_int_equal(dlfs_standardizer_fit(&s, &one), DLFS_OK);
    assert_true(s.mean[0] == 1 && s.mean[1] == 2 && s.sd[0] == 1 && s.sd[1] == 1);
    dlfs_standardizer_free(&s);
}

/* ---- Split ---------------------------------------------------------------- */

/* X (n x 2): row i is (i, -i); y (n x 1): 10 i. */
static void make_rows(dlfs_matrix *X, dlfs_matrix *y, size_t n)
{
    assert_int_equal(dlfs_matrix_alloc(X, n, 2), DLFS_OK);
    assert_int_equal(dlfs_matrix_alloc(y, n, 1), DLFS_OK);
    for (size_t i = 0; i < n; i++) {
        X->data[2 * i] = (double)i;
        X->data[2 * i + 1] = -(double)i;
        y->data[i] = 10.0 * (double)i;
    }
}

static void free4(dlfs_matrix *a, dlfs_matrix *b, dlfs_matrix *c, dlfs_matrix *d)
{
    dlfs_matrix_free(a);
    dlfs_matrix_free(b);
    dlfs_matrix_free(c);
    dlfs_matrix_free(d);
}

static void test_split_boston_sizes(void **state)
{
    (void)state;
    dlfs_matrix X, y, Xtr, ytr, Xte, yte;
    make_rows(&X, &y, 506);
    assert_int_equal(dlfs_split(&X, &y, 0.3, 180708, &Xtr, &ytr, &Xte, &yte), DLFS_OK);
    assert_int_equal(Xtr.rows, 354);
    assert_int_equal(ytr.rows, 354);
    assert_int_equal(Xte.rows, 152);
    assert_int_equal(yte.rows, 152);
    assert_int_equal(Xtr.cols, 2);
    assert_int_equal(ytr.cols, 1);

    /* Every row exactly once across the two sets, each set in original
     * order, and each row's y still beside its X. */
    unsigned char seen[506] = {0};
    const dlfs_matrix *xs[2] = {&Xtr, &Xte}, *ys[2] = {&ytr, &yte};
    for (int s = 0; s < 2; s++) {
        double prev = -1;
        for (size_t i = 0; i < xs[s]->rows; i++) {
            double id = xs[s]->data[i * xs[s]->ld];
            assert_true(id > prev);
            prev = id;
            assert_true(xs[s]->data[i * xs[s]->ld + 1] == -id);
            assert_true(ys[s]->data[i * ys[s]->ld] == 10 * id);
            seen[(size_t)id]++;
        }
    }
    for (size_t i = 0; i < 506; i++)
        assert_int_equal(seen[i], 1);
    free4(&Xtr, &ytr, &Xte, &yte);

    /* Fractions whose product rounds just above an integer. */
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
    make_rows(&X, &y, 100);
    assert_int_equal(dlfs_split(&X, &y, 0.07, 1, &Xtr, &ytr, &Xte, &yte), DLFS_OK);
    assert_int_equal(Xte.rows, 7);       /* 100 * 0.07 is 7.000000000000001 in doubles */
    assert_int_equal(Xtr.rows, 93);
    free4(&Xtr, &ytr, &Xte, &yte);
    assert_int_equal(dlfs_split(&X, &y, 0.305, 1, &Xtr, &ytr, &Xte, &yte), DLFS_OK);
    assert_int_equal(Xte.rows, 31);      /* ceil(30.5) */
    free4(&Xtr, &ytr, &Xte, &yte);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* The ids of the test rows, in order. */
static void test_ids(const dlfs_matrix *Xte, double *ids)
{
    for (size_t i = 0; i < Xte->rows; i++)
        ids[i] = Xte->data[i * Xte->ld];
}

static void test_split_seeds(void **state)
{
    (void)state;
    dlfs_matrix X, y, a[4], b[4];
    double ia[152], ib[152];
    make_rows(&X, &y, 506);
    assert_int_equal(dlfs_split(&X, &y, 0.3, 42, &a[0], &a[1], &a[2], &a[3]), DLFS_OK);
    assert_int_equal(dlfs_split(&X, &y, 0.3, 42, &b[0], &b[1], &b[2], &b[3]), DLFS_OK);
    for (int m = 0; m < 4; m++) {
        assert_int_equal(a[m].rows, b[m].rows);
        assert_memory_equal(a[m].data, b[m].data, a[m].rows * a[m].cols * sizeof(double));
    }
    test_ids(&a[2], ia);
    free4(&b[0], &b[1], &b[2], &b[3]);
    assert_int_equal(dlfs_split(&X, &y, 0.3, 43, &b[0], &b[1], &b[2], &b[3]), DLFS_OK);
    test_ids(&b[2], ib);
    assert_memory_not_equal(ia, ib, sizeof ia);
    free4(&a[0], &a[1], &a[2], &a[3]);
    free4(&b[0], &b[1], &b[2], &b[3]);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

static int all_empty(const dlfs_matrix *m, int count)
{
    for (int i = 0; i < count; i++)
        if (m[i].data || m[i].rows || m[i].cols)
            return 0;
    return 1;
}

static void test_split_errors(void **state)
{
    (void)state;
    dlfs_matrix X, y, o[4];
    make_rows(&X, &y, 10);
    static const double bad[] = {0.0, 1.0, -0.1, 1.5, NAN, INFINITY, 0.95 /* 0 training rows */};
    for (size_t i = 0; i < TU_LEN(bad); i++) {
        memset(o, 0x5A, sizeof o);
        assert_int_equal(dlfs_split(&X, &y, bad[i], 1, &o[0], &o[1], &o[2], &o[3]), DLFS_EINVAL);
        assert_true(all_empty(o, 4));
    }
    /* Two rows split in half; one row cannot be split. */
    dlfs_matrix X2 = dlfs_matrix_view(X.data, 2, 2, 2), y2 = dlfs_matrix_view(y.data, 2, 1, 1);
    assert_int_equal(dlfs_split(&X2, &y2, 0.5, 1, &o[0], &o[1], &o[2], &o[3]), DLFS_OK);
    assert_int_equal(o[0].rows, 1);
    assert_int_equal(o[2].rows, 1);
    assert_true(o[0].data[0] + o[2].data[0] == 1.0);
    free4(&o[0], &o[1], &o[2], &o[3]);
    dlfs_matrix X1 = dlfs_matrix_view(X.data, 1, 2, 2), y1 = dlfs_matrix_view(y.data, 1, 1, 1);
    assert_int_equal(dlfs_split(&X1, &y1, 0.5, 1, &o[0], &o[1], &o[2], &o[3]), DLFS_EINVAL);
    assert_true(all_empty(o, 4));

    /* Row counts differ. */
    dlfs_matrix y9 = dlfs_matrix_view(y.data, 9, 1, 1);
    assert_int_equal(dlfs_split(&X, &y9, 0.3, 1, &o[0], &o[1], &o[2], &o[3]), DLFS_ESHAPE);
    assert_true(all_empty(o, 4));

    /* An output that is also an input or another output. */
    dlfs_matrix Xcopy = X;
    assert_int_equal(dlfs_split(&X, &y, 0.3, 1, &X, &o[1], &o[2], &o[3]), DLFS_EINVAL);
    assert_memory_equal(&X, &Xcopy, sizeof X);
    assert_int_equal(dlfs_split(&X, &y, 0.3, 1, &o[0], &o[1], &o[0], &o[3]), DLFS_EINVAL);
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
}

/* A view of a fresh n x cols matrix with ld = cols + 1: the extra column
 * holds a sentinel that the split must leave alone. Element (i, j) is
 * 1000 i + j + offset. */
static double *make_padded(dlfs_matrix *m, size_t n, size_t cols, double offset)
{
    double *mem = malloc(n * (cols + 1) * sizeof(double));
    assert_non_null(mem);
    *m = dlfs_matrix_view(mem, n, cols, cols + 1);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < cols; j++)
            mem[i * (cols + 1) + j] = 1000.0 * (double)i + (double)j + offset;
        mem[i * (cols + 1) + cols] = -1.0;
    }
    return mem;
}

/* Rows [row0, row0 + a->rows) of b equal the rows of a. */
static void assert_rows_equal(const dlfs_matrix *a, const dlfs_matrix *b, size_t row0)
{
    for (size_t i = 0; i < a->rows; i++)
        assert_memory_equal(a->data + i * a->ld, b->data + (row0 + i) * b->ld,
                            a->cols * sizeof(double));
}

/* dlfs_split_in_place leaves in X and y exactly what dlfs_split copies out:
 * the training rows, then the test rows, for any size, fraction and seed. */
static void test_split_in_place_matches(void **state)
{
    (void)state;
    static const size_t sizes[] = {2, 3, 7, 10, 100, 506, 4099};
    static const double fractions[] = {0.3, 0.5, 0.07, 0.9, 0.25};
    static const uint64_t seeds[] = {0, 1, 42, 180708, UINT64_C(0xFEDCBA9876543210)};
    size_t checked = 0;
    for (size_t si = 0; si < TU_LEN(sizes); si++)
        for (size_t fi = 0; fi < TU_LEN(fractions); fi++)
            for (size_t ki = 0; ki < TU_LEN(seeds); ki++) {
                const size_t n = sizes[si], m = 1 + (si + ki) % 2;  /* y: 1 or 2 columns */
                dlfs_matrix X, y, o[4];
                double *xmem = make_padded(&X, n, 3, 0.0), *ymem = make_padded(&y, n, m, 0.5);
                dlfs_status want = dlfs_split(&X, &y, fractions[fi], seeds[ki], &o[0], &o[1],
                                              &o[2], &o[3]);
                size_t n_train = 12345;
                dlfs_status got = dlfs_split_in_place(&X, &y, fractions[fi], seeds[ki], &n_train);
                assert_int_equal(got, want);
                if (want != DLFS_OK) {
                    /* 2 or 3 rows cannot always be split: nothing moved. */
                    assert_int_equal(n_train, 0);
                    assert_true(X.data[(n - 1) * X.ld] == 1000.0 * (double)(n - 1));
                    free(xmem);
                    free(ymem);
                    continue;
                }
                assert_int_equal(n_train, o[0].rows);
                assert_int_equal(n - n_train, o[2].rows);
                assert_rows_equal(&o[0], &X, 0);
                assert_rows_equal(&o[2], &X, n_train);
                assert_rows_equal(&o[1], &y, 0);
                assert_rows_equal(&o[3], &y, n_train);
                for (size_t i = 0; i < n; i++)
                    assert_true(X.data[i * X.ld + 3] == -1.0 && y.data[i * y.ld + m] == -1.0);
                /* The views a caller takes are dlfs_split's matrices. */
                dlfs_matrix Xte;
                assert_int_equal(dlfs_matrix_block(&X, n_train, 0, n - n_train, 3, &Xte), DLFS_OK);
                assert_rows_equal(&o[2], &Xte, 0);
                free4(&o[0], &o[1], &o[2], &o[3]);
                free(xmem);
                free(ymem);
                checked++;
            }
    assert_true(checked >= 150);
}

static void test_split_in_place_errors(void **state)
{
    (void)state;
    dlfs_matrix X, y, Xc, yc;
    size_t n_train;
    make_rows(&X, &y, 10);
    make_rows(&Xc, &yc, 10);
    static const double bad[] = {0.0, 1.0, -0.1, 1.5, NAN, INFINITY, 0.95 /* 0 training rows */};
    for (size_t i = 0; i < TU_LEN(bad); i++) {
        n_train = 99;
        assert_int_equal(dlfs_split_in_place(&X, &y, bad[i], 1, &n_train), DLFS_EINVAL);
        assert_int_equal(n_train, 0);
    }
    dlfs_matrix X1 = dlfs_matrix_view(X.data, 1, 2, 2), y1 = dlfs_matrix_view(y.data, 1, 1, 1);
    assert_int_equal(dlfs_split_in_place(&X1, &y1, 0.5, 1, &n_train), DLFS_EINVAL);
    dlfs_matrix y9 = dlfs_matrix_view(y.data, 9, 1, 1);
    assert_int_equal(dlfs_split_in_place(&X, &y9, 0.3, 1, &n_train), DLFS_ESHAPE);
    assert_non_null(strstr(dlfs_error_detail(), "dlfs_split_in_place: X has 10 rows but y has 9"));

    /* X and y in the same memory: the same matrix, or y a column of X. */
    assert_int_equal(dlfs_split_in_place(&X, &X, 0.3, 1, &n_train), DLFS_EINVAL);
    dlfs_matrix col = dlfs_matrix_view(X.data + 1, 10, 1, 2);
    assert_int_equal(dlfs_split_in_place(&X, &col, 0.3, 1, &n_train), DLFS_EINVAL);
    assert_non_null(strstr(dlfs_error_detail(), "share memory"));
    /* Adjacent but apart is fine (and checked on a copy). */
    double both[30];
    memcpy(both, X.data, 20 * sizeof(double));
    memcpy(both + 20, y.data, 10 * sizeof(double));
    dlfs_matrix Xa = dlfs_matrix_view(both, 10, 2, 2), ya = dlfs_matrix_view(both + 20, 10, 1, 1);
    assert_int_equal(dlfs_split_in_place(&Xa, &ya, 0.3, 1, &n_train), DLFS_OK);
    assert_int_equal(n_train, 7);
    for (size_t i = 0; i < 10; i++)
        assert_true(ya.data[i] == 10.0 * Xa.data[2 * i]);

    /* NULL and empty. */
    dlfs_matrix nodata = dlfs_matrix_view(NULL, 10, 2, 2), e = dlfs_matrix_view(y.data, 10, 0, 1);
    assert_int_equal(dlfs_split_in_place(NULL, &y, 0.3, 1, &n_train), DLFS_ENULL);
    assert_int_equal(dlfs_split_in_place(&X, NULL, 0.3, 1, &n_train), DLFS_ENULL);
    assert_int_equal(dlfs_split_in_place(&X, &y, 0.3, 1, NULL), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "n_train is NULL"));
    assert_int_equal(dlfs_split_in_place(&nodata, &y, 0.3, 1, &n_train), DLFS_ENULL);
    assert_int_equal(dlfs_split_in_place(&X, &e, 0.3, 1, &n_train), DLFS_EEMPTY);

    /* None of the failures above moved a row. */
    assert_memory_equal(X.data, Xc.data, 20 * sizeof(double));
    assert_memory_equal(y.data, yc.data, 10 * sizeof(double));
    free4(&X, &y, &Xc, &yc);
}

/* ---- Metrics -------------------------------------------------------------- */

static void test_metrics(void **state)
{
    (void)state;
    /* Errors P - y = 0.5, 0, -0.5, 0.5: MAE 0.375, MSE 0.1875; mean y 3,
     * sum (y - 3)^2 = 10, sum of squared errors 0.75: R^2 = 0.925. */
    double pv[4] = {1.5, 2, 3.5, 5.5}, yv[4] = {1, 2, 4, 5};
    dlfs_matrix P = dlfs_matrix_view(pv, 4, 1, 1), y = dlfs_matrix_view(yv, 4, 1, 1);
    dlfs_metrics m;
    assert_int_equal(dlfs_metrics_compute(&P, &y, &m), DLFS_OK);
    assert_close(m.mae, 0.375, 1e-15);
    assert_close(m.rmse, sqrt(0.1875), 1e-15);
    assert_close(m.r2, 0.925, 1e-15);
    assert_close(m.mean_target, 3.0, 1e-15);

    /* Perfect predictions. */
    assert_int_equal(dlfs_metrics_compute(&y, &y, &m), DLFS_OK);
    assert_true(m.mae == 0 && m.rmse == 0 && m.r2 == 1);

    /* Two outputs, ld 3: column 0 as above, column 1 y = 2, 4, 6, 8 with
     * P = 2, 4, 6, 10: errors 0,0,0,2, sum (y - 5)^2 = 20, R^2 = 1 - 4/20. */
    double p2[12] = {1.5, 2, -1, 2, 4, -1, 3.5, 6, -1, 5.5, 10, -1};
    double y2[12] = {1, 2, -1, 2, 4, -1, 4, 6, -1, 5, 8, -1};
    dlfs_matrix P2 = dlfs_matrix_view(p2, 4, 2, 3), Y2 = dlfs_matrix_view(y2, 4, 2, 3);
    assert_int_equal(dlfs_metrics_compute(&P2, &Y2, &m), DLFS_OK);
    assert_close(m.mae, (1.5 + 2) / 8, 1e-15);
    assert_close(m.rmse, sqrt((0.75 + 4) / 8), 1e-15);
    assert_close(m.r2, (0.925 + 0.8) / 2, 1e-15);
    assert_close(m.mean_target, (12 + 20) / 8.0, 1e-15);

    /* A constant target: R^2 undefined, the rest still set. */
    double cv[3] = {0.1, 0.1, 0.1}, qv[3] = {0.1, 0.2, 0.4};
    dlfs_matrix C = dlfs_matrix_view(cv, 3, 1, 1), Q = dlfs_matrix_view(qv, 3, 1, 1);
    assert_int_equal(dlfs_metrics_compute(&Q, &C, &m), DLFS_OK);
    assert_true(isnan(m.r2));
    assert_close(m.mae, 0.4 / 3, 1e-15);
    assert_close(m.mean_target, 0.1, 1e-15);

    /* Shapes, NaN. */
    dlfs_matrix P3 = dlfs_matrix_view(pv, 3, 1, 1);
    assert_int_equal(dlfs_metrics_compute(&P3, &y, &m), DLFS_ESHAPE);
    assert_int_equal(dlfs_metrics_compute(&P2, &y, &m), DLFS_ESHAPE);
    pv[2] = NAN;
    assert_int_equal(dlfs_metrics_compute(&P, &y, &m), DLFS_ENONFINITE);
    dlfs_matrix E = dlfs_matrix_view(yv, 0, 1, 1);
    assert_int_equal(dlfs_metrics_compute(&E, &E, &m), DLFS_EEMPTY);
}

/* ---- NULL arguments ------------------------------------------------------- */

static void test_null_arguments(void **state)
{
    (void)state;
    dlfs_dataset ds;
    dlfs_csv_error err;
    assert_int_equal(dlfs_csv_read(NULL, NULL, 0, &ds, &err), DLFS_ENULL);
    assert_dataset_empty(&ds);
    assert_non_null(strstr(err.message, "path is NULL"));
    assert_int_equal(dlfs_csv_read(BOSTON, NULL, 0, NULL, &err), DLFS_ENULL);
    assert_int_equal(dlfs_csv_parse(NULL, 0, NULL, 0, &ds, &err), DLFS_ENULL);
    assert_non_null(strstr(err.message, "text is NULL"));
    assert_int_equal(dlfs_csv_parse("a,b\n1,2\n", 8, NULL, 0, NULL, NULL), DLFS_ENULL);
    dlfs_dataset_free(NULL);

    double v[4] = {1, 2, 3, 4};
    dlfs_matrix X = dlfs_matrix_view(v, 2, 2, 2), y = dlfs_matrix_view(v, 2, 1, 2);
    dlfs_matrix nodata = dlfs_matrix_view(NULL, 2, 2, 2);
    dlfs_standardizer s;
    assert_int_equal(dlfs_standardizer_fit(NULL, &X), DLFS_ENULL);
    assert_int_equal(dlfs_standardizer_fit(&s, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_standardizer_fit(&s, &nodata), DLFS_ENULL);
    assert_int_equal(dlfs_standardizer_fit(&s, &X), DLFS_OK);
    assert_int_equal(dlfs_standardizer_apply(NULL, &X), DLFS_ENULL);
    assert_int_equal(dlfs_standardizer_apply(&s, NULL), DLFS_ENULL);
    assert_int_equal(dlfs_standardizer_apply(&s, &nodata), DLFS_ENULL);
    assert_int_equal(dlfs_standardizer_invert(NULL, &X), DLFS_ENULL);
    assert_int_equal(dlfs_standardizer_invert(&s, NULL), DLFS_ENULL);
    dlfs_standardizer_free(&s);
    dlfs_standardizer_free(NULL);

    dlfs_matrix o[4];
    assert_int_equal(dlfs_split(NULL, &y, 0.5, 1, &o[0], &o[1], &o[2], &o[3]), DLFS_ENULL);
    assert_int_equal(dlfs_split(&X, NULL, 0.5, 1, &o[0], &o[1], &o[2], &o[3]), DLFS_ENULL);
    assert_int_equal(dlfs_split(&X, &y, 0.5, 1, NULL, &o[1], &o[2], &o[3]), DLFS_ENULL);
    assert_int_equal(dlfs_split(&X, &y, 0.5, 1, &o[0], NULL, &o[2], &o[3]), DLFS_ENULL);
    assert_int_equal(dlfs_split(&X, &y, 0.5, 1, &o[0], &o[1], NULL, &o[3]), DLFS_ENULL);
    assert_int_equal(dlfs_split(&X, &y, 0.5, 1, &o[0], &o[1], &o[2], NULL), DLFS_ENULL);
    assert_int_equal(dlfs_split(&nodata, &y, 0.5, 1, &o[0], &o[1], &o[2], &o[3]), DLFS_ENULL);
    assert_true(all_empty(o, 4));

    dlfs_metrics m;
    assert_int_equal(dlfs_metrics_compute(NULL, &y, &m), DLFS_ENULL);
    assert_int_equal(dlfs_metrics_compute(&y, NULL, &m), DLFS_ENULL);
    assert_int_equal(dlfs_metrics_compute(&y, &y, NULL), DLFS_ENULL);
    assert_non_null(strstr(dlfs_error_detail(), "dlfs_metrics_compute"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_simple),
        cmocka_unit_test(test_parse_messy),
        cmocka_unit_test(test_parse_target_choice),
        cmocka_unit_test(test_parse_no_target),
        cmocka_unit_test(test_parse_length_bounded),
        cmocka_unit_test(test_parse_number_forms),
        cmocka_unit_test(test_parse_matches_strtod),
        cmocka_unit_test(test_parse_many_rows),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_read_file_errors),
        cmocka_unit_test(test_read_pipe),
        cmocka_unit_test(test_read_boston),
        cmocka_unit_test(test_read_large_file),
        cmocka_unit_test(test_read_memory),
        cmocka_unit_test(test_standardizer),
        cmocka_unit_test(test_standardizer_errors),
        cmocka_unit_test(test_split_boston_sizes),
        cmocka_unit_test(test_split_seeds),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_split_in_place_matches),
        cmocka_unit_test(test_split_in_place_errors),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
