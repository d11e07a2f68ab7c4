/* examples/dlfs/run.c - `dlfs run`: the chapter on the Boston data. Least
 * squares, the regression and the network, each with the chapter's settings,
 * scored on the same test rows and printed beside the book's figures.
 */
#include <math.h>
#include <stdio.h>

#include "chapter.h"
#include "cli.h"
#include "fit.h"
#include "json.h"

static const char run_usage[] =
    "Usage: dlfs run [options]\n"
    "\n"
    "The chapter's experiment: least squares in closed form, the step-by-step\n"
    "linear regression and the one-hidden-layer network, each with the chapter's\n"
    "settings, on the bundled Boston housing data (30% test split, features\n"
    "standardised on the training rows), beside the figures the book printed.\n"
    "\n"
    "With --book, the experiment exactly as the chapter's NumPy code runs it:\n"
    "features standardised on all rows before the split, scikit-learn's split\n"
    "(random_state 80718), NumPy's generator for the weights and the batch order,\n"
    "the summed loss's gradient at the chapter's rates.\n";

/* A published figure, or a dash where the book printed none. */
static void print_book_figure(double v)
{
    if (isnan(v))
        printf(" %9s", "-");
    else
        printf(" %9.4f", v);
}

static void print_run_header(const char *path, const chapter_data *d, const struct fit_plan *plans)
{
    const size_t n = d->X_train.rows + d->X_test.rows;
    printf("Chapter 2 on the Boston housing data (%s)\n", path);
    if (plans[0].book)
        printf("Book mode: the chapter's code's experiment. %zu rows: %zu train, %zu test\n"
               "(scikit-learn's train_test_split, random_state %d); %zu features, standardised\n"
               "on all %zu rows before the split, as that code does (the test rows' statistics\n"
               "enter the scaling; dlfs's default fits on the training rows); NumPy's\n"
               "generator; the summed loss's gradient at the chapter's rates (0.001, and\n"
               "0.0005 for the network, whose dL/dP drops the factor 2); matrix products\n"
               "by %s\n\n", n, d->X_train.rows, d->X_test.rows, CHAPTER_BOOK_SPLIT_SEED,
               d->X_train.cols, n, dlfs_backend_name(plans[0].backend));
    else
        printf("%zu rows: %zu train, %zu test (30%% split, seed %d); %zu features, standardised\n"
               "on the training rows; matrix products by %s\n\n", n, d->X_train.rows,
               d->X_test.rows, CHAPTER_SPLIT_SEED, d->X_train.cols,
               dlfs_backend_name(plans[0].backend));
}

static void print_run_table(const char *path, const chapter_data *d,
                            const struct fit_plan *plans, const struct score *sc)
{
    print_run_header(path, d, plans);
    printf("%-18s %10s %9s %9s %9s %7s %10s | %9s %9s\n", "", "", "test", "test", "RMSE /",
           "test", "training", "book", "book");
    printf("%-18s %10s %9s %9s %9s %7s %10s | %9s %9s\n", "model", "iterations", "MAE", "RMSE",
           "mean", "R^2", "time", "MAE", "RMSE");
    for (int i = 0; i < CHAPTER_MODELS; i++) {
        const chapter_model *c = &chapter_models[i];
        char iters[24], time[32];
        snprintf(iters, sizeof iters, "%zu", sc[i].iterations);
        printf("%-18s %10s %9.4f %9.4f %8.1f%% %7.4f %10s |", c->title,
               c->kind == DLFS_MODEL_OLS ? "-" : iters, sc[i].test.mae, sc[i].test.rmse,
               rmse_percent(&sc[i].test), sc[i].test.r2,
               format_seconds(time, sizeof time, sc[i].seconds));
        print_book_figure(c->book_mae);
        print_book_figure(c->book_rmse);
        printf("\n");
    }
    if (plans[0].book) {
        printf("\nMean test target: %.4f (book: %.4f): the chapter's test rows. These\n"
               "figures are those the chapter's NumPy code prints when it is run (NumPy\n"
               "1.24.2, scikit-learn 1.2.1; equal to about 1e-15). The figures printed in\n"
               "the book, from its own run, differ a little from them, the network's most.\n",
               sc[0].test.mean_target, CHAPTER_BOOK_MEAN_TARGET);
        return;
    }
    printf("\nMean test target: %.4f (book: %.4f). The network has %d hidden units;\n"
           "learning rates are the book's 0.001 mapped to the mean-squared-error\n"
           "gradient at full batches (0.023 and 0.0115). The split is drawn by dlfs's own\n"
           "generator, not scikit-learn's, so the test rows differ from the book's: expect\n"
           "figures near the book's, not equal to them (--book gives the chapter's own).\n",
           sc[0].test.mean_target, CHAPTER_BOOK_MEAN_TARGET, CHAPTER_HIDDEN);
}

