/* examples/dlfs.c - the dlfs command: trains the chapter's models on a CSV
 * file, reports how well they predict rows they did not see, saves them, and
 * predicts with a saved model.
 *
 *     dlfs train --model linreg|nn|ols [--save MODEL] [options]
 *                                   one model: a summary, or JSON
 *     dlfs predict --model-file MODEL --data FILE.csv [--output PRED.csv]
 *                                   one prediction per row; scores too when
 *                                   the file has the target column
 *     dlfs run [--backend B] [--quiet] [--json]
 *                                   the chapter on the Boston data: OLS,
 *                                   regression and network beside the book's
 *                                   figures
 *
 * Every training run reads the CSV, splits it (or reads a separate test
 * file), fits the standardisation on the training rows only, fits the model,
 * and scores it on the test rows. Targets are left in their own units (the
 * book's prices stay in $1000s), so MAE and RMSE are in the target's units.
 *
 * A model file (dlfs/model_file.h) holds the fitted model with the
 * standardisation, the feature names and the target name; OLS coefficients
 * are saved as a linear regression. `dlfs predict` hands raw rows to
 * dlfs_model_predict(), which standardises them with the saved parameters
 * exactly as training standardised its test rows, in the blocks of rows
 * training scored them in, so a loaded model scores those rows bit for bit
 * as the model did before it was saved.
 *
 * Memory: the rows are read once and split in place (the training and test
 * sets are views of them), and scoring predicts a block of rows at a time, so
 * `dlfs train` holds the data, the model, one batch and a few MB besides.
 */
#include <dlfs/dlfs.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"

#define BOSTON_FILE "boston_housing.csv"
#define BOSTON_TARGET "medv"

/* ---- The chapter's settings (SPEC.md) ----------------------------------- */

enum model_kind { MODEL_OLS, MODEL_LINREG, MODEL_NN, MODEL_KINDS };

static const struct chapter_model {
    const char *name;        /* as given to --model */
    const char *title;       /* in tables */
    size_t iterations;
    double lr;               /* the book's 0.001 mapped to the exact gradient */
    uint64_t seed;
    double book_mae;         /* the chapter's test figures; NaN: not published */
    double book_rmse;
} chapter[MODEL_KINDS] = {
    [MODEL_OLS] = { "ols", "OLS, closed form", 0, 0, 180708, 3.5666, 5.0482 },
    [MODEL_LINREG] = { "linreg", "linear regression", 1000, 0.023, 180708, NAN, 5.0508 },
    [MODEL_NN] = { "nn", "neural network", 10000, 0.0115, 180807, 2.5289, 3.6775 },
};

#define CHAPTER_BATCH 23
#define CHAPTER_HIDDEN 13
#define CHAPTER_TEST_FRACTION 0.3
/* One split for every model, so they are scored on the same test rows. */
#define CHAPTER_SPLIT_SEED 180708

static int parse_model(const char *name, enum model_kind *kind)
{
    for (int i = 0; i < MODEL_KINDS; i++)
        if (strcmp(name, chapter[i].name) == 0) {
            *kind = (enum model_kind)i;
            return 0;
        }
    return -1;
}

/* ---- Errors from the library -------------------------------------------- */

/* "dlfs: <context>: <detail>", or the status's sentence when the library left
 * no detail; returns CLI_EXIT_FAILURE. */
static int fail(dlfs_status st, const char *context)
{
    const char *detail = cli_without_function(dlfs_error_detail());
    return cli_error(CLI_EXIT_FAILURE, "%s: %s", context, detail[0] ? detail : dlfs_strerror(st));
}

/* Reads a CSV file, the target being the column named `target`, else the
 * column at target_index ((size_t)-1: the last; DLFS_CSV_NO_TARGET: none); on
 * failure prints "dlfs: FILE: line L, column C: what". */
