/* tests/fuzz/fuzz_csv.c - libFuzzer target for the CSV parser (dlfs_csv_parse).
 *
 * Each input is parsed as a whole file four ways: target = last column,
 * target = first column, no target (DLFS_CSV_NO_TARGET), target named "medv". Besides "no crash, no leak,
 * no undefined behaviour" (the sanitizers' job), it checks what the header
 * promises and aborts when a promise is broken:
 *   - on failure the dataset is all zeros and err->message is the same text
 *     as dlfs_error_detail();
 *   - on success X is n x k (n, k >= 1, ld = k), y is n x 1 (n x 0 and no
 *     target name without a target), every value is finite and every name
 *     is allocated;
 *   - the choice of the target column does not change whether the table
 *     parses (except that a single column is a table only without a
 *     target), nor any value: column 0 read as y equals column 0 read as X.
 * Short inputs are also wrapped as the single field of a one-row table
 * ("x,y\n<input>,1\n"): when that parses, the value must be bit for bit what
 * strtod gives (the fast path is meant to round exactly as strtod does).
 *
 * Build: scripts/fuzz.sh. Seeds: tests/fuzz/csv/.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfs/dlfs.h>

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, \
                    #cond);                                                    \
            abort();                                                           \
        }                                                                      \
    } while (0)

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void check_empty(const dlfs_dataset *ds)
{
    CHECK(ds->X.data == NULL && ds->y.data == NULL);
    CHECK(ds->X.rows == 0 && ds->X.cols == 0 && ds->y.rows == 0 && ds->y.cols == 0);
    CHECK(ds->feature_names == NULL && ds->target_name == NULL);
}

/* Parses and checks one way; returns the status (ds is left for the caller). */
static dlfs_status parse_checked(const char *text, size_t len, const char *target,
                                 size_t index, dlfs_dataset *ds)
{
    dlfs_csv_error err;
    dlfs_status st = dlfs_csv_parse(text, len, target, index, ds, &err);
    if (st != DLFS_OK) {
        CHECK(st < DLFS_STATUS_COUNT_);
        check_empty(ds);
        CHECK(err.message[0] != '\0');
        CHECK(strcmp(err.message, dlfs_error_detail()) == 0);
        return st;
    }
    const int has_target = target != NULL || index != DLFS_CSV_NO_TARGET;
    const size_t n = ds->X.rows, k = ds->X.cols;
    CHECK(n >= 1 && k >= 1 && ds->X.ld == k);
    CHECK(ds->y.rows == n);
    if (has_target) {
        CHECK(ds->y.cols == 1 && ds->y.ld == 1 && ds->target_name != NULL);
        for (size_t i = 0; i < n; i++)
            CHECK(isfinite(ds->y.data[i]));
    } else {
        CHECK(ds->y.cols == 0 && ds->y.data == NULL && ds->target_name == NULL);
    }
    for (size_t i = 0; i < n * k; i++)
        CHECK(isfinite(ds->X.data[i]));
    CHECK(ds->feature_names != NULL);
    for (size_t j = 0; j < k; j++)
        CHECK(ds->feature_names[j] != NULL);
    return st;
}

/* "x,y\n" + the input + ",1\n": the input as one field. */
static void check_single_field(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 200)
        return;
    for (size_t i = 0; i < size; i++)
        if (data[i] == ',' || data[i] == '\n' || data[i] == '\r' || data[i] == '"' ||
            data[i] == '\0')
            return;
    char text[256], field[256];
    memcpy(text, "x,y\n", 4);
    memcpy(text + 4, data, size);
    memcpy(text + 4 + size, ",1\n", 3);
    dlfs_dataset ds;
    if (dlfs_csv_parse(text, size + 7, NULL, (size_t)-1, &ds, NULL) != DLFS_OK)
        return;
    CHECK(ds.X.rows == 1 && ds.X.cols == 1);
    /* Accepted: a decimal number with blanks around; strtod must agree. */
    const char *s = (const char *)data;
    size_t len = size;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    memcpy(field, s, len);
    field[len] = '\0';
    char *end;
    const double v = strtod(field, &end);
    CHECK(end == field + len);
    CHECK(same_bits(v, ds.X.data[0]));
    dlfs_dataset_free(&ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    dlfs_dataset last, first, none, named;

    const dlfs_status s_last = parse_checked(text, size, NULL, (size_t)-1, &last);
    const dlfs_status s_first = parse_checked(text, size, NULL, 0, &first);
    const dlfs_status s_none = parse_checked(text, size, NULL, DLFS_CSV_NO_TARGET, &none);
    CHECK(s_last == s_first);
    /* Without a target a one-column table is read on (the others stop at
     * its header with DLFS_EEMPTY); otherwise the same outcome. */
    CHECK(s_none == s_last || s_last == DLFS_EEMPTY);
    if (s_last == DLFS_OK) {
        const size_t n = last.X.rows, k = last.X.cols;
        CHECK(first.X.rows == n && first.X.cols == k);
        CHECK(none.X.rows == n && none.X.cols == k + 1);
        /* Column 0 is X's first column in `last` and y in `first`; the last
         * column is y in `last` and X's last column in `first`; `none` holds
         * every column. */
        for (size_t i = 0; i < n; i++) {
            CHECK(same_bits(last.X.data[i * k], first.y.data[i]));
            CHECK(same_bits(last.y.data[i], first.X.data[i * k + k - 1]));
            CHECK(same_bits(last.y.data[i], none.X.data[i * (k + 1) + k]));
            for (size_t j = 0; j < k; j++)
                CHECK(same_bits(last.X.data[i * k + j], none.X.data[i * (k + 1) + j]));
        }
    }
    dlfs_dataset_free(&last);
    dlfs_dataset_free(&first);
    dlfs_dataset_free(&none);

    if (parse_checked(text, size, "medv", 0, &named) == DLFS_OK)
        CHECK(strcmp(named.target_name, "medv") == 0);
    dlfs_dataset_free(&named);

    check_single_field(data, size);
    return 0;
}
