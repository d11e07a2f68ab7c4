/* examples/common/chapter.c - the chapter's settings and its data pipeline;
 * see chapter.h. */
#include "chapter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "files.h"

/* ---- The chapter's settings --------------------------------------------- */

/* The learning rates are the book's 0.001 for the exact gradient of the mean
 * squared error at full batches: times the batch for the regression (0.023),
 * times half the batch for the network (0.0115), whose book gradient drops
 * the factor 2. A pass's short last batch steps further per row than the
 * book's; book mode (the summed loss at 0.001 and 0.0005) steps as it does. */
const chapter_model chapter_models[CHAPTER_MODELS] = {
    { DLFS_MODEL_OLS, "ols", "OLS, closed form", 0, 0, 0, 180708, 3.5666, 5.0482 },
    { DLFS_MODEL_LINREG, "linreg", "linear regression", 1000, 0.023, 0.001, 180708, NAN, 5.0508 },
    { DLFS_MODEL_NN, "nn", "neural network", 10000, 0.0115, 0.0005, 180807, 2.5289, 3.6775 },
};

const chapter_model *chapter_model_of(dlfs_model_kind kind)
{
    for (int i = 0; i < CHAPTER_MODELS; i++)
        if (chapter_models[i].kind == kind)
            return &chapter_models[i];
    return NULL;
}

int chapter_diverged(size_t iteration, size_t total)
{
    char of[32] = "";

    if (total)
        snprintf(of, sizeof of, " of %zu", total);
    return cli_error(CLI_EXIT_FAILURE, "training diverged at iteration %zu%s (the loss or a "
                     "gradient is not finite); try a smaller --lr", iteration, of);
}

/* ---- Reading ------------------------------------------------------------- */

int chapter_read_csv(const char *path, const char *target, size_t target_index,
                     dlfs_dataset *ds)
{
    dlfs_csv_error err = { 0, 0, "" };
    dlfs_status st = dlfs_csv_read(path, target, target_index, ds, &err);

    return chapter_csv_error(path, st, &err);
}

int chapter_csv_error(const char *path, dlfs_status st, const dlfs_csv_error *e)
{
    dlfs_csv_error err = *e;
    const char *what;

    if (st == DLFS_OK)
        return CLI_EXIT_OK;
    what = cli_without_function(err.message[0] ? err.message : dlfs_error_detail());
    if (!what[0])
        what = dlfs_strerror(st);
    if (strncmp(what, "line ", 5) == 0 || !err.line)
        return cli_error(CLI_EXIT_FAILURE, "%s: %s", path, what);
    if (err.column)
        return cli_error(CLI_EXIT_FAILURE, "%s: line %zu, column %zu: %s", path, err.line,
                         err.column, what);
    return cli_error(CLI_EXIT_FAILURE, "%s: line %zu: %s", path, err.line, what);
}

void chapter_source_boston(chapter_source *src)
{
    memset(src, 0, sizeof *src);
    src->target = CHAPTER_BOSTON_TARGET;
    src->test_fraction = CHAPTER_TEST_FRACTION;
    src->split_seed = CHAPTER_SPLIT_SEED;
    src->standardize = 1;
}

int chapter_source_find(chapter_source *src)
{
    if (src->path)
        return CLI_EXIT_OK;
    if (cli_find_data(CHAPTER_BOSTON_FILE, src->found, sizeof src->found) != 0)
        return CLI_EXIT_FAILURE;
    src->path = src->found;
    if (!src->target)
        src->target = CHAPTER_BOSTON_TARGET;
    return CLI_EXIT_OK;
}

/* ---- Splitting and standardising ----------------------------------------- */

void chapter_data_free(chapter_data *d)
{
    dlfs_dataset_free(&d->file);
    dlfs_dataset_free(&d->test_file);
    dlfs_standardizer_free(&d->scaler);
    memset(d, 0, sizeof *d);
}

/* The test file must have the training file's features, in the same order. */
static int check_same_features(const chapter_source *src, const dlfs_dataset *train,
                               const dlfs_dataset *test)
{
    size_t k = train->X.cols;

    if (test->X.cols != k)
        return cli_error(CLI_EXIT_FAILURE, "%s has %zu feature columns but %s has %zu",
                         src->test_path, test->X.cols, src->path, k);
    for (size_t j = 0; j < k; j++)
        if (strcmp(train->feature_names[j], test->feature_names[j]) != 0)
            return cli_error(CLI_EXIT_FAILURE,
                             "feature %zu is '%s' in %s but '%s' in %s", j + 1,
                             test->feature_names[j], src->test_path,
                             train->feature_names[j], src->path);
    return CLI_EXIT_OK;
}

