/* examples/dlfs.c - the dlfs command: trains the chapter's models on a CSV
 * file and reports how well they predict rows they did not see.
 *
 *     dlfs train --model linreg|nn|ols [options]   one model: a summary, or JSON
 *     dlfs run [--backend B] [--quiet] [--json]     the chapter on the Boston data:
 *                                                   OLS, regression and network
 *                                                   beside the book's figures
 *
 * Every run reads the CSV, splits it (or reads a separate test file), fits
 * the standardisation on the training rows only, fits the model, and scores
 * it on the test rows. Targets are left in their own units (the book's prices
 * stay in $1000s), so MAE and RMSE are in the target's units.
 *
 * Model files (`train --save MODEL`, `dlfs predict`) come with the model-file
 * format (dlfs/model_file.h); `struct fitted` below already holds everything
 * such a file needs, and predict_rows() is what `dlfs predict` will call.
 */
#include <dlfs/dlfs.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A library detail starts with the function that failed ("dlfs_csv_read: line
 * 3, ..."), which tells a user of the program nothing: skip it. */
static const char *without_function(const char *detail)
{
    const char *p = detail;

    if (strncmp(p, "dlfs_", 5) != 0)
        return detail;
    while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
        p++;
    return strncmp(p, ": ", 2) == 0 ? p + 2 : detail;
}

/* "dlfs: <context>: <detail>", or the status's sentence when the library left
 * no detail; returns CLI_EXIT_FAILURE. */
static int fail(dlfs_status st, const char *context)
{
    const char *detail = without_function(dlfs_error_detail());
    return cli_error(CLI_EXIT_FAILURE, "%s: %s", context, detail[0] ? detail : dlfs_strerror(st));
}

/* Reads a CSV file; on failure prints "dlfs: FILE: line L, column C: what". */
static int read_csv(const char *path, const char *target, dlfs_dataset *ds)
{
    dlfs_csv_error err = { 0, 0, "" };
    dlfs_status st = dlfs_csv_read(path, target, target ? 0 : (size_t)-1, ds, &err);
    const char *what;

    if (st == DLFS_OK)
        return CLI_EXIT_OK;
    what = without_function(err.message[0] ? err.message : dlfs_error_detail());
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

/* The rows a model is fitted and scored on. All owned. */
struct prepared {
    dlfs_dataset file;                  /* as read: names, all rows */
    dlfs_matrix X_train, y_train;       /* n_train x k, n_train x 1 */
    dlfs_matrix X_test, y_test;         /* n_test x k, n_test x 1 */
    dlfs_standardizer scaler;           /* fitted on X_train; k == 0 when off */
};

static void prepared_free(struct prepared *d)
{
    dlfs_dataset_free(&d->file);
    dlfs_matrix_free(&d->X_train);
    dlfs_matrix_free(&d->y_train);
    dlfs_matrix_free(&d->X_test);
    dlfs_matrix_free(&d->y_test);
    dlfs_standardizer_free(&d->scaler);
}

static dlfs_status copy_matrix(dlfs_matrix *dst, const dlfs_matrix *src)
{
    dlfs_status st = dlfs_matrix_alloc(dst, src->rows, src->cols);
    if (st == DLFS_OK)
        st = dlfs_matrix_copy(dst, src);
    return st;
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
    rc = read_csv(src->path, src->target, &d->file);
    if (rc)
        return rc;

    if (src->test_path) {
        dlfs_dataset test;
        memset(&test, 0, sizeof test);
        /* The test file's target is the column the training file used. */
        rc = read_csv(src->test_path, d->file.target_name, &test);
        if (!rc)
            rc = check_same_features(src, &d->file, &test);
        if (!rc) {
            st = copy_matrix(&d->X_train, &d->file.X);
            if (!st) st = copy_matrix(&d->y_train, &d->file.y);
            if (!st) st = copy_matrix(&d->X_test, &test.X);
            if (!st) st = copy_matrix(&d->y_test, &test.y);
            if (st)
                rc = fail(st, "copying the data");
        }
        dlfs_dataset_free(&test);
        if (rc)
            return rc;
    } else {
        st = dlfs_split(&d->file.X, &d->file.y, src->test_fraction, src->split_seed,
                        &d->X_train, &d->y_train, &d->X_test, &d->y_test);
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

/* P = the model's predictions for X (n x k); P is n x 1, the caller's. */
static dlfs_status predict_rows(const struct fitted *f, const dlfs_matrix *X, dlfs_matrix *P)
{
    if (f->kind == MODEL_NN)
        return dlfs_nn_predict(&f->nn, X, P);
    return dlfs_linreg_predict(&f->linreg, X, P);
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

/* Mean of (P - y)^2 over the rows of two n x 1 matrices. */
static double mean_squared_error(const dlfs_matrix *P, const dlfs_matrix *y)
{
    double sum = 0;
    for (size_t i = 0; i < y->rows; i++) {
        double e = P->data[i * P->ld] - y->data[i * y->ld];
        sum += e * e;
    }
    return sum / (double)y->rows;
}

static int evaluate(const struct fitted *f, const struct prepared *d, struct score *sc)
{
    dlfs_matrix P_train = { 0, 0, 0, NULL }, P_test = { 0, 0, 0, NULL };
    dlfs_status st;

    st = dlfs_matrix_alloc(&P_train, d->X_train.rows, 1);
    if (!st) st = dlfs_matrix_alloc(&P_test, d->X_test.rows, 1);
    if (!st) st = predict_rows(f, &d->X_train, &P_train);
    if (!st) st = predict_rows(f, &d->X_test, &P_test);
    if (!st) st = dlfs_metrics_compute(&P_test, &d->y_test, &sc->test);
    if (!st)
        sc->train_loss = mean_squared_error(&P_train, &d->y_train);
    dlfs_matrix_free(&P_train);
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
    "Features are standardised on the training rows; the target is not.\n";

struct train_args {
    const char *model, *data, *target, *test, *backend, *init;
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
}

static void print_train_json(const struct data_source *src, const struct prepared *d,
                             const struct fit_plan *plan, const struct score *sc)
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
    cli_json_end(&j);
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
    /* --save MODEL joins this table with the model-file format. */
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

    rc = prepare_data(&src, &d);
    memset(&f, 0, sizeof f);
    if (!rc)
        rc = fit_and_score(&plan, &d, &f, &sc);
    if (!rc) {
        if (a.json)
            print_train_json(&src, &d, &plan, &sc);
        else
            print_summary(&a, &src, &d, &plan, &sc);
    }
    fitted_free(&f);
    prepared_free(&d);
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
    { "train", cmd_train, "train one model on a CSV file and score it on held-out rows" },
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
    return cli_error(CLI_EXIT_USAGE, "unknown command '%s' (commands: train, run; see --help)",
                     name);
}