/* One model's member of the "models" array. */
static void json_model(cli_json *j, const struct fit_plan *plan, const struct score *sc)
{
    const chapter_model *c = chapter_model_of(plan->kind);

    cli_json_open(j, NULL, '{');
    cli_json_string(j, "model", c->name);
    if (plan->kind == DLFS_MODEL_NN)
        cli_json_size(j, "hidden", plan->hidden);
    cli_json_size(j, "iterations", sc->iterations);
    json_training(j, plan);
    cli_json_number(j, "train_loss", sc->train_loss);
    cli_json_number(j, "test_mae", sc->test.mae);
    cli_json_number(j, "test_rmse", sc->test.rmse);
    cli_json_number(j, "test_r2", sc->test.r2);
    cli_json_number(j, "train_seconds", sc->seconds);
    cli_json_number(j, "book_mae", c->book_mae);
    cli_json_number(j, "book_rmse", c->book_rmse);
    cli_json_close(j, '}');
}

static void print_run_json(const char *path, const chapter_data *d,
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
    cli_json_u64(&j, "split_seed", plans[0].book ? CHAPTER_BOOK_SPLIT_SEED : CHAPTER_SPLIT_SEED);
    cli_json_bool(&j, "book", plans[0].book);
    cli_json_number(&j, "mean_target", sc[0].test.mean_target);
    cli_json_open(&j, "models", '[');
    for (int i = 0; i < CHAPTER_MODELS; i++)
        json_model(&j, &plans[i], &sc[i]);
    cli_json_close(&j, ']');
    cli_json_end(&j);
}

int cmd_run(int argc, char **argv)
{
    const char *backend = "auto";
    int json = 0, quiet = 0, book = 0;
    cli_option opts[] = {
        { "--backend", "B", CLI_STRING, &backend, "matrix products: blas (cblas_dgemm), naive (a plain" CLI_HELP_BREAK "loop), xsmm (libxsmm) or auto (per shape; default)", 0 },
        { "--book", NULL, CLI_FLAG, &book, "the chapter's code's experiment, exactly (see above)", 0 },
        { "--json", NULL, CLI_FLAG, &json, "print one JSON object instead of the table", 0 },
        { "--quiet", NULL, CLI_FLAG, &quiet, "no progress line", 0 },
        { NULL, NULL, CLI_FLAG, NULL, NULL, 0 },
    };
    struct fit_plan plans[CHAPTER_MODELS];
    struct score sc[CHAPTER_MODELS];
    chapter_source src;
    chapter_data d;
    dlfs_backend be;
    int rc;

    rc = cli_parse(argc, argv, opts, run_usage);
    if (rc != CLI_PARSED)
        return rc;
    if ((rc = parse_backend_option(backend, &be)) != 0)
        return rc;
    chapter_source_boston(&src);
    if (book) {
        src.book = 1;
        src.split_seed = CHAPTER_BOOK_SPLIT_SEED;
    }
    if (chapter_source_find(&src) != 0)
        return CLI_EXIT_FAILURE;

    rc = chapter_prepare(&src, &d);
    for (int i = 0; i < CHAPTER_MODELS && !rc; i++) {
        dlfs_model model;
        plan_chapter(&plans[i], chapter_models[i].kind);
        if (book)
            plan_book(&plans[i]);
        plans[i].backend = be;
        plans[i].progress = !quiet && !json;
        rc = fit_and_score(&plans[i], &d, &model, &sc[i]);
        dlfs_model_free(&model);
    }
    if (!rc) {
        if (json)
            print_run_json(src.path, &d, plans, sc);
        else
            print_run_table(src.path, &d, plans, sc);
    }
    chapter_data_free(&d);
    return rc;
}