static int read_test_file(const chapter_source *src, chapter_data *d)
{
    /* The test file's target is the column the training file used. */
    int rc = chapter_read_csv(src->test_path, d->file.target_name, 0, &d->test_file);

    if (!rc)
        rc = check_same_features(src, &d->file, &d->test_file);
    if (rc)
        return rc;
    d->X_train = d->file.X;
    d->y_train = d->file.y;
    d->X_test = d->test_file.X;
    d->y_test = d->test_file.y;
    return CLI_EXIT_OK;
}

/* The rows dlfs_split() would copy out, moved in place instead: the training
 * rows first, then the test rows, each in file order. */
static int split_file(const chapter_source *src, chapter_data *d)
{
    dlfs_matrix *X = &d->file.X, *y = &d->file.y;
    size_t n = X->rows, n_train;
    dlfs_status st;

    st = dlfs_split_in_place(X, y, src->test_fraction, src->split_seed, &n_train);
    if (!st) st = dlfs_matrix_block(X, 0, 0, n_train, X->cols, &d->X_train);
    if (!st) st = dlfs_matrix_block(y, 0, 0, n_train, y->cols, &d->y_train);
    if (!st) st = dlfs_matrix_block(X, n_train, 0, n - n_train, X->cols, &d->X_test);
    if (!st) st = dlfs_matrix_block(y, n_train, 0, n - n_train, y->cols, &d->y_test);
    if (st)
        return cli_fail(st, src->split_context ? src->split_context
                                               : "splitting the rows into training and test sets");
    return CLI_EXIT_OK;
}

/* The rows of X (and y) in the order `order` gives, through a copy. */
static dlfs_status reorder_rows(dlfs_matrix *X, const size_t *order)
{
    dlfs_matrix copy;
    dlfs_status st = dlfs_matrix_alloc(&copy, X->rows, X->cols);
    if (st)
        return st;
    for (size_t i = 0; i < X->rows; i++)
        memcpy(copy.data + i * copy.ld, X->data + order[i] * X->ld, X->cols * sizeof(double));
    for (size_t i = 0; i < X->rows; i++)
        memcpy(X->data + i * X->ld, copy.data + i * copy.ld, X->cols * sizeof(double));
    dlfs_matrix_free(&copy);
    return DLFS_OK;
}

/* Book mode: every row standardised (the chapter's code scales before it
 * splits), then scikit-learn's split: the training rows p[n_test..n) first,
 * then the test rows p[0..n_test), each in the permutation's order. */
static int book_split(const chapter_source *src, chapter_data *d)
{
    dlfs_matrix *X = &d->file.X, *y = &d->file.y;
    const size_t n = X->rows;
    size_t n_test = 0, *idx = malloc((n ? n : 1) * sizeof *idx), *order = NULL;
    dlfs_status st = idx ? DLFS_OK : DLFS_ENOMEM;

    if (!st && src->standardize) {
        st = dlfs_standardizer_fit(&d->scaler, X);
        if (!st) st = dlfs_standardizer_apply(&d->scaler, X);
        if (st) {
            free(idx);
            return cli_fail(st, "standardising the features");
        }
    }
    if (!st) st = dlfs_nprandom_split(n, src->test_fraction, src->split_seed, idx, &n_test);
    if (!st && !(order = malloc(n * sizeof *order)))
        st = DLFS_ENOMEM;
    if (!st) {
        memcpy(order, idx + n_test, (n - n_test) * sizeof *order);
        memcpy(order + (n - n_test), idx, n_test * sizeof *order);
        st = reorder_rows(X, order);
        if (!st) st = reorder_rows(y, order);
    }
    if (!st) st = dlfs_matrix_block(X, 0, 0, n - n_test, X->cols, &d->X_train);
    if (!st) st = dlfs_matrix_block(y, 0, 0, n - n_test, y->cols, &d->y_train);
    if (!st) st = dlfs_matrix_block(X, n - n_test, 0, n_test, X->cols, &d->X_test);
    if (!st) st = dlfs_matrix_block(y, n - n_test, 0, n_test, y->cols, &d->y_test);
    free(idx);
    free(order);
    return st ? cli_fail(st, "splitting the rows as the chapter's code does") : CLI_EXIT_OK;
}

int chapter_prepare(const chapter_source *src, chapter_data *d)
{
    dlfs_status st;
    int rc;

    memset(d, 0, sizeof *d);
    rc = chapter_read_csv(src->path, src->target, (size_t)-1, &d->file);
    if (!rc && src->book)
        return book_split(src, d);
    if (!rc)
        rc = src->test_path ? read_test_file(src, d) : split_file(src, d);
    if (rc || !src->standardize)
        return rc;
    /* The scaler sees only the training rows: the test rows stay unseen. */
    st = dlfs_standardizer_fit(&d->scaler, &d->X_train);
    if (!st) st = dlfs_standardizer_apply(&d->scaler, &d->X_train);
    if (!st) st = dlfs_standardizer_apply(&d->scaler, &d->X_test);
    return st ? cli_fail(st, "standardising the features") : CLI_EXIT_OK;
}
