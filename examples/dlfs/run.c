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
    "standardised on the training rows), beside the figures the book printed.\n";

/* A published figure, or a dash where the book printed none. */
static void print_book_figure(double v)
{
    if (isnan(v))
        printf(" %9s", "-");
    else
        printf(" %9.4f", v);
}

static void print_run_table(const char *path, const chapter_data *d,
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
    printf("\nMean test target: %.4f (book: %.4f). The network has %d hidden units;\n"
           "learning rates are the book's 0.001 mapped to the exact mean-squared-error\n"
           "gradient (0.023 and 0.0115). The split is drawn by dlfs's own generator,\n"
           "not scikit-learn's, so the test rows differ from the book's: expect figures\n"
           "near the book's, not equal to them.\n", sc[0].test.mean_target,
           CHAPTER_BOOK_MEAN_TARGET, CHAPTER_HIDDEN);
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
    cli_json_u64(&j, "split_seed", CHAPTER_SPLIT_SEED);
    cli_json_number(&j, "mean_target", sc[0].test.mean_target);
    cli_json_open(&j, "models", '[');
    for (int i = 0; i < CHAPTER_MODELS; i++)
        json_model(&j, &plans[i], &sc[i]);
    cli_json_close(&j, ']');
    cli_json_end(&j);
}

int cmd_run(int argc, char **argv)
{
    const char *backend = "blas";
    int json = 0, quiet = 0;
    cli_option opts[] = {
        { "--backend", "blas|naive", CLI_STRING, &backend, "matrix products by cblas_dgemm or a plain loop (blas)", 0 },
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
    if (chapter_source_find(&src) != 0)
        return CLI_EXIT_FAILURE;

    rc = chapter_prepare(&src, &d);
    for (int i = 0; i < CHAPTER_MODELS && !rc; i++) {
        dlfs_model model;
        plan_chapter(&plans[i], chapter_models[i].kind);
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