static int read_csv(const char *path, const char *target, size_t target_index,
                    dlfs_dataset *ds)
{
    dlfs_csv_error err = { 0, 0, "" };
    dlfs_status st = dlfs_csv_read(path, target, target_index, ds, &err);
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

/* ---- Data: read, split, standardise ------------------------------------- */

/* Where the rows come from. */
struct data_source {
    const char *path;        /* training data (or all of it, when split) */
    const char *target;      /* column name; NULL: the last column */
    const char *test_path;   /* separate test rows; NULL: split path */
    double test_fraction;
    uint64_t split_seed;
    int standardize;
};

/* The rows a model is fitted and scored on. The four matrices are views,
 * never copies: with a split, of file's rows, reordered in place so that the
 * training rows come first; with a test file, of file's and test_file's
 * rows. The datasets own the memory; the views are not freed. */
struct prepared {
    dlfs_dataset file;                  /* as read (rows reordered by the split) */
    dlfs_dataset test_file;             /* the --test rows; empty without --test */
    dlfs_matrix X_train, y_train;       /* n_train x k, n_train x 1 */
    dlfs_matrix X_test, y_test;         /* n_test x k, n_test x 1 */
    dlfs_standardizer scaler;           /* fitted on X_train; k == 0 when off */
};

static void prepared_free(struct prepared *d)
{
    dlfs_dataset_free(&d->file);
    dlfs_dataset_free(&d->test_file);
    dlfs_standardizer_free(&d->scaler);
    memset(d, 0, sizeof *d);
}

/* The test file must have the training file's features, in the same order. */
static int check_same_features(const struct data_source *src, const dlfs_dataset *train,
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

static int prepare_data(const struct data_source *src, struct prepared *d)
{
    dlfs_status st;
    int rc;

    memset(d, 0, sizeof *d);
    rc = read_csv(src->path, src->target, (size_t)-1, &d->file);
    if (rc)
        return rc;

    if (src->test_path) {
        /* The test file's target is the column the training file used. */
        rc = read_csv(src->test_path, d->file.target_name, 0, &d->test_file);
        if (!rc)
            rc = check_same_features(src, &d->file, &d->test_file);
        if (rc)
            return rc;
        d->X_train = d->file.X;
        d->y_train = d->file.y;
        d->X_test = d->test_file.X;
        d->y_test = d->test_file.y;
    } else {
        /* The rows dlfs_split() would copy out, moved in place instead: the
         * training rows first, then the test rows, each in file order. */
        dlfs_matrix *X = &d->file.X, *y = &d->file.y;
        size_t n = X->rows, n_train;
        st = dlfs_split_in_place(X, y, src->test_fraction, src->split_seed, &n_train);
        if (!st) st = dlfs_matrix_block(X, 0, 0, n_train, X->cols, &d->X_train);
        if (!st) st = dlfs_matrix_block(y, 0, 0, n_train, y->cols, &d->y_train);
        if (!st) st = dlfs_matrix_block(X, n_train, 0, n - n_train, X->cols, &d->X_test);
        if (!st) st = dlfs_matrix_block(y, n_train, 0, n - n_train, y->cols, &d->y_test);
        if (st)
            return fail(st, "splitting the rows into training and test sets");
    }

    if (src->standardize) {
        st = dlfs_standardizer_fit(&d->scaler, &d->X_train);
        if (!st) st = dlfs_standardizer_apply(&d->scaler, &d->X_train);
        if (!st) st = dlfs_standardizer_apply(&d->scaler, &d->X_test);
        if (st)
            return fail(st, "standardising the features");
    }
    return CLI_EXIT_OK;
}

/* ---- Fitting and scoring ------------------------------------------------ */

/* How to fit one model. */
struct fit_plan {
    enum model_kind kind;
    size_t hidden;
    size_t iterations;       /* 0: use epochs */
    size_t epochs;
    size_t batch;
    double lr;
    uint64_t seed;
    dlfs_init init;
    dlfs_backend backend;
    int progress;            /* a progress line on a terminal */
};

static void plan_chapter(struct fit_plan *p, enum model_kind kind)
{
    p->kind = kind;
    p->hidden = CHAPTER_HIDDEN;
    p->iterations = chapter[kind].iterations;
    p->epochs = 0;
    p->batch = CHAPTER_BATCH;
    p->lr = chapter[kind].lr;
    p->seed = chapter[kind].seed;
    p->init = DLFS_INIT_NORMAL;
    p->backend = DLFS_BACKEND_BLAS;
    p->progress = 0;
}

/* A fitted model for standardised features: the content of a model file
 * (with the scaler and the names in struct prepared). */
struct fitted {
    enum model_kind kind;
    dlfs_linreg linreg;      /* MODEL_OLS, MODEL_LINREG */
    dlfs_nn nn;              /* MODEL_NN */
};

static void fitted_free(struct fitted *f)
{
    dlfs_linreg_free(&f->linreg);
    dlfs_nn_free(&f->nn);
}

/* How a fitted model did. */
struct score {
    size_t iterations;       /* updates applied; 0 for OLS */
    double last_batch_loss;  /* NaN for OLS */
    double train_loss;       /* mean squared error on all training rows */
    double seconds;          /* fitting only */
    dlfs_metrics test;
};

/* Scoring predicts a block of rows at a time, as many as this many bytes of
 * activations hold (10082 rows for 13 hidden units): the network's hidden
 * layer for all the rows at once (n x h) would cost about as much as the data.
 * The BLAS may round a row's product differently in a call of another size,
 * so `dlfs predict` scores in the same blocks: a saved model then scores a
 * file bit for bit as training scored it. */
#define SCORE_BLOCK_BYTES ((size_t)1 << 20)

/* Rows per block, for a model with `width` activations per row (the hidden
 * units of a network, 1 for a linear model). */
static size_t score_block_rows(size_t width)
{
    size_t rows = SCORE_BLOCK_BYTES / (width * sizeof(double));
    return rows ? rows : 1;
}

static size_t fitted_block_rows(const struct fitted *f)
{
    return score_block_rows(f->kind == MODEL_NN ? f->nn.h : 1);
}

/* Rows [prow, prow + count) of P (n x 1) = the model's predictions for rows
 * [row, row + count) of X. */
static dlfs_status predict_block(const struct fitted *f, const dlfs_matrix *X, size_t row,
                                 size_t count, dlfs_matrix *P, size_t prow)
{
    dlfs_matrix Xb, Pb;
    dlfs_status st = dlfs_matrix_block(X, row, 0, count, X->cols, &Xb);

    if (!st) st = dlfs_matrix_block(P, prow, 0, count, P->cols, &Pb);
    if (st)
        return st;
    if (f->kind == MODEL_NN)
        return dlfs_nn_predict(&f->nn, &Xb, &Pb);
    return dlfs_linreg_predict(&f->linreg, &Xb, &Pb);
}

/* P (n x 1, the caller's) = the model's predictions for X (n x k). */
static dlfs_status predict_rows(const struct fitted *f, const dlfs_matrix *X, dlfs_matrix *P)
{
    size_t block = fitted_block_rows(f);
    dlfs_status st = DLFS_OK;

    for (size_t row = 0; row < X->rows && !st; row += block)
        st = predict_block(f, X, row, X->rows - row < block ? X->rows - row : block, P, row);
    return st;
}

/* *mse = mean of (P - y)^2 over the rows of X (n x k) and y (n x 1), P the
 * model's predictions, made a block at a time into one block of scratch. */
static dlfs_status mean_squared_error(const struct fitted *f, const dlfs_matrix *X,
                                      const dlfs_matrix *y, double *mse)
{
    size_t block = fitted_block_rows(f);
    dlfs_matrix P = { 0, 0, 0, NULL };
    double sum = 0;
    dlfs_status st;

    if (block > X->rows)
        block = X->rows;
    st = dlfs_matrix_alloc(&P, block, 1);
    for (size_t row = 0; row < X->rows && !st; row += block) {
        size_t count = X->rows - row < block ? X->rows - row : block;
        st = predict_block(f, X, row, count, &P, 0);
        for (size_t i = 0; i < count && !st; i++) {
            double e = P.data[i * P.ld] - y->data[(row + i) * y->ld];
            sum += e * e;
        }
    }
    dlfs_matrix_free(&P);
    *mse = sum / (double)y->rows;
    return st;
}

static int fit(const struct fit_plan *plan, const struct prepared *d, struct fitted *f,
               struct score *sc)
{
    const dlfs_matrix *X = &d->X_train, *y = &d->y_train;
    dlfs_train_options opt;
    dlfs_train_result res;
    cli_progress progress;
    size_t total = 0;
    dlfs_status st;
    double t0;

    memset(f, 0, sizeof *f);
    memset(&res, 0, sizeof res);
    f->kind = plan->kind;
    sc->iterations = 0;
    sc->last_batch_loss = NAN;

    if (plan->kind == MODEL_NN)
        st = dlfs_nn_alloc(&f->nn, X->cols, plan->hidden, 1);
    else
        st = dlfs_linreg_alloc(&f->linreg, X->cols, 1);
    if (st)
        return fail(st, "allocating the model");
    f->nn.backend = plan->backend;
    f->linreg.backend = plan->backend;

    if (plan->kind == MODEL_OLS) {
        t0 = cli_now();
        st = dlfs_ols_fit(&f->linreg, X, y);
        sc->seconds = cli_now() - t0;
        return st ? fail(st, "fitting least squares") : CLI_EXIT_OK;
    }

    dlfs_train_options_default(&opt);
    opt.iterations = plan->iterations;
    opt.epochs = plan->epochs;
    opt.batch_size = plan->batch;
    opt.learning_rate = plan->lr;
    opt.seed = plan->seed;
    opt.init = plan->init;
    st = dlfs_train_iterations(&opt, X->rows, &total);
    if (st)
        return fail(st, "counting the iterations");

    cli_progress_start(&progress, chapter[plan->kind].name, total, plan->progress);
    opt.on_loss = cli_progress_on_loss;
    opt.user = &progress;

    t0 = cli_now();
    if (plan->kind == MODEL_NN)
        st = dlfs_nn_train(&f->nn, X, y, &opt, &res);
    else
        st = dlfs_linreg_train(&f->linreg, X, y, &opt, &res);
    sc->seconds = cli_now() - t0;
    cli_progress_finish(&progress);

    if (st == DLFS_EDIVERGED)
        return cli_error(CLI_EXIT_FAILURE,
                         "training diverged at iteration %zu of %zu (the loss or a gradient "
                         "is not finite); try a smaller --lr", res.failed_iteration + 1, total);
    if (st)
        return fail(st, "training");
    sc->iterations = res.iterations;
    sc->last_batch_loss = res.final_loss;
    return CLI_EXIT_OK;
}

static int evaluate(const struct fitted *f, const struct prepared *d, struct score *sc)
{
    dlfs_matrix P_test = { 0, 0, 0, NULL };
    dlfs_status st;

    st = dlfs_matrix_alloc(&P_test, d->X_test.rows, 1);
    if (!st) st = mean_squared_error(f, &d->X_train, &d->y_train, &sc->train_loss);
    if (!st) st = predict_rows(f, &d->X_test, &P_test);
    if (!st) st = dlfs_metrics_compute(&P_test, &d->y_test, &sc->test);
    dlfs_matrix_free(&P_test);
    return st ? fail(st, "scoring the model") : CLI_EXIT_OK;
}

static int fit_and_score(const struct fit_plan *plan, const struct prepared *d,
                         struct fitted *f, struct score *sc)
{
    int rc = fit(plan, d, f, sc);
    if (!rc)
        rc = evaluate(f, d, sc);
    return rc;
}

/* "0.7 ms" or "3.214 s". */
static const char *format_seconds(char *buf, size_t size, double s)
{
    if (s < 1)
        snprintf(buf, size, "%.1f ms", 1000 * s);
    else
        snprintf(buf, size, "%.3f s", s);
    return buf;
}

/* RMSE as a percentage of the mean test target (the chapter's 22.9%). */
static double rmse_percent(const struct score *sc)
{
    return 100.0 * sc->test.rmse / sc->test.mean_target;
}

/* ---- dlfs train --------------------------------------------------------- */

static const char train_usage[] =
    "Usage: dlfs train --model linreg|nn|ols [options]\n"
    "\n"
    "Trains one model and scores it on held-out rows. Without --data it uses the\n"
    "bundled Boston housing data (target medv). Defaults are the chapter's: a 30%\n"
    "test split, batch 23, 13 hidden units, 1000 iterations at lr 0.023 and seed\n"
    "180708 for linreg, 10000 iterations at lr 0.0115 and seed 180807 for nn.\n"
    "Features are standardised on the training rows; the target is not.\n"
    "\n"
    "With --save MODEL the fitted model, its standardisation and the column\n"
    "names go to a model file for `dlfs predict`, written atomically, and only\n"
    "after a fit that succeeded: when training fails (diverges) a file already\n"
    "at MODEL is left as it was.\n";

struct train_args {
    const char *model, *data, *target, *test, *backend, *init, *save;
    double test_fraction, lr;
    size_t hidden, iterations, epochs, batch;
    uint64_t seed, split_seed;
    int no_standardize, json, quiet;
};

static void print_summary(const struct train_args *a, const struct data_source *src,
                          const struct prepared *d, const struct fit_plan *plan,
                          const struct score *sc)
{
    size_t n_train = d->X_train.rows, n_test = d->X_test.rows;
    char buf[32];

    if (!a->quiet) {
        printf("data        %s (target %s)\n", src->path, d->file.target_name);
        if (src->test_path)
            printf("rows        %zu train, %zu test (from %s)\n", n_train, n_test, src->test_path);
        else
            printf("rows        %zu: %zu train, %zu test (%g%% test split, seed %llu)\n",
                   n_train + n_test, n_train, n_test, 100 * src->test_fraction,
                   (unsigned long long)src->split_seed);
        printf("features    %zu, %s\n", d->X_train.cols,
               src->standardize ? "standardised on the training rows" : "as given");
        if (plan->kind == MODEL_NN)
            printf("model       nn, %zu hidden units (sigmoid)\n", plan->hidden);
        else
            printf("model       %s\n", plan->kind == MODEL_OLS
                   ? "ols, least squares in closed form (LAPACK dgels)" : "linreg");
        if (plan->kind != MODEL_OLS)
            printf("training    %zu iterations, batch %zu, lr %g, seed %llu, init %s, "
                   "backend %s\n", sc->iterations, plan->batch, plan->lr,
                   (unsigned long long)plan->seed, dlfs_init_name(plan->init),
                   dlfs_backend_name(plan->backend));
        printf("\n");
    }
    if (plan->kind == MODEL_OLS)
        printf("train loss  %.4f (mean squared error on the training rows)\n", sc->train_loss);
    else
        printf("train loss  %.4f (mean squared error on the training rows; last batch %.4f)\n",
               sc->train_loss, sc->last_batch_loss);
    printf("test MAE    %.4f\n", sc->test.mae);
    printf("test RMSE   %.4f (%.1f%% of the mean test target %.4f)\n", sc->test.rmse,
           rmse_percent(sc), sc->test.mean_target);
    printf("test R^2    %.4f\n", sc->test.r2);
    printf("time        %s\n", format_seconds(buf, sizeof buf, sc->seconds));
    if (a->save)
        printf("saved       %s\n", a->save);
}

static void print_train_json(const struct data_source *src, const struct prepared *d,
                             const struct fit_plan *plan, const struct score *sc,
                             const char *saved)
{
    cli_json j;
    int trained = plan->kind != MODEL_OLS;

    cli_json_begin(&j, stdout);
    cli_json_string(&j, "command", "train");
    cli_json_string(&j, "model", chapter[plan->kind].name);
    cli_json_string(&j, "data", src->path);
    cli_json_string(&j, "target", d->file.target_name);
    cli_json_string(&j, "test_data", src->test_path);
    cli_json_string(&j, "backend", dlfs_backend_name(plan->backend));
    cli_json_string(&j, "init", trained ? dlfs_init_name(plan->init) : NULL);
    cli_json_bool(&j, "standardized", src->standardize);
    cli_json_size(&j, "train_rows", d->X_train.rows);
    cli_json_size(&j, "test_rows", d->X_test.rows);
    cli_json_size(&j, "features", d->X_train.cols);
    if (plan->kind == MODEL_NN)
        cli_json_size(&j, "hidden", plan->hidden);
    cli_json_size(&j, "iterations", sc->iterations);
    if (trained) {
        cli_json_size(&j, "batch", plan->batch);
        cli_json_number(&j, "lr", plan->lr);
        cli_json_u64(&j, "seed", plan->seed);
    } else {
        cli_json_null(&j, "batch");
        cli_json_null(&j, "lr");
        cli_json_null(&j, "seed");
    }
    if (src->test_path)
        cli_json_null(&j, "split_seed");
    else
        cli_json_u64(&j, "split_seed", src->split_seed);
    cli_json_number(&j, "train_loss", sc->train_loss);
    cli_json_number(&j, "last_batch_loss", sc->last_batch_loss);
    cli_json_number(&j, "test_mae", sc->test.mae);
    cli_json_number(&j, "test_rmse", sc->test.rmse);
    cli_json_number(&j, "test_rmse_percent", rmse_percent(sc));
    cli_json_number(&j, "test_r2", sc->test.r2);
    cli_json_number(&j, "mean_target", sc->test.mean_target);
    cli_json_number(&j, "train_seconds", sc->seconds);
    cli_json_string(&j, "model_file", saved);
    cli_json_end(&j);
}

/* 1 if a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Writes the fitted model, with the standardisation fitted on the training
 * rows and the file's feature and target names, to path (atomically: on
 * failure a file already at path is left as it was). */
static int save_model(const struct fitted *f, const struct prepared *d, const char *path)
{
    const char *const *names = (const char *const *)d->file.feature_names;
    dlfs_model model;
    dlfs_status st;

    if (f->kind == MODEL_NN)
        st = dlfs_model_from_nn(&model, &f->nn, &d->scaler, names, d->file.target_name);
    else
        st = dlfs_model_from_linreg(&model, &f->linreg, &d->scaler, names,
                                    d->file.target_name);
    if (!st) {
        st = dlfs_model_save(&model, path);
        dlfs_model_free(&model);
    }
    if (st) {
        const char *detail = cli_without_function(dlfs_error_detail());
        return cli_error(CLI_EXIT_FAILURE, "cannot save the model to %s: %s", path,
                         detail[0] ? detail : dlfs_strerror(st));
    }
    return CLI_EXIT_OK;
}

/* Options that only mean something for the gradient-trained models. */
static const char *const training_only[] = {
    "--iterations", "--epochs", "--batch", "--lr", "--seed", "--init", NULL
};

/* Turns the parsed options into a plan and a data source; usage errors only
 * (nothing is read yet). */
static int check_train_args(const cli_option *opts, const struct train_args *a,
                            struct fit_plan *plan, struct data_source *src)
{
    enum model_kind kind;

    if (!a->model)
        return cli_error(CLI_EXIT_USAGE, "train needs --model linreg, nn or ols (see --help)");
    if (parse_model(a->model, &kind) != 0)
        return cli_error(CLI_EXIT_USAGE, "--model expects linreg, nn or ols, got '%s'", a->model);
    if (cli_given(opts, "--test") && cli_given(opts, "--test-fraction"))
        return cli_error(CLI_EXIT_USAGE, "give --test or --test-fraction, not both");
    if (cli_given(opts, "--iterations") && cli_given(opts, "--epochs"))
        return cli_error(CLI_EXIT_USAGE, "give --iterations or --epochs, not both");
    if (kind != MODEL_NN && cli_given(opts, "--hidden"))
        return cli_error(CLI_EXIT_USAGE, "--hidden applies only to --model nn");
    if (kind == MODEL_OLS)
        for (const char *const *name = training_only; *name; name++)
            if (cli_given(opts, *name))
                return cli_error(CLI_EXIT_USAGE, "%s does not apply to --model ols "
                                 "(it is fitted in closed form)", *name);

    plan_chapter(plan, kind);
    plan->hidden = a->hidden;
    if (cli_given(opts, "--iterations")) plan->iterations = a->iterations;
    if (cli_given(opts, "--epochs")) {
        plan->iterations = 0;
        plan->epochs = a->epochs;
    }
    plan->batch = a->batch;
    if (cli_given(opts, "--lr")) plan->lr = a->lr;
    if (cli_given(opts, "--seed")) plan->seed = a->seed;
    if (dlfs_backend_parse(a->backend, &plan->backend) != DLFS_OK)
        return cli_error(CLI_EXIT_USAGE, "--backend expects blas or naive, got '%s'", a->backend);
    if (strcmp(a->init, "normal") == 0)
        plan->init = DLFS_INIT_NORMAL;
    else if (strcmp(a->init, "scaled") == 0)
        plan->init = DLFS_INIT_SCALED;
    else
        return cli_error(CLI_EXIT_USAGE, "--init expects normal or scaled, got '%s'", a->init);
    plan->progress = !a->quiet && !a->json;

    src->path = a->data;
    src->target = a->target;
    src->test_path = a->test;
    src->test_fraction = a->test_fraction;
    src->split_seed = a->split_seed;
    src->standardize = !a->no_standardize;
    return CLI_EXIT_OK;
}

static int cmd_train(int argc, char **argv)
{
    static char boston[4096];
    struct train_args a = {
        .backend = "blas", .init = "normal",
        .test_fraction = CHAPTER_TEST_FRACTION, .split_seed = CHAPTER_SPLIT_SEED,
        .hidden = CHAPTER_HIDDEN, .batch = CHAPTER_BATCH,
    };
    cli_option opts[] = {
        { "--model", "linreg|nn|ols", CLI_STRING, &a.model, "the model to fit (required)", 0 },
        { "--data", "FILE.csv", CLI_STRING, &a.data, "CSV with a header row (default: bundled Boston data)", 0 },
        { "--target", "NAME", CLI_STRING, &a.target, "target column (default: medv for Boston, else the last)", 0 },
        { "--test", "FILE.csv", CLI_STRING, &a.test, "score on this file instead of a split", 0 },
        { "--test-fraction", "F", CLI_FRACTION, &a.test_fraction, "share of rows held out for testing (0.3)", 0 },
        { "--split-seed", "S", CLI_U64, &a.split_seed, "seed of the train/test split (180708)", 0 },
        { "--hidden", "H", CLI_COUNT, &a.hidden, "hidden units of nn (13)", 0 },
        { "--iterations", "N", CLI_COUNT, &a.iterations, "batches to train on (1000 linreg, 10000 nn)", 0 },
        { "--epochs", "E", CLI_COUNT, &a.epochs, "passes over the training rows, instead of --iterations", 0 },
        { "--batch", "B", CLI_COUNT, &a.batch, "rows per batch (23)", 0 },
        { "--lr", "X", CLI_POSITIVE, &a.lr, "learning rate for the exact gradient (0.023 linreg, 0.0115 nn)", 0 },
        { "--seed", "S", CLI_U64, &a.seed, "seed of the weights and batches (180708 linreg, 180807 nn)", 0 },
        { "--backend", "blas|naive", CLI_STRING, &a.backend, "matrix products by cblas_dgemm or a plain loop (blas)", 0 },
        { "--init", "normal|scaled", CLI_STRING, &a.init, "weights from N(0,1) as the book, or N(0,1/fan_in) (normal)", 0 },
        { "--no-standardize", NULL, CLI_FLAG, &a.no_standardize, "use the features as they are", 0 },
        { "--save", "MODEL", CLI_STRING, &a.save, "after a successful fit, write the model file (for dlfs predict)", 0 },
        { "--json", NULL, CLI_FLAG, &a.json, "print one JSON object instead of the summary", 0 },
        { "--quiet", NULL, CLI_FLAG, &a.quiet, "no progress line, results only", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    struct fit_plan plan;
    struct data_source src;
    struct prepared d;
    struct fitted f;
    struct score sc;
    int rc;

    memset(&src, 0, sizeof src);
    rc = cli_parse(argc, argv, opts, train_usage);
    if (rc != CLI_PARSED)
        return rc;
    rc = check_train_args(opts, &a, &plan, &src);
    if (rc)
        return rc;
    if (!src.path) {
        if (cli_find_data(BOSTON_FILE, boston, sizeof boston) != 0)
            return CLI_EXIT_FAILURE;
        src.path = boston;
        if (!src.target)
            src.target = BOSTON_TARGET;
    }
    /* A missing directory is found before training, not after it. */
    if (a.save) {
        if (same_file(a.save, src.path) || same_file(a.save, src.test_path))
            return cli_error(CLI_EXIT_USAGE, "--save %s would replace a data file", a.save);
        if (cli_check_output_path(a.save, "the model") != 0)
            return CLI_EXIT_FAILURE;
    }

    rc = prepare_data(&src, &d);
    memset(&f, 0, sizeof f);
    if (!rc)
        rc = fit_and_score(&plan, &d, &f, &sc);
    /* Only a model that trained to the end without diverging is saved. */
    if (!rc && a.save)
        rc = save_model(&f, &d, a.save);
    if (!rc) {
        if (a.json)
            print_train_json(&src, &d, &plan, &sc, a.save);
        else
            print_summary(&a, &src, &d, &plan, &sc);
    }
    fitted_free(&f);
    prepared_free(&d);
    return rc;
}

/* ---- dlfs predict ------------------------------------------------------- */

static const char predict_usage[] =
    "Usage: dlfs predict --model-file MODEL --data FILE.csv [options]\n"
    "\n"
    "Predicts one value per row of FILE.csv with a model written by `dlfs train\n"
    "--save`, standardising the rows with the parameters saved in the model.\n"
    "The model's features are found in FILE.csv by name, in any order; columns\n"
    "that are neither a feature nor the target are ignored (and listed in the\n"
    "summary). A model saved without feature names takes every non-target\n"
    "column, in file order, and there must be exactly as many as it has inputs.\n"
    "When FILE.csv has the target column (the one the model was trained on, or\n"
    "--target), MAE, RMSE and R^2 of the predictions are printed too.\n"
    "\n"
    "Predictions are written as CSV, one header line (TARGET_predicted, or\n"
    "prediction when no target name is known) and one line per row, each value\n"
    "with 17 significant digits so that it reads back bit for bit. With --output\n"
    "the file is written whole or not at all (a temporary file renamed into\n"
    "place) and the summary goes to stdout; without it the predictions go to\n"
    "stdout and the summary to stderr. With --json the summary is one JSON\n"
    "object, the last line of stdout.\n"
    "\n"
    "The predictions equal, bit for bit, those of the model before it was saved\n"
    "when --backend is the one it was trained with.\n";

struct predict_args {
    const char *model_file, *data, *output, *target, *backend;
    int json, quiet;
};

/* A file column that is not there. */
#define NO_COLUMN ((size_t)-1)

/* One line for a model file that does not load: which of the loader's checks
 * failed, then its detail. */
static int model_load_error(dlfs_status st, const char *path)
{
    const char *detail = cli_without_function(dlfs_error_detail());
    const char *what;

    switch (st) {
    case DLFS_ETRUNCATED: what = "truncated"; break;
    case DLFS_ECHECKSUM: what = "corrupted, checksum mismatch"; break;
    case DLFS_EVERSION: what = "unsupported format version"; break;
    case DLFS_EFORMAT: what = "not a valid dlfs model file"; break;
    case DLFS_EKIND: what = "unknown model kind"; break;
    case DLFS_ENONFINITE: what = "parameters not finite"; break;
    case DLFS_EOVERFLOW: what = "impossible sizes"; break;
    case DLFS_EIO: what = "cannot read it"; break;
    default: what = dlfs_strerror(st); break;
    }
    if (!detail[0])
        detail = dlfs_strerror(st);
    /* The loader's details name the file; say it once. */
    if (strstr(detail, path))
        return cli_error(CLI_EXIT_FAILURE, "cannot load the model (%s): %s", what, detail);
    return cli_error(CLI_EXIT_FAILURE, "cannot load the model %s (%s): %s", path, what, detail);
}

/* The column of `names` (n of them) equal to `name`; NO_COLUMN if none.
 * Sets *count to how many columns have that name. */
static size_t find_column(char *const *names, size_t n, const char *name, size_t *count)
{
    size_t at = NO_COLUMN;

    *count = 0;
    for (size_t j = 0; j < n; j++)
        if (strcmp(names[j], name) == 0) {
            if (at == NO_COLUMN)
                at = j;
            ++*count;
        }
    return at;
}

/* Column names for a message: "'a', 'b'", as many as fit in buf. */
struct name_list {
    char buf[400];
    size_t used;      /* bytes in buf */
    size_t count;     /* names added */
    size_t left_out;  /* names that did not fit */
};

/* Appends "'name'" to the list, or counts it among the ones left out. */
static void name_list_add(struct name_list *l, const char *name)
{
    int n;

    l->count++;
    n = snprintf(l->buf + l->used, sizeof l->buf - l->used, "%s'%s'", l->used ? ", " : "", name);
    if (n < 0 || (size_t)n >= sizeof l->buf - l->used) {
        l->buf[l->used] = '\0';
        l->left_out++;
        return;
    }
    l->used += (size_t)n;
}

/* The list as text: "'a', 'b' and 3 more". */
static const char *name_list_text(struct name_list *l, char *out, size_t size)
{
    if (l->left_out)
        snprintf(out, size, "%s and %zu more", l->buf, l->left_out);
    else
        snprintf(out, size, "%s", l->buf);
    return out;
}

/* Where the model's inputs and the target are among the file's columns. */
struct column_map {
    size_t *feature;         /* k file columns, one per model input; owned */
    size_t target;           /* file column of the target, or NO_COLUMN */
    const char *target_name; /* the target looked for; NULL if none is known */
    struct name_list ignored;
};

static int map_columns(const struct predict_args *a, const dlfs_model *model,
                       const dlfs_dataset *file, struct column_map *map)
{
    char *const *names = file->feature_names;
    size_t ncol = file->X.cols, k = model->k, count;
    struct name_list missing;
    char list[512];
    unsigned char *used;

    memset(&missing, 0, sizeof missing);
    map->target_name = a->target ? a->target : model->target_name;
    map->target = NO_COLUMN;
    if (map->target_name) {
        map->target = find_column(names, ncol, map->target_name, &count);
        if (count > 1)
            return cli_error(CLI_EXIT_FAILURE, "%s: %zu columns are named '%s'", a->data,
                             count, map->target_name);
        if (a->target && map->target == NO_COLUMN)
            return cli_error(CLI_EXIT_FAILURE, "%s has no column '%s' (--target)", a->data,
                             a->target);
    }

    map->feature = malloc((k ? k : 1) * sizeof *map->feature);
    used = calloc(ncol, 1);
    if (!map->feature || !used) {
        free(used);
        return cli_error(CLI_EXIT_FAILURE, "out of memory");
    }
    if (map->target != NO_COLUMN)
        used[map->target] = 1;

    if (model->feature_names) {
        for (size_t j = 0; j < k; j++) {
            const char *name = model->feature_names[j];
            size_t c = find_column(names, ncol, name, &count);
            if (count > 1) {
                free(used);
                return cli_error(CLI_EXIT_FAILURE, "%s: %zu columns are named '%s'", a->data,
                                 count, name);
            }
            if (c != NO_COLUMN && c == map->target) {
                free(used);
                return cli_error(CLI_EXIT_FAILURE, "the target '%s' is one of the model's "
                                 "features", name);
            }
            if (c == NO_COLUMN)
                name_list_add(&missing, name);
            else
                used[c] = 1;
            map->feature[j] = c;
        }
        if (missing.count) {
            free(used);
            return cli_error(CLI_EXIT_FAILURE, "%s has no column for the model's feature%s %s",
                             a->data, missing.count > 1 ? "s" : "",
                             name_list_text(&missing, list, sizeof list));
        }
    } else {
        size_t have = ncol - (map->target != NO_COLUMN), j = 0;
        if (have != k) {
            free(used);
            return cli_error(CLI_EXIT_FAILURE, "%s has %zu feature column%s but the model, "
                             "saved without feature names, takes %zu in order", a->data,
                             have, have == 1 ? "" : "s", k);
        }
        for (size_t c = 0; c < ncol; c++)
            if (c != map->target) {
                map->feature[j++] = c;
                used[c] = 1;
            }
    }
    for (size_t c = 0; c < ncol; c++)
        if (!used[c])
            name_list_add(&map->ignored, names[c]);
    free(used);
    return CLI_EXIT_OK;
}

/* Writes a CSV field, quoted when it holds a separator, a quote, a line end
 * or surrounding blanks. */
static void write_csv_name(FILE *out, const char *name, const char *suffix)
{
    size_t len = strlen(name);
    int quote = strpbrk(name, ",\"\r\n") != NULL ||
                (len && (name[0] == ' ' || name[0] == '\t' || name[len - 1] == ' ' ||
                         name[len - 1] == '\t'));

    if (!quote) {
        fprintf(out, "%s%s", name, suffix);
        return;
    }
    fputc('"', out);
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fprintf(out, "%s\"", suffix);
}

/* The header line and one line per row of P (n x m), %.17g: every double
 * reads back as itself. One output is named after the target when its name is
 * known; several are prediction_1, prediction_2, ... */
static void write_predictions(FILE *out, const dlfs_matrix *P, const char *target_name)
{
    if (P->cols == 1 && target_name)
        write_csv_name(out, target_name, "_predicted");
    else if (P->cols == 1)
        fputs("prediction", out);
    else
        for (size_t j = 0; j < P->cols; j++)
            fprintf(out, "%sprediction_%zu", j ? "," : "", j + 1);
    fputc('\n', out);
    for (size_t i = 0; i < P->rows; i++) {
        for (size_t j = 0; j < P->cols; j++)
            fprintf(out, "%s%.17g", j ? "," : "", P->data[i * P->ld + j]);
        fputc('\n', out);
    }
}

static void print_predict_summary(FILE *out, const struct predict_args *a,
                                  const dlfs_model *model, const dlfs_dataset *file,
                                  struct column_map *map, const dlfs_metrics *scores)
{
    char list[512];

    fprintf(out, "model       %s: %s, %zu inputs", a->model_file,
            dlfs_model_kind_name(model->kind), model->k);
    if (model->kind == DLFS_MODEL_NN)
        fprintf(out, ", %zu hidden units", model->h);
    fprintf(out, ", %s\n", model->has_scaler ? "standardised with the saved parameters"
                                             : "inputs used as given");
    fprintf(out, "data        %s: %zu rows, %zu columns\n", a->data, file->X.rows, file->X.cols);
    if (map->ignored.count)
        fprintf(out, "ignored     %s (neither a feature of the model nor the target)\n",
                name_list_text(&map->ignored, list, sizeof list));
    fprintf(out, "predictions %s (%zu rows)\n", a->output ? a->output : "stdout", file->X.rows);
    if (scores) {
        fprintf(out, "target      %s\n", map->target_name);
        fprintf(out, "MAE         %.4f\n", scores->mae);
        fprintf(out, "RMSE        %.4f (%.1f%% of the mean target %.4f)\n", scores->rmse,
                100.0 * scores->rmse / scores->mean_target, scores->mean_target);
        fprintf(out, "R^2         %.4f\n", scores->r2);
    } else if (map->target != NO_COLUMN) {
        fprintf(out, "scores      none: the model has %zu outputs\n", model->m);
    } else if (map->target_name) {
        fprintf(out, "scores      none: %s has no column '%s'\n", a->data, map->target_name);
    } else {
        fprintf(out, "scores      none: the model names no target (give --target NAME)\n");
    }
}

static void print_predict_json(const struct predict_args *a, const dlfs_model *model,
                               const dlfs_dataset *file, const struct column_map *map,
                               const dlfs_metrics *scores)
{
    cli_json j;

    cli_json_begin(&j, stdout);
    cli_json_string(&j, "command", "predict");
    cli_json_string(&j, "model_file", a->model_file);
    cli_json_string(&j, "data", a->data);
    cli_json_string(&j, "output", a->output);
    cli_json_string(&j, "model", dlfs_model_kind_name(model->kind));
    cli_json_size(&j, "rows", file->X.rows);
    cli_json_size(&j, "features", model->k);
    if (model->kind == DLFS_MODEL_NN)
        cli_json_size(&j, "hidden", model->h);
    cli_json_bool(&j, "standardized", model->has_scaler);
    cli_json_size(&j, "ignored_columns", map->ignored.count);
    cli_json_string(&j, "target", scores ? map->target_name : NULL);
    if (scores) {
        cli_json_number(&j, "mae", scores->mae);
        cli_json_number(&j, "rmse", scores->rmse);
        cli_json_number(&j, "r2", scores->r2);
        cli_json_number(&j, "mean_target", scores->mean_target);
    } else {
        cli_json_null(&j, "mae");
        cli_json_null(&j, "rmse");
        cli_json_null(&j, "r2");
        cli_json_null(&j, "mean_target");
    }
    cli_json_end(&j);
}

/* X (n x k) = the file's columns in the model's order; y (n x 1) = the target
 * column, when there is one. */
static dlfs_status gather_columns(const dlfs_dataset *file, const struct column_map *map,
                                  size_t k, dlfs_matrix *X, dlfs_matrix *y)
{
    const dlfs_matrix *F = &file->X;
    dlfs_status st = dlfs_matrix_alloc(X, F->rows, k);

    if (!st && map->target != NO_COLUMN)
        st = dlfs_matrix_alloc(y, F->rows, 1);
    if (st)
        return st;
    for (size_t i = 0; i < F->rows; i++) {
        const double *row = F->data + i * F->ld;
        for (size_t j = 0; j < k; j++)
            X->data[i * X->ld + j] = row[map->feature[j]];
        if (map->target != NO_COLUMN)
            y->data[i * y->ld] = row[map->target];
    }
    return DLFS_OK;
}

/* P (n x m) = the model's predictions for the raw rows X (n x k), in the
 * blocks training scores in (see SCORE_BLOCK_BYTES). */
static dlfs_status model_predict_rows(const dlfs_model *model, const dlfs_matrix *X,
                                      dlfs_matrix *P)
{
    size_t block = score_block_rows(model->kind == DLFS_MODEL_NN ? model->h : 1);
    dlfs_status st = DLFS_OK;

    for (size_t row = 0; row < X->rows && !st; row += block) {
        size_t count = X->rows - row < block ? X->rows - row : block;
        dlfs_matrix Xb, Pb;
        st = dlfs_matrix_block(X, row, 0, count, X->cols, &Xb);
        if (!st) st = dlfs_matrix_block(P, row, 0, count, P->cols, &Pb);
        if (!st) st = dlfs_model_predict(model, &Xb, &Pb);
    }
    return st;
}

/* The predictions to --output (whole or not at all) or to stdout. */
static int emit_predictions(const struct predict_args *a, const dlfs_matrix *P,
                            const char *target_name)
{
    cli_atomic_file file;

    if (!a->output) {
        write_predictions(stdout, P, target_name);
        if (fflush(stdout) != 0 || ferror(stdout))
            return cli_error(CLI_EXIT_FAILURE, "cannot write the predictions to stdout");
        return CLI_EXIT_OK;
    }
    if (cli_atomic_open(&file, a->output) != 0)
        return CLI_EXIT_FAILURE;
    write_predictions(file.f, P, target_name);
    return cli_atomic_commit(&file) != 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int cmd_predict(int argc, char **argv)
{
    struct predict_args a = { NULL, NULL, NULL, NULL, "blas", 0, 0 };
    cli_option opts[] = {
        { "--model-file", "MODEL", CLI_STRING, &a.model_file, "the model, written by dlfs train --save (required)", 0 },
        { "--data", "FILE.csv", CLI_STRING, &a.data, "rows to predict: CSV with a header row (required)", 0 },
        { "--output", "PRED.csv", CLI_STRING, &a.output, "write the predictions to this file (default: stdout)", 0 },
        { "--target", "NAME", CLI_STRING, &a.target, "score against this column (default: the model's target)", 0 },
        { "--backend", "blas|naive", CLI_STRING, &a.backend, "matrix products as in training (blas)", 0 },
        { "--json", NULL, CLI_FLAG, &a.json, "the summary as one JSON object, the last line of stdout", 0 },
        { "--quiet", NULL, CLI_FLAG, &a.quiet, "no summary: predictions and errors only", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    dlfs_matrix X = { 0, 0, 0, NULL }, y = { 0, 0, 0, NULL }, P = { 0, 0, 0, NULL };
    dlfs_metrics metrics;
    const dlfs_metrics *scores = NULL;
    struct column_map map;
    dlfs_dataset file;
    dlfs_model model;
    dlfs_backend backend;
    dlfs_status st;
    int rc;

    rc = cli_parse(argc, argv, opts, predict_usage);
    if (rc != CLI_PARSED)
        return rc;
    if (dlfs_backend_parse(a.backend, &backend) != DLFS_OK)
        return cli_error(CLI_EXIT_USAGE, "--backend expects blas or naive, got '%s'", a.backend);
    if (!a.model_file)
        return cli_error(CLI_EXIT_USAGE, "predict needs --model-file MODEL (see --help)");
    if (!a.data)
        return cli_error(CLI_EXIT_USAGE, "predict needs --data FILE.csv (see --help)");
    if (a.output) {
        if (same_file(a.output, a.data) || same_file(a.output, a.model_file))
            return cli_error(CLI_EXIT_USAGE, "--output %s would replace an input file",
                             a.output);
        if (cli_check_output_path(a.output, "the predictions") != 0)
            return CLI_EXIT_FAILURE;
    }

    memset(&model, 0, sizeof model);
    memset(&file, 0, sizeof file);
    memset(&map, 0, sizeof map);
    map.target = NO_COLUMN;
    st = dlfs_model_load(&model, a.model_file, DLFS_MODEL_ANY);
    if (st)
        return model_load_error(st, a.model_file);
    /* Not saved in the file; the products of the two backends differ in the
     * last bits, so bit-identical predictions need the training's backend. */
    model.linreg.backend = backend;
    model.nn.backend = backend;

    rc = read_csv(a.data, NULL, DLFS_CSV_NO_TARGET, &file);
    if (!rc)
        rc = map_columns(&a, &model, &file, &map);
    if (!rc) {
        st = gather_columns(&file, &map, model.k, &X, &y);
        if (!st) st = dlfs_matrix_alloc(&P, X.rows, model.m);
        if (!st) st = model_predict_rows(&model, &X, &P);
        if (!st && map.target != NO_COLUMN && model.m == 1) {
            st = dlfs_metrics_compute(&P, &y, &metrics);
            scores = &metrics;
        }
        if (st)
            rc = fail(st, "predicting");
    }
    if (!rc)
        rc = emit_predictions(&a, &P, map.target_name);
    if (!rc) {
        if (a.json)
            print_predict_json(&a, &model, &file, &map, scores);
        else if (!a.quiet)
            print_predict_summary(a.output ? stdout : stderr, &a, &model, &file, &map, scores);
    }
    dlfs_matrix_free(&X);
    dlfs_matrix_free(&y);
    dlfs_matrix_free(&P);
    free(map.feature);
    dlfs_dataset_free(&file);
    dlfs_model_free(&model);
    return rc;
}

/* ---- dlfs run: the chapter ---------------------------------------------- */

static const char run_usage[] =
    "Usage: dlfs run [options]\n"
    "\n"
    "The chapter's experiment: least squares in closed form, the step-by-step\n"
    "linear regression and the one-hidden-layer network, each with the chapter's\n"
    "settings, on the bundled Boston housing data (30% test split, features\n"
    "standardised on the training rows), beside the figures the book printed.\n";

/* A published figure, or a dash where the book printed none. */
static void print_book_figure(double v)
{
    if (isnan(v))
        printf(" %9s", "-");
    else
        printf(" %9.4f", v);
}

static void print_run_table(const char *path, const struct prepared *d,
                            const struct fit_plan *plans, const struct score *sc)
{
    printf("Chapter 2 on the Boston housing data (%s)\n", path);
    printf("%zu rows: %zu train, %zu test (30%% split, seed %d); %zu features, standardised\n"
           "on the training rows; matrix products by %s\n\n",
           d->X_train.rows + d->X_test.rows, d->X_train.rows, d->X_test.rows,
           CHAPTER_SPLIT_SEED, d->X_train.cols, dlfs_backend_name(plans[0].backend));
    printf("%-18s %10s %9s %9s %9s %7s %10s | %9s %9s\n", "", "", "test", "test", "RMSE /",
           "test", "training", "book", "book");
    printf("%-18s %10s %9s %9s %9s %7s %10s | %9s %9s\n", "model", "iterations", "MAE", "RMSE",
           "mean", "R^2", "time", "MAE", "RMSE");
    for (int i = 0; i < MODEL_KINDS; i++) {
        char iters[24], time[32];
        snprintf(iters, sizeof iters, "%zu", sc[i].iterations);
        printf("%-18s %10s %9.4f %9.4f %8.1f%% %7.4f %10s |", chapter[i].title,
               i == MODEL_OLS ? "-" : iters, sc[i].test.mae, sc[i].test.rmse,
               rmse_percent(&sc[i]), sc[i].test.r2,
               format_seconds(time, sizeof time, sc[i].seconds));
        print_book_figure(chapter[i].book_mae);
        print_book_figure(chapter[i].book_rmse);
        printf("\n");
    }
    printf("\nMean test target: %.4f (book: 22.0776). The network has %d hidden units;\n"
           "learning rates are the book's 0.001 mapped to the exact mean-squared-error\n"
           "gradient (0.023 and 0.0115). The split is drawn by dlfs's own generator,\n"
           "not scikit-learn's, so the test rows differ from the book's: expect figures\n"
           "near the book's, not equal to them.\n", sc[0].test.mean_target, CHAPTER_HIDDEN);
}

static void print_run_json(const char *path, const struct prepared *d,
                           const struct fit_plan *plans, const struct score *sc)
{
    cli_json j;

    cli_json_begin(&j, stdout);
    cli_json_string(&j, "command", "run");
    cli_json_string(&j, "data", path);
    cli_json_string(&j, "backend", dlfs_backend_name(plans[0].backend));
    cli_json_size(&j, "train_rows", d->X_train.rows);
    cli_json_size(&j, "test_rows", d->X_test.rows);
    cli_json_size(&j, "features", d->X_train.cols);
    cli_json_u64(&j, "split_seed", CHAPTER_SPLIT_SEED);
    cli_json_number(&j, "mean_target", sc[0].test.mean_target);
    cli_json_open(&j, "models", '[');
    for (int i = 0; i < MODEL_KINDS; i++) {
        int trained = i != MODEL_OLS;
        cli_json_open(&j, NULL, '{');
        cli_json_string(&j, "model", chapter[i].name);
        if (i == MODEL_NN)
            cli_json_size(&j, "hidden", plans[i].hidden);
        cli_json_size(&j, "iterations", sc[i].iterations);
        if (trained) {
            cli_json_size(&j, "batch", plans[i].batch);
            cli_json_number(&j, "lr", plans[i].lr);
            cli_json_u64(&j, "seed", plans[i].seed);
        } else {
            cli_json_null(&j, "batch");
            cli_json_null(&j, "lr");
            cli_json_null(&j, "seed");
        }
        cli_json_number(&j, "train_loss", sc[i].train_loss);
        cli_json_number(&j, "test_mae", sc[i].test.mae);
        cli_json_number(&j, "test_rmse", sc[i].test.rmse);
        cli_json_number(&j, "test_r2", sc[i].test.r2);
        cli_json_number(&j, "train_seconds", sc[i].seconds);
        cli_json_number(&j, "book_mae", chapter[i].book_mae);
        cli_json_number(&j, "book_rmse", chapter[i].book_rmse);
        cli_json_close(&j, '}');
    }
    cli_json_close(&j, ']');
    cli_json_end(&j);
}

static int cmd_run(int argc, char **argv)
{
    static char boston[4096];
    const char *backend = "blas";
    int json = 0, quiet = 0;
    cli_option opts[] = {
        { "--backend", "blas|naive", CLI_STRING, &backend, "matrix products by cblas_dgemm or a plain loop (blas)", 0 },
        { "--json", NULL, CLI_FLAG, &json, "print one JSON object instead of the table", 0 },
        { "--quiet", NULL, CLI_FLAG, &quiet, "no progress line", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    struct data_source src = { NULL, BOSTON_TARGET, NULL, CHAPTER_TEST_FRACTION,
                               CHAPTER_SPLIT_SEED, 1 };
    struct fit_plan plans[MODEL_KINDS];
    struct score sc[MODEL_KINDS];
    dlfs_backend be;
    struct prepared d;
    int rc;

    rc = cli_parse(argc, argv, opts, run_usage);
    if (rc != CLI_PARSED)
        return rc;
    if (dlfs_backend_parse(backend, &be) != DLFS_OK)
        return cli_error(CLI_EXIT_USAGE, "--backend expects blas or naive, got '%s'", backend);
    if (cli_find_data(BOSTON_FILE, boston, sizeof boston) != 0)
        return CLI_EXIT_FAILURE;
    src.path = boston;

    rc = prepare_data(&src, &d);
    for (int i = 0; i < MODEL_KINDS && !rc; i++) {
        struct fitted f;
        plan_chapter(&plans[i], (enum model_kind)i);
        plans[i].backend = be;
        plans[i].progress = !quiet && !json;
        rc = fit_and_score(&plans[i], &d, &f, &sc[i]);
        fitted_free(&f);
    }
    if (!rc) {
        if (json)
            print_run_json(boston, &d, plans, sc);
        else
            print_run_table(boston, &d, plans, sc);
    }
    prepared_free(&d);
    return rc;
}

/* ---- main --------------------------------------------------------------- */

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "train", cmd_train, "train one model on a CSV file and score it on held-out rows;\n"
                          "             --save MODEL writes it to a file" },
    { "predict", cmd_predict, "predict with a saved model, one value per row of a CSV file" },
    { "run", cmd_run, "the chapter: OLS, linear regression and the network on the Boston\n"
                      "             data, beside the book's figures" },
};

static void print_usage(FILE *out)
{
    fputs("Usage: dlfs COMMAND [options]\n"
          "       dlfs COMMAND --help\n"
          "       dlfs --version\n"
          "\n"
          "Linear regression and a one-hidden-layer network, step by step, as in\n"
          "chapter 2 of \"Deep Learning from Scratch\".\n"
          "\n"
          "Commands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nThe bundled data is looked for in $DLFS_DATA_DIR, then the installed\n"
          "data directory, then the source tree.\n", out);
}

int main(int argc, char **argv)
{
    const char *name;

    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("dlfs %s\n", DLFS_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    return cli_error(CLI_EXIT_USAGE, "unknown command '%s' (commands: train, predict, run; "
                     "see --help)",
                     name);
}
